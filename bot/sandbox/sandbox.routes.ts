import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DEMO_LOGINS } from '../../db/seeds/seed-demo.js';
import { httpError, type AppDeps, type AppPart } from '../../runtime/app.js';
import { renderChatPage } from './chat-page.js';
import { registerFakeZaloApi } from './fake-zalo-api.js';
import { listMailboxEntries, renderMailboxPage } from './mailbox.js';
import { registerSandboxPageApi } from './page-api.js';
import { SandboxStore } from './sandbox-store.js';

/**
 * The Zalo sandbox: a local fake Zalo so the product is usable with no Zalo account and end-to-end
 * tests can drive it. It serves the fake OA/OAuth/ZBS API the product's Zalo client calls in sandbox
 * mode, a chat page where a person plays a citizen or a demo official, its JSON API, and a mailbox of
 * the e-mails kept in the outbox. State lives in memory; only the mailbox reads the database.
 */

export const SANDBOX_OA_NAME = 'PAKN Hà Nội';

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
/** The only files served from public/: a fixed list, so no path from the URL ever reaches the disk. */
const ASSETS: Record<string, string> = {
  'sandbox.js': 'text/javascript; charset=utf-8',
  'sandbox.css': 'text/css; charset=utf-8',
  'avatar.svg': 'image/svg+xml',
};

/** Media served back to browsers: anything else goes out as a download, never rendered inline. */
const INLINE_MEDIA = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf']);

/** A fresh store holding the demo officials under the Zalo ids db/seeds/seed-demo.ts binds them to (`sandbox-<login>`). */
export function createSandboxStore(now: () => number): SandboxStore {
  const store = new SandboxStore(now);
  for (const official of DEMO_LOGINS) {
    store.createUser({
      userId: `sandbox-${official.login}`,
      displayName: official.fullName,
      kind: 'official',
      label: official.label,
      follower: true,
      pinned: true,
    });
  }
  return store;
}

async function loadAssets(): Promise<Map<string, Buffer>> {
  const entries = await Promise.all(Object.keys(ASSETS).map(async (name) => [name, await readFile(`${PUBLIC_DIR}${name}`)] as const));
  return new Map(entries);
}

function contentDisposition(kind: 'inline' | 'attachment', fileName: string | undefined): string {
  if (!fileName) return kind;
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Builds the sandbox part around a given store; tests may pass their own. */
export function createSandboxPart(options: { store?: SandboxStore; echoes?: boolean } = {}): AppPart {
  return async (app: FastifyInstance, deps: AppDeps) => {
    const { config, clock, database, logger } = deps;
    if (!config.zalo.sandbox) return;
    if (config.mode === 'production') {
      // Anyone reaching /sandbox can speak as any Zalo user id, officials included.
      logger.warn('Zalo sandbox is mounted in production mode because ZALO_APP_ID is unset; set ZALO_APP_ID to use the real OA');
    }
    const store = options.store ?? createSandboxStore(() => clock.now().getTime());
    const assets = await loadAssets();

    // `echoes: true` makes the sandbox behave like a real OA app subscribed to the `oa_send_*` events: every
    // message the OA sends comes back to the webhook as an echo (the delivery reconciliation reads them,
    // bot/delivery/delivery-intent.ts). Off by default: tests replaying transcripts count the stored events.
    const postWebhook =
      options.echoes !== true
        ? undefined
        : (rawBody: string, signature: string) =>
            app.inject({ method: 'POST', url: '/zalo/webhook', headers: { 'content-type': 'application/json', 'x-zevent-signature': signature }, payload: rawBody });
    await registerFakeZaloApi(app, { config, store, ...(postWebhook ? { postWebhook } : {}) });
    await registerSandboxPageApi(app, { config, store, root: app });

    await app.register(async (pages) => {
      pages.get('/sandbox', async (req, reply) => {
        const query = z.object({ user: z.string().max(80).optional() }).safeParse(req.query);
        const selectedUserId = query.success ? query.data.user : undefined;
        return reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(renderChatPage({ users: store.listUsers(), oaName: SANDBOX_OA_NAME, ...(selectedUserId ? { selectedUserId } : {}) }));
      });

      pages.get('/sandbox/assets/:name', async (req, reply) => {
        const { name } = req.params as { name: string };
        const type = ASSETS[name];
        const body = assets.get(name);
        if (!type || !body) return reply.code(404).send(httpError(404));
        return reply.type(type).header('cache-control', 'no-cache').send(body);
      });

      pages.get('/sandbox/media/:id', async (req, reply) => {
        const { id } = req.params as { id: string };
        const media = store.findMedia(id);
        if (!media) return reply.code(404).send(httpError(404));
        const inline = INLINE_MEDIA.has(media.mime);
        return reply
          .type(inline ? media.mime : 'application/octet-stream')
          .header('x-content-type-options', 'nosniff')
          .header('content-disposition', contentDisposition(inline ? 'inline' : 'attachment', media.fileName))
          .header('cache-control', 'private, max-age=3600')
          .send(media.bytes);
      });

      pages.get('/sandbox/mailbox', async (_req, reply) => {
        const entries = await listMailboxEntries(database.db);
        return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(renderMailboxPage(entries));
      });

      pages.get('/sandbox/api/mailbox', async () => ({ mails: await listMailboxEntries(database.db) }));
    });

    logger.info({ url: `${config.publicBaseUrl}/sandbox` }, 'Zalo sandbox mounted');
  };
}

/** The sandbox part: a fresh in-memory Zalo per app. Returns at once when a real Zalo app is configured. */
export const registerSandbox: AppPart = (app, deps) => createSandboxPart()(app, deps);
