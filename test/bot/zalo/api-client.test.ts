import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createZaloClient, type ZaloClient } from '../../../bot/zalo/api-client.js';
import type { RateLimiter } from '../../../bot/zalo/rate-limiter.js';
import { classifyZaloError, ZaloApiError, ZaloRequestRejectedError } from '../../../bot/zalo/zalo-errors.js';
import { createLogger } from '../../../runtime/logger.js';

const API = 'https://openapi.zalo.me';
const BUSINESS = 'https://business.openapi.zalo.me';
const USER = '246845883529197922';
const OK = (data: Record<string, unknown>) => ({ error: 0, message: 'Success', data });
const sent = (id: string) => OK({ message_id: id, user_id: USER, sent_time: '1626926349402', quota: { quota_type: 'reply', remain: '8', total: '8' } });

function makeClient(overrides: { timeoutMs?: number; limiter?: RateLimiter; tokens?: string[] } = {}) {
  const tokens = overrides.tokens ?? ['tok-1', 'tok-2', 'tok-3'];
  let current = tokens[0]!;
  const getAccessToken = vi.fn(async () => current);
  const refreshAccessToken = vi.fn(async (failed: string) => {
    current = tokens[tokens.indexOf(failed) + 1] ?? 'tok-x';
    return current;
  });
  const client = createZaloClient({
    apiBaseUrl: API,
    businessApiBaseUrl: BUSINESS,
    getAccessToken,
    refreshAccessToken,
    logger: createLogger({ level: 'silent' }),
    ...(overrides.timeoutMs ? { timeoutMs: overrides.timeoutMs } : {}),
    ...(overrides.limiter ? { limiter: overrides.limiter } : {}),
  });
  return { client, getAccessToken, refreshAccessToken };
}

/** Interceptor for the consultation endpoint with the exact header set. */
function cs(token = 'tok-1') {
  return nock(API, { reqheaders: { access_token: token, 'content-type': 'application/json' } });
}

async function caught(promise: Promise<unknown>): Promise<ZaloApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ZaloApiError) return error;
    throw error;
  }
  throw new Error('expected a ZaloApiError');
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => nock.enableNetConnect());

