import { z } from 'zod';

/** An empty string in the environment means "unset", as operators expect from `VAR=` lines. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());
const urlWithDefault = (fallback: string) =>
  z.preprocess((v) => (v === '' || v === undefined ? fallback : v), z.url());

export const ZConfig = z
  .object({
    NODE_ENV: optionalString,
    APP_MODE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['demo', 'production']).optional()),
    ROLE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['all', 'web', 'worker']).default('all')),
    PORT: z.preprocess(
      (v) => (v === '' || v === undefined ? '3000' : v),
      z.string().regex(/^\d+$/, 'phải là số cổng (0–65535)').transform(Number).pipe(z.number().int().min(0).max(65535)),
    ),
    HOST: z.preprocess((v) => (v === '' || v === undefined ? '127.0.0.1' : v), z.string()),
    PUBLIC_BASE_URL: optionalUrl,
    DATA_DIR: z.preprocess((v) => (v === '' || v === undefined ? './data' : v), z.string()),
    DATABASE_URL: optionalUrl,
    REDIS_URL: optionalUrl,
    LOG_LEVEL: z.preprocess((v) => (v === '' || v === undefined ? 'info' : v), z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),

    ZALO_APP_ID: optionalString,
    ZALO_APP_SECRET: optionalString,
    ZALO_OA_SECRET_KEY: optionalString,
    ZALO_OA_ID: optionalString,
    ZALO_ACCESS_TOKEN: optionalString,
    ZALO_REFRESH_TOKEN: optionalString,
    ZALO_API_BASE_URL: urlWithDefault('https://openapi.zalo.me'),
    ZALO_OAUTH_BASE_URL: urlWithDefault('https://oauth.zaloapp.com'),
    ZALO_BUSINESS_API_BASE_URL: urlWithDefault('https://business.openapi.zalo.me'),
    ZALO_VERIFIER_FILE: optionalString,
    ZALO_VERIFIER_CONTENT: optionalString,
    ZALO_RATE_LIMIT_PER_MIN: z.preprocess((v) => (v === '' || v === undefined ? '1200' : v), z.coerce.number().int().positive()),
    TOKEN_ENCRYPTION_KEY: optionalString,

    SMTP_URL: optionalUrl,
    MAIL_FROM: optionalString,
    SESSION_SECRET: optionalString,
  })
  .superRefine((c, ctx) => {
    if (c.APP_MODE !== 'production') return;
    const required: Array<[keyof typeof c, string]> = [
      ['DATABASE_URL', 'bắt buộc ở chế độ production'],
      ['SESSION_SECRET', 'bắt buộc ở chế độ production (ít nhất 32 ký tự)'],
    ];
    for (const [key, message] of required) {
      if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message });
    }
    if (c.SESSION_SECRET && c.SESSION_SECRET.length < 32) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'phải dài ít nhất 32 ký tự' });
    }
    // The sandbox lets anyone speak as any Zalo user, officials included: never in production.
    for (const key of ['ZALO_APP_ID', 'ZALO_APP_SECRET', 'ZALO_OA_SECRET_KEY', 'ZALO_OA_ID', 'TOKEN_ENCRYPTION_KEY'] as const) {
      if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'bắt buộc ở chế độ production (Zalo OA thật, không dùng sandbox)' });
    }
    // `when`: run even when a field failed (zod skips refinements after such issues by default), so one
    // start names every problem: `APP_MODE=production PORT=abc` reports DATABASE_URL and SESSION_SECRET too.
    // Every value read above is a string or undefined whether or not its own field parsed.
  }, { when: () => true });

export type TConfigInput = z.input<typeof ZConfig>;

export interface Config {
  mode: 'demo' | 'production';
  role: 'all' | 'web' | 'worker';
  port: number;
  host: string;
  publicBaseUrl: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  logLevel: string;
  zalo: {
    /** Sandbox mode: no real OA configured; the local fake Zalo stands in for it. */
    sandbox: boolean;
    appId: string;
    appSecret?: string;
    oaSecretKey: string;
    oaId: string;
    accessToken?: string;
    refreshToken?: string;
    apiBaseUrl: string;
    oauthBaseUrl: string;
    businessApiBaseUrl: string;
    verifierFile?: string;
    verifierContent?: string;
    rateLimitPerMinute: number;
  };
  tokenEncryptionKey?: string;
  smtpUrl?: string;
  mailFrom: string;
  sessionSecret?: string;
}

export class ConfigError extends Error {
  constructor(public readonly problems: Array<{ variable: string; message: string }>) {
    super(
      'Cấu hình không hợp lệ / invalid configuration:\n' +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** The sandbox's own credentials: only used when no real Zalo app is configured. */
export const SANDBOX_ZALO = { appId: 'sandbox-app', oaSecretKey: 'sandbox-oa-secret', oaId: 'sandbox-oa' } as const;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ZConfig.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '(config)'), message: i.message })),
    );
  }
  const c = parsed.data;
  // Production is never guessed: an operator says APP_MODE=production and then must give its secrets.
  const mode = c.APP_MODE ?? 'demo';
  const sandbox = !c.ZALO_APP_ID;
  const publicBaseUrl = (c.PUBLIC_BASE_URL ?? `http://${c.HOST === '0.0.0.0' ? '127.0.0.1' : c.HOST}:${c.PORT}`).replace(/\/$/, '');
  return {
    mode,
    role: c.ROLE,
    port: c.PORT,
    host: c.HOST,
    publicBaseUrl,
    dataDir: c.DATA_DIR,
    databaseUrl: c.DATABASE_URL,
    redisUrl: c.REDIS_URL,
    logLevel: c.LOG_LEVEL,
    zalo: {
      sandbox,
      appId: c.ZALO_APP_ID ?? SANDBOX_ZALO.appId,
      appSecret: c.ZALO_APP_SECRET,
      oaSecretKey: c.ZALO_OA_SECRET_KEY ?? SANDBOX_ZALO.oaSecretKey,
      oaId: c.ZALO_OA_ID ?? SANDBOX_ZALO.oaId,
      accessToken: c.ZALO_ACCESS_TOKEN,
      refreshToken: c.ZALO_REFRESH_TOKEN,
      // In sandbox mode the client talks to our own fake Zalo unless a URL was given explicitly.
      apiBaseUrl: sandbox && !env.ZALO_API_BASE_URL ? `${publicBaseUrl}/sandbox/zalo` : c.ZALO_API_BASE_URL.replace(/\/$/, ''),
      oauthBaseUrl: sandbox && !env.ZALO_OAUTH_BASE_URL ? `${publicBaseUrl}/sandbox/oauth` : c.ZALO_OAUTH_BASE_URL.replace(/\/$/, ''),
      businessApiBaseUrl:
        sandbox && !env.ZALO_BUSINESS_API_BASE_URL ? `${publicBaseUrl}/sandbox/business` : c.ZALO_BUSINESS_API_BASE_URL.replace(/\/$/, ''),
      verifierFile: c.ZALO_VERIFIER_FILE,
      verifierContent: c.ZALO_VERIFIER_CONTENT,
      rateLimitPerMinute: c.ZALO_RATE_LIMIT_PER_MIN,
    },
    tokenEncryptionKey: c.TOKEN_ENCRYPTION_KEY,
    smtpUrl: c.SMTP_URL,
    mailFrom: c.MAIL_FROM ?? 'PAKN Desk <pakn@localhost>',
    sessionSecret: c.SESSION_SECRET,
  };
}
