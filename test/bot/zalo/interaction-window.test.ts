import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  chooseCitizenChannel,
  countsAsInteraction,
  CS_WINDOW_MS,
  recordFollowerState,
  recordInteraction,
} from '../../../bot/zalo/interaction-window.js';
import { parseZaloEvent } from '../../../bot/zalo/webhook.schema.js';
import { zaloUsers } from '../../../db/schema.js';
import * as P from '../../fixtures/zalo-payloads.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../../helpers/db.js';

const now = new Date('2026-03-10T09:00:00+07:00');
const ago = (ms: number) => new Date(now.getTime() - ms);
const none = { hasZbsTemplate: false, hasPhone: false, hasEmail: false };

describe('chooseCitizenChannel', () => {
  it('CS inside 7 days, up to the last millisecond; outside at exactly 7 days', () => {
    expect(chooseCitizenChannel({ ...none, lastInteractionAt: ago(0), now })).toBe('cs');
    expect(chooseCitizenChannel({ ...none, lastInteractionAt: ago(CS_WINDOW_MS - 1), now })).toBe('cs');
    expect(chooseCitizenChannel({ ...none, lastInteractionAt: ago(CS_WINDOW_MS), now })).toBe('flag');
    expect(chooseCitizenChannel({ ...none, lastInteractionAt: ago(CS_WINDOW_MS + 1), now })).toBe('flag');
  });

  it('a safety margin closes the window earlier', () => {
    const input = { ...none, hasEmail: true, now, safetyMarginMs: 10 * 60_000 };
    expect(chooseCitizenChannel({ ...input, lastInteractionAt: ago(CS_WINDOW_MS - 10 * 60_000 - 1) })).toBe('cs');
    expect(chooseCitizenChannel({ ...input, lastInteractionAt: ago(CS_WINDOW_MS - 10 * 60_000) })).toBe('email');
  });

  it('outside the window: ZBS by uid, else by phone, else email, else flag', () => {
    const old = { lastInteractionAt: ago(CS_WINDOW_MS + 1), now };
    expect(chooseCitizenChannel({ ...old, hasZbsTemplate: true, hasPhone: true, hasEmail: true })).toBe('zbs_uid');
    expect(chooseCitizenChannel({ ...old, hasZbsTemplate: true, hasPhone: true, hasEmail: true, zbsByUserId: false })).toBe('zbs_phone');
    expect(chooseCitizenChannel({ ...old, hasZbsTemplate: false, hasPhone: true, hasEmail: true })).toBe('email');
    expect(chooseCitizenChannel({ ...old, hasZbsTemplate: false, hasPhone: true, hasEmail: false })).toBe('flag');
    expect(chooseCitizenChannel({ ...old, hasZbsTemplate: true, hasPhone: false, hasEmail: false, zbsByUserId: false })).toBe('flag');
  });

  it('a citizen never seen on Zalo (web form, phone only) gets ZBS by phone', () => {
    const input = { lastInteractionAt: null, now, hasPhone: true, hasEmail: true };
    expect(chooseCitizenChannel({ ...input, hasZbsTemplate: true })).toBe('zbs_phone');
    expect(chooseCitizenChannel({ ...input, hasZbsTemplate: false })).toBe('email');
  });

  it('only user actions count as interactions', () => {
    const kinds = (raw: string) => {
      const r = parseZaloEvent(raw);
      if (!r.ok) throw new Error(r.error);
      return countsAsInteraction(r.event);
    };
    expect(kinds(P.USER_SEND_TEXT)).toBe(true);
    expect(kinds(P.FOLLOW)).toBe(true);
    expect(kinds(P.USER_SUBMIT_INFO)).toBe(true);
    expect(kinds(P.USER_SEND_BUSINESS_CARD)).toBe(true);
    expect(kinds(P.UNFOLLOW)).toBe(false);
    expect(kinds(P.OA_SEND_TEXT)).toBe(false);
    expect(kinds(P.USER_SEEN_MESSAGE)).toBe(false);
  });
});

describe.each(DRIVERS)('recordInteraction on %s', (driver) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(driver);
  });
  afterAll(async () => database?.destroy());
  beforeEach(async () => {
    await database.db.delete(zaloUsers);
  });

  const read = async () => (await database.db.select().from(zaloUsers))[0];

  it('inserts, then only moves the window forward; follower and name change only when given', async () => {
    await recordInteraction(database.db, P.USER_ID, ago(hours(5)), { follower: true });
    expect(await read()).toMatchObject({ zaloUserId: P.USER_ID, lastInteractionAt: ago(hours(5)), isFollower: true, displayName: null });

    await recordInteraction(database.db, P.USER_ID, ago(hours(1)), { displayName: 'Nguyễn Văn A' });
    expect(await read()).toMatchObject({ lastInteractionAt: ago(hours(1)), isFollower: true, displayName: 'Nguyễn Văn A' });

    // A late retry of an older event does not shorten the window.
    await recordInteraction(database.db, P.USER_ID, ago(hours(48)));
    expect(await read()).toMatchObject({ lastInteractionAt: ago(hours(1)), isFollower: true, displayName: 'Nguyễn Văn A' });

    await recordFollowerState(database.db, P.USER_ID, false);
    expect(await read()).toMatchObject({ lastInteractionAt: ago(hours(1)), isFollower: false });
  });

  it('works inside a transaction', async () => {
    await database.db.transaction(async (tx) => {
      await recordInteraction(tx, '9223372036854775807', now, { follower: false });
    });
    expect(await read()).toMatchObject({ zaloUserId: '9223372036854775807', lastInteractionAt: now });
  });

  it('records follow state for someone never seen, without opening the window', async () => {
    await recordFollowerState(database.db, P.USER_ID, false);
    expect(await read()).toMatchObject({ isFollower: false, lastInteractionAt: null });
  });
});

function hours(n: number): number {
  return n * 3_600_000;
}
