import type { AppDeps } from '../runtime/app.js';
import { createRateLimiter } from './zalo/rate-limiter.js';
import { createZaloClient, type ZaloClient } from './zalo/api-client.js';
import { createTokenStore, type TokenStore } from './zalo/token-store.js';

export interface ZaloConnection {
  client: ZaloClient;
  /** Absent in sandbox mode, where the fake Zalo accepts any token. */
  tokens?: TokenStore;
}

const SANDBOX_TOKEN = 'sandbox-access-token';
/** Demo-only key: a real deployment must set TOKEN_ENCRYPTION_KEY (the config refuses production without it). */
const DEMO_TOKEN_KEY = 'pakn-demo-token-key-not-for-production';

/** One client per process: its limiter is the process's share of the global Zalo quota. */
export function createZaloConnection(deps: Pick<AppDeps, 'config' | 'database' | 'clock' | 'logger'>): ZaloConnection {
  const { config, database, clock, logger } = deps;
  const limiter = createRateLimiter({ perMinute: config.zalo.rateLimitPerMinute });
  if (config.zalo.sandbox) {
    const client = createZaloClient({
      apiBaseUrl: config.zalo.apiBaseUrl,
      businessApiBaseUrl: config.zalo.businessApiBaseUrl,
      getAccessToken: async () => SANDBOX_TOKEN,
      refreshAccessToken: async () => SANDBOX_TOKEN,
      limiter,
      logger,
    });
    return { client };
  }
  const tokens = createTokenStore({
    db: database.db,
    oaId: config.zalo.oaId,
    appId: config.zalo.appId,
    appSecret: config.zalo.appSecret ?? '',
    oauthBaseUrl: config.zalo.oauthBaseUrl,
    encryptionKey: config.tokenEncryptionKey ?? DEMO_TOKEN_KEY,
    clock,
    logger,
  });
  const client = createZaloClient({
    apiBaseUrl: config.zalo.apiBaseUrl,
    businessApiBaseUrl: config.zalo.businessApiBaseUrl,
    getAccessToken: () => tokens.getAccessToken(),
    refreshAccessToken: (failed) => tokens.refreshAccessToken(failed),
    limiter,
    logger,
  });
  return { client, tokens };
}