describe('zalo api client: wire formats (ZALO.md §4)', () => {
  let client: ZaloClient;
  beforeAll(() => {
    client = makeClient().client;
  });

  it('sendText posts a CS text with the access_token header and returns the message id', async () => {
    cs().post('/v3.0/oa/message/cs', { recipient: { user_id: USER }, message: { text: 'Phản ánh của anh/chị đã được tiếp nhận. Mã: PA-2025-000123' } }).reply(200, sent('m1'));
    await expect(client.sendText(USER, 'Phản ánh của anh/chị đã được tiếp nhận. Mã: PA-2025-000123')).resolves.toEqual(['m1']);
  });

  it('sendText with a quote uses quote_message_id', async () => {
    cs().post('/v3.0/oa/message/cs', { recipient: { user_id: USER }, message: { text: 'Dạ vâng', quote_message_id: '96d3cdf3af150460909' } }).reply(200, sent('m2'));
    await expect(client.sendText(USER, 'Dạ vâng', { quoteMsgId: '96d3cdf3af150460909' })).resolves.toEqual(['m2']);
  });

  it('sendText retries once without the quote when Zalo refuses the quote', async () => {
    cs().post('/v3.0/oa/message/cs', { recipient: { user_id: USER }, message: { text: 'Dạ vâng', quote_message_id: 'old' } }).reply(200, { error: -201, message: 'quote_message_id is invalid!' });
    cs().post('/v3.0/oa/message/cs', { recipient: { user_id: USER }, message: { text: 'Dạ vâng' } }).reply(200, sent('m3'));
    await expect(client.sendText(USER, 'Dạ vâng', { quoteMsgId: 'old' })).resolves.toEqual(['m3']);
  });

  it('sendButtons sends the template with typed button payloads', async () => {
    cs()
      .post('/v3.0/oa/message/cs', {
        recipient: { user_id: USER },
        message: {
          text: 'Anh/chị muốn làm gì?',
          attachment: {
            type: 'template',
            payload: {
              buttons: [
                { title: 'Gửi phản ánh mới', type: 'oa.query.hide', payload: '#pakn_moi' },
                { title: 'Tra cứu theo mã', type: 'oa.query.show', payload: '#tra_cuu' },
                { title: 'Trang công khai', type: 'oa.open.url', payload: { url: 'https://example.gov.vn/pakn' } },
                { title: 'Gọi tổng đài', type: 'oa.open.phone', payload: { phone_code: '1022' } },
              ],
            },
          },
        },
      })
      .reply(200, sent('m4'));
    await expect(
      client.sendButtons(USER, 'Anh/chị muốn làm gì?', [
        { title: 'Gửi phản ánh mới', type: 'oa.query.hide', payload: '#pakn_moi' },
        { title: 'Tra cứu theo mã', type: 'oa.query.show', payload: '#tra_cuu' },
        { title: 'Trang công khai', type: 'oa.open.url', payload: 'https://example.gov.vn/pakn' },
        { title: 'Gọi tổng đài', type: 'oa.open.phone', payload: { phone_code: '1022' } },
      ]),
    ).resolves.toEqual(['m4']);
  });

  it('sendButtons refuses more than 5 buttons before calling', async () => {
    const six = Array.from({ length: 6 }, (_, i) => ({ title: `B${i}`, type: 'oa.query.show' as const, payload: `#${i}` }));
    await expect(client.sendButtons(USER, 'x', six)).rejects.toThrow(RangeError);
  });

  it('sendButtons puts a long text in plain chunks and the buttons on the last one', async () => {
    const long = 'Câu hỏi thường gặp về phản ánh kiến nghị. '.repeat(60);
    const seen: Array<{ message: { text: string; attachment?: unknown } }> = [];
    cs()
      .post('/v3.0/oa/message/cs', (b: { message: { text: string; attachment?: unknown } }) => seen.push(b) > 0)
      .times(2)
      .reply(200, () => sent(`b${seen.length}`));
    await expect(client.sendButtons(USER, long, [{ title: 'Xem thêm', type: 'oa.query.show', payload: '#faq' }])).resolves.toEqual(['b1', 'b2']);
    expect(seen[0]!.message.attachment).toBeUndefined();
    expect(seen[1]!.message.attachment).toEqual({ type: 'template', payload: { buttons: [{ title: 'Xem thêm', type: 'oa.query.show', payload: '#faq' }] } });
  });

  it('sendImage by attachment id, and by url with a caption', async () => {
    const media = (element: Record<string, string>) => ({ type: 'template', payload: { template_type: 'media', elements: [element] } });
    cs().post('/v3.0/oa/message/cs', { recipient: { user_id: USER }, message: { attachment: media({ media_type: 'image', attachment_id: 'wESbL53O' }) } }).reply(200, sent('i1'));
    cs()
      .post('/v3.0/oa/message/cs', {
        recipient: { user_id: USER },
        message: { text: 'Ảnh sau khi khắc phục', attachment: media({ media_type: 'image', url: 'https://example.gov.vn/a.jpg' }) },
      })
      .reply(200, sent('i2'));
    await expect(client.sendImage(USER, { attachmentId: 'wESbL53O' })).resolves.toBe('i1');
    await expect(client.sendImage(USER, { url: 'https://example.gov.vn/a.jpg' }, 'Ảnh sau khi khắc phục')).resolves.toBe('i2');
  });

  it('sendFile sends the upload token', async () => {
    cs().post('/v3.0/oa/message/cs', { recipient: { user_id: USER }, message: { attachment: { type: 'file', payload: { token: 'file-token' } } } }).reply(200, sent('f1'));
    await expect(client.sendFile(USER, 'file-token')).resolves.toBe('f1');
  });

  it('requestUserInfo sends one request_user_info element', async () => {
    cs()
      .post('/v3.0/oa/message/cs', {
        recipient: { user_id: USER },
        message: {
          attachment: {
            type: 'template',
            payload: {
              template_type: 'request_user_info',
              elements: [
                { title: 'UBND Thành phố Hà Nội', subtitle: 'Đề nghị chia sẻ thông tin liên hệ để xử lý phản ánh', image_url: 'https://example.gov.vn/banner.png' },
              ],
            },
          },
        },
      })
      .reply(200, sent('r1'));
    await expect(
      client.requestUserInfo(USER, {
        title: 'UBND Thành phố Hà Nội',
        subtitle: 'Đề nghị chia sẻ thông tin liên hệ để xử lý phản ánh',
        imageUrl: 'https://example.gov.vn/banner.png',
      }),
    ).resolves.toBe('r1');
  });

  it('sendTemplateByUserId posts user_id, template_id, template_data', async () => {
    cs()
      .post('/v3.0/oa/message/template', { user_id: USER, template_id: '7895417a7d3f9461cd2e', template_data: { ma_phan_anh: 'PA-2025-000123', han_xu_ly: '20/11/2025' } })
      .reply(200, OK({ message_id: 't1' }));
    await expect(client.sendTemplateByUserId(USER, '7895417a7d3f9461cd2e', { ma_phan_anh: 'PA-2025-000123', han_xu_ly: '20/11/2025' })).resolves.toBe('t1');
  });

  it('sendTemplateByPhone goes to the business host with the phone as 84xxxxxxxxx', async () => {
    nock(BUSINESS, { reqheaders: { access_token: 'tok-1', 'content-type': 'application/json' } })
      .post('/message/template', {
        phone: '84912345678',
        template_id: '7895417a7d3f9461cd2e',
        template_data: { ma_phan_anh: 'PA-2025-000123', han_xu_ly: '20/11/2025' },
        tracking_id: 'case-PA-2025-000123-due-reminder',
      })
      .reply(200, OK({ msg_id: 'a4d0243feee163bd3af2', sent_time: '1626926349402', sending_mode: '1', quota: { dailyQuota: '500', remainingQuota: '499' } }));
    await expect(
      client.sendTemplateByPhone('0912 345 678', '7895417a7d3f9461cd2e', { ma_phan_anh: 'PA-2025-000123', han_xu_ly: '20/11/2025' }, 'case-PA-2025-000123-due-reminder'),
    ).resolves.toBe('a4d0243feee163bd3af2');
  });

  it('sendTemplateByPhone refuses a number that is not a Vietnamese mobile, before calling', async () => {
    const error = await caught(client.sendTemplateByPhone('024 3825 1234', 'tpl', {}, 'track'));
    expect(error).toBeInstanceOf(ZaloRequestRejectedError);
    expect(error).toMatchObject({ kind: 'permanent', reason: 'invalid_phone' });
    expect(error.message).not.toContain('3825');
  });

  it('getUserDetail sends ?data={"user_id":…} and maps the answer', async () => {
    nock(API, { reqheaders: { access_token: 'tok-1' } })
      .get('/v3.0/oa/user/detail')
      .query({ data: JSON.stringify({ user_id: USER }) })
      .reply(200, OK({
        user_id: USER,
        user_id_by_app: '552177279717587730',
        display_name: 'Nguyễn Văn A',
        avatar: 'https://s120.avatar.talk.zdn.vn/a.jpg',
        user_is_follower: true,
        user_last_interaction_date: '05/09/2025',
        shared_info: { name: 'Nguyễn Văn A', phone: 84912345678, address: '', city: 'Hà Nội' },
      }));
    await expect(client.getUserDetail(USER)).resolves.toEqual({
      userId: USER,
      userIdByApp: '552177279717587730',
      displayName: 'Nguyễn Văn A',
      avatar: 'https://s120.avatar.talk.zdn.vn/a.jpg',
      isFollower: true,
      lastInteractionDate: '05/09/2025',
      sharedInfo: { name: 'Nguyễn Văn A', phone: '84912345678', city: 'Hà Nội' },
    });
  });

  it('getLastInteraction posts {user_id} to the quota endpoint', async () => {
    cs().post('/v3.0/oa/quota/message', { user_id: USER }).reply(200, OK({ last_interaction: '1757000000000', cs_reply: { remain: -1, total: -1 } }));
    cs().post('/v3.0/oa/quota/message', { user_id: USER }).reply(200, OK({}));
    await expect(client.getLastInteraction(USER)).resolves.toEqual(new Date(1757000000000));
    await expect(client.getLastInteraction(USER)).resolves.toBeNull();
  });
});

