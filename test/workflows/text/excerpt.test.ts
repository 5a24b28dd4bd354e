import { describe, expect, it } from 'vitest';
import { excerpt } from '../../../workflows/text/excerpt.js';

describe('excerpt', () => {
  it('flattens whitespace and keeps a short text whole', () => {
    expect(excerpt('  Rác   tồn đọng\nở ngõ 5 ', 40)).toBe('Rác tồn đọng ở ngõ 5');
  });

  it('cuts a long text to max characters, the last one being "…"', () => {
    const cut = excerpt('Đèn đường ở ngõ 12 Tràng Tiền bị hỏng hai tuần nay', 10);
    expect(cut).toBe('Đèn đường…');
    expect(Array.from(cut)).toHaveLength(10);
  });

  it('never cuts an emoji in half, and counts it as one character', () => {
    const text = `${'a'.repeat(8)}😡😡 rất bức xúc`;
    const cut = excerpt(text, 10);
    expect(cut).toBe(`${'a'.repeat(8)}😡…`);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(cut)).toBe(false);
    // Ten code points fit in ten, although they are twelve UTF-16 units.
    expect(excerpt(`${'a'.repeat(8)}😡😡`, 10)).toBe(`${'a'.repeat(8)}😡😡`);
  });
});
