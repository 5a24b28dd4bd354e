import { describe, expect, it } from 'vitest';
import { matchCitizenCommand, matchLinkCommand } from '../../../bot/conversation/commands.js';

describe('"liên kết <mã>"', () => {
  it('reads the code with or without diacritics, case, spaces or punctuation', () => {
    expect(matchLinkCommand('liên kết 123456')).toEqual({ code: '123456' });
    expect(matchLinkCommand('lien ket 123456')).toEqual({ code: '123456' });
    expect(matchLinkCommand('LIÊN KẾT: 123 456.')).toEqual({ code: '123456' });
    expect(matchLinkCommand('Liên Kết 123-456')).toEqual({ code: '123456' });
    expect(matchLinkCommand('#lien-ket 654321')).toEqual({ code: '654321' });
    expect(matchLinkCommand('lienket654321')).toEqual({ code: '654321' });
    // NFD input from some phones.
    expect(matchLinkCommand('liên kết 111222'.normalize('NFD'))).toEqual({ code: '111222' });
  });

  it('without a code the bot asks for it; a wrong length is still an attempt', () => {
    expect(matchLinkCommand('liên kết')).toEqual({ code: '' });
    expect(matchLinkCommand('lien ket 12')).toEqual({ code: '12' });
  });

  it('a citizen’s sentence that starts with the words is not the command', () => {
    expect(matchLinkCommand('liên kết giao thông ở ngõ 5 bị hỏng')).toBeUndefined();
    expect(matchLinkCommand('tôi muốn liên kết 123456')).toBeUndefined();
    expect(matchCitizenCommand('liên kết 123456')).toBeUndefined();
  });
});
