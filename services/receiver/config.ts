import { z } from 'zod';
import { bytes, durationMs, int, kafkaEnv, logEnv, port, requireSaslCredentials, type Config } from '../../shared/config/index.ts';

/** The receiver's environment: shared fragments plus its own keys. Every key is described (README table). */
export const receiverEnvSchema = z.object({
  ...logEnv,
  ...kafkaEnv,
  RECEIVER_PORT: port().default(9411).describe('port of the Zipkin-compatible HTTP endpoint (also serves /health and /metrics)'),
  RECEIVER_HOST: z.string().min(1).default('0.0.0.0').describe('address the HTTP endpoint listens on'),
  MAX_BODY_BYTES: bytes().pipe(z.number().int().min(1)).default(5 * 1024 ** 2)
    .describe('largest request body after decompression (the raw body is held to the same limit); larger → 413 BODY_TOO_LARGE'),
  MAX_SPANS_PER_REQUEST: int(1).default(10_000).describe('most spans one request may carry; more → 413 TOO_MANY_SPANS'),
  ACK_MODE: z.enum(['kafka', 'buffer']).default('kafka')
    .describe('kafka: answer 202 once Kafka acknowledged the spans; buffer: answer 202 once they are in the bounded in-memory buffer'),
  ACK_TIMEOUT: durationMs().default(3000)
    .describe('ACK_MODE=kafka: longest wait for the Kafka acknowledgement before answering 503 ACK_TIMEOUT (the spans stay queued)'),
  BUFFER_MAX_SPANS: int(1).default(50_000).describe('spans held in memory awaiting Kafka acknowledgement; a request that does not fit → 503 BUFFER_FULL'),
  BATCH_LINGER: durationMs().default(5).describe('how long the first buffered span waits for others to share its Kafka batch'),
  BATCH_MAX_MESSAGES: int(1).default(1000).describe('most records in one Kafka sendBatch call'),
  SPANS_TOPIC_PARTITIONS: int(1).default(6).describe('partitions of SPANS_TOPIC when the receiver creates it; an existing topic must have as many (start-up fails otherwise: keying by trace id depends on it)'),
  SPANS_TOPIC_REPLICATION_FACTOR: int(-1, 32767).refine((n) => n !== 0, 'must be -1 (broker default) or at least 1').default(-1)
    .describe('replication factor of SPANS_TOPIC when the receiver creates it; -1 takes the broker\'s default.replication.factor'),
  SHUTDOWN_DRAIN_TIMEOUT: durationMs().default(10_000)
    .describe('on shutdown, how long buffered spans may take to reach Kafka before the rest are counted as dropped_at_shutdown'),
}).superRefine((c, ctx) => {
  requireSaslCredentials(c, ctx);
  if (c.MAX_SPANS_PER_REQUEST > c.BUFFER_MAX_SPANS) {
    ctx.addIssue({ code: 'custom', path: ['MAX_SPANS_PER_REQUEST'],
      message: `must not exceed BUFFER_MAX_SPANS (${c.BUFFER_MAX_SPANS}): such a request could never be buffered` });
  }
});

export type ReceiverConfig = Config<typeof receiverEnvSchema>;
