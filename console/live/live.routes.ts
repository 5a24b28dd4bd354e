import type { FastifyInstance, Session } from 'fastify';
import type { AppDeps } from '../../runtime/app.js';
import { findConsoleOfficial, type ConsoleOfficial } from '../auth/official-auth.repo.js';
import { mayUseConsole } from '../auth/session-auth.js';
import { requireOfficial, toActor } from '../page-renderer.js';
import type { DbSessionStore } from '../session-store.js';
import type { CaseChangeHub, LiveMessage, LiveSubscriber } from './case-change-hub.js';

/**
 * GET /console/live: Server-Sent Events for the inbox and the case page. The session authenticates it like any
 * console page; the hub decides what each official hears. Every heartbeat also re-reads the session and the
 * official, so a logout, an expired session or a deactivated account ends the stream within one period.
 */

export const LIVE_PATH = '/console/live';
/** Proxies and load balancers close connections idle for 60 s or more; a comment line keeps this one busy. */
export const DEFAULT_LIVE_HEARTBEAT_MS = 25_000;
/** Tabs of one browser session; HTTP/1.1 browsers allow 6 connections per host, pages need the rest. */
export const DEFAULT_LIVE_STREAMS_PER_SESSION = 4;
/** Per process: beyond this the console still works, without live updates. */
export const DEFAULT_LIVE_STREAMS_PER_PROCESS = 2_000;
/** How long a browser waits before reconnecting after the stream ends (server restart, heartbeat logout). */
const RECONNECT_MS = 5_000;
/** A client this far behind is not reading; it is dropped rather than buffered without end. */
const MAX_BUFFERED_BYTES = 256 * 1024;

export const LIVE_MESSAGES = {
  tooManyStreams: 'Đã mở quá nhiều thẻ theo dõi cập nhật trong phiên đăng nhập này. Các thẻ khác vẫn dùng được, nhưng không tự cập nhật.',
  unavailable: 'Tạm thời không nhận được cập nhật tự động. Vui lòng tải lại trang sau ít phút.',
} as const;

export interface LiveRouteOptions {
  deps: AppDeps;
  hub: CaseChangeHub;
  sessionStore: DbSessionStore;
  heartbeatMs?: number;
  maxStreamsPerSession?: number;
  maxStreamsPerProcess?: number;
}

/** One SSE frame: the JSON has no raw newlines, so one data line carries it. */
export function formatSseMessage(message: LiveMessage | { event: 'ready'; data: Record<string, never> }): string {
  return `event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

export async function registerLiveRoutes(scope: FastifyInstance, options: LiveRouteOptions): Promise<void> {
  const { deps, hub, sessionStore } = options;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_LIVE_HEARTBEAT_MS;
  const maxPerSession = options.maxStreamsPerSession ?? DEFAULT_LIVE_STREAMS_PER_SESSION;
  const maxPerProcess = options.maxStreamsPerProcess ?? DEFAULT_LIVE_STREAMS_PER_PROCESS;
  const db = deps.database.db;

  const streamsBySession = new Map<string, number>();
  const openStreams = new Set<() => void>();

  const readSession = (sessionId: string) =>
    new Promise<Session | null | undefined>((resolve) => {
      // undefined: the store could not answer (database hiccup); the stream is kept and checked next time.
      sessionStore.get(sessionId, (err, session) => resolve(err ? undefined : (session ?? null)));
    });

  /** The official as they are now, null when they may no longer be here, undefined when unknown. */
  async function recheck(sessionId: string, officialId: number): Promise<ConsoleOfficial | null | undefined> {
    try {
      const session = await readSession(sessionId);
      if (session === undefined) return undefined;
      if (!session || session.officialId !== officialId) return null;
      const official = await findConsoleOfficial(db, officialId);
      return official && mayUseConsole(official, deps.config) ? official : null;
    } catch {
      return undefined;
    }
  }

  // app.close() waits for open connections; a live stream never finishes by itself.
  scope.addHook('preClose', async () => {
    for (const end of [...openStreams]) end();
  });
  scope.addHook('onClose', async () => {
    await hub.close();
  });

  scope.get('/live', async (req, reply) => {
    const official = requireOfficial(req);
    const sessionId = req.session.sessionId;
    const count = streamsBySession.get(sessionId) ?? 0;
    if (count >= maxPerSession) {
      return reply.code(429).header('retry-after', '60').header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(LIVE_MESSAGES.tooManyStreams);
    }
    if (openStreams.size >= maxPerProcess) {
      return reply.code(503).header('retry-after', '60').header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(LIVE_MESSAGES.unavailable);
    }
    streamsBySession.set(sessionId, count + 1);

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      // no-transform: a compressing proxy would hold events back until its buffer fills.
      'cache-control': 'no-cache, no-store, no-transform',
      // nginx buffers proxied responses unless told not to.
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });

    let ended = false;
    let unsubscribe: (() => void) | null = null;
    const write = (chunk: string) => {
      if (ended || raw.destroyed) return;
      raw.write(chunk);
      if (raw.writableLength > MAX_BUFFERED_BYTES) {
        req.log.warn({ officialId: official.id }, 'live stream client too slow; closing it');
        end();
      }
    };
    const subscriber: LiveSubscriber = { actor: toActor(official), send: (m) => write(formatSseMessage(m)) };

    const heartbeat = setInterval(() => {
      write(': ping\n\n');
      void recheck(sessionId, official.id).then((now) => {
        if (now === null) end();
        else if (now) subscriber.actor = toActor(now);
      });
    }, heartbeatMs);
    heartbeat.unref();

    function cleanup() {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe?.();
      openStreams.delete(end);
      const left = (streamsBySession.get(sessionId) ?? 1) - 1;
      if (left <= 0) streamsBySession.delete(sessionId);
      else streamsBySession.set(sessionId, left);
    }
    function end() {
      const wasOpen = !ended;
      cleanup();
      if (wasOpen && !raw.destroyed) raw.end();
    }
    openStreams.add(end);
    raw.on('close', cleanup);

    write(`retry: ${RECONNECT_MS}\n\n`);
    try {
      const stop = await hub.subscribe(subscriber);
      if (ended) stop();
      else unsubscribe = stop;
    } catch (err) {
      req.log.error({ err }, 'live updates unavailable: the database listener could not start');
      end();
      return;
    }
    // The page knows from here on that a committed change will reach it.
    write(formatSseMessage({ event: 'ready', data: {} }));
  });
}
