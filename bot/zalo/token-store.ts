import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { zaloTokens } from '../../db/schema.js';
import type { Clock } from '../../runtime/clock.js';
import type { Db, Queryable } from '../../runtime/db.js';
import type { Logger } from '../../runtime/logger.js';
import { classifyZaloError, ZaloApiError, ZaloGrantDeadError, ZaloTokenMissingError } from './zalo-errors.js';

/**
 * The OA's OAuth tokens (ZALO.md §6), kept in `zalo_tokens`, encrypted at rest.
 *
 * The refresh token is single use and rotates: two processes refreshing with the same one, or a crash
 * between getting a new pair and saving it, loses the grant until an OA admin consents again (§8.6).
 * So a refresh runs inside one transaction holding `pg_advisory_xact_lock(oa)`, re-reads the row after
 * taking the lock, and writes the new pair before anyone gets to use it.
 */

export interface TokenStoreOptions {
  db: Db;
  oaId: string;
  appId: string;
  /** The App Secret (OAuth `secret_key` header), not the webhook's OA Secret Key. */
  appSecret: string;
  /** `https://oauth.zaloapp.com` */
  oauthBaseUrl: string;
  /** `TOKEN_ENCRYPTION_KEY`: any string; 32 key bytes are derived from it. */
  encryptionKey: string;
  clock: Clock;
  logger: Logger;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
  /** Refresh when less than this is left on the access token (default 1 h of its 25 h). */
  refreshAheadMs?: number;
}

export interface TokenStatus {
  status: 'ok' | 'dead' | 'missing';
  accessExpiresAt: Date | null;
  refreshIssuedAt: Date | null;
  /** Refresh tokens live about 3 months; whether rotation restarts that clock is unknown (§6). */
  refreshExpiresAtEstimate: Date | null;
  lastError: string | null;
}

export interface TokenStore {
  /** Stores a first pair (env or the console's API Explorer) unless one is already stored. */
  seed(pair: { accessToken: string; refreshToken: string; expiresInSec: number }): Promise<boolean>;
  getAccessToken(): Promise<string>;
  /**
   * A valid access token after `failedToken` was refused (or, without it, when the stored one is close
   * to expiry). Only one refresh runs at a time across all processes sharing the database.
   */
  refreshAccessToken(failedToken?: string): Promise<string>;
  /** OAuth callback: trades the one-time `code` (10 min) for a pair and stores it, reviving a dead row. */
  exchangeCode(code: string, codeVerifier?: string): Promise<TokenStatus>;
  buildConsentUrl(input: { redirectUri: string; state: string; codeChallenge?: string }): string;
  getStatus(): Promise<TokenStatus>;
}

const HOUR_MS = 3_600_000;
const REFRESH_TOKEN_LIFETIME_MS = 90 * 24 * HOUR_MS;
/** Zalo's documented access-token lifetime, used only if an answer omits `expires_in`. */
const DEFAULT_EXPIRES_IN_SEC = 90_000;
/** How long a decrypted token is reused without reading the row again. */
const CACHE_TTL_MS = 60_000;
/** GOC's "production-observed" codes for a refresh token that can never work again (§6). */
const DEAD_GRANT_CODES = new Set([-118, -14014]);
const DEAD_GRANT_TEXT = /invalid[_ ]grant|invalid[_ ]refresh[_ ]token|refresh[_ ]token.{0,40}(expired|invalid|revoked)/i;

const ZErrorCode = z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]);
const ZTokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  // Zalo sends "90000", a string (§6, §8.13).
  expires_in: z.coerce.number().int().positive().nullish(),
});
const ZErrorAnswer = z.looseObject({
  error: ZErrorCode.nullish(),
  error_name: z.string().nullish(),
  error_reason: z.string().nullish(),
  error_description: z.string().nullish(),
  message: z.string().nullish(),
});

type TokenRow = typeof zaloTokens.$inferSelect;
type TokenAnswer =
  | { kind: 'ok'; accessToken: string; refreshToken?: string; expiresInSec: number }
  | { kind: 'dead'; code?: number; summary: string }
  | { kind: 'error'; error: ZaloApiError; summary: string };

