import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeZaloSignature, readSignedTimestamp, signZaloHeader, verifyZaloSignature } from '../../../bot/zalo/signature.js';
import { APP_ID, OA_SECRET_KEY, USER_SEND_TEXT } from '../../fixtures/zalo-payloads.js';

const base = { appId: APP_ID, rawBody: USER_SEND_TEXT, timestamp: '1757000000000', oaSecretKey: OA_SECRET_KEY };
const expected = createHash('sha256').update(`${APP_ID}${USER_SEND_TEXT}1757000000000${OA_SECRET_KEY}`, 'utf8').digest('hex');

describe('zalo webhook signature', () => {
  it('is plain sha256(appId + rawBody + timestamp + oaSecretKey), lowercase hex', () => {
    expect(computeZaloSignature(base)).toBe(expected);
    expect(signZaloHeader(base)).toBe(`mac=${expected}`);
    expect(computeZaloSignature({ ...base, rawBody: Buffer.from(USER_SEND_TEXT, 'utf8') })).toBe(expected);
  });

  it('accepts a valid signature with and without the mac= prefix', () => {
    expect(verifyZaloSignature({ ...base, header: `mac=${expected}` })).toBe(true);
    expect(verifyZaloSignature({ ...base, header: expected })).toBe(true);
    expect(verifyZaloSignature({ ...base, header: ` MAC=${expected} ` })).toBe(true);
  });

  it('accepts uppercase hex', () => {
    expect(verifyZaloSignature({ ...base, header: `mac=${expected.toUpperCase()}` })).toBe(true);
  });

  it('rejects a tampered body, even by whitespace (re-serialised JSON never matches)', () => {
    const header = signZaloHeader(base);
    expect(verifyZaloSignature({ ...base, header, rawBody: USER_SEND_TEXT.replace('ngõ 12', 'ngõ 13') })).toBe(false);
    expect(verifyZaloSignature({ ...base, header, rawBody: JSON.stringify(JSON.parse(USER_SEND_TEXT)) })).toBe(false);
  });

  it('rejects a wrong key, wrong app id and wrong timestamp', () => {
    const header = signZaloHeader(base);
    expect(verifyZaloSignature({ ...base, header, oaSecretKey: 'app-secret-instead' })).toBe(false);
    expect(verifyZaloSignature({ ...base, header, appId: '388613280878808645' })).toBe(false);
    expect(verifyZaloSignature({ ...base, header, timestamp: '1757000000001' })).toBe(false);
  });

  it('rejects a missing, empty, truncated or non-hex header', () => {
    expect(verifyZaloSignature({ ...base, header: undefined })).toBe(false);
    expect(verifyZaloSignature({ ...base, header: null })).toBe(false);
    expect(verifyZaloSignature({ ...base, header: '' })).toBe(false);
    expect(verifyZaloSignature({ ...base, header: 'mac=' })).toBe(false);
    expect(verifyZaloSignature({ ...base, header: `mac=${expected.slice(0, 62)}` })).toBe(false);
    expect(verifyZaloSignature({ ...base, header: `mac=${'z'.repeat(64)}` })).toBe(false);
  });

  it('takes the first value of a repeated header', () => {
    expect(verifyZaloSignature({ ...base, header: [`mac=${expected}`, 'mac=bogus'] })).toBe(true);
  });

  it('reads the timestamp to sign from the parsed body without exponent notation', () => {
    expect(readSignedTimestamp({ timestamp: '1757000000000' })).toBe('1757000000000');
    expect(readSignedTimestamp({ timestamp: 1757000000000 })).toBe('1757000000000');
    expect(readSignedTimestamp({})).toBeUndefined();
    expect(computeZaloSignature({ ...base, timestamp: 1757000000000 })).toBe(expected);
  });
});
