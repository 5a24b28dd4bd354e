import { createInterface } from 'node:readline';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../../runtime/db.js';

/**
 * Child process of postgres-restarted.test.ts: opens PAKN's database layer (runtime/db.ts) on the given
 * server and holds a transaction open between two statements, as the outbox relay does while it hands rows
 * to the queue, while the test restarts PostgreSQL. Talks over stdio: prints `in-transaction`, waits for a
 * line, prints how the transaction ended, waits for a line, prints `recovered` once a new query works.
 * A process that dies on the dropped connection never prints the second line.
 */

const url = process.argv[2];
if (!url) throw new Error('usage: transaction-across-restart.ts <postgres url>');

const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
const nextLine = async () => (await lines.next()).value as string | undefined;
const say = (line: string) => process.stdout.write(`${line}\n`);

const database = await openDatabase({ kind: 'pg', url, poolSize: 2 });
const outcome = await database.db
  .transaction(async (tx) => {
    await tx.execute(sql`select 1`);
    say('in-transaction');
    await nextLine();
    await tx.execute(sql`select 1`);
  })
  .then(
    () => 'committed',
    (err: unknown) => `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
  );
say(outcome);
await nextLine();
await database.ping();
await database.db.execute(sql`select 1`);
say('recovered');
await database.close();
input.close();