describe('zalo api client: text splitting', () => {
  const sentence = 'Phản ánh về đèn đường hỏng ở ngõ 12 phố Hàng Bài, phường Hoàn Kiếm đã được tiếp nhận và chuyển xử lý. ';

  it('normalises NFD to NFC before counting: 2,000 NFC code points are one message', async () => {
    const { client } = makeClient();
    const nfc = sentence.repeat(30).slice(0, 2000);
    const nfd = nfc.normalize('NFD');
    expect([...nfd].length).toBeGreaterThan(2000);
    const bodies: string[] = [];
    cs().post('/v3.0/oa/message/cs', (body: { message: { text: string } }) => bodies.push(body.message.text) > 0).reply(200, sent('n1'));
    await expect(client.sendText(USER, nfd)).resolves.toEqual(['n1']);
    expect(bodies[0]).toBe(nfc.trim());
  });

  it('splits a long text into chunks of ≤ 2,000 code points at sentence ends, all NFC', async () => {
    const { client } = makeClient();
    const nfc = `${sentence.repeat(15)}\n\n${sentence.repeat(30)}`;
    const bodies: string[] = [];
    cs()
      .post('/v3.0/oa/message/cs', (body: { message: { text: string } }) => bodies.push(body.message.text) > 0)
      .times(3)
      .reply(200, (_uri, _body) => sent(`c${bodies.length}`));
    const ids = await client.sendText(USER, nfc.normalize('NFD'));
    expect(ids).toEqual(['c1', 'c2', 'c3']);
    for (const text of bodies) {
      expect([...text].length).toBeLessThanOrEqual(2000);
      expect(text).toBe(text.normalize('NFC'));
      expect(text.endsWith('.')).toBe(true);
    }
    // The paragraph break is the preferred cut: the first chunk ends exactly at it.
    expect(bodies[0]).toBe(sentence.repeat(15).trim());
    expect(bodies.join(' ').replace(/\s+/g, ' ')).toBe(nfc.replace(/\s+/g, ' ').trim());
  });

  it('a failure mid-way reports the ids already sent', async () => {
    const { client } = makeClient();
    cs().post('/v3.0/oa/message/cs').reply(200, sent('ok1'));
    cs().post('/v3.0/oa/message/cs').reply(200, { error: -32, message: 'Your application reached limit call api' });
    const error = await caught(client.sendText(USER, sentence.repeat(40)));
    expect(error).toMatchObject({ kind: 'transient', sentMessageIds: ['ok1'] });
  });

  it('refuses an empty text', async () => {
    const { client } = makeClient();
    await expect(client.sendText(USER, ' \n ')).rejects.toThrow(RangeError);
  });
});