export function createTokenStore(options: TokenStoreOptions): TokenStore {
  const { db, oaId, clock, logger } = options;
  const refreshAheadMs = options.refreshAheadMs ?? HOUR_MS;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const oauthBaseUrl = options.oauthBaseUrl.replace(/\/+$/, '');
  const doFetch: typeof fetch = options.fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  const cipher = createTokenCipher(options.encryptionKey, oaId);
  const lockKey = advisoryLockKey(`zalo_tokens:${oaId}`);
  const log = logger.child({ component: 'zalo-token-store', oaId });

  let cache: { token: string; expiresAt: number; readAt: number } | null = null;
  let inflight: Promise<string> | null = null;

  const nowMs = () => clock.now().getTime();

  async function readRow(q: Queryable): Promise<TokenRow | undefined> {
    const rows = await q.select().from(zaloTokens).where(eq(zaloTokens.oaId, oaId));
    return rows[0];
  }

  function toStatus(row: TokenRow | undefined): TokenStatus {
    if (!row) return { status: 'missing', accessExpiresAt: null, refreshIssuedAt: null, refreshExpiresAtEstimate: null, lastError: null };
    return {
      status: row.status,
      accessExpiresAt: row.accessExpiresAt,
      refreshIssuedAt: row.refreshIssuedAt,
      refreshExpiresAtEstimate: new Date(row.refreshIssuedAt.getTime() + REFRESH_TOKEN_LIFETIME_MS),
      lastError: row.lastError,
    };
  }

  function deadError(row: TokenRow): ZaloGrantDeadError {
    return new ZaloGrantDeadError(`zalo grant for OA ${oaId} is dead: ${row.lastError ?? 'unknown reason'}; an OA admin must reconnect`);
  }

  /** POSTs the OAuth token endpoint; never throws, so the caller can record the outcome in its transaction. */
  async function requestTokens(params: Record<string, string>): Promise<TokenAnswer> {
    const endpoint = 'POST /v4/oa/access_token';
    let status: number;
    let text: string;
    try {
      const response = await doFetch(`${oauthBaseUrl}/v4/oa/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', secret_key: options.appSecret },
        body: new URLSearchParams({ app_id: options.appId, ...params }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (cause) {
      const error = new ZaloApiError(`${endpoint}: no answer (${cause instanceof Error ? cause.name : 'error'})`, {
        endpoint,
        kind: 'transient',
        retryAfterMs: 30_000,
        cause,
      });
      return { kind: 'error', error, summary: error.message };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const ok = ZTokenAnswer.safeParse(json);
    if (ok.success && status < 400) {
      if (!ok.data.expires_in) log.warn('zalo token answer without expires_in; assuming 25 h');
      return {
        kind: 'ok',
        accessToken: ok.data.access_token,
        ...(ok.data.refresh_token ? { refreshToken: ok.data.refresh_token } : {}),
        expiresInSec: ok.data.expires_in ?? DEFAULT_EXPIRES_IN_SEC,
      };
    }
    // The error body carries no secrets (error, error_name, message, ref_doc): keep all of it (§6).
    const err = ZErrorAnswer.safeParse(json);
    const code = err.success ? (err.data.error ?? undefined) : undefined;
    const words = err.success
      ? [err.data.error_name, err.data.error_reason, err.data.error_description, err.data.message].filter((w): w is string => !!w)
      : [];
    const summary = `HTTP ${status}; error ${code ?? 'none'}${words.length ? `: ${words.join(' / ')}` : ''}`.slice(0, 500);
    if ((code !== undefined && DEAD_GRANT_CODES.has(code)) || words.some((w) => DEAD_GRANT_TEXT.test(w))) {
      return { kind: 'dead', code, summary };
    }
    const kind = classifyZaloError(code, status);
    const error = new ZaloApiError(`${endpoint}: ${summary}`, {
      code,
      // An auth-looking refusal of the OAuth call itself cannot be fixed by refreshing again.
      kind: kind === 'auth' ? 'config' : kind,
      httpStatus: status,
      endpoint,
      retryAfterMs: kind === 'transient' ? 30_000 : undefined,
    });
    return { kind: 'error', error, summary };
  }

  function rowValues(pair: { accessToken: string; refreshToken: string; expiresInSec: number }, now: Date) {
    return {
      accessTokenEnc: cipher.encrypt(pair.accessToken, 'access'),
      refreshTokenEnc: cipher.encrypt(pair.refreshToken, 'refresh'),
      accessExpiresAt: new Date(now.getTime() + pair.expiresInSec * 1000),
      refreshIssuedAt: now,
      status: 'ok' as const,
      lastError: null,
      updatedAt: now,
    };
  }

  type RefreshOutcome =
    | { kind: 'current' | 'refreshed'; token: string; expiresAt: number }
    | { kind: 'missing' }
    | { kind: 'dead'; row?: TokenRow; summary?: string }
    | { kind: 'failed'; error: ZaloApiError };

  async function refreshUnderLock(failedToken: string | undefined): Promise<string> {
    // Kept outside the transaction: if the commit fails after Zalo rotated the pair, this is the only copy.
    let fresh: { accessToken: string; refreshToken: string; expiresInSec: number } | undefined;
    let outcome: RefreshOutcome;
    try {
      outcome = await db.transaction(async (tx): Promise<RefreshOutcome> => {
        await tx.execute(sql`select pg_advisory_xact_lock(${lockKey}::bigint)`);
        const row = await readRow(tx);
        if (!row) return { kind: 'missing' };
        if (row.status === 'dead') return { kind: 'dead', row };
        const stored = cipher.decrypt(row.accessTokenEnc, 'access');
        const expiresAt = row.accessExpiresAt.getTime();
        // Someone refreshed while we waited for the lock (their token differs from the refused one), or,
        // on a proactive refresh, the token is not close to expiry after all: nothing to do.
        const stillGood = failedToken !== undefined ? stored !== failedToken : expiresAt - nowMs() >= refreshAheadMs;
        if (stillGood) return { kind: 'current', token: stored, expiresAt };

        const answer = await requestTokens({
          grant_type: 'refresh_token',
          refresh_token: cipher.decrypt(row.refreshTokenEnc, 'refresh'),
        });
        const now = clock.now();
        if (answer.kind === 'ok') {
          if (!answer.refreshToken) log.warn('zalo refresh answer without refresh_token; keeping the previous one');
          fresh = {
            accessToken: answer.accessToken,
            refreshToken: answer.refreshToken ?? cipher.decrypt(row.refreshTokenEnc, 'refresh'),
            expiresInSec: answer.expiresInSec,
          };
          const values = rowValues(fresh, now);
          await tx.update(zaloTokens).set(values).where(eq(zaloTokens.oaId, oaId));
          return { kind: 'refreshed', token: fresh.accessToken, expiresAt: values.accessExpiresAt.getTime() };
        }
        if (answer.kind === 'dead') {
          await tx
            .update(zaloTokens)
            .set({ status: 'dead', lastError: answer.summary, updatedAt: now })
            .where(eq(zaloTokens.oaId, oaId));
          return { kind: 'dead', summary: answer.summary };
        }
        await tx.update(zaloTokens).set({ lastError: answer.summary, updatedAt: now }).where(eq(zaloTokens.oaId, oaId));
        return { kind: 'failed', error: answer.error };
      });
    } catch (error) {
      if (!fresh) throw error;
      // Zalo already rotated the pair: losing it now would kill the grant. Save it outside the lock.
      log.error({ err: error }, 'saving the refreshed zalo tokens failed; retrying without the lock');
      const saved = fresh;
      const values = rowValues(saved, clock.now());
      await db
        .update(zaloTokens)
        .set(values)
        .where(eq(zaloTokens.oaId, oaId))
        .catch((retryError: unknown) => log.error({ err: retryError }, 'zalo tokens kept in memory only; they are lost on restart'));
      cache = { token: saved.accessToken, expiresAt: values.accessExpiresAt.getTime(), readAt: nowMs() };
      return saved.accessToken;
    }

    switch (outcome.kind) {
      case 'current':
      case 'refreshed':
        cache = { token: outcome.token, expiresAt: outcome.expiresAt, readAt: nowMs() };
        if (outcome.kind === 'refreshed') log.info({ accessExpiresAt: new Date(outcome.expiresAt) }, 'zalo access token refreshed');
        return outcome.token;
      case 'missing':
        throw new ZaloTokenMissingError(oaId);
      case 'dead': {
        cache = null;
        if (outcome.row) throw deadError(outcome.row);
        log.error({ lastError: outcome.summary }, 'zalo refresh token is dead; an OA admin must reconnect the OA');
        throw new ZaloGrantDeadError(`zalo grant for OA ${oaId} is dead: ${outcome.summary}; an OA admin must reconnect`);
      }
      case 'failed':
        log.warn({ code: outcome.error.code, kind: outcome.error.kind }, 'zalo token refresh failed');
        throw outcome.error;
    }
  }

  async function refreshAccessToken(failedToken?: string): Promise<string> {
    if (failedToken !== undefined && cache?.token === failedToken) cache = null;
    // Within one process, callers join the refresh already running instead of queueing on the lock;
    // its failure is theirs too (no second OAuth call right after a failed one). Only when it handed
    // back the very token this caller saw refused (a proactive run that found nothing to do) do they
    // run their own.
    for (let current = inflight; current; current = inflight) {
      const token = await current;
      if (token !== failedToken) return token;
      if (inflight === current) break;
    }
    const run = refreshUnderLock(failedToken).finally(() => {
      if (inflight === run) inflight = null;
    });
    inflight = run;
    return run;
  }

  return {
    async seed({ accessToken, refreshToken, expiresInSec }) {
      const inserted = await db
        .insert(zaloTokens)
        .values({ oaId, ...rowValues({ accessToken, refreshToken, expiresInSec }, clock.now()) })
        .onConflictDoNothing({ target: zaloTokens.oaId })
        .returning({ oaId: zaloTokens.oaId });
      if (inserted.length > 0) log.info('zalo tokens seeded');
      return inserted.length > 0;
    },

    async getAccessToken() {
      const now = nowMs();
      if (cache && cache.expiresAt - now >= refreshAheadMs && now - cache.readAt < CACHE_TTL_MS) return cache.token;
      const row = await readRow(db);
      if (!row) throw new ZaloTokenMissingError(oaId);
      if (row.status === 'dead') throw deadError(row);
      const token = cipher.decrypt(row.accessTokenEnc, 'access');
      const expiresAt = row.accessExpiresAt.getTime();
      if (expiresAt - now >= refreshAheadMs) {
        cache = { token, expiresAt, readAt: now };
        return token;
      }
      try {
        return await refreshAccessToken();
      } catch (error) {
        // Refreshing early failed, but the current token still works for a while: use it, retry next call.
        if (error instanceof ZaloGrantDeadError || expiresAt <= nowMs()) throw error;
        log.warn({ accessExpiresAt: row.accessExpiresAt }, 'early zalo token refresh failed; using the current token');
        return token;
      }
    },

    refreshAccessToken,

    async exchangeCode(code, codeVerifier) {
      const outcome = await db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${lockKey}::bigint)`);
        const answer = await requestTokens({
          grant_type: 'authorization_code',
          code,
          ...(codeVerifier ? { code_verifier: codeVerifier } : {}),
        });
        if (answer.kind !== 'ok') return answer;
        if (!answer.refreshToken) {
          const error = new ZaloApiError('POST /v4/oa/access_token: answer without refresh_token', { kind: 'permanent' });
          return { kind: 'error' as const, error, summary: error.message };
        }
        const values = rowValues({ ...answer, refreshToken: answer.refreshToken }, clock.now());
        await tx
          .insert(zaloTokens)
          .values({ oaId, ...values })
          .onConflictDoUpdate({ target: zaloTokens.oaId, set: values });
        return { kind: 'ok' as const, expiresAt: values.accessExpiresAt.getTime() };
      });
      if (outcome.kind === 'dead') {
        throw new ZaloApiError(`zalo refused the authorization code: ${outcome.summary}`, { code: outcome.code, kind: 'permanent' });
      }
      if (outcome.kind === 'error') {
        log.warn({ code: outcome.error.code, lastError: outcome.summary }, 'zalo authorization code exchange failed');
        throw outcome.error;
      }
      cache = null;
      log.info('zalo OA connected (authorization code exchanged)');
      return toStatus(await readRow(db));
    },

    buildConsentUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(`${oauthBaseUrl}/v4/oa/permission`);
      url.searchParams.set('app_id', options.appId);
      url.searchParams.set('redirect_uri', redirectUri);
      if (codeChallenge) url.searchParams.set('code_challenge', codeChallenge);
      url.searchParams.set('state', state);
      return url.toString();
    },

    async getStatus() {
      return toStatus(await readRow(db));
    },
  };
}

