import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiTokens } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';

/**
 * Bearer tokens for machine clients (`Authorization: Bearer pakn_…`). Only the SHA-256 hex of a token is
 * stored (api_tokens.token_hash): a token has 256 random bits, so a plain hash is enough and a leaked table
 * gives nothing to replay. A token acts as the official it is linked to, with that official's unit scope.
 */

export const API_TOKEN_PREFIX = 'pakn_';

/** Scopes a token can hold; a route asks for exactly one. */
export const API_SCOPES = ['cases:read', 'cases:write', 'reports:write', 'indicators:read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const API_SCOPE_LABELS: Record<ApiScope, string> = {
  'cases:read': 'Đọc hồ sơ (trong phạm vi của cán bộ)',
  'cases:write': 'Thao tác trên hồ sơ (trong phạm vi của cán bộ)',
  'reports:write': 'Nộp báo cáo định kỳ',
  'indicators:read': 'Đọc chỉ tiêu thống kê',
};

export interface ApiTokenIdentity {
  tokenId: number;
  name: string;
  /** The official whose roles and unit scope the token acts with; null for tokens that serve no official. */
  officialId: number | null;
  scopes: string[];
}

export type ApiTokenAuthResult =
  | { ok: true; token: ApiTokenIdentity }
  /** 401: no token, unknown or revoked; 403: a valid token without the scope. */
  | { ok: false; status: 401 | 403; error: 'missing_token' | 'invalid_token' | 'insufficient_scope' };

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateApiToken(): string {
  return `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750). */
export function readBearerToken(authorizationHeader: string | undefined): string | null {
  if (!authorizationHeader) return null;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]{16,200})\s*$/i.exec(authorizationHeader);
  return match?.[1] ?? null;
}

/** Finds the live token of the header and checks it holds `scope`; records when it was last used. */
export async function authenticateApiToken(
  db: Db,
  authorizationHeader: string | undefined,
  scope: string,
  now: Date = new Date(),
): Promise<ApiTokenAuthResult> {
  const token = readBearerToken(authorizationHeader);
  if (!token) return { ok: false, status: 401, error: 'missing_token' };
  const [row] = await db
    .select({ id: apiTokens.id, name: apiTokens.name, officialId: apiTokens.officialId, scopes: apiTokens.scopes })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashApiToken(token)), isNull(apiTokens.revokedAt)));
  if (!row) return { ok: false, status: 401, error: 'invalid_token' };
  if (!row.scopes.includes(scope)) return { ok: false, status: 403, error: 'insufficient_scope' };
  await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  return { ok: true, token: { tokenId: row.id, name: row.name, officialId: row.officialId, scopes: row.scopes } };
}

export const API_TOKEN_MESSAGES: Record<Exclude<ApiTokenAuthResult, { ok: true }>['error'], string> = {
  missing_token: 'Thiếu mã truy cập (tiêu đề Authorization: Bearer …).',
  invalid_token: 'Mã truy cập không hợp lệ hoặc đã bị thu hồi.',
  insufficient_scope: 'Mã truy cập không có quyền thực hiện thao tác này.',
};

/** Sends the 401/403 of a refused token, with the RFC 6750 challenge on 401. */
export function sendApiTokenRefusal(reply: FastifyReply, refusal: Exclude<ApiTokenAuthResult, { ok: true }>): FastifyReply {
  if (refusal.status === 401) {
    reply.header('www-authenticate', `Bearer realm="pakn", error="${refusal.error === 'missing_token' ? 'invalid_request' : 'invalid_token'}"`);
  }
  return reply.code(refusal.status).send({ error: refusal.error, message: API_TOKEN_MESSAGES[refusal.error] });
}

/** The token a preHandler accepted, per request; a WeakMap rather than a request decorator, so routes opt in. */
const acceptedTokens = new WeakMap<FastifyRequest, ApiTokenIdentity>();

/** preHandler for a machine route: refuses without a live token holding `scope`, else remembers the token. */
export function requireApiToken(db: Db, scope: string, clock: { now(): Date } = { now: () => new Date() }) {
  return async function checkApiToken(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const auth = await authenticateApiToken(db, req.headers.authorization, scope, clock.now());
    if (!auth.ok) return sendApiTokenRefusal(reply, auth);
    acceptedTokens.set(req, auth.token);
    return undefined;
  };
}

/** The token requireApiToken accepted for this request. */
export function apiTokenOf(req: FastifyRequest): ApiTokenIdentity {
  const token = acceptedTokens.get(req);
  if (!token) throw new Error('apiTokenOf called on a route without requireApiToken');
  return token;
}
