import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

/**
 * Structured JSON logs. Request lines carry no headers, bodies or query strings; the redaction
 * list is a second fence for anything that might be logged by mistake.
 */
export const createLogger = (level: Config['logLevel'], destination?: DestinationStream): Logger =>
  pino(
    {
      level,
      base: { service: 'latchkey' },
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
