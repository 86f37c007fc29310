import type { Logger } from '../log/index.ts';
import { fullJitterDelayMs, type BackoffPolicy } from '../resilience/backoff.ts';
import { sleepMs, type Sleep } from '../resilience/clock.ts';
import { describeKafkaError } from './client.ts';
import { TopicAbsentError } from './topics.ts';

/** Client retries for the attempts' own Kafka client (`createKafkaFromConfig(config, logger, KAFKA_START_RETRY)`): ~1 s, then our backoff. */
export const KAFKA_START_RETRY = { retries: 2 } as const;

/** Backoff between attempts to reach Kafka at start: full jitter, 500 ms doubling up to 30 s. */
export const KAFKA_START_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

export interface UntilKafkaAnswersOptions {
  /** The bootstrap brokers, named in the log line. */
  readonly brokers: readonly string[];
  /** What the attempt does, for the log lines (`span topic`, `dead-letter topic`). */
  readonly what: string;
  readonly logger: Logger;
  /** Errors that retrying cannot fix (e.g. a topic with the wrong partition count): rethrown at once. */
  readonly isPermanent?: (error: unknown) => boolean;
  /** Called with the one-line reason while Kafka does not answer, and with undefined once it does (readiness). */
  readonly onProblem?: (problem: string | undefined) => void;
  /** Stops retrying: the promise then resolves with undefined. */
  readonly signal?: AbortSignal;
  readonly policy?: BackoffPolicy;
  readonly random?: () => number;
  readonly sleep?: Sleep;
}

/**
 * Runs `attempt` (e.g. ensureTopics) until it succeeds, with full-jitter backoff between tries, so a
 * service that starts before Kafka, or while it is down, waits for it instead of dying with kafkajs's
 * stack. Logs one warn line with the brokers and the cause on the first failure (later failures with
 * the same cause go to debug, a new cause gets a new warn line) and one info line once Kafka answers.
 * Resolves with the attempt's value, or undefined when `signal` aborted the wait.
 */
export async function untilKafkaAnswers<T>(attempt: () => Promise<T>, options: UntilKafkaAnswersOptions): Promise<T | undefined> {
  const log = options.logger.child({ component: 'kafka' });
  const policy = options.policy ?? KAFKA_START_BACKOFF;
  const sleep = options.sleep ?? sleepMs;
  const random = options.random ?? Math.random;
  const brokers = options.brokers.join(',');
  let failures = 0;
  let lastCause: string | undefined;
  for (;;) {
    if (options.signal?.aborted) return undefined;
    try {
      const value = await attempt();
      if (options.signal?.aborted) return undefined;
      if (failures > 0) log.info({ brokers, attempts: failures + 1 }, `Kafka answers: ${options.what} ready`);
      options.onProblem?.(undefined);
      return value;
    } catch (error) {
      if (options.signal?.aborted) return undefined;
      if (options.isPermanent?.(error)) throw error;
      failures++;
      const cause = describeKafkaError(error);
      const delayMs = fullJitterDelayMs(failures, policy, random);
      // Kafka answers but lacks a topic another service creates: say so, not "unreachable"
      const line = error instanceof TopicAbsentError
        ? `Kafka at ${brokers} answers, but ${error.message}; waiting for it, retrying with backoff`
        : `Kafka unreachable at ${brokers} (${options.what}): ${cause}; retrying with backoff`;
      if (cause !== lastCause) log.warn({ brokers, cause }, line);
      else log.debug({ brokers, cause, attempt: failures, delayMs }, line);
      lastCause = cause;
      options.onProblem?.(error instanceof TopicAbsentError ? `Kafka at ${brokers}: ${error.message}` : `Kafka unreachable at ${brokers}: ${cause}`);
      await abortableSleep(sleep, delayMs, options.signal);
    }
  }
}

function abortableSleep(sleep: Sleep, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => { signal.removeEventListener('abort', done); resolve(); };
    signal.addEventListener('abort', done, { once: true });
    void sleep(ms).then(done);
  });
}
