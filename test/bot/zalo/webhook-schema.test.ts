import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dedupeKeyOf, parseZaloEvent, parseZaloJson, type TZaloEvent } from '../../../bot/zalo/webhook.schema.js';
import * as P from '../../fixtures/zalo-payloads.js';

function parseOk(raw: string): TZaloEvent {
  const result = parseZaloEvent(raw);
  if (!result.ok) throw new Error(`expected ok, got: ${result.error}`);
  return result.event;
}

const common = { appId: P.APP_ID };

describe('parseZaloEvent: the ZALO.md §2.3 samples', () => {
  it('user_send_text', () => {
    expect(parseOk(P.USER_SEND_TEXT)).toEqual({
      ...common,
      oaId: P.OA_ID,
      eventName: 'user_send_text',
      timestamp: 1757000000000,
      type: 'text',
      userId: P.USER_ID,
      msgId: '96d3cdf3af150460909',
      text: 'Đèn đường ngõ 12 bị hỏng',
    });
  });

  it('user_send_image with caption and thumbnail', () => {
    expect(parseOk(P.USER_SEND_IMAGE)).toEqual({
      ...common,
      oaId: P.OA_ID,
      eventName: 'user_send_image',
      timestamp: 1757000001000,
      type: 'image',
      userId: P.USER_ID,
      msgId: 'a1b2c3d4e5f6a7b8c9d0',
      text: 'ảnh hiện trường',
      attachments: [{ type: 'image', url: 'https://photo.zdn.vn/a.jpg', thumbnail: 'https://photo.zdn.vn/a_thumb.jpg' }],
    });
  });

  it('user_send_file: name kept, size as a number', () => {
    const event = parseOk(P.USER_SEND_FILE);
    expect(event).toMatchObject({
      type: 'file',
      attachments: [{ type: 'file', url: 'https://f.zdn.vn/don.pdf', name: 'đơn.pdf', size: 1024000 }],
    });
    expect(event).not.toHaveProperty('text');
  });

  it('user_send_location with numeric strings', () => {
    expect(parseOk(P.USER_SEND_LOCATION)).toEqual({
      ...common,
      oaId: P.OA_ID,
      eventName: 'user_send_location',
      timestamp: 1757000002000,
      type: 'location',
      userId: P.USER_ID,
      msgId: 'b2c3d4e5f6a7b8c9d0e1',
      latitude: 21.0285,
      longitude: 105.8542,
    });
  });

  it('user_send_location with numbers', () => {
    const event = parseOk(P.USER_SEND_LOCATION_NUMBERS);
    expect(event).toMatchObject({ type: 'location', latitude: 21.0285, longitude: 105.8542 });
    expect(event.anomalies).toBeUndefined();
  });

  it('location outliers are understood and flagged', () => {
    expect(parseOk(P.USER_SEND_LOCATION_IN_MESSAGE)).toMatchObject({
      type: 'location',
      latitude: 21.03,
      longitude: 105.85,
      anomalies: ['location_in_message'],
    });
    expect(parseOk(P.USER_SEND_LOCATION_LAT_LONG)).toMatchObject({
      type: 'location',
      latitude: 21.04,
      longitude: 105.86,
      anomalies: ['location_coordinates_lat_long'],
    });
  });

  it('a location without coordinates is kept as unknown, flagged, with its user', () => {
    const raw = P.USER_SEND_LOCATION.replace(/"coordinates": \{[^}]*\}/, '"coordinates": {}');
    expect(parseOk(raw)).toMatchObject({ type: 'unknown', userId: P.USER_ID, anomalies: ['location_without_coordinates'] });
  });

  it('user_send_link with empty text, and user_send_sticker', () => {
    const link = parseOk(P.USER_SEND_LINK);
    expect(link).toMatchObject({ type: 'link', attachments: [{ type: 'link', url: 'https://example.vn/bai-viet', thumbnail: 'https://example.vn/t.jpg' }] });
    expect(link).not.toHaveProperty('text');
    expect(parseOk(P.USER_SEND_STICKER)).toMatchObject({ type: 'sticker', attachments: [{ type: 'sticker', url: 'https://zalo-api.zadn.vn/sticker.png' }] });
  });

  it('follow and unfollow use follower.id and keep the source', () => {
    expect(parseOk(P.FOLLOW)).toEqual({
      ...common,
      oaId: P.OA_ID,
      eventName: 'follow',
      timestamp: 1757000003000,
      type: 'follow',
      userId: P.USER_ID,
      source: 'oa_profile',
    });
    expect(parseOk(P.UNFOLLOW)).toMatchObject({ type: 'unfollow', userId: P.USER_ID });
  });

  it('user_submit_info, newest shape with full_address', () => {
    expect(parseOk(P.USER_SUBMIT_INFO)).toEqual({
      ...common,
      oaId: P.OA_ID,
      eventName: 'user_submit_info',
      timestamp: 1757000004000,
      type: 'submit_info',
      userId: P.USER_ID,
      name: 'Nguyễn Văn A',
      phone: '84912345678',
      address: 'Số 1 Tràng Tiền',
      ward: 'Phường Hoàn Kiếm',
      city: 'Thành phố Hà Nội',
    });
  });

  it('user_submit_info, older flat shape', () => {
    expect(parseOk(P.USER_SUBMIT_INFO_FLAT)).toMatchObject({
      type: 'submit_info',
      userId: P.USER_ID,
      name: 'Trần Thị B',
      phone: '0987654321',
      address: '12 Hàng Bài',
      ward: 'Tràng Tiền',
      district: 'Hoàn Kiếm',
      city: 'Hà Nội',
    });
  });

  it('user_submit_info under message.info is found and flagged', () => {
    const raw = P.USER_SUBMIT_INFO_FLAT.replace('"info":', '"message":{"info":').replace(/\}\}$/, '}}}');
    expect(parseOk(raw)).toMatchObject({ type: 'submit_info', name: 'Trần Thị B', anomalies: ['submit_info_in_message'] });
  });

  it('oa_send_text echo: the user is the recipient; staff replies are marked', () => {
    expect(parseOk(P.OA_SEND_TEXT)).toEqual({
      ...common,
      oaId: P.OA_ID,
      eventName: 'oa_send_text',
      timestamp: 1757000005000,
      type: 'oa_echo',
      userId: P.USER_ID,
      msgId: 'c3d4e5f6a7b8c9d0e1f2',
      text: 'Cảm ơn anh/chị đã phản ánh',
      byStaff: false,
    });
    expect(parseOk(P.OA_SEND_TEXT_BY_STAFF)).toMatchObject({ type: 'oa_echo', userId: P.USER_ID, byStaff: true });
  });

  it('receipts: received and seen; a ZBS receipt never exposes the phone', () => {
    expect(parseOk(P.USER_RECEIVED_MESSAGE)).toMatchObject({
      type: 'receipt',
      event: 'user_received_message',
      userId: P.USER_ID,
      msgId: 'c3d4e5f6a7b8c9d0e1f2',
    });
    expect(parseOk(P.USER_SEEN_MESSAGE)).toMatchObject({
      type: 'receipt',
      event: 'user_seen_message',
      msgId: 'c3d4e5f6a7b8c9d0e1f2',
      msgIds: ['c3d4e5f6a7b8c9d0e1f2', 'c3d4e5f6a7b8c9d0e1f1'],
    });
    const zbs = parseOk(P.ZBS_RECEIVED_MESSAGE);
    expect(zbs).toMatchObject({ type: 'receipt', trackingId: 'case-PA-2025-000123-due-reminder', msgId: 'a4d0243feee163bd3af2' });
    expect(zbs).not.toHaveProperty('userId');
    expect(JSON.stringify(zbs)).not.toContain('84912345678');
  });
});

