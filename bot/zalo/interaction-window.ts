import { sql } from 'drizzle-orm';
import { zaloUsers } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import type { TZaloEvent } from './webhook.schema.js';

/**
 * Zalo accepts a consultation (CS) message only within 7 days of the user's last interaction with the
 * OA; later it answers -230/-232 (ZALO.md §5). Outside the window the only Zalo route is an approved
 * ZBS template (by user id, or by phone); otherwise email, otherwise a person has to reach the citizen.
 */
export const CS_WINDOW_MS = 7 * 24 * 3_600_000;

export type TCitizenChannel = 'cs' | 'zbs_uid' | 'zbs_phone' | 'email' | 'flag';

export interface ChooseCitizenChannelInput {
  /** From `zalo_users.last_interaction_at`; null when the citizen never wrote to the OA. */
  lastInteractionAt: Date | null;
  now: Date;
  hasZbsTemplate: boolean;
  hasPhone: boolean;
  hasEmail: boolean;
  /** Whether we know the citizen's OA user id; defaults to "yes" when there is a last interaction. */
  hasZaloUserId?: boolean;
  /** ZBS by UID is documented by one source only (§9.6): a deployment may turn it off. */
  zbsByUserId?: boolean;
  /** Time kept in hand before the window closes, e.g. for a delivery queued a while before it runs. */
  safetyMarginMs?: number;
}

export function chooseCitizenChannel(input: ChooseCitizenChannelInput): TCitizenChannel {
  const { lastInteractionAt, now } = input;
  const hasUserId = input.hasZaloUserId ?? lastInteractionAt !== null;
  if (hasUserId && isInsideCsWindow(lastInteractionAt, now, input.safetyMarginMs)) return 'cs';
  if (input.hasZbsTemplate) {
    if (hasUserId && input.zbsByUserId !== false) return 'zbs_uid';
    if (input.hasPhone) return 'zbs_phone';
  }
  if (input.hasEmail) return 'email';
  return 'flag';
}

/** Inside while less than 7 days have passed; at exactly 7 days Zalo may already refuse, so it is outside. */
export function isInsideCsWindow(lastInteractionAt: Date | null, now: Date, safetyMarginMs = 0): boolean {
  if (!lastInteractionAt) return false;
  return now.getTime() - lastInteractionAt.getTime() < CS_WINDOW_MS - safetyMarginMs;
}

/**
 * Which inbound events open or extend the window: the user's own messages, a follow, shared info
 * (§5 "what counts as an interaction"). Receipts, unfollows and our own echoes do not.
 */
export function countsAsInteraction(event: TZaloEvent): boolean {
  switch (event.type) {
    case 'oa_echo':
    case 'receipt':
    case 'unfollow':
      return false;
    case 'unknown':
      return event.eventName.startsWith('user_send_') || event.eventName === 'user_click_chatnow';
    default:
      return true;
  }
}

/**
 * Upserts the user's row. The window only ever moves forward: a late retry of an old event must not
 * shorten it. `follower`/`displayName` are changed only when given.
 */
export async function recordInteraction(q: Queryable, zaloUserId: string, at: Date, options: InteractionDetails = {}): Promise<void> {
  await interactionUpsert(q, zaloUserId, at, options);
}

export interface InteractionDetails {
  follower?: boolean | undefined;
  displayName?: string;
}

/** recordInteraction's statement, unexecuted: a caller may run it as part of a larger one (a WITH clause). */
export function interactionUpsert(q: Queryable, zaloUserId: string, at: Date, { follower, displayName }: InteractionDetails = {}) {
  return q
    .insert(zaloUsers)
    .values({
      zaloUserId,
      lastInteractionAt: at,
      isFollower: follower ?? false,
      ...(displayName !== undefined ? { displayName } : {}),
    })
    .onConflictDoUpdate({
      target: zaloUsers.zaloUserId,
      set: {
        lastInteractionAt: sql`greatest(${zaloUsers.lastInteractionAt}, excluded.last_interaction_at)`,
        ...(follower !== undefined ? { isFollower: follower } : {}),
        ...(displayName !== undefined ? { displayName } : {}),
      },
    });
}

/** Follow state without an interaction: an `unfollow` must not reopen the window. */
export async function recordFollowerState(q: Queryable, zaloUserId: string, follower: boolean): Promise<void> {
  await q
    .insert(zaloUsers)
    .values({ zaloUserId, isFollower: follower })
    .onConflictDoUpdate({ target: zaloUsers.zaloUserId, set: { isFollower: follower } });
}
