import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The process logger: pino JSON to stdout. Components take `logger.child({ component })`. */
export function createLogger(options: { level: LevelWithSilent; service: string; destination?: pino.DestinationStream }): Logger {
  const opts = { level: options.level, base: { service: options.service }, timestamp: pino.stdTimeFunctions.isoTime };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/**
 * Loggers for several services in one process (the all-in-one), one per service name, all writing to one
 * synchronous stdout destination: their lines come out in the order they were logged (a destination each
 * buffered on its own, and printed `xray-local ready` after `meshray started`).
 */
export function createProcessLoggers(level: LevelWithSilent): (service: string) => Logger {
  const destination = pino.destination({ dest: 1, sync: true });
  return (service) => createLogger({ level, service, destination });
}

/** A logger that writes nothing, for tests and library defaults. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
