import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

/**
 * Credentials and stored digests as they could appear in an error message by mistake: prefixed
 * tokens, 43-character base64url secrets, SHA-256 hex digests. A last fence only: nothing that
 * stores secrets hands its errors over with values in them (the PostgreSQL adapter replaces
 * driver errors with codes and names), and no pattern could recognise every secret.
 */
const SECRET_TEXT =
  /lk_[a-z]+_[A-Za-z0-9_-]{43}|\b[0-9a-f]{64}\b|(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

export const redactSecretText = (text: string): string => text.replace(SECRET_TEXT, '[redacted]');

const MAX_CAUSE_DEPTH = 3;

/**
 * An error as logged: its class, message and stack, a string `code`, the `facts` of a storage
 * error, and its `cause` the same way. Nothing else an error carries is copied: libraries attach
 * what they were working on (a driver's statement `parameters`, `detail` quoting a row, `where`),
 * and the log takes only fields known to hold none of that.
 */
const safeError = (error: unknown, depth = 0): unknown => {
  if (!(error instanceof Error)) return error;
  const { code, facts, cause } = error as { code?: unknown; facts?: unknown; cause?: unknown };
  return {
    type: error.constructor.name,
    message: redactSecretText(error.message),
    stack: redactSecretText(error.stack ?? ''),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof facts === 'object' && facts !== null ? { facts } : {}),
    ...(cause !== undefined && depth < MAX_CAUSE_DEPTH ? { cause: safeError(cause, depth + 1) } : {}),
  };
};

/**
 * Structured JSON logs. Request lines carry no headers, bodies or query strings; errors are
 * logged field by field (`safeError`); the redaction list is a last fence for anything logged by
 * mistake.
 */
export const createLogger = (level: Config['logLevel'], destination?: DestinationStream): Logger =>
  pino(
    {
      level,
      base: { service: 'latchkey' },
      serializers: { err: (e: unknown) => safeError(e), error: (e: unknown) => safeError(e) },
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'session_token',
          '*.session_token',
          'client_secret',
          '*.client_secret',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'headers.cookie',
          '*.headers.authorization',
          '*.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
