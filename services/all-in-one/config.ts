import { z } from 'zod';
import { checkRetryBackoff, int, logEnv, translationEnv, xrayEnv, type Config } from '../../shared/edge/config/index.ts';
import { checkReceiverEdge, checkRequestFitsBuffer, receiverEdgeEnv, receiverEnvSchema } from '../receiver/index.ts';
import { translatorEnvSchema } from '../translator/index.ts';
import { xrayLocalConfigSchema, xrayLocalEnv } from '../xray-local/index.ts';

const receiver = receiverEnvSchema.shape;
const translator = translatorEnvSchema.shape;

/**
 * `meshray start`: the receiver's HTTP keys, the translation keys and xray-local's keys, without Kafka
 * (an in-process topic takes its place) and without Redis (one process: its local caches agree).
 */
export const allInOneEnvSchema = z.object({
  ...logEnv,
  ...translationEnv,
  ...xrayEnv,
  XRAY_ENDPOINT: xrayEnv.XRAY_ENDPOINT.describe('export to this X-Ray API endpoint instead of the embedded xray-local (an *.amazonaws.com endpoint takes the AWS SDK chain: ~/.aws, an instance role)'),
  AWS_REGION: xrayEnv.AWS_REGION.describe('with AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, IRSA, container): export to real X-Ray in this region instead of the embedded xray-local (a warning at start says so); without them a warning says the embedded xray-local is kept. `AWS_DEFAULT_REGION` never leaves the embedded xray-local'),
  DEAD_LETTER_FILE: z.string().min(1).default('meshray-dead-letters.ndjson')
    .describe('spans that cannot become accepted documents (untranslatable, refused by X-Ray), and at shutdown those not yet exported, are appended here, one per line as capture --dlq writes them (no Kafka, so no dead-letter topic); created on the first one; translate or send reads it back'),
  ...xrayLocalEnv,
  RECEIVER_PORT: receiver.RECEIVER_PORT,
  RECEIVER_HOST: receiver.RECEIVER_HOST,
  // Bearer tokens, TLS and timeouts, as the standalone receiver (issue 10).
  ...receiverEdgeEnv,
  MAX_BODY_BYTES: receiver.MAX_BODY_BYTES,
  MAX_SPANS_PER_REQUEST: receiver.MAX_SPANS_PER_REQUEST,
  BUFFER_MAX_SPANS: receiver.BUFFER_MAX_SPANS.describe('spans held in the in-process topic awaiting export; a request that does not fit → 503 BUFFER_FULL'),
  PARTITIONS_CONCURRENCY: translator.PARTITIONS_CONCURRENCY,
  EXPORT_LINGER: translator.EXPORT_LINGER,
  POISON_MAX_ATTEMPTS: translator.POISON_MAX_ATTEMPTS.describe('deliveries of an undecodable record, or of a span refused for now (epoch_out_of_window, too_far_ahead), before it goes to DEAD_LETTER_FILE (the topic then moves on); a span refused for good (no_timestamp, invalid_id, invalid_derived_id, too_large, too_old) goes at its first, unless its record also holds one refused for now'),
  LIVENESS_STALL_TIMEOUT: translator.LIVENESS_STALL_TIMEOUT,
  EXPORT_FAILURE_TIMEOUT: translator.EXPORT_FAILURE_TIMEOUT,
  IN_PROCESS_PARTITIONS: int(1, 64).default(6).describe('partitions of the in-process span topic (translation concurrency)'),
}).superRefine((c, ctx) => {
  checkReceiverEdge(c, ctx);
  checkRequestFitsBuffer(c, ctx);
  checkRetryBackoff(c, ctx);
});

export type AllInOneConfig = Config<typeof allInOneEnvSchema>;

/**
 * Variables set in `env` that configure the standalone services but that `meshray start` does not read
 * (KAFKA_BROKERS, BATCH_LINGER, ACK_MODE, REDIS_URL, XRAY_LOCAL_TRACE_SEGMENT_DESTINATION, XRAY_LOCAL_TLS_CERT, …):
 * named in a start-up warning, since the all-in-one neither validates nor uses them. Sorted.
 */
export function unusedServiceEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const own = new Set(Object.keys(allInOneEnvSchema.shape));
  const theirs = new Set([...Object.keys(receiver), ...Object.keys(translator), ...Object.keys(xrayLocalConfigSchema.shape)]);
  return [...theirs].filter((name) => !own.has(name) && env[name] !== undefined).sort();
}

export { chooseExportTarget, exportTargetWarning, type ExportTarget } from '../../shared/edge/config/index.ts';
