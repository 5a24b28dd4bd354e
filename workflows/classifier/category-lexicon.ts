import type { LabelledText } from './seed-examples.js';

/**
 * Words and phrases that mark each category, written from the category definitions and the
 * vocabulary of Hà Nội PAKN, not from particular messages. They give the classifier the words a
 * few dozen example messages cannot all contain: real citizens will say "nắp hố ga" or "cột điện
 * nghiêng" in ways no seed message did. Each phrase is trained as a tiny document of its own.
 */
const PHRASES_BY_CATEGORY: Readonly<Record<string, readonly string[]>> = {
  'giao-thong': [
    'ổ gà', 'ổ voi', 'mặt đường hư hỏng', 'lún sụt mặt đường', 'nứt vỡ mặt đường', 'đường xuống cấp',
    'biển báo giao thông', 'đèn tín hiệu giao thông', 'đèn xanh đèn đỏ', 'vạch kẻ đường', 'gờ giảm tốc',
    'cầu vượt', 'cầu yếu', 'lan can cầu', 'hầm chui', 'dải phân cách', 'ùn tắc giao thông', 'tắc đường',
    'nút giao nguy hiểm', 'điểm đen tai nạn', 'tai nạn giao thông', 'xe buýt', 'điểm dừng xe buýt',
    'hè phố hư hỏng', 'gạch lát vỉa hè vỡ', 'đường sắt', 'xe quá tải', 'gương cầu lồi', 'phân luồng giao thông',
    'tổ chức giao thông', 'mặt cầu', 'đường nội đồng', 'đường liên xã', 'đường đê',
  ],
  'chieu-sang': [
    'đèn đường', 'đèn đường hỏng', 'đèn đường không sáng', 'đèn đường sáng ban ngày', 'đèn chiếu sáng',
    'chiếu sáng công cộng', 'đèn cao áp', 'bóng đèn cháy', 'cột đèn chiếu sáng', 'đèn nhấp nháy',
    'ngõ tối', 'đường tối om', 'lắp thêm đèn đường', 'thay bóng đèn', 'tủ điều khiển chiếu sáng',
    'đèn trang trí', 'hẹn giờ bật tắt đèn', 'đèn led chiếu sáng', 'chóa đèn', 'đèn công viên',
  ],
  'cap-thoat-nuoc': [
    'mất nước', 'mất nước sinh hoạt', 'nước sạch', 'nước máy', 'nước bẩn', 'nước đục', 'nước có mùi',
    'áp lực nước yếu', 'vỡ đường ống nước', 'đồng hồ nước', 'hóa đơn tiền nước', 'công ty nước sạch',
    'cống thoát nước', 'cống tắc', 'tắc cống', 'hố ga', 'nắp cống', 'nắp hố ga', 'rãnh thoát nước',
    'mương thoát nước', 'nạo vét cống', 'ngập úng', 'ngập khi mưa', 'ngập nước', 'nước thải tràn',
    'trạm bơm tiêu', 'nước giếng', 'đấu nối nước sạch', 'bể chứa nước',
  ],
  'cay-xanh': [
    'cây xanh', 'cây đổ', 'cây gãy', 'cành cây gãy', 'cây nghiêng', 'cây mục', 'cây chết khô',
    'cắt tỉa cây', 'chặt hạ cây', 'chặt trộm cây', 'cây cổ thụ', 'rễ cây', 'trồng cây xanh',
    'công viên', 'vườn hoa', 'bồn hoa', 'thảm cỏ', 'cắt cỏ', 'sân chơi trẻ em', 'công viên xuống cấp',
    'ghế đá công viên', 'cây sâu bệnh', 'cây sấu', 'cây xà cừ', 'cây bàng', 'cây phượng',
  ],
  've-sinh-moi-truong': [
    'rác thải', 'rác tồn đọng', 'rác sinh hoạt', 'thu gom rác', 'xe rác', 'xe chở rác', 'điểm tập kết rác',
    'bãi rác tự phát', 'đổ trộm phế thải', 'phế thải xây dựng', 'đổ trộm rác', 'vứt rác bừa bãi',
    'thùng rác', 'phân loại rác', 'rác cồng kềnh', 'nước rỉ rác', 'phí vệ sinh', 'vệ sinh môi trường',
    'quét dọn đường phố', 'công nhân vệ sinh', 'nhà vệ sinh công cộng', 'xác động vật chết', 'rác thải nhựa',
  ],
  'o-nhiem': [
    'ô nhiễm môi trường', 'ô nhiễm không khí', 'khói bụi', 'bụi mịn', 'khói đen', 'mùi hôi thối',
    'mùi khét', 'mùi hóa chất', 'tiếng ồn', 'ồn ào', 'karaoke hát to', 'loa kẹo kéo', 'mở nhạc to',
    'xả thải', 'xả nước thải', 'nước thải công nghiệp', 'sông ô nhiễm', 'hồ ô nhiễm', 'cá chết',
    'đốt rơm rạ', 'đốt rác', 'xưởng sản xuất gây ô nhiễm', 'làng nghề ô nhiễm', 'chỉ số AQI',
    'trạm trộn bê tông', 'quan trắc môi trường', 'tiếng ồn ban đêm', 'chăn nuôi gây mùi',
  ],
  'trat-tu-do-thi': [
    'lấn chiếm vỉa hè', 'lấn chiếm lòng đường', 'chiếm vỉa hè', 'bày hàng ra vỉa hè', 'bán hàng rong',
    'chợ cóc', 'chợ tạm', 'họp chợ lòng đường', 'trông giữ xe trái phép', 'đỗ xe trên vỉa hè',
    'biển quảng cáo sai quy định', 'băng rôn quảng cáo', 'tờ rơi quảng cáo', 'mái che di động',
    'kê bàn ghế ra vỉa hè', 'trật tự đô thị', 'mỹ quan đô thị', 'quán nhậu vỉa hè', 'bến xe dù',
    'rửa xe trên vỉa hè', 'tập kết vật liệu trên vỉa hè', 'dẹp vỉa hè', 'lập lại trật tự vỉa hè',
  ],
  'trat-tu-xay-dung': [
    'xây dựng không phép', 'xây dựng sai phép', 'xây dựng trái phép', 'xây vượt tầng', 'cơi nới',
    'giấy phép xây dựng', 'công trình xây dựng', 'thi công ban đêm', 'thi công gây nứt nhà',
    'lún nứt nhà liền kề', 'chung cư mini', 'xây lấn', 'đình chỉ thi công', 'phá dỡ công trình',
    'biển thông tin công trình', 'giàn giáo che chắn', 'vật liệu rơi từ công trình', 'xây nhà trên đất nông nghiệp',
    'xây dựng trên đất công', 'sai thiết kế', 'cưỡng chế công trình vi phạm', 'đổ bê tông',
  ],
  'dat-dai': [
    'sổ đỏ', 'sổ hồng', 'giấy chứng nhận quyền sử dụng đất', 'cấp giấy chứng nhận', 'cấp đổi sổ đỏ',
    'đo đạc', 'ranh giới thửa đất', 'tách thửa', 'chuyển mục đích sử dụng đất', 'sử dụng đất sai mục đích',
    'tranh chấp đất đai', 'lấn chiếm đất', 'đất công', 'thu hồi đất', 'giải phóng mặt bằng', 'bồi thường',
    'tái định cư', 'quy hoạch sử dụng đất', 'bản đồ địa chính', 'cán bộ địa chính', 'văn phòng đăng ký đất đai',
    'sang tên', 'thừa kế', 'nhà ở xã hội', 'chung cư', 'ban quản trị chung cư', 'quỹ bảo trì', 'phí dịch vụ chung cư',
    'chủ đầu tư chậm bàn giao', 'đấu giá đất',
  ],
  'an-ninh-trat-tu': [
    'an ninh trật tự', 'mất trật tự', 'tụ tập gây rối', 'đua xe', 'nẹt pô', 'lạng lách', 'đánh nhau',
    'trộm cắp', 'trộm xe máy', 'cướp giật', 'giật túi xách', 'ma túy', 'nghiện hút', 'đánh bạc', 'cá độ',
    'cho vay nặng lãi', 'tín dụng đen', 'đòi nợ thuê', 'bảo kê', 'lừa đảo', 'lừa đảo qua mạng',
    'giả danh công an', 'cháy nổ', 'cháy nhà', 'phòng cháy chữa cháy', 'lối thoát hiểm', 'rò rỉ gas',
    'mại dâm', 'hung khí', 'gây thương tích', 'công an phường', 'gọi 113', 'tuần tra',
  ],
  'y-te': [
    'y tế', 'trạm y tế', 'bệnh viện', 'phòng khám', 'bác sĩ', 'khám chữa bệnh', 'cấp cứu',
    'bảo hiểm y tế khi khám bệnh', 'thuốc', 'nhà thuốc', 'dịch bệnh', 'sốt xuất huyết', 'phun thuốc diệt muỗi',
    'tiêm chủng', 'vắc xin', 'tay chân miệng', 'ngộ độc thực phẩm', 'an toàn thực phẩm', 'vệ sinh thực phẩm',
    'thực phẩm bẩn', 'thực phẩm không rõ nguồn gốc', 'hết hạn sử dụng', 'hàn the', 'phòng khám không phép',
    'thái độ nhân viên y tế', 'bếp ăn tập thể', 'chuyển tuyến',
  ],
  'giao-duc': [
    'trường học', 'trường tiểu học', 'trường mầm non', 'trường trung học cơ sở', 'trường trung học phổ thông',
    'tuyển sinh', 'tuyển sinh đầu cấp', 'thi vào lớp 10', 'học sinh', 'giáo viên', 'cô giáo', 'phụ huynh',
    'dạy thêm học thêm', 'lạm thu đầu năm học', 'các khoản thu trong trường', 'học phí', 'miễn giảm học phí',
    'bán trú', 'phòng học', 'sĩ số lớp', 'bạo lực học đường', 'trung tâm ngoại ngữ', 'học bạ', 'bằng tốt nghiệp',
    'nhóm trẻ tư thục', 'đại học', 'sinh viên',
  ],
  dien: [
    'mất điện', 'cắt điện', 'lịch cắt điện', 'điện chập chờn', 'điện áp yếu', 'điện lực', 'tiền điện',
    'hóa đơn tiền điện', 'công tơ điện', 'dây điện võng', 'dây điện đứt', 'cột điện nghiêng', 'cột điện',
    'trạm biến áp', 'máy biến áp', 'chập điện', 'cháy dây điện', 'tủ điện', 'lưới điện', 'đường dây điện',
    'cáp điện', 'kéo điện', 'quá tải điện', 'hành lang lưới điện',
  ],
  'thu-tuc-hanh-chinh': [
    'thủ tục hành chính', 'hồ sơ', 'nộp hồ sơ', 'hồ sơ quá hạn', 'giải quyết chậm', 'trễ hẹn',
    'bộ phận một cửa', 'trung tâm phục vụ hành chính công', 'dịch vụ công trực tuyến', 'cổng dịch vụ công',
    'chứng thực', 'công chứng', 'đăng ký khai sinh', 'đăng ký kết hôn', 'khai tử', 'trích lục',
    'đăng ký thường trú', 'tạm trú', 'cư trú', 'căn cước công dân', 'VNeID', 'xác nhận tình trạng hôn nhân',
    'thái độ cán bộ', 'cán bộ hách dịch', 'nhũng nhiễu', 'phiếu hẹn', 'lệ phí', 'tiếp công dân',
    'đơn thư không được trả lời', 'sáp nhập đơn vị hành chính',
  ],
  'lao-dong-xa-hoi': [
    'lao động', 'việc làm', 'nợ lương', 'tiền lương', 'lương tối thiểu', 'hợp đồng lao động', 'sa thải',
    'bảo hiểm xã hội', 'sổ bảo hiểm xã hội', 'bảo hiểm thất nghiệp', 'trợ cấp thất nghiệp', 'lương hưu',
    'chế độ thai sản', 'tai nạn lao động', 'làm thêm giờ', 'trợ cấp xã hội', 'người cao tuổi', 'người khuyết tật',
    'hộ nghèo', 'hộ cận nghèo', 'người có công', 'thương binh', 'liệt sĩ', 'bảo trợ xã hội', 'xuất khẩu lao động',
    'học nghề', 'trẻ em có hoàn cảnh khó khăn', 'công nhân', 'doanh nghiệp nợ bảo hiểm',
  ],
  'kinh-doanh': [
    'kinh doanh', 'đăng ký kinh doanh', 'hộ kinh doanh', 'doanh nghiệp', 'thành lập công ty', 'thuế',
    'thuế khoán', 'hoàn thuế', 'mã số thuế', 'hóa đơn điện tử', 'hàng giả', 'hàng nhái', 'hàng kém chất lượng',
    'quản lý thị trường', 'giá cả', 'tăng giá', 'niêm yết giá', 'bán hàng online', 'bảo vệ người tiêu dùng',
    'cây xăng', 'tiểu thương', 'ki ốt chợ', 'giấy phép kinh doanh', 'tạm ngừng kinh doanh', 'vay vốn doanh nghiệp',
    'bất động sản', 'công ty du lịch',
  ],
  khac: [
    'cảm ơn', 'xin cảm ơn cán bộ', 'góp ý', 'đề xuất ý tưởng', 'văn hóa', 'di tích', 'lễ hội', 'du lịch',
    'thể thao', 'nhà văn hóa', 'thư viện', 'bảo tàng', 'đặt tên phố', 'tôn giáo', 'chùa', 'đình làng',
    'hỏi cách gửi phản ánh', 'tra cứu phản ánh', 'Zalo', 'chúc mừng', 'tình nguyện', 'thú cưng', 'chó thả rông',
    'loa phát thanh', 'wifi miễn phí', 'nhặt được của rơi',
  ],
};

/** The lexicon as training documents, one per phrase. */
export const CATEGORY_LEXICON: readonly LabelledText[] = Object.entries(PHRASES_BY_CATEGORY).flatMap(([label, phrases]) =>
  phrases.map((text) => ({ text, label })),
);
