/**
 * Reference data seeded on every start (idempotent). Departments follow the HĐND resolution of
 * 25/2/2025 (15 cơ quan chuyên môn, in force 1/3/2025) plus the other PAKN handlers of DOMAIN.md §6.
 */
export const CITY_UNIT = { code: 'HN', name: 'UBND Thành phố Hà Nội', fullName: 'Ủy ban nhân dân Thành phố Hà Nội' } as const;

/** The PAKN focal point: its dispatchers triage every case that no rule routes. */
export const FOCAL_UNIT_CODE = 'VPUB';

export interface SeedDepartment {
  code: string;
  name: string;
  fullName: string;
  kind: 'office' | 'department' | 'agency';
}

export const DEPARTMENTS: SeedDepartment[] = [
  { code: 'VPUB', name: 'Văn phòng UBND TP', fullName: 'Văn phòng Ủy ban nhân dân Thành phố Hà Nội', kind: 'office' },
  { code: 'SNV', name: 'Sở Nội vụ', fullName: 'Sở Nội vụ Thành phố Hà Nội', kind: 'department' },
  { code: 'STP', name: 'Sở Tư pháp', fullName: 'Sở Tư pháp Thành phố Hà Nội', kind: 'department' },
  { code: 'STC', name: 'Sở Tài chính', fullName: 'Sở Tài chính Thành phố Hà Nội', kind: 'department' },
  { code: 'SCT', name: 'Sở Công Thương', fullName: 'Sở Công Thương Thành phố Hà Nội', kind: 'department' },
  { code: 'SNNMT', name: 'Sở Nông nghiệp và Môi trường', fullName: 'Sở Nông nghiệp và Môi trường Thành phố Hà Nội', kind: 'department' },
  { code: 'SXD', name: 'Sở Xây dựng', fullName: 'Sở Xây dựng Thành phố Hà Nội', kind: 'department' },
  { code: 'SKHCN', name: 'Sở Khoa học và Công nghệ', fullName: 'Sở Khoa học và Công nghệ Thành phố Hà Nội', kind: 'department' },
  { code: 'SVHTT', name: 'Sở Văn hóa và Thể thao', fullName: 'Sở Văn hóa và Thể thao Thành phố Hà Nội', kind: 'department' },
  { code: 'SGDDT', name: 'Sở Giáo dục và Đào tạo', fullName: 'Sở Giáo dục và Đào tạo Thành phố Hà Nội', kind: 'department' },
  { code: 'SYT', name: 'Sở Y tế', fullName: 'Sở Y tế Thành phố Hà Nội', kind: 'department' },
  { code: 'TTTP', name: 'Thanh tra Thành phố', fullName: 'Thanh tra Thành phố Hà Nội', kind: 'department' },
  { code: 'SDTTG', name: 'Sở Dân tộc và Tôn giáo', fullName: 'Sở Dân tộc và Tôn giáo Thành phố Hà Nội', kind: 'department' },
  { code: 'SDL', name: 'Sở Du lịch', fullName: 'Sở Du lịch Thành phố Hà Nội', kind: 'department' },
  { code: 'SQHKT', name: 'Sở Quy hoạch - Kiến trúc', fullName: 'Sở Quy hoạch - Kiến trúc Thành phố Hà Nội', kind: 'department' },
  { code: 'CATP', name: 'Công an Thành phố', fullName: 'Công an Thành phố Hà Nội', kind: 'agency' },
  { code: 'TTPVHCC', name: 'Trung tâm Phục vụ hành chính công', fullName: 'Trung tâm Phục vụ hành chính công Thành phố Hà Nội', kind: 'agency' },
  { code: 'BQLKCN', name: 'Ban quản lý các KCN và KCNC', fullName: 'Ban quản lý Khu công nghệ cao và các Khu công nghiệp Thành phố Hà Nội', kind: 'agency' },
];

export interface SeedCategory {
  code: string;
  name: string;
  description: string;
  /** Department code, or null: the ward/commune of the place handles it (routeToArea), or the dispatcher queue. */
  defaultUnitCode: string | null;
  routeToArea: boolean;
}

