import { and, eq, isNotNull, lt } from 'drizzle-orm';
import { conversations, inboundEvents } from '../db/schema.js';
import type { AppDeps } from '../runtime/app.js';
import { DEFAULT_JOB_BACKOFF_MS } from '../runtime/jobs/job.js';
import { insertOutbox, kickOutbox, relayOutbox } from '../runtime/outbox/outbox.js';
import type { OutboxDispatch, ProductPart } from '../runtime/start.js';
import { sharedTemplateRenderer } from '../runtime/templates.js';
import { createOfficialLinker } from './assistant/link-official-command.js';
import { createOfficialAssistant } from './assistant/official-assistant.js';
import { fetchAttachment, fetchAttachmentJob, findPendingAttachments } from './attachments/fetch-attachment.js';
import { caseGateway } from './case-gateway.js';
import { registerOauthRoutes } from './oauth/oauth.routes.js';
import { handleZaloEvent, replyOutboxKey, type ConversationDeps } from './conversation/engine.js';
import { createNotifySender } from './delivery/notify-sender.js';
import { createZaloSender } from './delivery/zalo-sender.js';
import { createZbsSender } from './delivery/zbs-sender.js';
import { findStalledInboundEvents, markInboundEvent, processPendingEventsOfSender } from './inbound/inbound-events.js';
import { processInboundBatchJob, processInboundEventJob, type TProcessInboundBatchPayload, type TProcessInboundEventPayload } from './inbound/process-inbound.job.js';
import { singleFlightWithTrailingRun } from './inbound/single-flight.js';
import { createReferenceCache } from './reference-cache.js';
import { registerSandbox } from './sandbox/sandbox.routes.js';
import { registerWebhookRoutes } from './webhook.routes.js';
import { parseZaloEvent } from './zalo/webhook.schema.js';
import { createZaloConnection } from './zalo-connection.js';

/** Events not enqueued (queue down at intake) are picked up by the scheduler after this long. */
const STALLED_AFTER_MS = 60_000;

function createConversationDeps(deps: AppDeps): ConversationDeps {
  const officialAssistant = createOfficialAssistant();
  return {
    templates: sharedTemplateRenderer(deps.database.db, deps.logger),
    cases: caseGateway,
    loadReference: createReferenceCache(),
    officialAssistant,
    linkOfficial: createOfficialLinker({ assistant: officialAssistant }),
  };
}

/**
 * Handles every pending event of the event's sender, then pushes the replies out at once: delivered right here
 * when `outbox` is given (the worker's path: no hand-over to a delivery job on the way to the citizen), and
 * whatever else is due through `relay`, which hands the due outbox rows to the delivery jobs (the job handler
 * passes one shared by the process's jobs, see botPart.jobs).
 */
export async function processInboundEvent(
  deps: AppDeps,
  conversation: ConversationDeps,
  job: TProcessInboundEventPayload,
  relay: () => Promise<unknown> = () => relayOutbox(deps.database.db, deps.jobs, deps.clock.now()),
  outbox?: OutboxDispatch,
): Promise<number[]> {
  const { database, clock } = deps;
  const db = database.db;
  // The webhook puts the sender in the job: no need to read the row first (one query less per message).
  let senderId = job.senderId;
  if (senderId === undefined) {
    const [row] = await db.select().from(inboundEvents).where(eq(inboundEvents.id, job.inboundEventId));
    if (!row || row.status === 'done' || row.status === 'ignored') return [];
    senderId = row.senderId;
  }
  if (!senderId) {
    await markInboundEvent(db, job.inboundEventId, 'ignored', clock.now());
    return [job.inboundEventId];
  }
  // Replies use the admin's current texts (edited in the console, possibly in another process).
  await conversation.templates.refresh();
  // Attachments to fetch appear only when a case with photos or files is submitted: only then is it worth a query.
  let photosSubmitted = false;
  const noticingPhotos: ConversationDeps = {
    ...conversation,
    cases: {
      ...conversation.cases,
      submit: (tx, input) => {
        if (input.intake.photos.length > 0) photosSubmitted = true;
        return conversation.cases.submit(tx, input);
      },
    },
  };
  const handled = await processPendingEventsOfSender(
    db,
    senderId,
    async (tx, event) => {
      const parsed = parseZaloEvent(event.raw);
      if (!parsed.ok) return 'ignored';
      return handleZaloEvent(noticingPhotos, tx, { inboundEventId: event.id, event: parsed.event, now: clock.now() });
    },
    () => clock.now(),
  );
  // Nothing handled (another job got there first, or the event failed): nothing new to send.
  if (handled.length === 0) return handled;
  // Claimed before the relay, so the relay leaves them alone; sent after it, so what they wait for is on its way.
  const replies = await outbox?.claimForDelivery(handled.map(replyOutboxKey));
  if (!replies || replies.othersDue) await relay();
  await replies?.deliver();
  if (photosSubmitted) await enqueuePendingAttachments(deps);
  return handled;
}

