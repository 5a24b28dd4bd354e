import type { FastifyInstance, FastifyRequest, LogLevel } from 'fastify';
import type { AppDeps } from '../runtime/app.js';
import { httpError } from '../runtime/app.js';
import { markInboundEvent, storeInboundEvent } from './inbound/inbound-events.js';
import { createInboundIntake, type StoredInboundEvent } from './inbound/inbound-intake.js';
import { processInboundBatchJob } from './inbound/process-inbound.job.js';
import { verifyZaloSignature } from './zalo/signature.js';
import { dedupeKeyOf, parseZaloEvent, parseZaloJson, readZaloEvent } from './zalo/webhook.schema.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
    /** The body as parseZaloJson read it (ids kept exact); unset when Fastify's guarded parser read it. */
    zaloBody?: unknown;
  }
}

const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** How long one batch of processing jobs may take to reach the queue before it is left to the scheduler. */
const ENQUEUE_TIMEOUT_MS = 5_000;
const MAX_ENQUEUE_BATCH = 1_000;
const MAX_EVENTS_WAITING_FOR_QUEUE = 50_000;

function headerValue(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The console's "Test" button and the URL-save ping are not always signed; they carry no user event. */
function looksLikePing(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return true;
  const b = body as Record<string, unknown>;
  return !b.event_name && !b.sender && !b.follower && !b.message;
}

export async function registerWebhookRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { config, database, clock, jobs, metrics } = deps;

  if (config.zalo.verifierFile && config.zalo.verifierContent) {
    const file = config.zalo.verifierFile.replace(/^\//, '');
    const content = config.zalo.verifierContent;
    app.get(`/${file}`, async (_req, reply) => reply.type('text/html; charset=utf-8').send(content));
  }

  // The row is the truth and the job only moves it along, so the job is started after the commit and no reply
  // waits for it: if the queue is down or slow, the scheduler's sweep of pending events (bot.part.ts) enqueues
  // what was missed. Ids of committed batches are handed to the queue by one sender at a time, as one job for all
  // that piled up meanwhile (processInboundBatchJob): under load, few large jobs rather than one per event.
  const toEnqueue: StoredInboundEvent[] = [];
  let sending: Promise<void> | undefined;
  let lastEnqueueWarningAt = 0;
  const warnNotEnqueued = (err: unknown, events: StoredInboundEvent[]) => {
    const at = Date.now();
    if (at - lastEnqueueWarningAt < 10_000) return;
    lastEnqueueWarningAt = at;
    app.log.warn(
      { err, inboundEventIds: events.slice(0, 20).map((e) => e.id), count: events.length },
      'inbound events stored but not enqueued; the scheduler will pick them up',
    );
  };
  async function sendToQueue(): Promise<void> {
    while (toEnqueue.length > 0) {
      const events = toEnqueue.splice(0, MAX_ENQUEUE_BATCH);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        jobs.enqueue(
          processInboundBatchJob,
          { events: events.map(({ id, senderId }) => ({ inboundEventId: id, senderId })) },
          { key: `inbound-batch:${events[0]!.id}` },
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS);
        }),
      ])
        .catch((err: unknown) => warnNotEnqueued(err, events))
        .finally(() => clearTimeout(timer));
    }
  }
  const intake = createInboundIntake({
    db: database.db,
    afterCommit: (stored) => {
      // Past this backlog (Redis hanging), stored events are left to the sweep instead of piling up in memory.
      if (toEnqueue.length + stored.length > MAX_EVENTS_WAITING_FOR_QUEUE) return warnNotEnqueued(new Error('enqueue backlog full'), stored);
      toEnqueue.push(...stored);
      startSending();
    },
  });
  function startSending(): void {
    if (sending) return;
    sending = sendToQueue().finally(() => {
      sending = undefined;
      // Events handed over between the sender's last look and now would otherwise wait for the next batch.
      if (toEnqueue.length > 0) startSending();
    });
  }
  // Requests in flight finish before onClose runs; then the last jobs reach the queue before it closes.
  app.addHook('onClose', async () => {
    await intake.flush();
    while (sending) await sending;
  });

  await app.register(async (scope) => {
    const jsonParser = scope.getDefaultJsonParser('error', 'error');
    // The signature covers the exact bytes Zalo sent, so keep them before parsing.
    scope.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (req, body, done) => {
      const raw = body as Buffer;
      req.rawBody = raw;
      if (raw.length === 0) return done(null, {});
      const text = raw.toString('utf8');
      // A body that could carry a prototype-poisoning key goes through Fastify's guarded parser (which refuses it);
      // any other is parsed once, the way the event is read below (ids kept exact), not a second time for it.
      if (text.includes('__proto__') || text.includes('constructor')) return jsonParser(req, text, done);
      try {
        req.zaloBody = parseZaloJson(text);
        done(null, req.zaloBody);
      } catch {
        done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }), undefined);
      }
    });

    // At the production level (info), two log lines per event (~8% of the route's CPU at 2,000 events/s) said
    // nothing the metrics (pakn_webhook_events_total, pakn_http_request_duration_seconds) do not: the route logs
    // from warn up. At debug or trace, asked for on purpose, it logs like every other route.
    const { levelVal, levels } = deps.logger;
    const verbose = levelVal < levels.values.info!;
    // A route's logLevel replaces the app's level, so it may only raise it: a silent or error-only app stays so.
    const logLevel = (levelVal >= levels.values.warn! ? deps.logger.level : 'warn') as LogLevel;
    if (!verbose) {
      // One logger for the route rather than a child per request: creating a child runs the redaction of its
      // bindings (8% of the route's allocations at 5,000 events/s), for a request id only a warning would print.
      const routeLogger = scope.log.child({ route: '/zalo/webhook' }, { level: logLevel });
      scope.setChildLoggerFactory(() => routeLogger);
    }
    scope.post('/zalo/webhook', verbose ? {} : { logLevel }, async (req, reply) => {
      const raw = req.rawBody ?? Buffer.alloc(0);
      const rawText = raw.toString('utf8');
      const signature = headerValue(req, 'x-zevent-signature');

      // A ping carries nothing to store or act on, and the console's test request is not always signed
      // like real events (ZALO.md §2, §8.3): refusing it, signed or not, would block saving the URL.
      if (looksLikePing(req.body)) {
        metrics.webhookEvents.labels('ping').inc();
        return reply.code(200).send({ ok: true, ignored: 'ping' });
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const timestamp = body.timestamp === undefined ? '' : String(body.timestamp);
      const valid =
        signature !== undefined &&
        verifyZaloSignature({ header: signature, appId: config.zalo.appId, rawBody: rawText, timestamp, oaSecretKey: config.zalo.oaSecretKey });
      if (!valid) {
        metrics.webhookEvents.labels('bad_signature').inc();
        return reply.code(401).send(httpError(401, { reason: 'invalid X-ZEvent-Signature' }));
      }

      const parsed = req.zaloBody === undefined ? parseZaloEvent(rawText) : readZaloEvent(req.zaloBody);
      if (!parsed.ok) {
        // Signed by Zalo, but a shape we do not understand (payloads drift, ZALO.md §8.12). Refusing it
        // would make Zalo retry for hours and then disable the webhook: keep it for an operator, answer 200.
        metrics.webhookEvents.labels('malformed').inc();
        req.log.warn({ reason: parsed.error }, 'signed zalo event not understood; kept but not processed');
        // From the raw body, so it may hold anything: PostgreSQL text cannot store NUL.
        const named = typeof body.event_name === 'string' ? body.event_name.replaceAll('\u0000', '').slice(0, 100) : '';
        const eventName = named === '' ? 'unknown' : named;
        const kept = await storeInboundEvent(database.db, { dedupeKey: dedupeKeyOf(rawText), eventName, senderId: null, raw: rawText, receivedAt: clock.now() });
        if (kept.inserted) await markInboundEvent(database.db, kept.id, 'ignored', clock.now());
        return reply.code(200).send({ ok: true, ignored: 'not understood' });
      }
      const event = parsed.event;
      // Durable before the 200: this resolves once the batch holding the event has committed.
      const stored = await intake.store({
        // The parse result carries the envelope: the key is read from it, not from a second parse of the body.
        dedupeKey: dedupeKeyOf(rawText, parsed),
        eventName: event.eventName,
        senderId: 'userId' in event ? (event.userId ?? null) : null,
        raw: rawText,
        receivedAt: clock.now(),
      });
      if (!stored.inserted) {
        metrics.webhookEvents.labels('duplicate').inc();
        return reply.code(200).send({ ok: true, duplicate: true });
      }
      metrics.webhookEvents.labels('stored').inc();
      return reply.code(200).send({ ok: true });
    });
  });
}
