import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { and, asc, eq, isNotNull } from 'drizzle-orm';
import { z } from 'zod';
import { attachments } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import { defineJob } from '../../runtime/jobs/job.js';
import { detectMediaType } from '../media/detect-media-type.js';

/** Zalo's CDN links expire, so citizens' photos are copied into our storage as soon as a case exists. */
export const fetchAttachmentJob = defineJob({
  name: 'attachment.fetch',
  schema: z.object({ attachmentId: z.number().int().positive() }),
  attempts: 5,
  backoffMs: 5_000,
});

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 15_000;

export type FetchOutcome = 'stored' | 'rejected' | 'skipped';

/**
 * Downloads one pending attachment, checks its real type (by its bytes, not the URL) and size, and
 * stores it under DATA_DIR/attachments/<case>/. Network failures throw so the job retries; a file of
 * the wrong type or size is rejected for good.
 */
export async function fetchAttachment(
  deps: { db: Db; dataDir: string; fetchImpl?: typeof fetch },
  attachmentId: number,
): Promise<FetchOutcome> {
  const [row] = await deps.db.select().from(attachments).where(eq(attachments.id, attachmentId));
  if (!row || row.status !== 'pending' || !row.sourceUrl) return 'skipped';
  const reject = async (error: string): Promise<FetchOutcome> => {
    await deps.db.update(attachments).set({ status: 'rejected', error }).where(eq(attachments.id, row.id));
    return 'rejected';
  };
  const url = new URL(row.sourceUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return reject('unsupported URL scheme');

  const response = await (deps.fetchImpl ?? fetch)(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
  if (response.status === 404 || response.status === 410) return reject(`source answered ${response.status}`);
  if (!response.ok) throw new Error(`attachment source answered ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_ATTACHMENT_BYTES) return reject(`too large (${declared} bytes)`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_ATTACHMENT_BYTES) return reject(`too large (${bytes.length} bytes)`);
  const type = detectMediaType(bytes, row.fileName ?? undefined);
  if (!type) return reject('not an image, PDF or Word document');

  const relative = join('attachments', String(row.caseId ?? 'unlinked'), `${row.id}.${type.extension}`);
  await mkdir(join(deps.dataDir, 'attachments', String(row.caseId ?? 'unlinked')), { recursive: true });
  await writeFile(join(deps.dataDir, relative), bytes);
  await deps.db
    .update(attachments)
    .set({ status: 'stored', storagePath: relative, mime: type.mime, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), error: null })
    .where(eq(attachments.id, row.id));
  return 'stored';
}

export async function findPendingAttachments(db: Db, limit = 100): Promise<Array<{ id: number }>> {
  return db
    .select({ id: attachments.id })
    .from(attachments)
    .where(and(eq(attachments.status, 'pending'), isNotNull(attachments.sourceUrl)))
    .orderBy(asc(attachments.id))
    .limit(limit);
}