/** Users whose events of one batch are handled at once (each holds a connection while its events are handled). */
const BATCH_USERS_AT_ONCE = 16;

/**
 * The events of one committed webhook batch (processInboundBatchJob): each user's in order, one after the other,
 * several users at once. Handling a user's event handles all their pending events, so the later events of that
 * user in the batch are usually done by then and skipped. An event whose handling fails is retried on its own as a
 * zalo.event job, after that job's backoff and with its attempts; the batch is not run again for it.
 */
export async function processInboundBatch(
  deps: AppDeps,
  events: TProcessInboundBatchPayload['events'],
  handleEvent: (payload: TProcessInboundEventPayload) => Promise<number[]>,
): Promise<void> {
  const byUser = new Map<string, TProcessInboundEventPayload[]>();
  const ofNoUser: TProcessInboundEventPayload[][] = [];
  for (const event of events) {
    // Events of no user are each their own group: nothing orders them.
    if (event.senderId === null) ofNoUser.push([event]);
    else byUser.set(event.senderId, [...(byUser.get(event.senderId) ?? []), event]);
  }
  const failed: TProcessInboundEventPayload[] = [];
  const groups = [...byUser.values(), ...ofNoUser];
  const handleGroup = async (group: TProcessInboundEventPayload[]) => {
    const done = new Set<number>();
    for (const event of group) {
      if (done.has(event.inboundEventId)) continue;
      try {
        for (const id of await handleEvent(event)) done.add(id);
      } catch (err) {
        deps.logger.warn({ err, inboundEventId: event.inboundEventId }, 'inbound event failed in its batch; retried on its own');
        failed.push(event);
      }
    }
  };
  const lanes = Array.from({ length: Math.min(BATCH_USERS_AT_ONCE, groups.length) }, async () => {
    for (let group = groups.shift(); group; group = groups.shift()) await handleGroup(group);
  });
  await Promise.all(lanes);
  await deps.jobs.enqueueMany(
    processInboundEventJob,
    failed.map((event) => ({ payload: event, options: { key: `inbound:${event.inboundEventId}`, delayMs: processInboundEventJob.backoffMs ?? DEFAULT_JOB_BACKOFF_MS } })),
  );
}

async function enqueuePendingAttachments(deps: AppDeps): Promise<void> {
  const pending = await findPendingAttachments(deps.database.db);
  await deps.jobs.enqueueMany(
    fetchAttachmentJob,
    pending.map((a) => ({ payload: { attachmentId: a.id }, options: { key: `attachment:${a.id}` } })),
  );
}

