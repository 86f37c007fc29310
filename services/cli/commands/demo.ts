import { randomInt } from 'node:crypto';
import type { CommandIo } from '../commands.ts';
import { parseCommandArgs } from '../command-args.ts';
import { reporterFor } from '../report.ts';
import { durationFlag, intFlag, senderTarget, tokenHeaders, unansweredHint, unauthorizedHint } from '../flags.ts';
import { formatIssues } from '../../../shared/core/result/result.ts';
import {
  createHttpTransport, FAULT_FLAGS, FLAVOURS, isFaultFlag, isFlavour, parseLatencyRules, runDemo, spansUrlOf,
  type DemoOptions, type DemoSummary, type FaultFlag, type ReviewsRouting, type ReviewsVersion,
} from '../../simulator/index.ts';

const HELP = `usage: meshray demo [options]

Bookinfo traffic simulator: sends to a Zipkin receiver what Istio's Envoys send for Bookinfo traffic
(istio-ingressgateway → productpage → details, reviews v1|v2|v3 → ratings). Each proxy worker (sidecar,
gateway or waypoint) buffers its own spans and posts them in batches of 5 (Envoy's min_flush_spans) or after
the flush interval.

options:
  --target URL             receiver (/api/v2/spans is appended; default: the receiver of the meshray stack or
                           meshray start running here, else http://127.0.0.1:9411)
  --token TOKEN            bearer token for a receiver with RECEIVER_AUTH_TOKENS set (default: MESHRAY_TOKEN from the environment)
  --rate N|max             requests per second (default 10; max = as fast as the receiver takes them)
  --duration DURATION      how long to generate, at least 1s, e.g. 30s, 2m (default 10s unless --requests is given)
  --requests N             stop after N requests (with --duration: whichever comes first)
  --flavour F              1.7 (every sidecar span CLIENT) | 1.7.4 (default) | modern (istio.* tags, gateway SERVER+CLIENT)
                           | ambient (modern's traffic without sidecars: one waypoint per namespace reports each hop)
  --id-bits 128|64         trace id width (default 128)
  --seed N                 PRNG seed (default: a new one per run, printed in the summary): same seed, same
                           traffic and trace ids (X-Ray keeps one copy of a repeated document)
  --reviews ROUTING        round-robin (default) or weights, e.g. v1=50,v2=25,v3=25
  --error-rate F           fraction of requests with an app error: ratings 503 (reviews degrades) or details 500 (default 0)
  --fault-rate F           fraction of requests where one hop fails in Envoy: no SERVER span, a failure flag (default 0)
  --fault-flags LIST       flags to draw from, of ${FAULT_FLAGS.join(', ')} (default UF,URX,UH)
  --latency SPEC           slow a service: ratings=x3 (multiplier) or reviews=+50ms (extra), comma-separated
  --concurrency N          max POSTs in flight (default 16)
  --batch-size N           spans per POST (default 5)
  --flush-interval DUR     a worker flushes a partial batch this long after its first span (default 5s)
  --workers N              span buffers (Envoy worker threads) per sidecar (default 2)
  --retries N              retries of a 503/429 after its Retry-After (default 1)
  --host HOST              host of the ingress URL (default bookinfo.example.com)
  --json                   end with one line of JSON: the summary
  --quiet                  no progress and no human summary (the --json line is still printed)

exit codes: 0 every POST accepted; 1 bad options; 2 some POSTs refused or unanswered.
`;

function parseFraction(name: string, value: string | undefined, errors: string[]): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() !== '' && n >= 0 && n <= 1) return n;
  errors.push(`--${name}: expected a fraction from 0 to 1, got "${value}"`);
  return undefined;
}

function parseReviews(value: string | undefined, errors: string[]): ReviewsRouting | undefined {
  if (value === undefined || value === 'round-robin') return value === undefined ? undefined : { kind: 'round-robin' };
  const weights: Record<ReviewsVersion, number> = { v1: 0, v2: 0, v3: 0 };
  for (const part of value.split(',')) {
    const m = /^(v[123])=(\d+(?:\.\d+)?)$/.exec(part.trim());
    if (m === null) {
      errors.push(`--reviews: expected round-robin or weights like v1=50,v2=25,v3=25, got "${value}"`);
      return undefined;
    }
    weights[m[1] as ReviewsVersion] = Number(m[2]);
  }
  if (weights.v1 + weights.v2 + weights.v3 <= 0) {
    errors.push('--reviews: the weights must not all be 0');
    return undefined;
  }
  return { kind: 'weighted', weights };
}