describe('zalo api client: uploads', () => {
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 1)]);
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 2)]);
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(100, 3)]);

  it('uploadImage posts multipart field "file" and returns attachment_id', async () => {
    const { client } = makeClient();
    let body = '';
    nock(API, { reqheaders: { access_token: 'tok-1', 'content-type': /^multipart\/form-data; boundary=/ } })
      .post('/v2.0/oa/upload/image', (b: string) => {
        // nock hands over a binary body as hex.
        body = /^[0-9a-f]+$/.test(b) ? Buffer.from(b, 'hex').toString('latin1') : b;
        return true;
      })
      .reply(200, OK({ attachment_id: 'att-1' }));
    await expect(client.uploadImage(png, 'hien-truong.png', 'image/png')).resolves.toBe('att-1');
    expect(body).toContain('name="file"; filename="hien-truong.png"');
    expect(body).toContain('Content-Type: image/png');
  });

  it('uploadFile posts to /upload/file and returns the token', async () => {
    const { client } = makeClient();
    nock(API, { reqheaders: { access_token: 'tok-1' } })
      .post('/v2.0/oa/upload/file', (b: string) => {
        const text = /^[0-9a-f]+$/.test(b) ? Buffer.from(b, 'hex').toString('latin1') : b;
        return text.includes('name="file"; filename="tra-loi.pdf"') && text.includes('%PDF-1.7');
      })
      .reply(200, OK({ token: 'ftok-1' }));
    await expect(client.uploadFile(pdf, 'tra-loi.pdf', 'application/pdf')).resolves.toBe('ftok-1');
  });

  it('refuses wrong types and sizes before calling Zalo', async () => {
    const { client, getAccessToken } = makeClient();
    const bigPng = Buffer.concat([png, Buffer.alloc(1024 * 1024)]);
    const bigPdf = Buffer.concat([pdf, Buffer.alloc(5 * 1024 * 1024)]);
    const gif = Buffer.from('GIF89a....');
    const cases: Array<[Promise<unknown>, string]> = [
      [client.uploadImage(bigPng, 'a.png', 'image/png'), 'image_too_large'],
      [client.uploadImage(gif, 'a.gif', 'image/gif'), 'unsupported_media_type'],
      [client.uploadImage(jpeg, 'a.png', 'image/png'), 'unsupported_media_type'],
      [client.uploadImage(Buffer.alloc(0), 'a.png', 'image/png'), 'empty_file'],
      [client.uploadFile(bigPdf, 'a.pdf', 'application/pdf'), 'file_too_large'],
      [client.uploadFile(png, 'a.pdf', 'application/pdf'), 'unsupported_media_type'],
      [client.uploadFile(pdf, 'a.exe', 'application/octet-stream'), 'unsupported_media_type'],
    ];
    for (const [promise, reason] of cases) {
      const error = await caught(promise);
      expect(error).toBeInstanceOf(ZaloRequestRejectedError);
      expect(error).toMatchObject({ kind: 'permanent', reason });
    }
    expect(getAccessToken).not.toHaveBeenCalled();
  });

  it('accepts jpeg under 1 MiB and DOCX under 5 MiB', async () => {
    const { client } = makeClient();
    nock(API).post('/v2.0/oa/upload/image').reply(200, OK({ attachment_id: 'att-2' }));
    nock(API).post('/v2.0/oa/upload/file').reply(200, OK({ token: 'ftok-2' }));
    await expect(client.uploadImage(jpeg, 'a.jpg', 'image/jpeg')).resolves.toBe('att-2');
    const docx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(50)]);
    await expect(client.uploadFile(docx, 'a.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document')).resolves.toBe('ftok-2');
  });
});

