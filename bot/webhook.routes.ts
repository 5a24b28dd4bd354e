import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../runtime/app.js';
import { httpError } from '../runtime/app.js';
import { markInboundEvent, storeInboundEvent } from './inbound/inbound-events.js';
import { processInboundEventJob } from './inbound/process-inbound.job.js';
import { verifyZaloSignature } from './zalo/signature.js';
import { dedupeKeyOf, parseZaloEvent } from './zalo/webhook.schema.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** Zalo wants its 200 within about 2 s; a queue that does not answer must not hold the reply. */
const ENQUEUE_TIMEOUT_MS = 500;

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

  await app.register(async (scope) => {
    const jsonParser = scope.getDefaultJsonParser('error', 'error');
    // The signature covers the exact bytes Zalo sent, so keep them before parsing.
    scope.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (req, body, done) => {
      const raw = body as Buffer;
      req.rawBody = raw;
      if (raw.length === 0) return done(null, {});
      jsonParser(req, raw.toString('utf8'), done);
    });

    scope.post('/zalo/webhook', async (req, reply) => {
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

      const parsed = parseZaloEvent(rawText);
      if (!parsed.ok) {
        // Signed by Zalo, but a shape we do not understand (payloads drift, ZALO.md §8.12). Refusing it
        // would make Zalo retry for hours and then disable the webhook: keep it for an operator, answer 200.
        metrics.webhookEvents.labels('malformed').inc();
        req.log.warn({ reason: parsed.error }, 'signed zalo event not understood; kept but not processed');
        const eventName = typeof body.event_name === 'string' && body.event_name !== '' ? body.event_name.slice(0, 100) : 'unknown';
        const kept = await storeInboundEvent(database.db, { dedupeKey: dedupeKeyOf(rawText), eventName, senderId: null, raw: rawText, receivedAt: clock.now() });
        if (kept.inserted) await markInboundEvent(database.db, kept.id, 'ignored', clock.now());
        return reply.code(200).send({ ok: true, ignored: 'not understood' });
      }
      const event = parsed.event;
      const stored = await storeInboundEvent(database.db, {
        dedupeKey: dedupeKeyOf(rawText, event),
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
      // Stored is enough to answer: if the queue is down, the scheduler re-enqueues pending events later.
      let enqueueTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        jobs.enqueue(processInboundEventJob, { inboundEventId: stored.id }, { key: `inbound:${stored.id}` }),
        new Promise((_, reject) => {
          enqueueTimer = setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS);
        }),
      ])
        .catch((err: unknown) => req.log.warn({ err, inboundEventId: stored.id }, 'inbound event stored but not enqueued; will be retried'))
        .finally(() => clearTimeout(enqueueTimer));
      return reply.code(200).send({ ok: true });
    });
  });
}
