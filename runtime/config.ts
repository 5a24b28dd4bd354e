import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TEMPLATES_DIR } from './templates.js';

/** An empty string in the environment means "unset", as operators expect from `VAR=` lines. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());
const urlWithDefault = (fallback: string) =>
  z.preprocess((v) => (v === '' || v === undefined ? fallback : v), z.url());

/**
 * An approved ZBS template (Zalo Business Solutions, ZALO.md §5.1) for one of our notifications. `params` maps the
 * template's parameter names to the notification's fields; without it every text or number field of the
 * notification is sent under its own name (caseCode, statusLabel, answerDueDate…).
 */
export interface ZbsTemplate {
  templateId: string;
  params?: Record<string, string>;
}

const NOTIFICATION_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const ZBS_TEMPLATE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ZBS_PARAM_NAME = /^[A-Za-z0-9_]{1,64}$/;
const NOTIFICATION_FIELD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

const ZZbsTemplateJson = z.record(
  z.string(),
  z.union([z.string(), z.object({ id: z.string(), params: z.record(z.string(), z.string()).optional() }).strict()]),
);

/**
 * ZALO_ZBS_TEMPLATE_IDS: `case-answered=7895417a7d3f9461cd2e,case-received=…`, or JSON
 * `{"case-answered": "7895…"}` / `{"case-answered": {"id": "7895…", "params": {"ma_phan_anh": "caseCode"}}}`.
 * A name is a notification's template (a file templates/zalo/<name>.hbs), so a typo stops the start.
 */
export function parseZbsTemplateIds(text: string): { ok: true; value: Record<string, ZbsTemplate> } | { ok: false; message: string } {
  const trimmed = text.trim();
  const entries: Array<[string, ZbsTemplate]> = [];
  if (trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      return { ok: false, message: 'JSON không hợp lệ; ví dụ {"case-answered": "7895417a7d3f9461cd2e"}' };
    }
    const parsed = ZZbsTemplateJson.safeParse(json);
    if (!parsed.success) return { ok: false, message: 'mỗi mục phải là "tên": "mã mẫu" hoặc "tên": {"id": "mã mẫu", "params": {"tham_so": "trường"}}' };
    for (const [name, v] of Object.entries(parsed.data)) entries.push([name.trim(), typeof v === 'string' ? { templateId: v.trim() } : { templateId: v.id.trim(), ...(v.params ? { params: v.params } : {}) }]);
  } else {
    for (const part of trimmed.split(/[,;\n]/).map((p) => p.trim()).filter((p) => p !== '')) {
      const eq = part.indexOf('=');
      if (eq <= 0) return { ok: false, message: `"${part}" không có dạng tên=mã mẫu, ví dụ case-answered=7895417a7d3f9461cd2e` };
      entries.push([part.slice(0, eq).trim(), { templateId: part.slice(eq + 1).trim() }]);
    }
  }
  const value: Record<string, ZbsTemplate> = {};
  for (const [name, template] of entries) {
    if (!NOTIFICATION_NAME.test(name) || !existsSync(join(TEMPLATES_DIR, 'zalo', `${name}.hbs`))) {
      return { ok: false, message: `"${name}" không phải tên một thông báo (tệp templates/zalo/<tên>.hbs), ví dụ case-answered` };
    }
    if (value[name]) return { ok: false, message: `"${name}" được khai báo hai lần` };
    if (!ZBS_TEMPLATE_ID.test(template.templateId)) return { ok: false, message: `mã mẫu ZBS của "${name}" không hợp lệ (chữ, số, "-", "_", tối đa 64 ký tự)` };
    for (const [param, field] of Object.entries(template.params ?? {})) {
      if (!ZBS_PARAM_NAME.test(param) || !NOTIFICATION_FIELD.test(field)) {
        return { ok: false, message: `tham số "${param}": "${field}" của "${name}" không hợp lệ (tên tham số gồm chữ, số, "_"; giá trị là tên trường của thông báo)` };
      }
    }
    value[name] = template;
  }
  return { ok: true, value };
}

const zbsTemplateIds = z.preprocess(
  (v) => (v === '' || v === undefined ? undefined : v),
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return {};
      const parsed = parseZbsTemplateIds(text);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    }),
);

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
    TRUST_PROXY: z.preprocess(
      (v) => (v === '' || v === undefined ? 'loopback' : v),
      z
        .string()
        .regex(
          /^(true|false|\d{1,2}|(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+))*)$/,
          'phải là true, false, số proxy phía trước (ví dụ 1), loopback hoặc danh sách địa chỉ/CIDR của proxy',
        )
        .transform((v): boolean | number | string[] => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v.split(',').map((a) => a.trim()))),
    ),
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
    ZALO_ZBS_TEMPLATE_IDS: zbsTemplateIds,
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
  /**
   * Which X-Forwarded-For hops to believe (client address and protocol for login limits, secure cookies, logs).
   * Default: a proxy on the same host only (nginx in front), so a client connecting directly cannot choose its
   * address with the header.
   */
  trustProxy: boolean | number | string[];
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
    /** Approved ZBS templates by notification name; none configured = outside the window, e-mail or a flag. */
    zbsTemplates: Record<string, ZbsTemplate>;
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
    trustProxy: c.TRUST_PROXY,
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
      zbsTemplates: c.ZALO_ZBS_TEMPLATE_IDS,
    },
    tokenEncryptionKey: c.TOKEN_ENCRYPTION_KEY,
    smtpUrl: c.SMTP_URL,
    mailFrom: c.MAIL_FROM ?? 'PAKN Desk <pakn@localhost>',
    sessionSecret: c.SESSION_SECRET,
  };
}