describe('parseZaloEvent: tolerance', () => {
  it('keeps a 19-digit id exact, quoted or not', () => {
    const quoted = P.USER_SEND_TEXT.replace(P.USER_ID, '9223372036854775807');
    expect(parseOk(quoted)).toMatchObject({ userId: '9223372036854775807' });
    expect(parseOk(P.USER_SEND_TEXT_UNQUOTED_ID)).toMatchObject({ userId: '9223372036854775807' });
    expect(JSON.parse(P.USER_SEND_TEXT_UNQUOTED_ID).sender.id).not.toBe(9223372036854775807n.toString());
    expect((parseZaloJson(P.USER_SEND_TEXT_UNQUOTED_ID) as { sender: { id: unknown } }).sender.id).toBe('9223372036854775807');
  });

  it('does not touch number-like text inside strings', () => {
    const raw = P.USER_SEND_TEXT.replace('Đèn đường ngõ 12 bị hỏng', 'gõ \\"id\\": 12345678901234567890 nhé');
    expect(parseOk(raw)).toMatchObject({ text: 'gõ "id": 12345678901234567890 nhé' });
  });

  it('converts seconds timestamps (also as a number) to ms and accepts message.message_id', () => {
    expect(parseOk(P.USER_SEND_TEXT_SECONDS)).toMatchObject({
      type: 'text',
      timestamp: 1757000009000,
      msgId: '0123456789abcdef0123',
      anomalies: ['msg_id_as_message_id'],
    });
  });

  it('keeps unknown event types as unknown with their user', () => {
    expect(parseOk(P.USER_CLICK_BUTTON)).toEqual({
      ...common,
      oaId: P.OA_ID,
      eventName: 'user_click_button',
      timestamp: 1757000010000,
      type: 'unknown',
      userId: P.USER_ID,
    });
    expect(parseOk(P.ADD_USER_TO_TAG)).toMatchObject({ type: 'unknown', eventName: 'add_user_to_tag', oaId: P.OA_ID });
    expect(parseOk(P.USER_SEND_BUSINESS_CARD)).toMatchObject({
      type: 'unknown',
      eventName: 'user_send_business_card',
      userId: P.USER_ID,
      msgId: 'f6a7b8c9d0e1f2a3b4c5',
    });
  });

  it('refuses what is not a Zalo event', () => {
    expect(parseZaloEvent('not json')).toEqual({ ok: false, error: 'body is not valid JSON' });
    expect(parseZaloEvent('{"foo":1}')).toMatchObject({ ok: false });
    expect(parseZaloEvent('{"event_name":"user_send_text","sender":{"id":"1"},"message":{"msg_id":"m"}}')).toMatchObject({
      ok: false,
      error: 'timestamp missing or not a number',
    });
    expect(parseZaloEvent('{"event_name":"user_send_text","timestamp":"1757000000000","message":{"msg_id":"m","text":"x"}}')).toMatchObject({
      ok: false,
      error: 'user_send_text without sender.id',
    });
  });

  it('returns the envelope with unknown fields kept', () => {
    const result = parseZaloEvent(P.ADD_USER_TO_TAG);
    expect(result.ok && result.envelope).toMatchObject({ tag: { name: 'vip' } });
  });
});

