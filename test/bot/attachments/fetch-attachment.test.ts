import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAttachment, findPendingAttachments } from '../../../bot/attachments/fetch-attachment.js';
import { attachments } from '../../../db/schema.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

describe('fetching citizens attachments into storage', () => {
  let database: TestDatabase;
  let server: Server;
  let base: string;
  let dataDir: string;
  let failOnce = true;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    dataDir = mkdtempSync(join(tmpdir(), 'pakn-att-'));
    server = createServer((req, res) => {
      if (req.url === '/photo.png') return res.end(PNG);
      if (req.url === '/flaky.png') {
        if (failOnce) {
          failOnce = false;
          res.statusCode = 503;
          return res.end();
        }
        return res.end(PNG);
      }
      if (req.url === '/script.png') return res.end('<script>alert(1)</script>');
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.close();
    await database?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function addAttachment(url: string) {
    const [row] = await database.db.insert(attachments).values({ caseId: 7, kind: 'image', sourceUrl: url, status: 'pending' }).returning();
    return row!;
  }

  it('stores a real image with its checked type, size and hash', async () => {
    const row = await addAttachment(`${base}/photo.png`);
    expect(await findPendingAttachments(database.db)).toContainEqual({ id: row.id });
    expect(await fetchAttachment({ db: database.db, dataDir }, row.id)).toBe('stored');
    const [stored] = await database.db.select().from(attachments).where(eq(attachments.id, row.id));
    expect(stored).toMatchObject({ status: 'stored', mime: 'image/png', size: PNG.length, storagePath: `attachments/7/${row.id}.png` });
    expect(readFileSync(join(dataDir, stored!.storagePath!))).toEqual(PNG);
    expect(await fetchAttachment({ db: database.db, dataDir }, row.id)).toBe('skipped');
  });

  it('rejects bytes that are not an image or document, whatever the URL says', async () => {
    const row = await addAttachment(`${base}/script.png`);
    expect(await fetchAttachment({ db: database.db, dataDir }, row.id)).toBe('rejected');
    const [stored] = await database.db.select().from(attachments).where(eq(attachments.id, row.id));
    expect(stored).toMatchObject({ status: 'rejected', storagePath: null });
  });

  it('throws on a passing server error so the job retries, then stores', async () => {
    const row = await addAttachment(`${base}/flaky.png`);
    await expect(fetchAttachment({ db: database.db, dataDir }, row.id)).rejects.toThrow(/503/);
    expect(await fetchAttachment({ db: database.db, dataDir }, row.id)).toBe('stored');
  });

  it('gives up on a link that is gone', async () => {
    const row = await addAttachment(`${base}/missing.png`);
    expect(await fetchAttachment({ db: database.db, dataDir }, row.id)).toBe('rejected');
  });
});
