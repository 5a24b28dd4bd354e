import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const CSRF_FIELD = '_csrf';
/** For the few requests small scripts might send without a form body. */
export const CSRF_HEADER = 'x-csrf-token';

const STATE_CHANGING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The session's synchronizer token, created on first use; the same token serves every form of the session. */
export function ensureCsrfToken(req: FastifyRequest): string {
  if (!req.session) throw new Error('ensureCsrfToken called outside the console session scope');
  if (!req.session.csrfToken) req.session.csrfToken = randomBytes(32).toString('base64url');
  return req.session.csrfToken;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function isCsrfTokenValid(expected: string | undefined, given: unknown): boolean {
  if (typeof expected !== 'string' || expected === '' || typeof given !== 'string' || given === '') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readSubmittedToken(req: FastifyRequest): unknown {
  const body = req.body;
  if (body && typeof body === 'object' && CSRF_FIELD in body) return (body as Record<string, unknown>)[CSRF_FIELD];
  return req.headers[CSRF_HEADER];
}

/**
 * preHandler for the console scope: every POST/PUT/PATCH/DELETE must carry the session's token. The login
 * form is included, so a third-party page cannot log a browser into an account of the attacker's choosing.
 */
export function createCsrfGuard(onRejected: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) {
  return async function checkCsrf(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!STATE_CHANGING_METHODS.has(req.method)) return;
    if (isCsrfTokenValid(req.session?.csrfToken, readSubmittedToken(req))) return;
    req.log.info({ url: req.url.split('?')[0] }, 'csrf token missing or wrong');
    return onRejected(req, reply);
  };
}