describe('zalo api client: errors', () => {
  const path = '/v3.0/oa/message/cs';
  const body = { recipient: { user_id: USER }, message: { text: 'xin chào' } };

  it('error 0 with HTTP 200 is success; error ≠ 0 with HTTP 200 is an error', async () => {
    const { client } = makeClient();
    cs().post(path, body).reply(200, { error: 0, message: 'Success', data: { message_id: 'ok' } });
    cs().post(path, body).reply(200, { error: -201, message: 'user_id is invalid!' });
    await expect(client.sendText(USER, 'xin chào')).resolves.toEqual(['ok']);
    const error = await caught(client.sendText(USER, 'xin chào'));
    expect(error).toMatchObject({ code: -201, kind: 'permanent', httpStatus: 200, endpoint: `POST ${path}` });
  });

  it('-216: refreshes once with the failed token and retries once, then succeeds', async () => {
    const { client, refreshAccessToken } = makeClient();
    cs('tok-1').post(path, body).reply(200, { error: -216, message: 'Access token is invalid' });
    cs('tok-2').post(path, body).reply(200, sent('after-refresh'));
    await expect(client.sendText(USER, 'xin chào')).resolves.toEqual(['after-refresh']);
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
    expect(refreshAccessToken).toHaveBeenCalledWith('tok-1');
  });

  it('-216 twice: throws auth after one refresh', async () => {
    const { client, refreshAccessToken } = makeClient();
    cs('tok-1').post(path, body).reply(200, { error: -216, message: 'Access token is invalid' });
    cs('tok-2').post(path, body).reply(200, { error: -216, message: 'Access token is invalid' });
    const error = await caught(client.sendText(USER, 'xin chào'));
    expect(error).toMatchObject({ kind: 'auth', code: -216 });
    expect(refreshAccessToken).toHaveBeenCalledTimes(1);
  });

  it('-32: transient with a retry hint, no loop, and the local limiter pauses', async () => {
    const limiter = { acquire: vi.fn(async () => undefined), pause: vi.fn() };
    const { client } = makeClient({ limiter });
    cs().post(path, body).reply(200, { error: -32, message: 'Your application/OA reached limit call api' });
    const error = await caught(client.sendText(USER, 'xin chào'));
    expect(error).toMatchObject({ kind: 'transient', code: -32, retryAfterMs: 60_000 });
    expect(limiter.acquire).toHaveBeenCalledTimes(1);
    expect(limiter.pause).toHaveBeenCalled();
  });

  it('HTTP 503: transient, honouring Retry-After', async () => {
    const { client } = makeClient();
    cs().post(path, body).reply(503, 'Service Unavailable', { 'Retry-After': '7' });
    cs().post(path, body).reply(502, { error: -1, message: 'Bad gateway' });
    await expect(caught(client.sendText(USER, 'xin chào'))).resolves.toMatchObject({ kind: 'transient', httpStatus: 503, retryAfterMs: 7000 });
    await expect(caught(client.sendText(USER, 'xin chào'))).resolves.toMatchObject({ kind: 'transient', httpStatus: 502, retryAfterMs: 30_000 });
  });

  it('timeout: transient (AbortSignal)', async () => {
    const { client } = makeClient({ timeoutMs: 50 });
    cs().post(path, body).delay(1000).reply(200, sent('late'));
    const error = await caught(client.sendText(USER, 'xin chào'));
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('no answer within 50 ms');
  });

  it('network error: transient', async () => {
    const { client } = makeClient();
    cs().post(path, body).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    await expect(caught(client.sendText(USER, 'xin chào'))).resolves.toMatchObject({ kind: 'transient' });
  });

  it('-230: unreachable, never retried', async () => {
    const { client, refreshAccessToken } = makeClient();
    cs().post(path, body).reply(200, { error: -230, message: 'User has not interacted with the OA in the last 7 days' });
    const error = await caught(client.sendText(USER, 'xin chào'));
    expect(error).toMatchObject({ kind: 'unreachable', code: -230, retryAfterMs: undefined });
    expect(refreshAccessToken).not.toHaveBeenCalled();
  });

  it('-201: permanent; -100: permanent with a re-upload hint; -204: config', async () => {
    const { client } = makeClient();
    const media = { recipient: { user_id: USER }, message: { attachment: { type: 'template', payload: { template_type: 'media', elements: [{ media_type: 'image', attachment_id: 'old' }] } } } };
    cs().post(path, body).reply(200, { error: -201, message: 'text is invalid!' });
    cs().post(path, media).reply(200, { error: -100, message: 'attachment_id is expired' });
    cs().post(path, body).reply(200, { error: -204, message: 'OA has been disabled' });
    await expect(caught(client.sendText(USER, 'xin chào'))).resolves.toMatchObject({ kind: 'permanent', code: -201, reuploadNeeded: false });
    await expect(caught(client.sendImage(USER, { attachmentId: 'old' }))).resolves.toMatchObject({ kind: 'permanent', code: -100, reuploadNeeded: true });
    await expect(caught(client.sendText(USER, 'xin chào'))).resolves.toMatchObject({ kind: 'config', code: -204 });
  });

  it('HTTP 200 without the Zalo envelope is a permanent error', async () => {
    const { client } = makeClient();
    cs().post(path, body).reply(200, '<html>oops</html>');
    await expect(caught(client.sendText(USER, 'xin chào'))).resolves.toMatchObject({ kind: 'permanent', httpStatus: 200, code: undefined });
  });

  it('X-RateLimit-Remain: 0 pauses the local limiter', async () => {
    const limiter = { acquire: vi.fn(async () => undefined), pause: vi.fn() };
    const { client } = makeClient({ limiter });
    cs().post(path, body).reply(200, sent('m'), { 'X-RateLimit-Limit': '4000', 'X-RateLimit-Remain': '0' });
    await expect(client.sendText(USER, 'xin chào')).resolves.toEqual(['m']);
    expect(limiter.pause).toHaveBeenCalledTimes(1);
  });
});

