import { z } from 'zod';
import {
  dlqEnv, durationMs, KAFKA_NAME_DEFAULTS, formatDurationMs, int, kafkaEnv, logEnv, opsEnv, port, redisEnv, translationEnv, xrayEnv, requireExportTarget, requireSaslCredentials, checkRetryBackoff, type Config,
} from '../../shared/edge/config/index.ts';
import { requireSamplingSettings, samplingEnv } from './sample/sampling-config.ts';

/** The translator's environment: shared fragments plus its own keys. Every key is described (README table). */
/** What LIVENESS_STALL_TIMEOUT must leave above ASSEMBLY_MAX_AGE: the window's tick (1 s) and an export with its retries. */
const LIVENESS_MARGIN_MS = 15_000;

export const translatorEnvSchema = z.object({
  ...logEnv,
  ...kafkaEnv,
  ...dlqEnv,
  ...redisEnv,
  ...translationEnv,
  ...xrayEnv,
  ...opsEnv,
  TRANSLATOR_GROUP_ID: z.string().min(1).default(KAFKA_NAME_DEFAULTS.TRANSLATOR_GROUP_ID).describe('Kafka consumer group of the translators: a translator started with a running group\'s id takes partitions from it; a new group reads SPANS_TOPIC from the beginning'),
  TRANSLATOR_OPS_PORT: port().default(9412).describe('port of the health and metrics listener'),
  PARTITIONS_CONCURRENCY: int(1, 64).default(3).describe('partitions whose batches are translated and exported at the same time'),
  EXPORT_LINGER: durationMs().refine((ms) => ms <= 1000, 'at most 1s: the linger is added to export latency').default(20)
    .describe('longest wait for more documents (from batches of other partitions) to fill a PutTraceSegments call of 50 before it goes out short; 0: none'),
  POISON_MAX_ATTEMPTS: int(1, 100).default(3)
    .describe('deliveries of an undecodable record, or of a span refused for now (epoch_out_of_window, too_far_ahead), before it goes to DLQ_TOPIC (its partition then moves on); a span refused for good (no_timestamp, invalid_id, invalid_derived_id, too_large, too_old) goes at its first, unless its record also holds one refused for now'),
  LIVENESS_STALL_TIMEOUT: durationMs({ min: 1000 }).default(60_000)
    .describe('/health/live fails when a partition lags but its committed offset did not move for this long, time X-Ray spent failing or throttling not counted (with ASSEMBLY=on, at least ASSEMBLY_MAX_AGE + 15s)'),
  EXPORT_FAILURE_TIMEOUT: durationMs({ min: 1000 }).default(60_000)
    .describe('/health/ready fails when every PutTraceSegments call failed for this long (no credentials, access denied, endpoint unreachable), at once when the endpoint has no such route (404/405: XRAY_ENDPOINT is not an X-Ray API); ready again once X-Ray answers'),
  SHUTDOWN_TIMEOUT: durationMs({ min: 1000 }).default(30_000)
    .describe('on SIGTERM, longest time to finish the batches in flight, commit, flush and disconnect before exiting'),
  ASSEMBLY: z.enum(['on', 'off']).default('on')
    .describe('on (default): hold spans by trace (per partition) and translate whole traces; offsets are committed below the lowest span still held'),
  ASSEMBLY_IDLE: durationMs({ min: 100 }).default(5_500)
    .describe('with ASSEMBLY=on, a trace is exported once no span of it arrived for this long (just above Envoy\'s 5 s flush_interval_ms)'),
  ASSEMBLY_MAX_AGE: durationMs({ min: 1000 }).default(30_000)
    .describe('with ASSEMBLY=on, a trace is exported at the latest this long after its first span arrived; later spans are exported on their own and counted late'),
  ASSEMBLY_MAX_SPANS: int(1, 10_000_000).default(100_000)
    .describe('with ASSEMBLY=on, spans held per translator before the oldest traces are exported early (memory bound)'),
  EPOCH_STORE: z.enum(['redis', 'memory']).default('redis')
    .describe('redis: instances agree on a trace\'s X-Ray id through REDIS_URL (local caches while it is down); memory: local caches only'),
  ...samplingEnv,
}).superRefine((c, ctx) => {
  requireSamplingSettings(c, ctx);
  requireSaslCredentials(c, ctx);
  checkRetryBackoff(c, ctx);
  if (c.ASSEMBLY === 'on' && c.ASSEMBLY_IDLE >= c.ASSEMBLY_MAX_AGE) {
    ctx.addIssue({ code: 'custom', path: ['ASSEMBLY_IDLE'], message: `must be shorter than ASSEMBLY_MAX_AGE (${formatDurationMs(c.ASSEMBLY_MAX_AGE)}), got ${formatDurationMs(c.ASSEMBLY_IDLE)}: every trace would leave the window at ASSEMBLY_MAX_AGE, and its spans after that be counted late` });
  }
  // the committed offset waits for the oldest trace held: up to ASSEMBLY_MAX_AGE, then the window's tick and its export
  if (c.ASSEMBLY === 'on' && c.LIVENESS_STALL_TIMEOUT < c.ASSEMBLY_MAX_AGE + LIVENESS_MARGIN_MS) {
    ctx.addIssue({ code: 'custom', path: ['LIVENESS_STALL_TIMEOUT'], message: `must be at least ASSEMBLY_MAX_AGE + ${formatDurationMs(LIVENESS_MARGIN_MS)} (${formatDurationMs(c.ASSEMBLY_MAX_AGE + LIVENESS_MARGIN_MS)}) with ASSEMBLY=on, got ${formatDurationMs(c.LIVENESS_STALL_TIMEOUT)}: a partition's committed offset waits for its oldest trace held in the window, up to ASSEMBLY_MAX_AGE and its export, so /health/live would fail while the window works` });
  }
  // Checked even when other variables are wrong (it reads only whether two are set): a newcomer without any
  // env was told only "KAFKA_BROKERS: is required", and the missing export target at the next start.
}).superRefine(requireExportTarget, { when: (payload) => typeof payload.value === 'object' && payload.value !== null });

export type TranslatorEnvConfig = Config<typeof translatorEnvSchema>;
