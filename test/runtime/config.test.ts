import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../runtime/config.js';
import { isolatedEnv, runProcess } from './support/processes.js';

/** The variables a ConfigError names, in order. */
function namedVariables(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    // The message an operator reads names each variable too, not only the structured list.
    for (const p of problems) expect((err as ConfigError).message).toContain(`${p.variable}:`);
    return problems.map((p) => p.variable);
  }
  throw new Error('loadConfig accepted the environment');
}

const SECRET_32 = 'x'.repeat(32);
/** A complete real-Zalo configuration, so production tests isolate the variables they are about. */
const REAL_ZALO = {
  ZALO_APP_ID: '1234567890',
  ZALO_APP_SECRET: 'app-secret',
  ZALO_OA_SECRET_KEY: 'oa-secret-key',
  ZALO_OA_ID: '9876543210',
  TOKEN_ENCRYPTION_KEY: 'k'.repeat(32),
};

describe('loadConfig', () => {
  it('runs on defaults with an empty environment: demo, all roles, embedded database, in-process jobs, sandbox Zalo', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: 'demo',
      role: 'all',
      port: 3000,
      host: '127.0.0.1',
      publicBaseUrl: 'http://127.0.0.1:3000',
      dataDir: './data',
      logLevel: 'info',
      mailFrom: 'PAKN Desk <pakn@localhost>',
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.smtpUrl).toBeUndefined();
    expect(config.sessionSecret).toBeUndefined();
    expect(config.zalo).toMatchObject({
      sandbox: true,
      appId: 'sandbox-app',
      oaSecretKey: 'sandbox-oa-secret',
      rateLimitPerMinute: 1200,
      apiBaseUrl: 'http://127.0.0.1:3000/sandbox/zalo',
      oauthBaseUrl: 'http://127.0.0.1:3000/sandbox/oauth',
      businessApiBaseUrl: 'http://127.0.0.1:3000/sandbox/business',
    });
  });

  it('reads the values it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      ROLE: 'worker',
      DATABASE_URL: 'postgres://u:p@db.internal:5432/pakn',
      REDIS_URL: 'redis://cache.internal:6379',
      LOG_LEVEL: 'warn',
      ZALO_RATE_LIMIT_PER_MIN: '600',
    });
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', role: 'worker', logLevel: 'warn', redisUrl: 'redis://cache.internal:6379' });
    // 0.0.0.0 is a bind address, not one a browser can open.
    expect(config.publicBaseUrl).toBe('http://127.0.0.1:8080');
    expect(config.zalo.rateLimitPerMinute).toBe(600);
  });

  it('TRUST_PROXY: a proxy on the same host unless said, else off, all, a hop count or the proxies\' addresses', () => {
    expect(loadConfig({}).trustProxy).toEqual(['loopback']);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.1.2.3' }).trustProxy).toEqual(['loopback', '10.1.2.3']);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => loadConfig({ TRUST_PROXY: 'yes please' })).toThrow(ConfigError);
  });

  it('PORT=abc is a ConfigError naming PORT', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(namedVariables({ PORT: 'abc' })).toEqual(['PORT']);
  });

  it('names every bad variable at once, not only the first', () => {
    const named = namedVariables({
      PORT: '70000',
      ROLE: 'boss',
      APP_MODE: 'prod',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'not a url',
      REDIS_URL: 'redis on the cache box',
      PUBLIC_BASE_URL: 'pakn.example',
      ZALO_RATE_LIMIT_PER_MIN: '-5',
      SMTP_URL: 'mail server',
    });
    expect(new Set(named)).toEqual(
      new Set(['PORT', 'ROLE', 'APP_MODE', 'LOG_LEVEL', 'DATABASE_URL', 'REDIS_URL', 'PUBLIC_BASE_URL', 'ZALO_RATE_LIMIT_PER_MIN', 'SMTP_URL']),
    );
  });

  it('APP_MODE=production without DATABASE_URL and SESSION_SECRET names both', () => {
    expect(namedVariables({ APP_MODE: 'production', ...REAL_ZALO })).toEqual(expect.arrayContaining(['DATABASE_URL', 'SESSION_SECRET']));
    expect(new Set(namedVariables({ APP_MODE: 'production', ...REAL_ZALO }))).toEqual(new Set(['DATABASE_URL', 'SESSION_SECRET']));
    expect(namedVariables({ APP_MODE: 'production', ...REAL_ZALO, DATABASE_URL: 'postgres://db/pakn' })).toEqual(['SESSION_SECRET']);
    expect(namedVariables({ APP_MODE: 'production', ...REAL_ZALO, SESSION_SECRET: SECRET_32 })).toEqual(['DATABASE_URL']);
    expect(namedVariables({ APP_MODE: 'production', ...REAL_ZALO, DATABASE_URL: 'postgres://db/pakn', SESSION_SECRET: 'too-short' })).toEqual(['SESSION_SECRET']);
    const config = loadConfig({ APP_MODE: 'production', ...REAL_ZALO, DATABASE_URL: 'postgres://db/pakn', SESSION_SECRET: SECRET_32 });
    expect(config.mode).toBe('production');
    expect(config.zalo.sandbox).toBe(false);
  });

  it('APP_MODE=production alone names at least the database and the session secret', () => {
    expect(namedVariables({ APP_MODE: 'production' })).toEqual(expect.arrayContaining(['DATABASE_URL', 'SESSION_SECRET']));
  });

  it('names the production requirements together with a malformed value', () => {
    expect(namedVariables({ APP_MODE: 'production', ...REAL_ZALO, PORT: 'abc' })).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'SESSION_SECRET']));
  });

  it('an empty string counts as unset', () => {
    const config = loadConfig({
      PORT: '',
      HOST: '',
      APP_MODE: '',
      ROLE: '',
      DATA_DIR: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      LOG_LEVEL: '',
      PUBLIC_BASE_URL: '',
      ZALO_APP_ID: '',
      ZALO_API_BASE_URL: '',
      ZALO_RATE_LIMIT_PER_MIN: '',
      SMTP_URL: '',
      MAIL_FROM: '',
      SESSION_SECRET: '',
      ZALO_ZBS_TEMPLATE_IDS: '',
    });
    expect(config).toEqual(loadConfig({}));
    // …including where a value is required: empty is reported as missing, not accepted.
    expect(new Set(namedVariables({ APP_MODE: 'production', ...REAL_ZALO, DATABASE_URL: '', SESSION_SECRET: '' }))).toEqual(
      new Set(['DATABASE_URL', 'SESSION_SECRET']),
    );
  });
});

