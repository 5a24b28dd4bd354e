import { describe, expect, it } from 'vitest';
import { expandChatAbbreviations } from '../../../workflows/text/expand-chat-abbreviations.js';
import { foldVietnamese, tokenizeVietnamese } from '../../../workflows/text/fold-vietnamese.js';
import { measureTextSimilarity } from '../../../workflows/text/text-similarity.js';

describe('foldVietnamese', () => {
  it('lower-cases, strips tones and vowel marks, and maps đ/Đ to d', () => {
    expect(foldVietnamese('Đèn ĐƯỜNG hỏng ở Phường Hoàn Kiếm')).toBe('den duong hong o phuong hoan kiem');
    expect(foldVietnamese('Ổ gà, ỐNG NƯỚC vỡ, cây đổ')).toBe('o ga, ong nuoc vo, cay do');
    expect(foldVietnamese('đ Đ')).toBe('d d');
  });

  it('folds NFD input (iOS/macOS keyboards) exactly like NFC input', () => {
    const nfc = 'Xã Sóc Sơn, Phường Văn Miếu - Quốc Tử Giám'.normalize('NFC');
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    expect(foldVietnamese(nfd)).toBe(foldVietnamese(nfc));
    expect(foldVietnamese(nfd)).toBe('xa soc son, phuong van mieu - quoc tu giam');
  });

  it('folds old and new tone placement to the same text ("Hoà"/"Hòa", "Thuỷ"/"Thủy")', () => {
    expect(foldVietnamese('Hoà')).toBe(foldVietnamese('Hòa'));
    expect(foldVietnamese('Phường Yên Hoà')).toBe(foldVietnamese('Phường Yên Hòa'));
    expect(foldVietnamese('Xuân Thuỷ')).toBe(foldVietnamese('Xuân Thủy'));
  });

  it('collapses and trims whitespace, including non-breaking spaces, and drops zero-width characters', () => {
    expect(foldVietnamese('  mất\u00a0 nước\n\n\tba   ngày  ')).toBe('mat nuoc ba ngay');
    expect(foldVietnamese('đèn\u200bđường')).toBe('denduong');
  });

  it('folds compatibility forms such as full-width letters', () => {
    expect(foldVietnamese('ＵＢＮＤ')).toBe('ubnd');
  });

  it('leaves accent-free text unchanged apart from case', () => {
    expect(foldVietnamese('Den duong hong')).toBe('den duong hong');
  });
});

describe('tokenizeVietnamese', () => {
  it('returns folded syllables without punctuation or emoji', () => {
    expect(tokenizeVietnamese('Ổ gà, đường Láng!!! 😡 (gần số 5)')).toEqual(['o', 'ga', 'duong', 'lang', 'gan', 'so', '5']);
  });

  it('keeps a grouped number as one token', () => {
    expect(tokenizeVietnamese('thu 1.500.000đ, 2,5 triệu')).toEqual(['thu', '1500000d', '25', 'trieu']);
  });

  it('keeps diacritics on request, normalised to NFC', () => {
    expect(tokenizeVietnamese('Ổ GÀ, Đường'.normalize('NFD'), { keepDiacritics: true })).toEqual(['ổ', 'gà', 'đường']);
  });

  it('returns nothing for text without words', () => {
    expect(tokenizeVietnamese(' ... !!! ')).toEqual([]);
  });
});

describe('expandChatAbbreviations', () => {
  it('expands chat shorthand so that it matches the written form', () => {
    expect(expandChatAbbreviations(tokenizeVietnamese('mất nc ko dc'))).toEqual(tokenizeVietnamese('mất nước không được'));
    expect(expandChatAbbreviations(['ubnd', 'p', 'x'])).toEqual(['uy', 'ban', 'nhan', 'dan', 'phuong', 'x']);
  });
});

describe('measureTextSimilarity', () => {
  const report = 'Đèn đường ngõ 20 phố Thái Thịnh đã hỏng hơn một tuần, buổi tối tối om, phụ nữ đi làm về rất sợ.';

  it('scores identical texts 1 and texts without words 0', () => {
    expect(measureTextSimilarity(report, report)).toBeCloseTo(1, 10);
    expect(measureTextSimilarity(report, '!!!')).toBe(0);
  });

  it('ignores accents and case', () => {
    expect(measureTextSimilarity(report, foldVietnamese(report).toUpperCase())).toBeCloseTo(1, 10);
  });

  it('ranks a rewrite of the same report above another report about the same street', () => {
    const rewrite = measureTextSimilarity(report, 'den duong ngo 20 Thai Thinh hong roi, toi om');
    const other = measureTextSimilarity(report, 'Rác thải ở đầu ngõ 20 Thái Thịnh tồn đọng ba ngày không ai thu gom, bốc mùi hôi.');
    expect(rewrite).toBeGreaterThan(0.5);
    expect(other).toBeLessThan(0.35);
  });

  it('is symmetric', () => {
    const other = 'Ngõ 20 Thái Thịnh đèn không sáng cả tuần nay';
    expect(measureTextSimilarity(report, other)).toBeCloseTo(measureTextSimilarity(other, report), 12);
  });
});
