import type { Tx } from '../../runtime/db.js';
import { LINK_OFFICIAL_MESSAGES, linkOfficialByCode } from '../../workflows/officials/link-official.js';
import type { OfficialAssistant, OfficialLinker } from '../conversation/engine.js';
import type { OutgoingMessage } from '../conversation/outgoing.js';
import { ASSISTANT_TEXTS as T } from './assistant-messages.js';
import { clearLinkFailures, loadLinkFailures, purgeLinkFailures, saveLinkFailures } from './link-attempts.repo.js';

/** Wrong codes a Zalo user may send within the window before linking is refused for a while. */
export const LINK_MAX_FAILURES = 5;
export const LINK_FAILURE_WINDOW_MS = 60 * 60 * 1000;

export interface OfficialLinkerOptions {
  /** Its command list is the first thing a newly linked official gets. */
  assistant?: OfficialAssistant;
  maxFailures?: number;
  windowMs?: number;
}

const text = (t: string): OutgoingMessage => ({ type: 'text', text: t });

/** Whole minutes until the oldest failure leaves the window, rounded up: "thử lại sau 37 phút". */
function minutesUntilFree(oldest: Date, windowMs: number, now: Date): number {
  return Math.max(1, Math.ceil((oldest.getTime() + windowMs - now.getTime()) / 60_000));
}

/**
 * "liên kết <mã>": links the sender's Zalo account to the official the admin made the one-time code for
 * (workflows/officials/link-official.ts), inside the inbound event's transaction. Failed attempts are counted
 * per Zalo user across processes (link-attempts.repo.ts); after LINK_MAX_FAILURES within the window the code is
 * not even looked at, so six-digit codes cannot be guessed through the OA.
 */
export function createOfficialLinker(options: OfficialLinkerOptions = {}): OfficialLinker {
  const maxFailures = options.maxFailures ?? LINK_MAX_FAILURES;
  const windowMs = options.windowMs ?? LINK_FAILURE_WINDOW_MS;

  return async (tx: Tx, { zaloUserId, code, now }) => {
    if (code === '') return { messages: [text(T.linkAskCode)] };
    const since = new Date(now.getTime() - windowMs);
    const failures = await loadLinkFailures(tx, zaloUserId, since);
    if (failures.length >= maxFailures) {
      return { messages: [text(T.linkTooManyFailures(maxFailures, minutesUntilFree(failures[0]!, windowMs, now)))] };
    }

    const result = await linkOfficialByCode(tx, zaloUserId, code, now);
    if (result.ok) {
      await clearLinkFailures(tx, zaloUserId);
      const menu = options.assistant ? ((await options.assistant(tx, { officialId: result.officialId, text: 'menu', now })) ?? []) : [];
      return { officialId: result.officialId, messages: [text(LINK_OFFICIAL_MESSAGES.linked(result.fullName)), ...menu] };
    }

    const recorded = [...failures, now];
    await saveLinkFailures(tx, zaloUserId, recorded, now);
    await purgeLinkFailures(tx, since);
    const left = maxFailures - recorded.length;
    const warning = left > 0 ? T.linkFailuresLeft(left) : T.linkTooManyFailures(maxFailures, minutesUntilFree(recorded[0]!, windowMs, now));
    return { messages: [text(`${LINK_OFFICIAL_MESSAGES[result.reason]}\n${warning}`)] };
  };
}
