import { writeSync } from 'node:fs';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Write errors of an output whose reader is gone (a closed terminal, a closed pipe): nothing is left to read the log. */
const CLOSED_OUTPUT = new Set(['EPIPE', 'EIO', 'EBADF']);

/** Ignores CLOSED_OUTPUT errors (the process goes on with its shutdown); rethrows any other. */
export function ignoreClosedOutput(error: NodeJS.ErrnoException): void {
  if (!CLOSED_OUTPUT.has(error.code ?? '')) throw error;
}

const noop = (): void => undefined;

/**
 * `destination` that stops writing once its output is closed (CLOSED_OUTPUT), as pino does itself for EPIPE only:
 * a closed terminal gives EIO, and the line it failed to write was retried every 100 ms for ever by the flush at
 * exit (sonic-boom `flushSync`), so a service stopped cleanly never exited (found by a diff review).
 */
/** The stdout destinations made here, each with what silences it. */
const stdoutSilencers = new Set<() => void>();
let exitProbe = false;

/**
 * A write still in flight when the process exits has not failed yet: before pino's flush at exit (registered after
 * this listener), an empty write tells whether stdout is gone (a hung-up terminal answers EIO even to that).
 */
function probeStdoutAtExit(): void {
  if (exitProbe) return;
  exitProbe = true;
  process.prependListener('exit', () => {
    try {
      writeSync(1, '');
    } catch (error) {
      if (CLOSED_OUTPUT.has((error as NodeJS.ErrnoException).code ?? '')) for (const silence of stdoutSilencers) silence();
    }
  });
}

function silencedWhenClosed<D extends pino.DestinationStream & NodeJS.EventEmitter>(destination: D): D {
  const silence = (): void => { Object.assign(destination, { write: () => true, flushSync: noop, flush: noop, end: noop }); };
  destination.on('error', (error: NodeJS.ErrnoException) => {
    ignoreClosedOutput(error);
    silence();
  });
  stdoutSilencers.add(silence);
  probeStdoutAtExit();
  return destination;
}

/** The process logger: pino JSON to stdout. Components take `logger.child({ component })`. */
export function createLogger(options: { level: LevelWithSilent; service: string; destination?: pino.DestinationStream }): Logger {
  const opts = { level: options.level, base: { service: options.service }, timestamp: pino.stdTimeFunctions.isoTime };
  if (options.destination) return pino(opts, options.destination);
  // pino's own default (asynchronous stdout), with closed-output errors ignored: pino itself filters only EPIPE.
  return pino(opts, silencedWhenClosed(pino.destination({ dest: 1, sync: false })));
}

/**
 * Loggers for several services in one process (the all-in-one), one per service name, all writing to one
 * synchronous stdout destination: their lines come out in the order they were logged (a destination each
 * buffered on its own, and printed `xray-local ready` after `meshray started`).
 */
export function createProcessLoggers(level: LevelWithSilent): (service: string) => Logger {
  const destination = silencedWhenClosed(pino.destination({ dest: 1, sync: true }));
  return (service) => createLogger({ level, service, destination });
}

/** A logger that writes nothing, for tests and library defaults. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
