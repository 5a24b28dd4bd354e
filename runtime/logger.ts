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

/** Drizzle puts a failed statement's bound values after `params:`; they end the message (and its line in the stack). */
const QUERY_PARAMS_IN_MESSAGE = /\nparams: [\s\S]*$/;
const QUERY_PARAMS_IN_STACK = /\nparams: [\s\S]*?(?=\n\s+at |$)/;

/**
 * pino's error serializer, minus what a failed query carries about the people in it: Drizzle's
 * DrizzleQueryError repeats every bound value (a citizen's phone number, name, message text) in its message,
 * its stack and its `params` property, and any `{ err }` logged by the job runner or an error handler went out
 * with them. The statement itself and the database's reason stay; free text is masked like any other.
 */
export function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown;
  if (out === null || typeof out !== 'object') return out;
  const record = out as Record<string, unknown>;
  if ('params' in record) record.params = '[redacted]';
  if (typeof record.message === 'string') record.message = redactText(record.message.replace(QUERY_PARAMS_IN_MESSAGE, '\nparams: [redacted]'));
  if (typeof record.stack === 'string') record.stack = redactText(record.stack.replace(QUERY_PARAMS_IN_STACK, '\nparams: [redacted]'));
  return record;
}

/** An error's message as it may be stored (e.g. a failed event's `error` column): no bound values, no phone numbers. */
export function storableErrorMessage(err: unknown, max = 500): string {
  const serialized = err instanceof Error ? serializeError(err) : undefined;
  const message = serialized && typeof serialized === 'object' && 'message' in serialized ? String(serialized.message) : redactText(String(err));
  return Array.from(message).slice(0, max).join('');
}

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'pakn-desk' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: {
        err: serializeError,
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
