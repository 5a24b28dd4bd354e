import type { Session } from 'fastify';
import type { SessionStore } from '@fastify/session';
import { eq, lte, sql } from 'drizzle-orm';
import { sessions } from '../db/schema.js';
import type { Db, Queryable } from '../runtime/db.js';

declare module 'fastify' {
  interface Session {
    /** Set at login, after the session id has been regenerated. */
    officialId?: number;
    /**
     * The official's password stamp at login (runtime/password.ts passwordStamp): once the password changes
     * the session no longer matches and is ended at its next request, in every process.
     */
    passwordStamp?: string;
    /** Synchronizer token every state-changing console form must echo in `_csrf`. */
    csrfToken?: string;
    /** One message shown on the next page, then dropped (post/redirect/get). */
    flash?: { kind: 'success' | 'error'; text: string };
    /** Where a visitor was going when the login page interrupted them (a /console path). */
    returnTo?: string;
  }
}

/** Used when a session is stored without a cookie expiry (the console always sets maxAge). */
export const DEFAULT_SESSION_TTL_MS = 8 * 60 * 60 * 1000;

type Callback = (err?: unknown) => void;
type CallbackSession = (err: unknown, result?: Session | null) => void;

export interface DbSessionStoreOptions {
  /**
   * The wall clock. @fastify/session computes the cookie's expiry with Date.now(), so the store must compare
   * against the same clock; the app's injectable Clock may be a fake one set to another year in tests.
   */
  now?: () => Date;
}

/**
 * The @fastify/session store on the `sessions` table: sessions survive restarts and are shared by every web
 * process. Expired rows are never returned, and `deleteExpired` removes them (called at each login).
 */
export class DbSessionStore implements SessionStore {
  private readonly now: () => Date;

  constructor(
    private readonly db: Db,
    options: DbSessionStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  set(sessionId: string, session: Session, callback: Callback): void {
    // JSON round trip: the Session object carries a Cookie instance and symbol-keyed internals; only its plain
    // data belongs in jsonb.
    const data = JSON.parse(JSON.stringify(session)) as Record<string, unknown>;
    const expiresAt = readExpiry(session) ?? new Date(this.now().getTime() + DEFAULT_SESSION_TTL_MS);
    this.db
      .insert(sessions)
      .values({ sid: sessionId, data, expiresAt })
      .onConflictDoUpdate({ target: sessions.sid, set: { data, expiresAt } })
      .then(() => callback(), callback);
  }

  get(sessionId: string, callback: CallbackSession): void {
    this.db
      .select({ data: sessions.data, expiresAt: sessions.expiresAt })
      .from(sessions)
      .where(eq(sessions.sid, sessionId))
      .then(([row]) => {
        if (!row || row.expiresAt.getTime() <= this.now().getTime()) return callback(null, null);
        callback(null, row.data as unknown as Session);
      }, callback);
  }

  destroy(sessionId: string, callback: Callback): void {
    this.db
      .delete(sessions)
      .where(eq(sessions.sid, sessionId))
      .then(() => callback(), callback);
  }

  /** Housekeeping; returns how many expired sessions were removed. */
  async deleteExpired(): Promise<number> {
    const removed = await this.db.delete(sessions).where(lte(sessions.expiresAt, this.now())).returning({ sid: sessions.sid });
    return removed.length;
  }
}

/**
 * Ends every console session of an official (their password changed): the rows go, so each browser is sent to
 * the login page at its next request and a live stream stops at its next heartbeat. Returns how many ended.
 */
export async function revokeOfficialSessions(q: Queryable, officialId: number): Promise<number> {
  const removed = await q
    .delete(sessions)
    .where(sql`${sessions.data} @> ${JSON.stringify({ officialId })}::jsonb`)
    .returning({ sid: sessions.sid });
  return removed.length;
}

function readExpiry(session: Session): Date | null {
  const expires = (session.cookie as { expires?: Date | string | null } | undefined)?.expires;
  if (!expires) return null;
  const at = new Date(expires);
  return Number.isNaN(at.getTime()) ? null : at;
}
