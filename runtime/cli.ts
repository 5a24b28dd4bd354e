import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { apiTokens, calendarDays, officials, units } from '../db/schema.js';
import { readCalendarRows } from '../db/seeds/seed-reference.js';
import { addWorkingDays, addWorkingHours, createWorkingCalendar, formatLocalIso, formatVnDateTime, type CalendarDay } from '../workflows/calendar/working-calendar.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { databaseTargetFor, describeTarget, migrateDatabase, openDatabase, type Database } from './db.js';
import { createConsentLink, oauthCallbackUrl } from '../bot/oauth/zalo-consent.js';
import { createZaloConnection } from '../bot/zalo-connection.js';
import { systemClock } from './clock.js';
import { createLogger } from './logger.js';
import { API_SCOPES, generateApiToken, hashApiToken } from '../console/api/api-token-auth.js';
import { hashPassword, hashTemporaryPassword } from './password.js';
import { seedAll } from './seed.js';

const USAGE = `Cách dùng / usage: npm run pakn -- <command>

  migrate                                   apply database migrations
  seed                                      seed reference data (and demo data in demo mode)
  create-official --login L --name "Họ tên" --unit CODE --role ROLE [--role ROLE…]
                  [--email E] [--phone P] [--password P]
                                            create an official (roles: dispatcher, handler, unit_leader, admin, viewer);
                                            without --password a random one is generated and printed
  create-api-token --name NAME --scope SCOPE [--scope SCOPE…] [--official LOGIN]
                                            mint a bearer token for a machine client (scopes: ${API_SCOPES.join(', ')});
                                            the token is printed once, only its SHA-256 is stored
  zalo consent-url                          print a link for the OA admin to (re-)authorise PAKN Desk
  calendar due <start ISO datetime> <n> [days|hours]
                                            the due instant n working days/hours after start, in +07:00`;

class UsageError extends Error {}

async function withDatabase<T>(config: Config, run: (database: Database) => Promise<T>): Promise<T> {
  const target = databaseTargetFor(config);
  const database = await openDatabase(target);
  try {
    await migrateDatabase(database, target);
    return await run(database);
  } finally {
    await database.close();
  }
}

async function loadCalendarDays(config: Config): Promise<CalendarDay[]> {
  // With a server, the admin-edited calendar is the truth. The embedded database may be held open
  // by a running `npm start`, so without DATABASE_URL the shipped calendar is used.
  if (!config.databaseUrl) return readCalendarRows();
  return withDatabase(config, async ({ db }) => {
    const rows = await db.select().from(calendarDays);
    return rows.length > 0 ? rows : readCalendarRows();
  });
}

const ZDueArgs = z.tuple([
  z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'start must be an ISO date-time with offset, e.g. 2026-02-13T16:00:00+07:00',
  }),
  z.coerce.number().int().min(0).max(3650),
  z.enum(['days', 'hours']).default('days'),
]);

async function calendarDue(config: Config, args: string[]): Promise<void> {
  const parsed = ZDueArgs.safeParse([args[0], args[1], args[2] ?? undefined]);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('; '));
  const [startText, n, unit] = parsed.data;
  const calendar = createWorkingCalendar(await loadCalendarDays(config));
  const start = new Date(startText);
  const due = unit === 'hours' ? addWorkingHours(calendar, start, n) : addWorkingDays(calendar, start, n);
  console.log(formatLocalIso(due));
  console.error(`(${n} ${unit === 'hours' ? 'giờ' : 'ngày'} làm việc từ ${formatVnDateTime(start)} → hạn ${formatVnDateTime(due)})`);
}

const ROLES = ['dispatcher', 'handler', 'unit_leader', 'admin', 'viewer'] as const;
const ZOfficialArgs = z.object({
  login: z.string().regex(/^[a-z0-9._-]{3,40}$/, 'login: 3–40 lower-case letters, digits, . _ -'),
  name: z.string().min(2),
  unit: z.string().min(1),
  role: z.array(z.enum(ROLES)).min(1),
  email: z.email().optional(),
  phone: z.string().optional(),
  password: z.string().min(8, 'password: at least 8 characters').optional(),
});

