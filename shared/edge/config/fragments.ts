import { z } from 'zod';
import { bool, csv, durationMs, int } from './types.ts';

/**
 * Env fragments shared by the services. Each service composes its schema from these plus its own
 * keys (services/<name>/config.ts). Every key has a description: the README's config tables and the
 * deployment tests read them.
 */
export const logEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
    .describe('pino log level'),
};

/**
 * V8's old-generation growing factor (shared/edge/runtime/heap-growing.ts), with a per-service default:
 * the receiver's is measured (docs/sizing.md §12); a service without a measurement keeps 0.
 */
export const heapGrowingEnv = (defaultPercent: number) => ({
  HEAP_GROWING_PERCENT: int(0, 1000).default(defaultPercent)
    .describe('V8 runs the next mark-compact when the old generation reaches (1 + this/100) × what the last one kept (V8\'s --heap-growing-percent, set at start-up); 0 = V8\'s dynamic factor. Higher: fewer main-thread GC pauses, a larger heap (capped halfway to --max-old-space-size)'),
});

/**
 * The Kafka names a deployment gets when SPANS_TOPIC, DLQ_TOPIC and TRANSLATOR_GROUP_ID are unset: the services'
 * schemas default to them, and `meshray stack` announces them (and drains that group) without parsing a service's config.
 */
export const KAFKA_NAME_DEFAULTS = Object.freeze({
  SPANS_TOPIC: 'meshray.spans', DLQ_TOPIC: 'meshray.spans.dlq', TRANSLATOR_GROUP_ID: 'meshray-translator',
} as const);

/** The topics and the translators' consumer group that services started with `env` use (an empty value is unset). */
export function kafkaNamesOf(env: Readonly<Record<string, string | undefined>>): { readonly spansTopic: string; readonly dlqTopic: string; readonly groupId: string } {
  return {
    spansTopic: env['SPANS_TOPIC'] || KAFKA_NAME_DEFAULTS.SPANS_TOPIC,
    dlqTopic: env['DLQ_TOPIC'] || KAFKA_NAME_DEFAULTS.DLQ_TOPIC,
    groupId: env['TRANSLATOR_GROUP_ID'] || KAFKA_NAME_DEFAULTS.TRANSLATOR_GROUP_ID,
  };
}

export const kafkaEnv = {
  KAFKA_BROKERS: csv().pipe(z.array(z.string().superRefine((broker, ctx) => {
    if (/^[^\s:]+:\d+$/.test(broker)) return;
    // `http://127.0.0.1:9092` (a URL, as XRAY_ENDPOINT takes) said only "expected host:port" (a newcomer trial)
    const scheme = /^([a-z][\w+.-]*:\/\/)/i.exec(broker)?.[1];
    ctx.addIssue({ code: 'custom', message: scheme === undefined ? 'expected host:port' : `expected host:port, without a scheme: drop the "${scheme}"` });
  })).min(1))
    .describe('comma-separated Kafka bootstrap brokers (host:port)'),
  KAFKA_CLIENT_ID: z.string().min(1).default('meshray').describe('Kafka client id'),
  SPANS_TOPIC: z.string().min(1).default(KAFKA_NAME_DEFAULTS.SPANS_TOPIC).describe('topic that carries raw spans (Avro, keyed by trace id)'),
  KAFKA_SSL: bool().default(false).describe('connect to Kafka with TLS'),
  KAFKA_SASL_MECHANISM: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']).default('none')
    .describe('SASL mechanism'),
  KAFKA_SASL_USERNAME: z.string().default('').describe('SASL user name'),
  KAFKA_SASL_PASSWORD: z.string().default('').describe('SASL password'),
};

/** SASL needs both credentials: apply to a schema composed with `kafkaEnv` (`.superRefine(requireSaslCredentials)`). */
export function requireSaslCredentials(
  c: { KAFKA_SASL_MECHANISM: string; KAFKA_SASL_USERNAME: string; KAFKA_SASL_PASSWORD: string },
  ctx: z.RefinementCtx,
): void {
  if (c.KAFKA_SASL_MECHANISM === 'none') return;
  for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
    if (c[key] === '') ctx.addIssue({ code: 'custom', path: [key], message: `is required when KAFKA_SASL_MECHANISM is ${c.KAFKA_SASL_MECHANISM}` });
  }
}

export const dlqEnv = {
  DLQ_TOPIC: z.string().min(1).default(KAFKA_NAME_DEFAULTS.DLQ_TOPIC).describe('dead-letter topic for poison records and rejected documents'),
};

export const redisEnv = {
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected redis:// or rediss:// URL').default('redis://127.0.0.1:6379')
    .describe('Redis holding the shared trace-id epoch cache'),
};

