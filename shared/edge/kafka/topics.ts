import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  /**
   * Whether an existing topic must have `numPartitions` (default true: the span topic's keying depends on
   * it). False for topics whose partition count does not matter, e.g. the dead-letter topic.
   */
  readonly partitionsMustMatch?: boolean;
  /** Topic-level configs, e.g. `{ 'retention.ms': '86400000' }`. */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface EnsureTopicsOptions {
  /** How long to wait for the topics' partitions to have leaders (default 30 s). */
  readonly timeoutMs?: number;
}

export interface EnsureTopicsOutcome {
  readonly created: readonly string[];
  readonly existing: readonly string[];
  /** Partition count of each topic, as the brokers report it. */
  readonly partitions: ReadonlyMap<string, number>;
}

/**
 * Creates the topics that do not exist yet and waits until every partition of every listed topic
 * has a leader. Idempotent and safe to race (TOPIC_ALREADY_EXISTS counts as existing). Throws when
 * an existing topic has a different partition count (unless `partitionsMustMatch: false`): keying by
 * trace id depends on it, so that is
 * a deployment error to fix, never something to paper over (configs of existing topics are left as
 * they are).
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  options: EnsureTopicsOptions = {},
): Promise<EnsureTopicsOutcome> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !present.has(s.topic));
    const created: string[] = [];
    if (missing.length > 0) {
      // false: they all existed by now (another instance won the race); true: created.
      const didCreate = await admin.createTopics({
        waitForLeaders: false, // kafkajs polls metadata and fails on UNKNOWN_TOPIC_OR_PARTITION from a broker that has not learnt the topic yet (a fresh 3-node cluster): waitForLeaders below retries
        timeout: timeoutMs,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions,
          replicationFactor: s.replicationFactor,
          configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
      if (didCreate) created.push(...missing.map((s) => s.topic));
    }
    const partitions = await waitForLeaders(admin, specs, timeoutMs);
    return { created, existing: specs.map((s) => s.topic).filter((t) => !created.includes(t)), partitions };
  } finally {
    await admin.disconnect();
  }
}

/** Resolves with each topic's partition count once every partition has a leader. */
async function waitForLeaders(admin: Admin, specs: readonly TopicSpec[], timeoutMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let waitingFor = 'metadata';
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
      const mismatch = specs.flatMap((s) => {
        const t = topics.find((m) => m.name === s.topic);
        return t && s.partitionsMustMatch !== false && t.partitions.length !== s.numPartitions
          ? [`${s.topic} has ${t.partitions.length} partitions, expected ${s.numPartitions}`]
          : [];
      });
      if (mismatch.length > 0) throw new TopicMismatchError(mismatch.join('; '));
      const leaderless = topics.filter((t) => t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
      const absent = specs.filter((s) => !topics.some((t) => t.name === s.topic)).map((s) => s.topic);
      if (leaderless.length === 0 && absent.length === 0) return new Map(topics.map((t) => [t.name, t.partitions.length]));
      waitingFor = `leaders for ${[...absent, ...leaderless].join(', ')}`;
    } catch (e) {
      if (e instanceof TopicMismatchError) throw e;
      waitingFor = `metadata (${e instanceof Error ? e.message : String(e)})`;
    }
    if (Date.now() >= deadline) throw new Error(`ensureTopics: timed out after ${timeoutMs} ms waiting for ${waitingFor}`);
    await sleep(100);
  }
}

/**
 * Resolves once every topic of `topics` exists (Metadata without topic creation: kafkajs's admin listTopics);
 * throws TopicAbsentError naming the absent ones otherwise. For a service that reads a topic another one
 * creates (the translator and the span topic the receiver creates): wait for it with untilKafkaAnswers
 * rather than subscribe, which fails (UNKNOWN_TOPIC_OR_PARTITION) or, on a broker with
 * auto.create.topics.enable (Kafka's default), creates it with the broker's partition count.
 */
export async function requireTopics(kafka: Kafka, topics: readonly string[], createdBy?: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const absent = topics.filter((t) => !present.has(t));
    if (absent.length > 0) throw new TopicAbsentError(absent, createdBy);
  } finally {
    await admin.disconnect();
  }
}

/** The topics do not exist (yet). */
export class TopicAbsentError extends Error {
  override readonly name = 'TopicAbsentError';
  /** `createdBy`: who creates them (named in the message). */
  constructor(readonly topics: readonly string[], createdBy?: string) {
    super(`topic${topics.length === 1 ? '' : 's'} ${topics.join(', ')} do${topics.length === 1 ? 'es' : ''} not exist yet${createdBy === undefined ? '' : ` (${createdBy})`}`);
  }
}

export class TopicMismatchError extends Error {
  override readonly name = 'TopicMismatchError';
}
