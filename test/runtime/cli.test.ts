import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { officials, units } from '../../db/schema.js';
import { openDatabase, type Database } from '../../runtime/db.js';
import { isTemporaryPasswordHash, verifyPassword } from '../../runtime/password.js';
import { createEmptyPgDatabase, isolatedEnv, runProcess, type EmptyPgDatabase, type ProcessResult } from './support/processes.js';

/** The admin CLI as an operator runs it: `npx tsx runtime/cli.ts …` (what `npm run pakn -- …` runs). */
function pakn(args: string[], env: Record<string, string | undefined> = {}): Promise<ProcessResult> {
  return runProcess('npx', ['tsx', 'runtime/cli.ts', ...args], { env: isolatedEnv(env), timeoutMs: 60_000 });
}

describe('pakn calendar due', () => {
  it('10 working days from Friday 13 Feb 2026 16:00 skip the Tết holiday', async () => {
    const result = await pakn(['calendar', 'due', '2026-02-13T16:00:00+07:00', '10']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('2026-03-06T17:30:00+07:00');
  }, 70_000);

  it('4 working hours', async () => {
    const result = await pakn(['calendar', 'due', '2026-02-13T16:00:00+07:00', '4', 'hours']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('2026-02-23T10:30:00+07:00');
  }, 70_000);

  it('runs the same through `npm run pakn --`', async () => {
    const result = await runProcess('npm', ['run', '--silent', 'pakn', '--', 'calendar', 'due', '2026-02-13T16:00:00+07:00', '10'], {
      env: isolatedEnv(),
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toContain('2026-03-06T17:30:00+07:00');
  }, 70_000);

  it.each([
    [['calendar', 'due', 'tomorrow', '10']],
    [['calendar', 'due', '2026-02-13T16:00:00+07:00', 'ten']],
    [['calendar', 'due', '2026-02-13T16:00:00+07:00', '4', 'weeks']],
    [['calendar', 'due', '2026-02-13T16:00:00', '4']],
    [['calendar', 'next']],
    [['frobnicate']],
    [[]],
  ])('bad input %j exits 2 with the usage', async (args) => {
    const result = await pakn(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: npm run pakn -- <command>');
    expect(result.stdout).toBe('');
  }, 70_000);
});

describe('pakn create-official on PostgreSQL', () => {
  let target: EmptyPgDatabase;
  let database: Database | undefined;

  beforeAll(async () => {
    target = await createEmptyPgDatabase();
  });

  afterAll(async () => {
    await database?.close();
    await target?.drop();
  });

  it('migrates and seeds a fresh database, creates an official, and refuses a duplicate login', async () => {
    const env = { DATABASE_URL: target.url, APP_MODE: 'demo' };
    expect((await pakn(['migrate'], env)).code).toBe(0);
    const seeded = await pakn(['seed'], env);
    expect(seeded.code, seeded.stderr).toBe(0);

    const args = ['create-official', '--login', 'nguyenvana', '--name', 'Nguyễn Văn A', '--unit', '00070', '--role', 'handler', '--role', 'viewer'];
    const created = await pakn([...args, '--email', 'a@hanoi.gov.vn', '--password', 'mat-khau-tam-2026'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('nguyenvana');
    // A password given on the command line is not printed back.
    expect(created.stdout).not.toContain('mat-khau-tam-2026');

    database = await openDatabase({ kind: 'pg', url: target.url });
    const db = database.db;
    const [row] = await db
      .select({ login: officials.login, fullName: officials.fullName, roles: officials.roles, email: officials.email, passwordHash: officials.passwordHash, unitCode: units.code })
      .from(officials)
      .innerJoin(units, eq(units.id, officials.unitId))
      .where(eq(officials.login, 'nguyenvana'));
    expect(row).toMatchObject({ login: 'nguyenvana', fullName: 'Nguyễn Văn A', roles: ['handler', 'viewer'], email: 'a@hanoi.gov.vn', unitCode: '00070' });
    expect(row!.passwordHash).not.toContain('mat-khau-tam-2026');
    expect(await verifyPassword('mat-khau-tam-2026', row!.passwordHash!)).toBe(true);
    // A password the operator chose on the command line is not forced to change at the first login.
    expect(isTemporaryPasswordHash(row!.passwordHash)).toBe(false);

    const duplicate = await pakn([...args, '--name', 'Người Khác'], env);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain('nguyenvana already exists');
    const rows = await db.select({ fullName: officials.fullName }).from(officials).where(eq(officials.login, 'nguyenvana'));
    expect(rows).toEqual([{ fullName: 'Nguyễn Văn A' }]);

    // Without --password a temporary one is generated and shown once.
    const generated = await pakn(['create-official', '--login', 'tranthib', '--name', 'Trần Thị B', '--unit', 'SXD', '--role', 'unit_leader'], env);
    expect(generated.code, generated.stderr).toBe(0);
    const temporary = /Mật khẩu tạm: (\S+)/.exec(generated.stdout)?.[1];
    expect(temporary).toBeDefined();
    const [b] = await db.select({ passwordHash: officials.passwordHash }).from(officials).where(eq(officials.login, 'tranthib'));
    expect(await verifyPassword(temporary!, b!.passwordHash!)).toBe(true);
    // A generated one is handed over like an admin's reset: the console asks for a new one at the first login.
    expect(isTemporaryPasswordHash(b!.passwordHash)).toBe(true);

    const unknownUnit = await pakn(['create-official', '--login', 'lethic', '--name', 'Lê Thị C', '--unit', '99999', '--role', 'handler'], env);
    expect(unknownUnit.code).toBe(2);
    expect(unknownUnit.stderr).toContain('unknown unit code 99999');
  }, 120_000);
});