describe('ZALO_ZBS_TEMPLATE_IDS', () => {
  it('unset means no ZBS template', () => {
    expect(loadConfig({}).zalo.zbsTemplates).toEqual({});
  });

  it('reads name=id pairs', () => {
    expect(loadConfig({ ZALO_ZBS_TEMPLATE_IDS: 'case-answered=7895417a7d3f9461cd2e, case-received = 231234;nudge-overdue=ab_cd-1' }).zalo.zbsTemplates).toEqual({
      'case-answered': { templateId: '7895417a7d3f9461cd2e' },
      'case-received': { templateId: '231234' },
      'nudge-overdue': { templateId: 'ab_cd-1' },
    });
  });

  it('reads JSON, with the template’s own parameter names mapped to the notification’s fields', () => {
    const json = JSON.stringify({ 'case-answered': '7895417a7d3f9461cd2e', 'case-received': { id: '231234', params: { ma_phan_anh: 'caseCode', han_xu_ly: 'answerDueDate' } } });
    expect(loadConfig({ ZALO_ZBS_TEMPLATE_IDS: json }).zalo.zbsTemplates).toEqual({
      'case-answered': { templateId: '7895417a7d3f9461cd2e' },
      'case-received': { templateId: '231234', params: { ma_phan_anh: 'caseCode', han_xu_ly: 'answerDueDate' } },
    });
  });

  it('stops the start on a value it cannot use, saying why in Vietnamese', () => {
    const problem = (value: string) => {
      try {
        loadConfig({ ZALO_ZBS_TEMPLATE_IDS: value });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        const [first] = (err as ConfigError).problems;
        expect(first?.variable).toBe('ZALO_ZBS_TEMPLATE_IDS');
        return first?.message;
      }
      throw new Error(`accepted ${value}`);
    };
    expect(problem('case-answerd=123')).toBe('"case-answerd" không phải tên một thông báo (tệp templates/zalo/<tên>.hbs), ví dụ case-answered');
    expect(problem('case-answered')).toContain('không có dạng tên=mã mẫu');
    expect(problem('case-answered=mã mẫu')).toContain('mã mẫu ZBS của "case-answered" không hợp lệ');
    expect(problem('case-answered=1,case-answered=2')).toBe('"case-answered" được khai báo hai lần');
    expect(problem('{"case-answered": 123}')).toContain('mỗi mục phải là');
    expect(problem('{case-answered: 1}')).toContain('JSON không hợp lệ');
    expect(problem('{"case-answered": {"id": "1", "params": {"mã": "caseCode"}}}')).toContain('tham số "mã"');
  });
});

describe('npm start with a bad configuration', () => {
  it('exits non-zero and names PORT on stderr', async () => {
    const result = await runProcess('npx', ['tsx', 'runtime/main.ts'], { env: isolatedEnv({ PORT: 'abc' }), timeoutMs: 30_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain('PORT');
    // It stopped at the configuration: nothing was started or printed as running.
    expect(result.stdout).not.toContain('PAKN Desk đang chạy');
  }, 40_000);

  it('names each variable of several bad values', async () => {
    const result = await runProcess('npx', ['tsx', 'runtime/main.ts'], {
      env: isolatedEnv({ PORT: 'abc', APP_MODE: 'production', LOG_LEVEL: 'loud' }),
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(1);
    for (const variable of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'SESSION_SECRET']) expect(result.stderr).toContain(`${variable}:`);
  }, 40_000);
});
