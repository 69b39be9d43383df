/**
 * Structured JSON logs (pino). Every line about a message carries its Call-ID; script lines
 * also carry the script file and version. Levels use pino's names; Kamailio's numeric debug
 * levels are mapped for KSR.get_debug().
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const opts = { level, base: { name: 'polysip' }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(opts, destination) : pino(opts);
}

/** Kamailio's debug numbers: L_ALERT -5 … L_ERR -1, L_WARN 0, L_NOTICE 1, L_INFO 2, L_DBG 3. */
export function kamailioDebugLevel(level: string): number {
  switch (level) {
    case 'trace':
    case 'debug':
      return 3;
    case 'info':
      return 2;
    case 'warn':
      return 0;
    case 'error':
      return -1;
    case 'fatal':
      return -3;
    default:
      return -5;
  }
}