describe('classifyZaloError', () => {
  it.each([
    [-216, undefined, 'auth'],
    [216, undefined, 'auth'],
    [-220, undefined, 'auth'],
    [401, undefined, 'auth'],
    [-401, undefined, 'auth'],
    [undefined, 401, 'auth'],
    [-32, undefined, 'transient'],
    [undefined, 503, 'transient'],
    [undefined, undefined, 'transient'],
    [-999, 500, 'transient'],
    [-213, undefined, 'unreachable'],
    [-217, undefined, 'unreachable'],
    [-227, undefined, 'unreachable'],
    [-230, undefined, 'unreachable'],
    [-232, undefined, 'unreachable'],
    [-234, undefined, 'unreachable'],
    [-244, undefined, 'unreachable'],
    [-204, undefined, 'config'],
    [-205, undefined, 'config'],
    [-209, undefined, 'config'],
    [-212, undefined, 'config'],
    [-223, undefined, 'config'],
    [-242, undefined, 'config'],
    [-201, 200, 'permanent'],
    [-210, 200, 'permanent'],
    [-100, 200, 'permanent'],
    [-211, 200, 'permanent'],
  ] as const)('code %s, HTTP %s → %s', (code, status, kind) => {
    expect(classifyZaloError(code, status)).toBe(kind);
  });
});