export function formatSummary(s: DemoSummary): string {
  const answers = Object.entries(s.responses).map(([status, n]) => `${status}×${n}`).join(', ') || 'none';
  const lines = [
    `meshray demo: ${s.requests} requests (flavour ${s.flavour}, seed ${s.seed}) → ${s.spans} spans in ${s.posts} POSTs to ${spansUrlOf(s.target)} in ${(s.durationMs / 1000).toFixed(1)}s`,
    `  injected: ${s.injectedErrors} app errors, ${s.injectedFaults} Envoy faults`,
    `  receiver answers: ${answers}${s.retries > 0 ? ` (${s.retries} retried after Retry-After)` : ''}`,
    `  spans accepted: ${s.spansAccepted}, refused: ${s.spansRefused} (${s.refusedPosts} POSTs); ${s.spansAcceptedPerSec} spans/s accepted`,
    ...s.errors.map((e) => `  refused: ${e}`),
  ];
  return `${lines.join('\n')}\n`;
}

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const { fail } = reporterFor('demo', io);
  const parsed = parseCommandArgs(args, {
    target: { type: 'string' }, token: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, requests: { type: 'string' },
    flavour: { type: 'string' }, 'id-bits': { type: 'string' }, seed: { type: 'string' }, reviews: { type: 'string' },
    'error-rate': { type: 'string' }, 'fault-rate': { type: 'string' }, 'fault-flags': { type: 'string' }, latency: { type: 'string' },
    concurrency: { type: 'string' }, 'batch-size': { type: 'string' }, 'flush-interval': { type: 'string' }, workers: { type: 'string' },
    retries: { type: 'string' }, host: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' },
  }, { name: 'demo', help: HELP, io, fail });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const options: { -readonly [K in keyof DemoOptions]: DemoOptions[K] } = {};
  const errors: string[] = [];
  const setIf = <T>(value: T | undefined, set: (v: T) => void): void => {
    if (value !== undefined) set(value);
  };
  setIf(senderTarget(values.target, io.env, errors, (line) => io.stderr.write(`meshray demo: ${line}\n`)), (v) => { options.target = v; });
  const headers = tokenHeaders(values.token, io.env, errors);
  if (headers.authorization !== undefined) options.transport = createHttpTransport(headers);
  if (values.rate !== undefined) {
    const rate = values.rate === 'max' ? Infinity : Number(values.rate);
    if (rate > 0) options.rate = rate;
    else errors.push(`--rate: expected requests per second > 0 or "max", got "${values.rate}"`);
  }
  setIf(durationFlag('duration', values.duration, errors, 1000), (v) => { options.durationMs = v; });
  setIf(intFlag('requests', values.requests, 1, errors), (v) => { options.requests = v; });
  if (values.flavour !== undefined) {
    if (isFlavour(values.flavour)) options.flavour = values.flavour;
    else errors.push(`--flavour: expected one of ${FLAVOURS.join(', ')}, got "${values.flavour}"`);
  }
  if (values['id-bits'] !== undefined) {
    if (values['id-bits'] === '64' || values['id-bits'] === '128') options.idBits = values['id-bits'] === '64' ? 64 : 128;
    else errors.push(`--id-bits: expected 64 or 128, got "${values['id-bits']}"`);
  }
  setIf(intFlag('seed', values.seed, 0, errors), (v) => { options.seed = v; });
  // A new seed per run unless one is given: with a fixed default a second run repeated the first one's trace
  // ids, and its documents replaced those already stored instead of adding traces.
  options.seed ??= randomInt(2 ** 31 - 1);
  setIf(parseReviews(values.reviews, errors), (v) => { options.reviews = v; });
  setIf(parseFraction('error-rate', values['error-rate'], errors), (v) => { options.errorRate = v; });
  setIf(parseFraction('fault-rate', values['fault-rate'], errors), (v) => { options.faultRate = v; });
  if (values['fault-flags'] !== undefined) {
    const flags = values['fault-flags'].split(',').map((f) => f.trim().toUpperCase()).filter((f) => f.length > 0);
    const bad = flags.filter((f) => !isFaultFlag(f));
    if (bad.length > 0 || flags.length === 0) errors.push(`--fault-flags: expected some of ${FAULT_FLAGS.join(', ')}, got "${values['fault-flags']}"`);
    else options.faultFlags = flags as FaultFlag[];
  }
  if (values.latency !== undefined) {
    const rules = parseLatencyRules(values.latency);
    if (rules.ok) options.latency = rules.value;
    else errors.push(`--latency: ${formatIssues(rules.issues)}`);
  }
  setIf(intFlag('concurrency', values.concurrency, 1, errors), (v) => { options.concurrency = v; });
  setIf(intFlag('batch-size', values['batch-size'], 1, errors), (v) => { options.batchSize = v; });
  setIf(durationFlag('flush-interval', values['flush-interval'], errors), (v) => { options.flushIntervalMs = v; });
  setIf(intFlag('workers', values.workers, 1, errors), (v) => { options.workersPerSidecar = v; });
  setIf(intFlag('retries', values.retries, 0, errors), (v) => { options.maxRetries = v; });
  if (values.host !== undefined) options.host = values.host;
  if (errors.length > 0) return fail(`invalid options:\n${errors.join('\n')}`);

  const quiet = values.quiet === true;
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let summary: DemoSummary;
  try {
    summary = await runDemo({
      ...options,
      signal: controller.signal,
      ...(quiet ? {} : { onProgress: (s: DemoSummary) => io.stderr.write(`meshray demo: ${s.requests} requests, ${s.spans} spans made, ${s.spansSent} sent (the rest wait in the proxies' batches), ${s.spansAccepted} accepted, answers ${JSON.stringify(s.responses)}\n`) }),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (!quiet) io.stdout.write(formatSummary(summary));
  if (values.json === true) io.stdout.write(`${JSON.stringify(summary)}\n`);
  const unauthorized = unauthorizedHint(summary.responses, headers);
  if (unauthorized !== undefined) io.stderr.write(`meshray demo: ${unauthorized}\n`);
  const unanswered = unansweredHint(summary.responses, spansUrlOf(summary.target));
  if (unanswered !== undefined) io.stderr.write(`meshray demo: ${unanswered}\n`);
  return summary.refusedPosts > 0 ? 2 : 0;
}