export const CATEGORIES: SeedCategory[] = [
  { code: 'giao-thong', name: 'Giao thông, đường sá', description: 'Hư hỏng mặt đường, ổ gà, biển báo, đèn tín hiệu, cầu, hè phố', defaultUnitCode: 'SXD', routeToArea: false },
  { code: 'chieu-sang', name: 'Chiếu sáng công cộng', description: 'Đèn đường hỏng, không sáng, sáng ban ngày', defaultUnitCode: 'SXD', routeToArea: false },
  { code: 'cap-thoat-nuoc', name: 'Cấp nước, thoát nước, ngập úng', description: 'Mất nước, nước bẩn, cống tắc, ngập khi mưa', defaultUnitCode: 'SXD', routeToArea: false },
  { code: 'cay-xanh', name: 'Cây xanh, công viên', description: 'Cây gãy đổ, cần cắt tỉa, công viên xuống cấp', defaultUnitCode: 'SXD', routeToArea: false },
  { code: 've-sinh-moi-truong', name: 'Rác thải, vệ sinh môi trường', description: 'Rác tồn đọng, đổ trộm phế thải, thu gom rác không đúng giờ', defaultUnitCode: null, routeToArea: true },
  { code: 'o-nhiem', name: 'Ô nhiễm môi trường', description: 'Khói bụi, tiếng ồn, mùi hôi, xả thải ra sông hồ', defaultUnitCode: 'SNNMT', routeToArea: false },
  { code: 'trat-tu-do-thi', name: 'Trật tự đô thị, lấn chiếm vỉa hè', description: 'Lấn chiếm lòng đường, vỉa hè, biển quảng cáo sai quy định', defaultUnitCode: null, routeToArea: true },
  { code: 'trat-tu-xay-dung', name: 'Trật tự xây dựng', description: 'Xây dựng không phép, sai phép, gây ảnh hưởng nhà bên cạnh', defaultUnitCode: null, routeToArea: true },
  { code: 'dat-dai', name: 'Đất đai, nhà ở', description: 'Cấp giấy chứng nhận, đo đạc, sử dụng đất sai mục đích', defaultUnitCode: 'SNNMT', routeToArea: false },
  { code: 'an-ninh-trat-tu', name: 'An ninh trật tự', description: 'Mất trật tự, tụ tập gây rối, đua xe, cháy nổ', defaultUnitCode: 'CATP', routeToArea: false },
  { code: 'y-te', name: 'Y tế, an toàn thực phẩm', description: 'Cơ sở y tế, dịch bệnh, thực phẩm không an toàn', defaultUnitCode: 'SYT', routeToArea: false },
  { code: 'giao-duc', name: 'Giáo dục', description: 'Trường học, tuyển sinh, thu chi trong trường', defaultUnitCode: 'SGDDT', routeToArea: false },
  { code: 'dien', name: 'Điện', description: 'Mất điện, dây điện võng, cột điện nghiêng', defaultUnitCode: 'SCT', routeToArea: false },
  { code: 'thu-tuc-hanh-chinh', name: 'Thủ tục hành chính, thái độ cán bộ', description: 'Quy định hành chính, hồ sơ giải quyết chậm, thái độ phục vụ', defaultUnitCode: 'VPUB', routeToArea: false },
  { code: 'lao-dong-xa-hoi', name: 'Lao động, việc làm, chính sách xã hội', description: 'Bảo hiểm, trợ cấp, lương, người có công', defaultUnitCode: 'SNV', routeToArea: false },
  { code: 'kinh-doanh', name: 'Kinh doanh, doanh nghiệp', description: 'Đăng ký kinh doanh, thuế, thị trường, giá cả', defaultUnitCode: 'STC', routeToArea: false },
  { code: 'khac', name: 'Lĩnh vực khác', description: 'Nội dung chưa thuộc các lĩnh vực trên', defaultUnitCode: null, routeToArea: false },
];
