import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { settings } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import { createPkcePair, type TokenStore } from '../zalo/token-store.js';

/** A consent link is good for the 10 minutes Zalo gives the returned code, plus time to click it. */
const CONSENT_TTL_MS = 20 * 60_000;
const ZPending = z.object({ codeVerifier: z.string(), expiresAt: z.string() });

export function oauthCallbackUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl}/zalo/oauth/callback`;
}

/** Starts an OA (re-)authorisation: the state and PKCE verifier wait in the database for the callback. */
export async function createConsentLink(db: Db, tokens: TokenStore, publicBaseUrl: string, now: Date): Promise<string> {
  const state = randomBytes(16).toString('hex');
  const { codeVerifier, codeChallenge } = createPkcePair();
  await db.insert(settings).values({
    key: `zalo-oauth:${state}`,
    value: { codeVerifier, expiresAt: new Date(now.getTime() + CONSENT_TTL_MS).toISOString() },
    updatedAt: now,
  });
  return tokens.buildConsentUrl({ redirectUri: oauthCallbackUrl(publicBaseUrl), state, codeChallenge });
}

/** Takes the pending consent for `state` once; an unknown, used or expired state yields nothing. */
export async function takePendingConsent(db: Db, state: string, now: Date): Promise<{ codeVerifier: string } | undefined> {
  const rows = await db.delete(settings).where(eq(settings.key, `zalo-oauth:${state}`)).returning();
  const parsed = ZPending.safeParse(rows[0]?.value);
  if (!parsed.success || new Date(parsed.data.expiresAt) <= now) return undefined;
  return { codeVerifier: parsed.data.codeVerifier };
}
