import { describe, expect, it } from 'vitest';
import { checkPasswordChange, PASSWORD_MESSAGES } from '../../console/account/password-rules.js';
import { hashPassword, hashTemporaryPassword, isTemporaryPasswordHash, passwordStamp, verifyPassword } from '../../runtime/password.js';

const base = { login: 'nguyenvana', currentPassword: 'mat-khau-cu-2025' };
const change = (newPassword: string, extra: Partial<typeof base> & { newPasswordRepeat?: string } = {}) =>
  checkPasswordChange({ ...base, newPassword, newPasswordRepeat: newPassword, ...extra });

describe('password change rules', () => {
  it('takes ten characters as the minimum, counted as people count them', () => {
    expect(change('123456789')).toBe(PASSWORD_MESSAGES.tooShort);
    expect(change('1234567890')).toBeNull();
    // "Hồ Gươm Hà" typed with combining marks is still 10 characters, not 14.
    const decomposed = 'Hồ Gươm Hà'.normalize('NFD');
    expect(decomposed.length).toBeGreaterThan(10);
    expect(change(decomposed)).toBeNull();
    expect(change('Hồ Gươm H')).toBe(PASSWORD_MESSAGES.tooShort);
    expect(change('x'.repeat(200))).toBeNull();
    expect(change('x'.repeat(201))).toBe(PASSWORD_MESSAGES.tooLong);
  });

  it('refuses the login in any case, the current password and a repeat that differs', () => {
    expect(change('NguyenVanA')).toBe(PASSWORD_MESSAGES.sameAsLogin);
    expect(change(' nguyenvana ')).toBe(PASSWORD_MESSAGES.sameAsLogin);
    expect(change('nguyenvana-2026')).toBeNull();
    expect(change('mat-khau-cu-2025')).toBe(PASSWORD_MESSAGES.sameAsCurrent);
    expect(change('Mat-khau-cu-2025')).toBeNull();
    expect(change('mat-khau-moi-2026', { newPasswordRepeat: 'mat-khau-moi-2O26' })).toBe(PASSWORD_MESSAGES.mismatch);
    // The same text in another Unicode form is the same password (hashPassword normalises to NFC too).
    expect(change('mật khẩu mới', { newPasswordRepeat: 'mật khẩu mới'.normalize('NFD') })).toBeNull();
  });

  it('asks for what is missing first', () => {
    expect(change('mat-khau-moi-2026', { currentPassword: '' })).toBe(PASSWORD_MESSAGES.currentMissing);
    expect(change('          ')).toBe(PASSWORD_MESSAGES.newMissing);
    expect(change('')).toBe(PASSWORD_MESSAGES.newMissing);
  });
});

describe('temporary passwords', () => {
  it('marks a password issued for someone else, verifies it like any other, and a new hash clears the mark', async () => {
    const issued = await hashTemporaryPassword('Abc23456789x');
    expect(isTemporaryPasswordHash(issued)).toBe(true);
    expect(issued).not.toContain('Abc23456789x');
    expect(await verifyPassword('Abc23456789x', issued)).toBe(true);
    expect(await verifyPassword('Abc23456789', issued)).toBe(false);
    const own = await hashPassword('Abc23456789x');
    expect(isTemporaryPasswordHash(own)).toBe(false);
    expect(isTemporaryPasswordHash(null)).toBe(false);
    // A session's stamp follows the stored hash: any new hash, even of the same password, changes it.
    expect(passwordStamp(own)).not.toBe(passwordStamp(issued));
    expect(passwordStamp(own)).toBe(passwordStamp(own));
    expect(passwordStamp(own)).not.toContain('Abc');
  });
});
