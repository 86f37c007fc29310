/**
 * Before `meshray stack` stops the translators of a broker it is about to delete: what they have not committed yet
 * (spans answered 202 and still in their assembly window, ASSEMBLY_IDLE 5.5 s by default, or in an export) would be
 * deleted with the broker. A newcomer trial lost the spans of a demo stopped with Ctrl-C right after it, without a
 * word. The stack waits until the translators' consumer group has committed every record of the span topic (a
 * translator commits only what X-Ray accepted or the dead-letter topic took), bounded.
 */
import type { Admin } from 'kafkajs';
import { createKafka, describeKafkaError } from '../../../../shared/edge/kafka/client.ts';

/** Records of `topic` that `groupId` has not committed: Σ over partitions of high watermark − max(committed, low). */
export async function uncommittedRecords(admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>, topic: string, groupId: string): Promise<number> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const committedOf = new Map((committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  let left = 0;
  for (const { partition, high, low } of ends) {
    const from = Math.max(committedOf.get(partition) ?? -1, Number(low));
    left += Math.max(0, Number(high) - from);
  }
  return left;
}

/** What a bounded wait resolves with once its bound or a second Ctrl-C ends it. */
const ENDED = Symbol('ended');

export interface DrainOptions {
  readonly brokers: string;
  readonly topic: string;
  readonly groupId: string;
  /** Longest wait, ms. */
  readonly timeoutMs: number;
  /** Between two looks, ms. */
  readonly intervalMs?: number;
  /** Resolves when the wait is to end at once (a second Ctrl-C). */
  readonly skip: Promise<unknown>;
  readonly say: (line: string) => void;
}

/**
 * Waits until `groupId` has committed every record of `topic` on the stack's own (plaintext) broker, `timeoutMs` at
 * most, saying what it waits for and what it leaves. Resolves with the records left uncommitted (0: nothing lost),
 * or undefined when the broker could not be asked.
 */
export async function drainTranslators(o: DrainOptions): Promise<number | undefined> {
  // A broker that hangs or died at stop time must not hold the stop past the bound or a second Ctrl-C: every
  // Kafka call races them (a review found a stop that waited 67 s, the client's retries, with a bound of 35 s).
  const admin = createKafka({ brokers: o.brokers.split(','), clientId: 'meshray-stack-drain', logLevel: 'nothing', requestTimeoutMs: 5000, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 } }).admin();
  let timer: NodeJS.Timeout | undefined;
  const ended: Promise<typeof ENDED> = Promise.race([o.skip, new Promise((resolve) => { timer = setTimeout(resolve, o.timeoutMs); })]).then(() => ENDED);
  const bounded = <T>(work: Promise<T>): Promise<T | typeof ENDED> => Promise.race([work, ended]);
  let left: number | undefined;
  try {
    const first = await bounded(admin.connect().then(() => uncommittedRecords(admin, o.topic, o.groupId)));
    if (first === ENDED) {
      o.say('the broker did not say what the translators committed in time: stopping them now (what they hold is deleted with the broker)');
      return undefined;
    }
    left = first;
    if (left === 0) return 0;
    // what to do about it, while the broker is still up (newcomer trial: the stop said only what it would delete)
    o.say(`waiting for the translators to export and commit ${left} record(s) of ${o.topic} before the broker is deleted (at most ${Math.round(o.timeoutMs / 1000)} s; Ctrl-C again ends the wait). To keep the topic's spans, run now in another terminal, and let it finish before this wait ends (no second Ctrl-C): meshray capture --brokers ${o.brokers} --topic ${o.topic} --all --format ndjson --output spans.ndjson (meshray send spans.ndjson sends them again)`);
    for (;;) {
      if ((await bounded(new Promise((resolve) => setTimeout(resolve, o.intervalMs ?? 250)))) === ENDED) break;
      const now = await bounded(uncommittedRecords(admin, o.topic, o.groupId));
      if (now === ENDED) break;
      left = now;
      if (left === 0) return 0;
    }
    o.say(`${left} record(s) of ${o.topic} were not committed by the translators and are deleted with the broker`);
    return left;
  } catch (e) {
    o.say(`could not ask the broker what the translators committed (${describeKafkaError(e)}): stopping them now`);
    return left;
  } finally {
    clearTimeout(timer);
    void admin.disconnect().catch(() => undefined);
  }
}
