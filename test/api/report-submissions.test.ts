import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiToken, hashApiToken } from '../../console/api/api-token-auth.js';
import { apiTokens } from '../../db/schema.js';
import { seedCalendar, seedOrganisation } from '../../db/seeds/seed-reference.js';
import { seedReportingRegimes } from '../../db/seeds/seed-reports.js';
import { registerApi } from '../../console/api/api.part.js';
import { ensureObligations } from '../../workflows/reports/report-obligations.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

const URL = '/api/v1/report-submissions';

describe('POST /api/v1/report-submissions', () => {
  let t: TestApp;
  let writer: string;
  let reader: string;
  let revoked: string;

  beforeAll(async () => {
    t = await buildTestApp({ parts: [registerApi], now: '2026-01-16T02:00:00.000Z' });
    const db = t.database.db;
    await seedOrganisation(db);
    await seedCalendar(db);
    await seedReportingRegimes(db);
    await ensureObligations(db, t.clock.now());
    const mint = async (name: string, scopes: string[], revokedAt: Date | null = null) => {
      const token = generateApiToken();
      await db.insert(apiTokens).values({ name, tokenHash: hashApiToken(token), scopes, revokedAt });
      return token;
    };
    writer = await mint('he-thong-bao-cao', ['reports:write']);
    reader = await mint('bang-chi-so', ['indicators:read']);
    revoked = await mint('cu', ['reports:write'], new Date('2026-01-01T00:00:00Z'));
  });
  afterAll(async () => t?.close());

  const body = (overrides: Record<string, unknown> = {}) => ({
    regimeCode: 'ktxh-thang',
    unitCode: '00070',
    periodKey: '2026-01',
    status: 'da_nop',
    submittedAt: '2026-01-16T09:15:00+07:00',
    externalRef: 'HTBC-2026-0001',
    ...overrides,
  });
  const post = (payload: unknown, token?: string) =>
    t.app.inject({ method: 'POST', url: URL, payload: payload as Record<string, unknown>, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('401 without a token, with an unknown or revoked one; 403 without the scope', async () => {
    const none = await post(body());
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect(none.json()).toMatchObject({ error: 'missing_token', message: 'Thiếu mã truy cập (Authorization: Bearer …).' });
    expect((await post(body(), 'pakn_khong-phai-ma-that-0123456789')).statusCode).toBe(401);
    expect((await post(body(), revoked)).json()).toMatchObject({ error: 'invalid_token' });
    const wrongScope = await post(body(), reader);
    expect(wrongScope.statusCode).toBe(403);
    expect(wrongScope.json()).toMatchObject({ error: 'insufficient_scope', message: 'Mã truy cập không có quyền "reports:write".' });
    // An unauthenticated caller learns nothing about the body, not even that it is wrong.
    expect((await post({}, undefined)).statusCode).toBe(401);
  });

  it('400 with a Vietnamese message and the structured issues', async () => {
    const missing = await post({ regimeCode: 'ktxh-thang' }, writer);
    expect(missing.statusCode).toBe(400);
    const json = missing.json();
    expect(json.error).toBe('invalid_input');
    expect(json.message).toBe(
      'Dữ liệu báo cáo không hợp lệ: thiếu hoặc sai unitCode (mã đơn vị); periodKey (kỳ báo cáo, ví dụ 2026-01, 2026-Q1); status (da_nop hoặc tra_lai); submittedAt (thời điểm ISO 8601 có múi giờ, ví dụ 2026-01-16T09:00:00+07:00); externalRef (mã văn bản trên hệ thống báo cáo).',
    );
    expect(json.details.issues.map((i: { path: string }) => i.path)).toEqual(['unitCode', 'periodKey', 'status', 'submittedAt', 'externalRef']);

    const badStatus = await post(body({ status: 'da_duyet', submittedAt: '2026-01-16 09:15' }), writer);
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.json().message).toContain('status (da_nop hoặc tra_lai); submittedAt');

    const notJson = await t.app.inject({ method: 'POST', url: URL, payload: 'không phải JSON', headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' } });
    expect(notJson.statusCode).toBe(400);
  });

  it('404 for an unknown regime, unit or period, and for a unit that does not owe the report', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ regimeCode: 'khong-co' }, 'unknown_regime', 'Không tìm thấy chế độ báo cáo với mã này.'],
      [{ unitCode: '99999' }, 'unknown_unit', 'Không tìm thấy đơn vị với mã này.'],
      [{ periodKey: '2026-Q1' }, 'unknown_period', 'Kỳ báo cáo không có trong chế độ báo cáo này.'],
      [{ unitCode: 'VPUB' }, 'not_obliged', 'Đơn vị không thuộc diện phải nộp báo cáo này.'],
    ];
    for (const [overrides, error, message] of cases) {
      const res = await post(body(overrides), writer);
      expect(res.statusCode, error).toBe(404);
      expect(res.json()).toEqual({ error, message });
    }
  });

  it('records a submission once: the same push again is the same 200, a different document is a conflict', async () => {
    const first = await post(body(), writer);
    expect(first.statusCode).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.json()).toEqual({
      ok: true,
      submission: {
        regimeCode: 'ktxh-thang',
        unitCode: '00070',
        periodKey: '2026-01',
        periodLabel: 'Tháng 1/2026',
        status: 'da_nop',
        statusLabel: 'Đã nộp',
        dueAt: '2026-01-16T10:30:00.000Z',
        submittedAt: '2026-01-16T02:15:00.000Z',
        externalRef: 'HTBC-2026-0001',
      },
    });
    const replay = await post(body(), writer);
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);

    const other = await post(body({ externalRef: 'HTBC-2026-0002' }), writer);
    expect(other.statusCode).toBe(409);
    expect(other.json()).toEqual({ error: 'already_submitted', message: 'Báo cáo kỳ này đã được ghi nhận với một mã văn bản khác.' });
  });

  it('after the deadline it is late; a return (trả lại) makes it owed again until resubmitted', async () => {
    const late = await post(body({ unitCode: '00004', submittedAt: '2026-01-16T17:31:00+07:00', externalRef: 'HTBC-2026-0100', periodKey: '01/2026' }), writer);
    expect(late.json().submission).toMatchObject({ periodKey: '2026-01', status: 'nop_muon', statusLabel: 'Nộp muộn' });

    const returned = await post(body({ unitCode: '00004', status: 'tra_lai', submittedAt: '2026-01-19T09:00:00+07:00', externalRef: 'HTBC-TL-0100' }), writer);
    expect(returned.statusCode).toBe(200);
    expect(returned.json().submission).toMatchObject({ status: 'tra_lai', statusLabel: 'Trả lại' });
    const returnedAgain = await post(body({ unitCode: '00004', status: 'tra_lai', submittedAt: '2026-01-19T09:00:00+07:00', externalRef: 'HTBC-TL-0100' }), writer);
    expect(returnedAgain.body).toBe(returned.body);

    const resubmitted = await post(body({ unitCode: '00004', submittedAt: '2026-01-20T08:00:00+07:00', externalRef: 'HTBC-2026-0101' }), writer);
    expect(resubmitted.json().submission).toMatchObject({ status: 'nop_muon', externalRef: 'HTBC-2026-0101' });

    const notSubmitted = await post(body({ unitCode: '00008', status: 'tra_lai', externalRef: 'HTBC-TL-0200' }), writer);
    expect(notSubmitted.statusCode).toBe(409);
    expect(notSubmitted.json().error).toBe('not_submitted');
  });
});
