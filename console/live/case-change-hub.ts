import type { Database, NotificationListener } from '../../runtime/db.js';
import type { Logger } from '../../runtime/logger.js';
import type { OfficialActor } from '../../workflows/cases/actor.js';
import { CASE_CHANGES_CHANNEL, parseCaseChangeSignal, type CaseChangeKind, type TCaseChangeSignal } from '../../workflows/cases/case-change-signal.js';
import { canActorSeeCase } from '../../workflows/cases/case-permissions.js';
import { CASE_STATUS_LABELS, type CaseStatus } from '../../workflows/cases/case-status.js';
import { loadCaseView, type CaseView } from '../../workflows/cases/case.repo.js';

/**
 * One LISTEN per web process, fanned out to every open live stream of that process. A change reaches an
 * official only when the workflows' scope rule (canActorSeeCase) lets them see the case now, or, stripped of
 * everything but its id, when their unit had the case before the change (it has left their lists).
 */

/** What an official's stream receives about a case they may see. Nothing a citizen wrote is in it. */
export interface LiveCaseEvent {
  caseId: number;
  kind: CaseChangeKind;
  code: string;
  status: CaseStatus;
  statusLabel: string;
  version: number;
  /** The case has just come into this official's unit (created there, assigned, transferred, co-handled). */
  entered: boolean;
  /** The official is the case's handler. */
  mine: boolean;
}

/** A case the official's unit had before the change and may no longer see: only the id they already knew. */
export interface LiveCaseLeftEvent {
  caseId: number;
  kind: CaseChangeKind;
  left: true;
}

export type LiveMessage = { event: 'case'; data: LiveCaseEvent | LiveCaseLeftEvent } | { event: 'resync'; data: Record<string, never> };

export interface LiveSubscriber {
  /** Kept current by the stream (an admin may change the official's unit or roles meanwhile). */
  actor: OfficialActor;
  send(message: LiveMessage): void;
}

export interface CaseChangeHub {
  /** Resolves once the database listener is in place, so a change committed afterwards reaches the subscriber. */
  subscribe(subscriber: LiveSubscriber): Promise<() => void>;
  /** Open subscriptions in this process. */
  size(): number;
  close(): Promise<void>;
}

/** Decides what one official hears of one change (null: nothing). Pure, so the scope rule is testable alone. */
export function describeChangeFor(actor: OfficialActor, signal: TCaseChangeSignal, view: CaseView): LiveMessage | null {
  // An account without roles sees no case at all (canActorSeeCase), so it hears of none either.
  if (actor.roles.length === 0) return null;
  const seesEverything = actor.roles.includes('dispatcher') || actor.roles.includes('admin');
  if (canActorSeeCase(actor, view)) {
    const before = signal.kind === 'created' ? [] : signal.previousUnitIds;
    return {
      event: 'case',
      data: {
        caseId: view.id,
        kind: signal.kind,
        code: view.code,
        status: view.status,
        statusLabel: CASE_STATUS_LABELS[view.status],
        version: view.version,
        entered: !seesEverything && before !== undefined && !before.includes(actor.unitId),
        mine: view.assigneeId === actor.officialId,
      },
    };
  }
  if (!seesEverything && signal.previousUnitIds?.includes(actor.unitId)) {
    return { event: 'case', data: { caseId: view.id, kind: signal.kind, left: true } };
  }
  return null;
}

export function createCaseChangeHub(options: { database: Pick<Database, 'db' | 'listen'>; logger: Logger; channel?: string }): CaseChangeHub {
  const { database, logger } = options;
  const channel = options.channel ?? CASE_CHANGES_CHANNEL;
  const subscribers = new Set<LiveSubscriber>();
  let listening: Promise<NotificationListener> | null = null;
  let closed = false;
  // Changes are handled one after another, so every stream gets them in commit order.
  let queue: Promise<void> = Promise.resolve();

  const broadcast = (message: (s: LiveSubscriber) => LiveMessage | null) => {
    for (const subscriber of subscribers) {
      const m = message(subscriber);
      if (!m) continue;
      try {
        subscriber.send(m);
      } catch (err) {
        logger.warn({ err }, 'live stream write failed');
      }
    }
  };

  const handleSignal = async (signal: TCaseChangeSignal) => {
    if (subscribers.size === 0) return;
    const view = await loadCaseView(database.db, signal.caseId);
    if (!view) return;
    broadcast((s) => describeChangeFor(s.actor, signal, view));
  };

  const onNotify = (payload: string) => {
    const signal = parseCaseChangeSignal(payload);
    if (!signal) {
      logger.warn({ channel }, 'ignored a malformed case change notification');
      return;
    }
    queue = queue.then(
      () => handleSignal(signal),
      () => handleSignal(signal),
    );
    queue.catch((err: unknown) => logger.error({ err, caseId: signal.caseId }, 'live update for a case change failed'));
  };

  const startListening = () => {
    listening ??= database
      .listen(channel, {
        onNotify,
        // Changes committed while the connection was down were missed: every page rechecks.
        onReconnect: () => broadcast(() => ({ event: 'resync', data: {} })),
        onError: (err) => logger.warn({ err }, 'case change listener lost its database connection; reconnecting'),
      })
      .catch((err: unknown) => {
        listening = null;
        throw err;
      });
    return listening;
  };

  return {
    async subscribe(subscriber) {
      if (closed) throw new Error('case change hub is closed');
      await startListening();
      subscribers.add(subscriber);
      return () => {
        subscribers.delete(subscriber);
      };
    },
    size: () => subscribers.size,
    async close() {
      closed = true;
      subscribers.clear();
      const current = listening;
      listening = null;
      if (current) await current.then((l) => l.close(), () => undefined);
      await queue.catch(() => undefined);
    },
  };
}
