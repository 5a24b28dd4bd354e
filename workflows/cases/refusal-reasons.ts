/**
 * The closed list of DOMAIN.md §1.7. Each reason has the label officials pick from, the text the citizen
 * receives, and where possible the place to turn to instead.
 */
export const REFUSAL_REASONS = [
  'khong_dung_pham_vi',
  'thieu_thong_tin_lien_he',
  'noi_dung_khong_ro',
  'khieu_nai_to_cao',
  'thuoc_tham_quyen_to_tung',
  'da_tra_loi_khong_co_tinh_tiet_moi',
  'trung_lap',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface RefusalReasonText {
  label: string;
  citizenText: string;
  /** Where the citizen should go instead, when there is such a place. */
  redirect?: string;
}

export const REFUSAL_REASON_TEXTS: Record<RefusalReason, RefusalReasonText> = {
  khong_dung_pham_vi: {
    label: 'Không thuộc phạm vi tiếp nhận',
    citizenText:
      'Nội dung Ông/Bà gửi không thuộc phạm vi tiếp nhận, xử lý phản ánh, kiến nghị của Thành phố nên không được tiếp nhận.',
  },
  thieu_thong_tin_lien_he: {
    label: 'Thiếu thông tin liên hệ',
    citizenText:
      'Phản ánh, kiến nghị chưa có đủ họ tên, địa chỉ và số điện thoại của người gửi theo Điều 7 Nghị định 20/2008/NĐ-CP. Đề nghị Ông/Bà gửi lại với đầy đủ thông tin liên hệ.',
  },
  noi_dung_khong_ro: {
    label: 'Nội dung không rõ ràng',
    citizenText:
      'Nội dung phản ánh, kiến nghị chưa rõ ràng nên chưa đủ cơ sở để xem xét. Đề nghị Ông/Bà gửi lại, nêu cụ thể sự việc, địa điểm và thời gian.',
  },
  khieu_nai_to_cao: {
    label: 'Là khiếu nại, tố cáo',
    citizenText:
      'Nội dung Ông/Bà gửi là khiếu nại, tố cáo, không thuộc phạm vi tiếp nhận phản ánh, kiến nghị (Điều 1 Nghị định 20/2008/NĐ-CP). Đề nghị Ông/Bà gửi đơn đến cơ quan có thẩm quyền theo Luật Khiếu nại, Luật Tố cáo.',
    redirect: 'Ban Tiếp công dân Thành phố Hà Nội',
  },
  thuoc_tham_quyen_to_tung: {
    label: 'Thuộc thẩm quyền cơ quan tố tụng, thi hành án',
    citizenText:
      'Nội dung Ông/Bà gửi thuộc thẩm quyền giải quyết của cơ quan tiến hành tố tụng, thi hành án. Đề nghị Ông/Bà liên hệ Tòa án, Viện kiểm sát hoặc cơ quan thi hành án dân sự có thẩm quyền.',
    redirect: 'Tòa án, Viện kiểm sát hoặc cơ quan thi hành án dân sự có thẩm quyền',
  },
  da_tra_loi_khong_co_tinh_tiet_moi: {
    label: 'Đã được trả lời, không có tình tiết mới',
    citizenText:
      'Nội dung này đã được cơ quan có thẩm quyền xem xét, trả lời. Phản ánh, kiến nghị lần này không có tình tiết mới nên không được xem xét lại.',
  },
  trung_lap: {
    label: 'Trùng lặp',
    citizenText: 'Nội dung này trùng với phản ánh, kiến nghị Ông/Bà đã gửi trước đó và đang được xem xét, xử lý.',
  },
};

export function isRefusalReason(value: string): value is RefusalReason {
  return (REFUSAL_REASONS as readonly string[]).includes(value);
}