/** Dialogs idle for 24 h end with a message, so a citizen is never left with a half-filled form. */
async function expireIdleDialogs(deps: AppDeps, now: Date): Promise<void> {
  const db = deps.database.db;
  const expired = await db
    .select({ zaloUserId: conversations.zaloUserId, expiresAt: conversations.expiresAt })
    .from(conversations)
    .where(and(isNotNull(conversations.dialog), lt(conversations.expiresAt, now)))
    .limit(200);
  if (expired.length === 0) return;
  const templates = sharedTemplateRenderer(db, deps.logger);
  await templates.refresh();
  for (const c of expired) {
    await db.transaction(async (tx) => {
      await tx
        .update(conversations)
        .set({ dialog: null, step: null, state: {}, expiresAt: null, updatedAt: now })
        .where(and(eq(conversations.zaloUserId, c.zaloUserId), isNotNull(conversations.dialog)));
      await insertOutbox(
        tx,
        [
          {
            key: `dialog-expired:${c.zaloUserId}:${c.expiresAt?.getTime() ?? 0}`,
            kind: 'zalo',
            recipient: { userId: c.zaloUserId },
            data: { messages: [{ type: 'text', text: templates.render('zalo/dialog-expired', {}) }] },
          },
        ],
        now,
      );
    });
  }
  await relayOutbox(db, deps.jobs, now);
}

export const botPart: ProductPart = {
  name: 'bot',
  http: async (app, deps) => {
    await registerWebhookRoutes(app, deps);
    if (deps.config.zalo.sandbox) await registerSandbox(app, deps);
    const { tokens } = createZaloConnection(deps);
    if (tokens) await registerOauthRoutes(app, deps, tokens);
  },
  jobs: (jobs, deps, outbox) => {
    const conversation = createConversationDeps(deps);
    // One hand-over at a time for the process's event jobs, without row locks (kickOutbox): a burst of 50
    // messages finishing together made 50 overlapping relays, each locking and re-enqueueing every due row, and
    // the deliveries waited for their locks.
    const relay = singleFlightWithTrailingRun(() => kickOutbox(deps.database.db, deps.jobs, deps.clock.now()));
    const handleEvent = (payload: TProcessInboundEventPayload) => processInboundEvent(deps, conversation, payload, relay, outbox);
    jobs.register(processInboundEventJob, async (payload) => void (await handleEvent(payload)));
    jobs.register(processInboundBatchJob, ({ events }) => processInboundBatch(deps, events, handleEvent));
    jobs.register(fetchAttachmentJob, async ({ attachmentId }) => {
      const outcome = await fetchAttachment({ db: deps.database.db, dataDir: deps.config.dataDir }, attachmentId);
      if (outcome === 'rejected') deps.logger.warn({ attachmentId }, 'attachment rejected');
    });
  },
  tick: async (deps, now) => {
    const stalled = await findStalledInboundEvents(deps.database.db, new Date(now.getTime() - STALLED_AFTER_MS));
    await deps.jobs.enqueueMany(
      processInboundEventJob,
      stalled.map((e) => ({ payload: { inboundEventId: e.id }, options: { key: `inbound:${e.id}` } })),
    );
    await expireIdleDialogs(deps, now);
    await enqueuePendingAttachments(deps);
  },
  senders: (deps) => {
    const connection = createZaloConnection(deps);
    const { accessToken, refreshToken } = deps.config.zalo;
    if (connection.tokens && accessToken && refreshToken) {
      // The first pair from the environment; ignored once the store holds one (it rotates on refresh).
      connection.tokens.seed({ accessToken, refreshToken, expiresInSec: 3_600 }).catch((err: unknown) => deps.logger.error({ err }, 'could not seed Zalo tokens'));
    }
    const db = deps.database.db;
    const templates = sharedTemplateRenderer(db, deps.logger);
    return {
      zalo: createZaloSender({ db, client: connection.client, clock: deps.clock, logger: deps.logger }),
      zbs: createZbsSender({ db, client: connection.client, clock: deps.clock }),
      notify: createNotifySender({ db, clock: deps.clock, config: deps.config, templates, kick: async () => void (await relayOutbox(db, deps.jobs, deps.clock.now())) }),
    };
  },
};
