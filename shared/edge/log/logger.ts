import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The process logger: pino JSON to stdout. Components take `logger.child({ component })`. */
export function createLogger(options: { level: LevelWithSilent; service: string; destination?: pino.DestinationStream }): Logger {
  const opts = { level: options.level, base: { service: options.service }, timestamp: pino.stdTimeFunctions.isoTime };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A logger that writes nothing, for tests and library defaults. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
