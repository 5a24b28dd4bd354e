/**
 * Chat shorthand and administrative acronyms, expanded so that "mat nc ko dc" and "mất nước không
 * được" compare equal. Keys and values are folded tokens (see foldVietnamese); only unambiguous
 * forms are listed, since a wrong expansion is worse than none ("ng" may be "người" or "ngày",
 * "mn" "mọi người" or "mầm non").
 */
const EXPANSIONS: Readonly<Record<string, readonly string[]>> = {
  // Chat shorthand
  ko: ['khong'],
  k: ['khong'],
  kh: ['khong'],
  kg: ['khong'],
  khg: ['khong'],
  hok: ['khong'],
  dc: ['duoc'],
  dk: ['duoc'],
  j: ['gi'],
  vs: ['voi'],
  nc: ['nuoc'],
  ntn: ['nhu', 'the', 'nao'],
  bn: ['bao', 'nhieu'],
  ae: ['anh', 'em'],
  cq: ['co', 'quan'],
  // Addresses
  p: ['phuong'],
  tp: ['thanh', 'pho'],
  hn: ['ha', 'noi'],
  // Administrative acronyms citizens write as-is
  ubnd: ['uy', 'ban', 'nhan', 'dan'],
  xd: ['xay', 'dung'],
  gpxd: ['giay', 'phep', 'xay', 'dung'],
  gcn: ['giay', 'chung', 'nhan'],
  qsdd: ['quyen', 'su', 'dung', 'dat'],
  bhxh: ['bao', 'hiem', 'xa', 'hoi'],
  bhyt: ['bao', 'hiem', 'y', 'te'],
  bhtn: ['bao', 'hiem', 'that', 'nghiep'],
  attp: ['an', 'toan', 'thuc', 'pham'],
  vstp: ['ve', 'sinh', 'thuc', 'pham'],
  csgt: ['canh', 'sat', 'giao', 'thong'],
  pccc: ['phong', 'chay', 'chua', 'chay'],
  tthc: ['thu', 'tuc', 'hanh', 'chinh'],
  cccd: ['can', 'cuoc', 'cong', 'dan'],
  dkkd: ['dang', 'ky', 'kinh', 'doanh'],
  evn: ['dien', 'luc'],
  thcs: ['trung', 'hoc', 'co', 'so'],
  thpt: ['trung', 'hoc', 'pho', 'thong'],
};

/** Replaces each known abbreviation by its expansion; other tokens pass through unchanged. */
export function expandChatAbbreviations(tokens: readonly string[]): string[] {
  const expanded: string[] = [];
  for (const token of tokens) {
    const replacement = Object.hasOwn(EXPANSIONS, token) ? EXPANSIONS[token] : undefined;
    if (replacement) expanded.push(...replacement);
    else expanded.push(token);
  }
  return expanded;
}
