import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { messages, outbox } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import { deliverOutboxJob, insertOutbox, outboxJobKey } from '../../runtime/outbox/outbox.js';
import type { JobRunner } from '../../runtime/jobs/job.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Actor } from '../../workflows/cases/actor.js';
import { signalCaseChange } from '../../workflows/cases/case-change-signal.js';
import { checkCommandPermission } from '../../workflows/cases/case-permissions.js';
import type { CaseView } from '../../workflows/cases/case.repo.js';

/** Zalo's consultation (CS) text message carries at most 2,000 characters. */
export const MAX_REPLY_LENGTH = 2000;

/**
 * replyId is minted when the page renders, so pressing "Gửi" twice (or resending the form after a network
 * error) produces one outbox row, not two messages to the citizen.
 */
export const ZReplyForm = z.object({
  text: z.string().trim().min(1).max(MAX_REPLY_LENGTH),
  replyId: z.uuid(),
});
export type TReplyForm = z.infer<typeof ZReplyForm>;

export const REPLY_MESSAGES = {
  queued: 'Đã đưa tin nhắn vào hàng đợi gửi qua Zalo. Trạng thái gửi hiển thị trong dòng thời gian.',
  duplicate: 'Tin nhắn này đã được gửi trước đó.',
  invalid: `Vui lòng nhập nội dung tin nhắn (tối đa ${MAX_REPLY_LENGTH} ký tự).`,
  forbidden: 'Bạn không có quyền nhắn tin cho người gửi của hồ sơ này.',
  noZalo: 'Người gửi không liên hệ qua Zalo nên không thể nhắn tin từ đây.',
} as const;

/**
 * Who may write to the citizen: those the workflows let work the case (request_info's roles and reach) or
 * dispatch it (assign's). The workflows have no "reply" permission yet, so the console borrows theirs rather
 * than inventing one; the status is ignored because a question may come at any step.
 */
export function canReplyToCitizen(actor: Actor, c: CaseView): boolean {
  if (c.contactId === null) return false;
  return checkCommandPermission(actor, 'request_info', c) === null || checkCommandPermission(actor, 'assign', c) === null;
}

export interface ConsoleReplyInput {
  caseId: number;
  contactId: number;
  zaloUserId: string;
  officialId: number;
  text: string;
  replyId: string;
  now: Date;
}

export function replyOutboxKey(caseId: number, replyId: string): string {
  return `console-reply:${caseId}:${replyId}`;
}

/**
 * The outbox row and the timeline's `messages` row in one transaction; the delivery job later moves the
 * message's status along (sent, delivered, failed…). Returns 'duplicate' when this replyId was sent already.
 */
export async function queueConsoleReply(db: Db, input: ConsoleReplyInput): Promise<{ status: 'queued'; outboxId: number } | { status: 'duplicate' }> {
  const key = replyOutboxKey(input.caseId, input.replyId);
  return db.transaction(async (tx) => {
    const inserted = await insertOutbox(
      tx,
      [
        {
          key,
          kind: 'zalo',
          recipient: { contactId: input.contactId, userId: input.zaloUserId },
          data: { messages: [{ type: 'text', text: input.text }] },
          caseId: input.caseId,
        },
      ],
      input.now,
    );
    if (inserted === 0) return { status: 'duplicate' as const };
    const [row] = await tx.select({ id: outbox.id }).from(outbox).where(eq(outbox.key, key));
    if (!row) throw new Error(`outbox row ${key} vanished inside its own transaction`);
    await tx.insert(messages).values({
      caseId: input.caseId,
      contactId: input.contactId,
      officialId: input.officialId,
      zaloUserId: input.zaloUserId,
      direction: 'out',
      channel: 'zalo',
      kind: 'text',
      text: input.text,
      deliveryStatus: 'pending',
      outboxId: row.id,
      at: input.now,
    });
    // Other officials with the case open see the message join the timeline once this commits.
    await signalCaseChange(tx, { caseId: input.caseId, kind: 'message' });
    return { status: 'queued' as const, outboxId: row.id };
  });
}

/**
 * Hands the row to the delivery job at once instead of waiting for the next scheduler tick. Best effort: the
 * tick's relay finds the row anyway, and the job key keeps the two from sending twice.
 */
export async function enqueueReplyDelivery(jobs: JobRunner, outboxId: number, logger: FastifyBaseLogger): Promise<void> {
  try {
    await jobs.enqueue(deliverOutboxJob, { outboxId }, { key: outboxJobKey(outboxId) });
  } catch (err) {
    logger.warn({ err, outboxId }, 'could not enqueue console reply delivery; the scheduler relay will pick it up');
  }
}
