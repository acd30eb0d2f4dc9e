import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

/**
 * Credentials and stored digests as they could appear inside error text (a driver error quotes the
 * failing statement with its values): prefixed tokens, 43-character base64url secrets, SHA-256
 * hex digests.
 */
const SECRET_TEXT =
  /lk_[a-z]+_[A-Za-z0-9_-]{43}|\b[0-9a-f]{64}\b|(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

export const redactSecretText = (text: string): string => text.replace(SECRET_TEXT, '[redacted]');

/** pino's error serializer, with secret-looking text removed from message and stack. */
const safeError = (error: unknown): unknown => {
  if (!(error instanceof Error)) return error;
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(serialized).map(([key, value]) => [
      key,
      typeof value === 'string' ? redactSecretText(value) : value,
    ]),
  );
};

/**
 * Structured JSON logs. Request lines carry no headers, bodies or query strings; errors are
 * serialized with secret-looking text removed; the redaction list is a last fence for anything
 * logged by mistake.
 */
export const createLogger = (level: Config['logLevel'], destination?: DestinationStream): Logger =>
  pino(
    {
      level,
      base: { service: 'latchkey' },
      serializers: { err: safeError, error: safeError },
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
