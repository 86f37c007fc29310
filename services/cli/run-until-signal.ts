/**
 * A signal this soon after the one before is the same signal delivered twice, not a second Ctrl-C: under
 * `npm start` (which execs node) a terminal's Ctrl-C reaches the process from the terminal and again from
 * npm, which forwards the signals it gets to its child (@npmcli/run-script's signal-manager).
 */
export const REPEATED_SIGNAL_MS = 250;

/**
 * Keeps a started service running until SIGTERM/SIGINT, then closes it; resolves with the exit code. A second
 * signal while it closes calls the service's `hurry` when it has one (the all-in-one then skips the rest of
 * its drain and still saves what it holds); without one, or at a third signal, the process exits at once
 * with 130, after the service's `abandon` (the all-in-one writes what it holds synchronously) prints what
 * became of what it held. A signal within REPEATED_SIGNAL_MS of the one before does not count.
 */
export function runUntilSignal(
  service: { close(): Promise<void>; hurry?(): void; abandon?(): string },
  exit: (code: number) => void = (code) => process.exit(code),
  now: () => number = () => performance.now(),
): Promise<number> {
  return new Promise((resolve) => {
    let signals = 0;
    let lastAt = -Infinity;
    const done = (code: number): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(code);
    };
    function onSignal(): void {
      const at = now();
      const repeated = at - lastAt < REPEATED_SIGNAL_MS;
      lastAt = at;
      if (repeated) return;
      signals += 1;
      if (signals === 1) {
        service.close().then(() => done(0), (error: unknown) => {
          process.stderr.write(`meshray: shutdown failed: ${String(error)}\n`);
          done(1);
        });
        return;
      }
      if (signals === 2 && service.hurry !== undefined) {
        process.stderr.write(`meshray: second signal: skipping the rest of the shutdown drain (a third one exits at once${service.abandon ? ', saving what is held first' : ''})\n`);
        service.hurry();
        return;
      }
      if (service.abandon !== undefined) {
        let said: string;
        try {
          said = service.abandon();
        } catch (error) {
          said = `saving what is held failed: ${String(error)}`;
        }
        process.stderr.write(`meshray: exiting at once: ${said}\n`);
      }
      exit(130);
    }
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** What onInterrupt saw: the first signal's name, if any; `dispose` removes its handlers. */
export interface Interrupt {
  readonly signal: string | undefined;
  dispose(): void;
}

/**
 * While a command's bounded work runs (replay, capture): the first SIGINT or SIGTERM calls `stop`, so the work
 * ends as it does on a failure, with its summary and where to resume; a second one exits at once with 130 after
 * `say`ing so. A signal within REPEATED_SIGNAL_MS of the one before does not count (npm forwards Ctrl-C).
 */
export function onInterrupt(
  stop: () => void,
  say: (line: string) => void,
  exit: (code: number) => void = (code) => process.exit(code),
  now: () => number = () => performance.now(),
): Interrupt {
  let signal: string | undefined;
  let lastAt = -Infinity;
  const onSignal = (name: NodeJS.Signals): void => {
    const at = now();
    const repeated = at - lastAt < REPEATED_SIGNAL_MS;
    lastAt = at;
    if (repeated) return;
    if (signal === undefined) {
      signal = name;
      say(`${name}: stopping (a second one exits at once, without the summary)`);
      stop();
      return;
    }
    say(`${name} again: exiting at once`);
    exit(130);
  };
  const onInt = (): void => { onSignal('SIGINT'); };
  const onTerm = (): void => { onSignal('SIGTERM'); };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    get signal() {
      return signal;
    },
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