/** PKCE pair for the consent URL (S256); ZCA/HER work without it, so it is optional (§6). */
export function createPkcePair(): { codeVerifier: string; codeChallenge: string } {
  const codeVerifier = randomBytes(32).toString('base64url');
  const codeChallenge = createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
  return { codeVerifier, codeChallenge };
}

/**
 * AES-256-GCM with a key derived by scrypt from the configured string. The additional data binds each
 * ciphertext to its OA and column, so a value copied into another row or column fails to decrypt.
 * Format: `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */
export function createTokenCipher(secret: string, oaId: string) {
  if (secret === '') throw new Error('TOKEN_ENCRYPTION_KEY must not be empty');
  const key = scryptSync(secret, 'pakn-desk:zalo-tokens:v1', 32);
  const aad = (column: string) => Buffer.from(`${oaId}:${column}`, 'utf8');
  return {
    encrypt(plain: string, column: string): string {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(aad(column));
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(stored: string, column: string): string {
      const [version, iv, tag, body] = stored.split('.');
      if (version !== 'v1' || iv === undefined || tag === undefined || body === undefined) {
        throw new Error(`zalo token (${column}) is not in a known encrypted format`);
      }
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      d.setAAD(aad(column));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
      } catch {
        // Usually a changed TOKEN_ENCRYPTION_KEY: say so rather than leaking crypto internals.
        throw new Error(`zalo token (${column}) cannot be decrypted; was TOKEN_ENCRYPTION_KEY changed?`);
      }
    },
  };
}

/** A stable signed 64-bit advisory-lock key from a name, as a decimal string for a `::bigint` cast. */
function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest().readBigInt64BE(0).toString();
}