async function createOfficial(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      login: { type: 'string' },
      name: { type: 'string' },
      unit: { type: 'string' },
      role: { type: 'string', multiple: true },
      email: { type: 'string' },
      phone: { type: 'string' },
      password: { type: 'string' },
    },
  });
  const parsed = ZOfficialArgs.safeParse(values);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const input = parsed.data;
  const password = input.password ?? randomBytes(12).toString('base64url');
  await withDatabase(config, async ({ db }) => {
    const [unit] = await db.select({ id: units.id, name: units.name }).from(units).where(eq(units.code, input.unit));
    if (!unit) throw new UsageError(`unknown unit code ${input.unit}`);
    const inserted = await db
      .insert(officials)
      .values({
        unitId: unit.id,
        login: input.login,
        fullName: input.name,
        email: input.email,
        phone: input.phone,
        roles: input.role,
        // A generated password is handed over like an admin's reset: its holder replaces it at the first login.
        passwordHash: input.password ? await hashPassword(password) : await hashTemporaryPassword(password),
      })
      .onConflictDoNothing()
      .returning({ id: officials.id });
    if (inserted.length === 0) throw new UsageError(`login ${input.login} already exists`);
    console.log(`Đã tạo cán bộ ${input.name} (${input.login}) thuộc ${unit.name}, vai trò ${input.role.join(', ')}.`);
    if (!input.password) console.log(`Mật khẩu tạm: ${password} (cán bộ phải đổi ở lần đăng nhập đầu tiên)`);
  });
}

async function printConsentUrl(config: Config): Promise<void> {
  if (config.zalo.sandbox) throw new UsageError('ZALO_APP_ID is not set: the sandbox needs no authorisation');
  await withDatabase(config, async (database) => {
    const { tokens } = createZaloConnection({ config, database, clock: systemClock, logger: createLogger({ level: 'warn' }) });
    if (!tokens) return;
    console.log(await createConsentLink(database.db, tokens, config.publicBaseUrl, new Date()));
    console.error(`Mở đường dẫn trên bằng tài khoản quản trị OA trong 20 phút. Callback: ${oauthCallbackUrl(config.publicBaseUrl)}`);
  });
}

const ZApiTokenArgs = z.object({
  name: z.string({ error: 'required' }).trim().min(2, 'at least 2 characters').max(100),
  scope: z.array(z.enum(API_SCOPES), { error: `at least one of ${API_SCOPES.join(', ')}` }).min(1, `at least one of ${API_SCOPES.join(', ')}`),
  official: z.string().optional(),
});

async function createApiToken(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { name: { type: 'string' }, scope: { type: 'string', multiple: true }, official: { type: 'string' } } });
  const parsed = ZApiTokenArgs.safeParse(values);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `--${String(i.path[0] ?? 'scope')}: ${i.message}`).join('; '));
  const input = parsed.data;
  const token = generateApiToken();
  await withDatabase(config, async ({ db }) => {
    let officialId: number | null = null;
    if (input.official) {
      const [official] = await db.select({ id: officials.id }).from(officials).where(eq(officials.login, input.official));
      if (!official) throw new UsageError(`unknown official login ${input.official}`);
      officialId = official.id;
    }
    await db.insert(apiTokens).values({ name: input.name, tokenHash: hashApiToken(token), scopes: input.scope, officialId });
  });
  console.log(token);
  console.error(`(Mã truy cập "${input.name}", quyền ${input.scope.join(', ')}: chỉ hiển thị một lần, hãy lưu lại ngay.)`);
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case 'migrate':
      await withDatabase(config, async () => undefined);
      console.log(`Migrations applied to ${describeTarget(databaseTargetFor(config))}`);
      return;
    case 'seed':
      await withDatabase(config, ({ db }) => seedAll(db, { demo: config.mode === 'demo' }));
      console.log(`Seeded ${describeTarget(databaseTargetFor(config))} (${config.mode})`);
      return;
    case 'create-official':
      return createOfficial(config, rest);
    case 'create-api-token':
      return createApiToken(config, rest);
    case 'zalo':
      if (rest[0] !== 'consent-url') throw new UsageError('zalo: only "zalo consent-url" is supported');
      return printConsentUrl(config);
    case 'calendar':
      if (rest[0] !== 'due') throw new UsageError('calendar: only "calendar due" is supported');
      return calendarDue(config, rest.slice(1));
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
  }
}

run(process.argv.slice(2)).catch((err) => {
  if (err instanceof UsageError) {
    console.error(`${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
