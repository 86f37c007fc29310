/**
 * Kafka errors in an operator's words, classified by kafkajs's error types (never by message text): a
 * protocol error carries Kafka's error `type` (kafkajs src/protocol/error.js), and kafkajs wraps the last
 * one in KafkaJSNumberOfRetriesExceeded or KafkaJSNonRetriableError as its `cause` (src/retry/index.js).
 */

/** kafkajs's protocol error `type` of `error` or of the errors it wraps; undefined when none has one. */
export function kafkaErrorTypeOf(error: unknown): string | undefined {
  return kafkaErrorTypesOf(error)[0];
}

/**
 * Every kafkajs protocol error `type` in `error` and what it wraps, outermost first: its `cause` and
 * `originalError` (KafkaJSNumberOfRetriesExceeded, KafkaJSNonRetriableError) and a KafkaJSAggregateError's
 * `errors` (a send to several brokers), at most 5 levels deep.
 */
export function kafkaErrorTypesOf(error: unknown): string[] {
  const types: string[] = [];
  const walk = (e: unknown, depth: number): void => {
    if (e === null || typeof e !== 'object' || depth > 5) return;
    const record = e as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    if (typeof record.type === 'string') types.push(record.type);
    walk(record.cause, depth + 1);
    if (record.originalError !== record.cause) walk(record.originalError, depth + 1);
    if (Array.isArray(record.errors)) for (const x of record.errors) walk(x, depth + 1);
  };
  walk(error, 0);
  return types;
}

/**
 * What a failed request about `topic` means: a topic the brokers do not have (Kafka error 3,
 * UNKNOWN_TOPIC_OR_PARTITION: deleted, or never created) said as such, else the error's own message.
 */
export function describeTopicError(error: unknown, topic: string): string {
  if (kafkaErrorTypeOf(error) === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return `topic ${topic} does not exist on the brokers (deleted?): create it again (a restarted receiver creates it with SPANS_TOPIC_PARTITIONS)`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Kafka errors that mean the consumer group is changing hands (a member joining or leaving), met by a
 * heartbeat or commit mid-batch: REBALANCE_IN_PROGRESS (27), and the member's generation or id gone stale
 * (ILLEGAL_GENERATION 22, UNKNOWN_MEMBER_ID 25). Routine on every scale-out; kafkajs rejoins by itself.
 */
const GROUP_CHANGE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

/** True when `error` (or what it wraps) is one of GROUP_CHANGE_ERRORS. */
export function isGroupRebalanceError(error: unknown): boolean {
  const type = kafkaErrorTypeOf(error);
  return type !== undefined && GROUP_CHANGE_ERRORS.has(type);
}