describe('dedupeKeyOf', () => {
  it('is the msg_id of a message, whatever form of "parsed" is given', () => {
    expect(dedupeKeyOf(P.USER_SEND_TEXT)).toBe('96d3cdf3af150460909');
    expect(dedupeKeyOf(P.USER_SEND_TEXT, JSON.parse(P.USER_SEND_TEXT))).toBe('96d3cdf3af150460909');
    expect(dedupeKeyOf(P.USER_SEND_TEXT, parseZaloEvent(P.USER_SEND_TEXT))).toBe('96d3cdf3af150460909');
    expect(dedupeKeyOf(P.USER_SEND_TEXT, parseOk(P.USER_SEND_TEXT))).toBe('96d3cdf3af150460909');
    expect(dedupeKeyOf(P.USER_SEND_TEXT_SECONDS)).toBe('0123456789abcdef0123');
  });

  it('falls back to event_name:sha256(raw) without msg_id', () => {
    const hash = createHash('sha256').update(P.FOLLOW, 'utf8').digest('hex');
    expect(dedupeKeyOf(P.FOLLOW)).toBe(`follow:${hash}`);
    expect(dedupeKeyOf(P.FOLLOW)).toBe(dedupeKeyOf(P.FOLLOW, parseOk(P.FOLLOW)));
    expect(dedupeKeyOf(P.USER_SUBMIT_INFO)).toMatch(/^user_submit_info:[0-9a-f]{64}$/);
  });

  it('keeps receipts of one message apart from each other and from the echo', () => {
    const echo = dedupeKeyOf(P.OA_SEND_TEXT);
    const received = dedupeKeyOf(P.USER_RECEIVED_MESSAGE);
    const seen = dedupeKeyOf(P.USER_RECEIVED_MESSAGE.replace('user_received_message', 'user_seen_message'));
    expect(echo).toBe('c3d4e5f6a7b8c9d0e1f2');
    expect(received).toBe('user_received_message:c3d4e5f6a7b8c9d0e1f2');
    expect(seen).toBe('user_seen_message:c3d4e5f6a7b8c9d0e1f2');
  });
});
