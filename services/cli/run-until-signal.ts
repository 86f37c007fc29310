/**
 * A signal this soon after the one before is the same signal delivered twice, not a second Ctrl-C: under
 * `npm start` (which execs node) a terminal's Ctrl-C reaches the process from the terminal and again from
 * npm, which forwards the signals it gets to its child (@npmcli/run-script's signal-manager).
 */
export const REPEATED_SIGNAL_MS = 250;

/**
 * The signals that stop a service or a command: Ctrl-C (SIGINT), `kill`/docker/k8s (SIGTERM), and a closed
 * terminal or a dropped SSH session (SIGHUP), whose default action killed the process at once: the all-in-one
 * lost the spans it held (answered 202), and `meshray stack` left its broker and services running.
 */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const ignore = (): void => undefined;

/**
 * After SIGHUP the terminal is gone: writes to stdout and stderr fail (EIO, EPIPE) and an unheard 'error' would
 * end the process mid-shutdown. Output errors are ignored from then on: there is no one left to read them.
 */
let outputErrorsIgnored = false;

export function outputMayBeGone(signal: NodeJS.Signals): void {
  if (signal !== 'SIGHUP' || outputErrorsIgnored) return;
  outputErrorsIgnored = true;
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
}

/**
 * Keeps a started service running until a STOP_SIGNALS signal (SIGINT, SIGTERM, SIGHUP), then closes it; resolves with the exit code. A second
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
    const listeners = STOP_SIGNALS.map((name) => [name, () => onSignal(name)] as const);
    const done = (code: number): void => {
      for (const [name, listener] of listeners) process.off(name, listener);
      resolve(code);
    };
    function onSignal(signal: NodeJS.Signals): void {
      outputMayBeGone(signal);
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
    for (const [name, listener] of listeners) process.on(name, listener);
  });
}

/** What onInterrupt saw: the first signal's name, if any; `dispose` removes its handlers. */
export interface Interrupt {
  readonly signal: string | undefined;
  dispose(): void;
}

/**
 * While a command's bounded work runs (replay, capture): the first SIGINT, SIGTERM or SIGHUP calls `stop`, so the work
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
    outputMayBeGone(name);
    if (signal === undefined) {
      signal = name;
      say(`${name}: stopping (a second one exits at once, without the summary)`);
      stop();
      return;
    }
    say(`${name} again: exiting at once`);
    exit(130);
  };
  const listeners = STOP_SIGNALS.map((name) => [name, () => onSignal(name)] as const);
  for (const [name, listener] of listeners) process.on(name, listener);
  return {
    get signal() {
      return signal;
    },
    dispose() {
      for (const [name, listener] of listeners) process.off(name, listener);
    },
  };
}
