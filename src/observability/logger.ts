import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: Level | 'silent';
  /** Human-readable output through pino-pretty (a dev dependency): local runs only. */
  pretty: boolean;
  /** Where JSON lines go; stdout when absent. Ignored when pretty. Tests pass a memory stream. */
  destination?: DestinationStream;
}

/**
 * Paths never written to a log. Wildcards match one level, so the common nestings are listed:
 * request headers, error objects carrying a request, and secrets at the top or one level down.
 */
const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["stripe-signature"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers["stripe-signature"]',
  'stripeSignature',
  'password',
  '*.password',
  '*.*.password',
  'secret',
  '*.secret',
  '*.*.secret',
  'jwtSecret',
  '*.jwtSecret',
  '*.*.jwtSecret',
  'sentinelPassword',
  '*.sentinelPassword',
  '*.*.sentinelPassword',
  'token',
  '*.token',
  'adminPassword',
  '*.adminPassword',
];

/** The root logger; the composition root makes one and passes children (`logger.child({...})`) down. */
export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (options.pretty) {
    // A transport runs in a worker thread, so pino-pretty is only loaded (and only needed) when asked for.
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}