export const translationEnv = {
  EPOCH_POLICY: z.enum(['auto', 'rewrite', 'preserve']).default('auto')
    .describe('X-Ray trace-id epoch policy: auto rewrites only implausible epochs, rewrite always, preserve never'),
  EPOCH_TTL: durationMs({ min: 1000 }).default(60_000).describe('sliding TTL of a trace\'s X-Ray id in the epoch cache (per-partition cache: receive time, i.e. Kafka record timestamps; Redis: wall time); a span received longer than this after the one before it of its trace gets a second X-Ray trace id, unless the Zipkin id carries an epoch that EPOCH_POLICY=auto keeps: set it above your longest traced request'),
  EPOCH_CACHE_MAX_ENTRIES: int(1).default(100_000).describe('traces held per epoch cache'),
  ANNOTATION_TAGS: csv().optional()
    .describe('comma-separated tags indexed as X-Ray annotations (default: the Istio set); others go to metadata'),
  PACKING: z.enum(['on', 'off']).default('on')
    .describe('on (default): one document per service hop (its segment with its CLIENT and local spans nested as subsegments, the largest split off past 64 KB); off: one document per span (the shape before packing)'),
};

export const xrayEnv = {
  XRAY_ENDPOINT: z.string().trim().refine((url) => URL.canParse(url) && ['http:', 'https:'].includes(new URL(url).protocol), {
    // `localhost:2000` parses as a URL of scheme `localhost:`: the SDK then asked a host named "2000" and every export
    // failed; `127.0.0.1:2000` does not parse at all, and zod's "Invalid URL" said nothing of the fix (a newcomer trial)
    message: 'must be an http:// or https:// URL (e.g. http://127.0.0.1:2000 or https://xray.us-east-1.amazonaws.com): put http:// or https:// before a host:port',
  }).refine((url) => !URL.canParse(url) || !/\/(v1\/traces|TraceSegments)\/?$/i.test(new URL(url).pathname), {
    message: 'is the endpoint\'s base URL (e.g. http://127.0.0.1:2000 or https://xray.us-east-1.amazonaws.com): meshray adds /TraceSegments or /v1/traces itself',
  }).optional().describe('X-Ray API endpoint override (e.g. xray-local at http://127.0.0.1:2000, signed with placeholder keys unless AWS_ACCESS_KEY_ID or AWS_PROFILE is set; an *.amazonaws.com endpoint takes the AWS SDK chain); this or AWS_REGION is required'),
  AWS_REGION: z.string().min(1).optional()
    .describe('AWS region of X-Ray (credentials: the AWS SDK chain); this or XRAY_ENDPOINT is required; with XRAY_ENDPOINT only the signing region (default us-east-1)'),
  EXPORT_PROTOCOL: z.enum(['segments', 'otlp']).default('segments')
    .describe('segments: X-Ray segment documents through PutTraceSegments; otlp: OTLP/HTTP protobuf spans to the OTLP traces endpoint <XRAY_ENDPOINT or https://xray.<region>.amazonaws.com>/v1/traces, SigV4 (needs Transaction Search; README "Export protocols")'),
  XRAY_MAX_CONCURRENCY: int(1, 64).default(4).describe('PutTraceSegments calls (or OTLP requests) in flight'),
  XRAY_MAX_RETRIES: int(0, 100).default(8).describe('retries of a throttled or failed PutTraceSegments call (or OTLP request) before giving up on the batch (it is then redelivered)'),
  XRAY_RETRY_BASE: durationMs().default(100).describe('full-jitter backoff base delay'),
  XRAY_RETRY_MAX: durationMs({ min: 1, unitBelow: 100, note: 'the number of retries is XRAY_MAX_RETRIES' }).default(5000).describe('full-jitter backoff cap (a duration; the number of retries is XRAY_MAX_RETRIES)'),
};

/** Region used to sign requests to an XRAY_ENDPOINT override when AWS_REGION is not set. */
export const ENDPOINT_SIGNING_REGION = 'us-east-1';

/** The one line a service without an export target fails with. */
export const NO_EXPORT_TARGET = 'no X-Ray export target: set XRAY_ENDPOINT (e.g. http://127.0.0.1:2000 for xray-local) or AWS_REGION (real X-Ray)';

/** Nothing is exported to an implicit target: apply to a schema composed with `xrayEnv` (`.superRefine(requireExportTarget)`). */
export function requireExportTarget(c: { XRAY_ENDPOINT?: string | undefined; AWS_REGION?: string | undefined }, ctx: z.RefinementCtx): void {
  if (c.XRAY_ENDPOINT === undefined && c.AWS_REGION === undefined) ctx.addIssue({ code: 'custom', path: [], message: NO_EXPORT_TARGET });
}

/**
 * XRAY_RETRY_BASE must not exceed XRAY_RETRY_MAX: full-jitter backoff (shared/edge/resilience/backoff.ts) caps every delay at
 * the max, so a larger base silently became the max (and the pacing between throttled calls, which uses the
 * base, outgrew the cap). Apply to a schema composed with `xrayEnv`.
 */
export function checkRetryBackoff(c: { XRAY_RETRY_BASE: number; XRAY_RETRY_MAX: number }, ctx: z.RefinementCtx): void {
  if (c.XRAY_RETRY_BASE > c.XRAY_RETRY_MAX) {
    ctx.addIssue({ code: 'custom', path: ['XRAY_RETRY_BASE'], message: `must not exceed XRAY_RETRY_MAX (${c.XRAY_RETRY_MAX} ms), got ${c.XRAY_RETRY_BASE} ms: the backoff caps every delay at XRAY_RETRY_MAX` });
  }
}

export const opsEnv = {
  OPS_HOST: z.string().default('0.0.0.0').describe('address of the health and metrics listener (`::` for IPv6 as well, as RECEIVER_HOST)'),
};

export type { z };
