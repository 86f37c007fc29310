import type { ProducerConfig } from 'kafkajs';

/**
 * The config of a test's own producer: idempotent with one request in flight, as meshray's receiver and DLQ
 * producers are. A plain producer's send to a just-created topic can be answered NOT_LEADER_OR_FOLLOWER for
 * one partition; kafkajs then retries the whole request, and writes the partitions the first attempt already
 * wrote twice. Tests that count records exactly (committed offsets against records sent) then waited forever:
 * the throttling integration test timed out in CI that way (`committed 232 of 128`).
 */
export const IDEMPOTENT: ProducerConfig = Object.freeze({ idempotent: true, maxInFlightRequests: 1 });
