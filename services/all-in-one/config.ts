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
  POISON_MAX_ATTEMPTS: translator.POISON_MAX_ATTEMPTS.describe('deliveries of an undecodable or untranslatable record before it goes to DEAD_LETTER_FILE (the topic then moves on)'),
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

/** Where documents go: the embedded xray-local, or a real X-Ray (endpoint override or AWS). */
export type ExportTarget = { kind: 'embedded' } | { kind: 'endpoint'; endpoint: string } | { kind: 'aws'; region: string };

const AWS_CREDENTIAL_HINTS = ['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];

/**
 * The start-up warning about where the all-in-one exports, or undefined (embedded, nothing Region-like set):
 * - embedded although AWS_REGION is set: no credential variable is (the rule below). Credentials from ~/.aws or
 *   an instance role set no variable; an XRAY_ENDPOINT at AWS takes them (the SDK's default chain, xray-client.ts);
 * - embedded although AWS_DEFAULT_REGION is set: only AWS_REGION leaves the embedded xray-local (AWS users keep
 *   AWS_DEFAULT_REGION and AWS_PROFILE in their shells; `npm start` must not send a newcomer's demo to their
 *   account). EKS (IRSA, Pod Identity), ECS and Lambda set AWS_REGION as well;
 * - AWS (a Region with credentials, or an XRAY_ENDPOINT at amazonaws.com): spans leave this machine, for the
 *   account of those credentials;
 * - any other XRAY_ENDPOINT: the embedded xray-local and its console are not started (the README says so).
 */
export function exportTargetWarning(config: AllInOneConfig, env: Readonly<Record<string, string | undefined>>, target: ExportTarget): string | undefined {
  if (target.kind === 'aws') {
    const credentials = AWS_CREDENTIAL_HINTS.filter((k) => Boolean(env[k])).join(', ');
    return `exporting to AWS X-Ray in ${target.region} (AWS_REGION with ${credentials}), not to the embedded xray-local: `
      + 'unset AWS_REGION, or set XRAY_ENDPOINT, to keep spans on this machine';
  }
  if (target.kind === 'endpoint') {
    // The README promises this line: without it, the console missing from :2000 went unexplained (a newcomer's trial).
    return /\.amazonaws\.com(\.cn)?(:\d+)?(\/|$)/i.test(target.endpoint)
      ? `exporting to AWS X-Ray at ${target.endpoint} (XRAY_ENDPOINT), not to the embedded xray-local: spans leave this machine`
      : `exporting to ${target.endpoint} (XRAY_ENDPOINT), not to the embedded xray-local: its API and console are not started on XRAY_LOCAL_PORT`;
  }
  if (config.AWS_REGION) {
    return `AWS_REGION=${config.AWS_REGION} is set, but none of ${AWS_CREDENTIAL_HINTS.join(', ')} is: exporting to the embedded xray-local, not to X-Ray. `
      + `For credentials from ~/.aws or an instance role, set XRAY_ENDPOINT=https://xray.${config.AWS_REGION}.amazonaws.com`;
  }
  const fallback = env['AWS_DEFAULT_REGION'];
  if (!fallback) return undefined;
  return `AWS_DEFAULT_REGION=${fallback} is set, but meshray start exports to X-Ray only with AWS_REGION (and credentials) or XRAY_ENDPOINT: `
    + 'exporting to the embedded xray-local';
}

/**
 * XRAY_ENDPOINT wins; else AWS_REGION (never AWS_DEFAULT_REGION: exportTargetWarning) with a credential variable
 * means AWS; else the embedded xray-local.
 */
export function chooseExportTarget(config: AllInOneConfig, env: Readonly<Record<string, string | undefined>>): ExportTarget {
  if (config.XRAY_ENDPOINT !== undefined) return { kind: 'endpoint', endpoint: config.XRAY_ENDPOINT };
  const region = config.AWS_REGION;
  if (region && AWS_CREDENTIAL_HINTS.some((k) => Boolean(env[k]))) return { kind: 'aws', region };
  return { kind: 'embedded' };
}
