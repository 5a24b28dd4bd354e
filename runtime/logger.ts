import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear. Tokens, secrets, passwords and citizens' phone numbers
 * never reach the logs; `redactText` below catches phone numbers inside free text.
 */
export const REDACTED_PATHS = [
  'password',
  'passwordHash',
  '*.password',
  '*.passwordHash',
  'token',
  '*.token',
  'accessToken',
  'refreshToken',
  '*.accessToken',
  '*.refreshToken',
  'access_token',
  'refresh_token',
  '*.access_token',
  '*.refresh_token',
  'secret',
  '*.secret',
  'secret_key',
  '*.secret_key',
  'phone',
  '*.phone',
  '*.*.phone',
  'email',
  '*.email',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-zevent-signature"]',
  'req.headers.access_token',
  'req.headers.secret_key',
  'res.headers["set-cookie"]',
];

const PHONE_IN_TEXT = /(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\d)/g;

/** Masks Vietnamese phone numbers in free text before it is logged. */
export function redactText(text: string): string {
  return text.replace(PHONE_IN_TEXT, '[phone]');
}

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'pakn-desk' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: {
        err: pino.stdSerializers.err,
        req: (req: { method?: string; url?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          // Query strings may carry OAuth codes and tokens.
          url: typeof req.url === 'string' ? req.url.split('?')[0] : req.url,
        }),
      },
    },
    options.destination,
  );
}
