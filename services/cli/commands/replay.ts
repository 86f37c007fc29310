import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { z } from 'zod';
import type { CommandIo } from '../commands.ts';
import { parseCommandArgs } from '../command-args.ts';
import { reporterFor } from '../report.ts';
import { onInterrupt } from '../run-until-signal.ts';
import { checkRetryBackoff, chooseExportTarget, parseConfig, translationEnv, xrayEnv } from '../../../shared/edge/config/index.ts';
import { silentLogger } from '../../../shared/edge/log/index.ts';
import { formatIssues } from '../../../shared/core/result/result.ts';
import { isMeshrayError } from '../../../shared/edge/errors/index.ts';
import { sleepMs } from '../../../shared/edge/resilience/clock.ts';
import { TokenBucket } from '../../../shared/edge/resilience/token-bucket.ts';
import { XRAY_SEGMENTS_PER_SECOND_QUOTA } from '../../../shared/core/xray/limits.ts';
import {
  actionFor, createTranslator, createTranslatorMetrics, createXRayClient, describeExportTarget, FAIL_FAST_REDIS_OPTIONS,
  exportSinkFromSettings, RangeSpanSource, RateLimitedSegmentSink, RedisEpochStore, translatorConfigOf, type OtlpDocument, type ProtocolSink,
} from '../../translator/index.ts';
import { formatProgress, formatSkipped, ReplayTally, resumeOffsets, startProgress } from '../replay/progress.ts';
import { NdjsonSegmentSink, TallyDeadLetterSink, TallySegmentSink } from '../replay/replay-sinks.ts';
import { otlpSpanLineOf } from '../../../shared/core/otlp/index.ts';
import { describeSelection } from '../replay/selection.ts';
import { openOutput, parseSource, planSource, SOURCE_HELP, SOURCE_OPTIONS } from '../replay/source-flags.ts';
import { runningReceivers, runtimeDirOf } from '../running-receivers.ts';

const HELP = `usage: meshray replay SELECTION [options]

Re-translates part of the raw span topic (or the dead-letter topic) with the CURRENT translation
configuration and writes the documents to X-Ray. Reads with a consumer group of its own that never commits:
the live translators' group is not touched. Documents are deterministic (same spans, same batches → same
ids and bytes), so replaying a range twice changes nothing in X-Ray.

${SOURCE_HELP}
translation (flag, else the translator's environment variable):
  --epoch-policy POLICY    auto | rewrite | preserve (EPOCH_POLICY, default auto)
  --epoch-ttl DURATION     sliding TTL of a trace's X-Ray id, e.g. 60s (EPOCH_TTL, default 60s)
  --annotation-tags LIST   comma-separated tags indexed as annotations (ANNOTATION_TAGS, default: Istio set)
  --redis URL              agree on X-Ray trace ids with the live translators through this Redis
                           (default: REDIS_URL when set)
  --epoch-store STORE      redis | memory (default: redis when --redis or REDIS_URL is given, else memory)

output:
  --protocol PROTOCOL      segments (PutTraceSegments) | otlp (OTLP spans to <endpoint>/v1/traces, SigV4;
                           needs Transaction Search) (EXPORT_PROTOCOL, else the meshray stack's whose Kafka
                           is read, else segments)
  --xray-endpoint URL      X-Ray API endpoint, e.g. xray-local http://127.0.0.1:2000 (XRAY_ENDPOINT)
  --region REGION          AWS region of real X-Ray (AWS_REGION); credentials: the AWS SDK chain.
                           One of the two is required (or --dry-run), unless the Kafka read is the one a
                           running meshray stack announced and it runs its own xray-local: then that one
  --rate N                 segment documents (or OTLP spans) per second at most (default 2000; X-Ray's default quota is
                           ${XRAY_SEGMENTS_PER_SECOND_QUOTA}/s per Region and account, shared with the live translators)
  --concurrency N          PutTraceSegments calls in flight (XRAY_MAX_CONCURRENCY, default 4)
  --max-retries N          retries of a throttled or failed call (XRAY_MAX_RETRIES, default 8; backoff
                           XRAY_RETRY_BASE, XRAY_RETRY_MAX)
  --dry-run                write the documents (with --protocol otlp: OTLP/JSON spans) as ndjson to
                           stdout (or --output) instead of X-Ray
  --output FILE            with --dry-run: write the documents to FILE
  --quiet                  no progress lines (the summary and skipped records are still printed)

exit codes: 0 everything replayed; 1 bad options, Kafka/Redis/X-Ray failure (a rerun command is printed);
2 some records were skipped (undecodable, untranslatable or refused by X-Ray: listed on stderr).
`;

/** The translator's translation and X-Ray keys, each overridable by a flag. */
const settingsSchema = z.object({ ...translationEnv, ...xrayEnv }).superRefine(checkRetryBackoff);
const FLAG_OF: Readonly<Record<string, string>> = {
  EPOCH_POLICY: '--epoch-policy', EPOCH_TTL: '--epoch-ttl', ANNOTATION_TAGS: '--annotation-tags',
  EXPORT_PROTOCOL: '--protocol', XRAY_ENDPOINT: '--xray-endpoint', AWS_REGION: '--region', XRAY_MAX_CONCURRENCY: '--concurrency', XRAY_MAX_RETRIES: '--max-retries',
};

function positiveNumber(name: string, value: string | undefined, fallback: number, errors: string[]): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (Number.isFinite(n) && n > 0) return n;
  errors.push(`--${name}: expected a positive number, got "${value}"`);
  return fallback;
}

async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: true });
  redis.on('error', () => { /* counted as redis fallbacks; reported at the end */ });
  try {
    await redis.connect();
    return redis;
  } catch (e) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${url}: ${(e as Error).message} (use --epoch-store memory to replay without it)`);
  }
}

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const { say, fail } = reporterFor('replay', io);
  const parsed = parseCommandArgs(args, {
    ...SOURCE_OPTIONS,
    'epoch-policy': { type: 'string' },
    'epoch-ttl': { type: 'string' },
    'annotation-tags': { type: 'string' },
    redis: { type: 'string' },
    'epoch-store': { type: 'string' },
    protocol: { type: 'string' },
    'xray-endpoint': { type: 'string' },
    region: { type: 'string' },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    'max-retries': { type: 'string' },
    'dry-run': { type: 'boolean' },
    output: { type: 'string' },
    quiet: { type: 'boolean' },
  }, { name: 'replay', help: HELP, io, fail });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const { env } = io;
  const errors: string[] = [];
  const source = parseSource(values, env, runningReceivers(runtimeDirOf(env)));
  if (!source.ok) errors.push(...source.errors);
  // Reading a stack's Kafka: export as its translators do (its xray-local, its protocol) unless told otherwise.
  const stackXRay = source.ok ? source.value.stackXRay : undefined;
  // A target of the user's own: an endpoint, --region, or AWS_REGION as the stack itself reads it (with a credential
  // variable; without one the stack kept its xray-local, shared/edge/config chooseExportTarget). Empty values are unset.
  const givenEndpoint = [values['xray-endpoint'], env['XRAY_ENDPOINT']].find((v) => v !== undefined && v !== '');
  const awsFromEnv = chooseExportTarget({ AWS_REGION: env['AWS_REGION'] || undefined }, env).kind === 'aws';
  const targetGiven = givenEndpoint !== undefined || (values.region ?? '') !== '' || awsFromEnv;
  const stackEndpoint = targetGiven ? undefined : stackXRay?.endpoint;
  const stackProtocol = values.protocol === undefined && (env['EXPORT_PROTOCOL'] ?? '') === '' && stackXRay?.protocol === 'otlp' ? 'otlp' : undefined;

  const settings = parseConfig(settingsSchema, {
    ...env,
    EPOCH_POLICY: values['epoch-policy'] ?? env['EPOCH_POLICY'],
    EPOCH_TTL: values['epoch-ttl'] ?? env['EPOCH_TTL'],
    ANNOTATION_TAGS: values['annotation-tags'] ?? env['ANNOTATION_TAGS'],
    EXPORT_PROTOCOL: values.protocol ?? stackProtocol ?? env['EXPORT_PROTOCOL'],
    XRAY_ENDPOINT: stackEndpoint ?? values['xray-endpoint'] ?? env['XRAY_ENDPOINT'],
    AWS_REGION: stackEndpoint === undefined ? values.region ?? env['AWS_REGION'] : undefined,
    XRAY_MAX_CONCURRENCY: values.concurrency ?? env['XRAY_MAX_CONCURRENCY'],
    XRAY_MAX_RETRIES: values['max-retries'] ?? env['XRAY_MAX_RETRIES'],
  });
  if (!settings.ok) errors.push(formatIssues(settings.issues.map((i) => ({ ...i, path: FLAG_OF[i.path] ?? i.path }))));
  const redisUrl = values.redis ?? (env['REDIS_URL'] || undefined);
  const epochStore = values['epoch-store'] ?? (values.redis !== undefined ? 'redis' : env['EPOCH_STORE'] === 'memory' ? 'memory' : redisUrl !== undefined ? 'redis' : 'memory');
  if (epochStore !== 'redis' && epochStore !== 'memory') errors.push(`--epoch-store: expected redis or memory, got "${epochStore}"`);
  if (epochStore === 'redis' && redisUrl === undefined) errors.push('--epoch-store redis: give --redis URL or set REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) errors.push(`--redis: expected a redis:// or rediss:// URL, got "${redisUrl}"`);

  const dryRun = values['dry-run'] === true;
  if (values.output !== undefined && !dryRun) errors.push('--output: only with --dry-run (without it documents go to X-Ray)');
  const rate = positiveNumber('rate', values.rate, 2000, errors);
  if (errors.length > 0 || !source.ok || !settings.ok) return fail(`invalid options:\n${errors.join('\n')}`);
  const { XRAY_ENDPOINT: endpoint, AWS_REGION: region } = settings.value;
  if (!dryRun && endpoint === undefined && region === undefined) {
    return fail('no X-Ray export target: give --xray-endpoint URL (XRAY_ENDPOINT, e.g. http://127.0.0.1:2000 for xray-local) or --region REGION (AWS_REGION, real X-Ray), or --dry-run (a running meshray stack\'s own xray-local is used when its Kafka is read without --brokers or KAFKA_BROKERS)');
  }
  if (!dryRun && rate > XRAY_SEGMENTS_PER_SECOND_QUOTA) {
    say(`warning: --rate ${rate}/s is above X-Ray's default quota of ${XRAY_SEGMENTS_PER_SECOND_QUOTA} segments/s per Region (shared with the live translators): expect throttling unless your quota was raised`);
  }

  const { topic, selection } = source.value;
  if (source.value.note !== undefined) say(`note: ${source.value.note}`);
  if (stackXRay !== undefined) {
    const like: string[] = [];
    if (stackEndpoint !== undefined && !dryRun) like.push(`exporting to its xray-local at ${stackEndpoint} (--xray-endpoint chooses another)`);
    if (stackProtocol !== undefined) like.push(`as ${stackProtocol === 'otlp' ? 'OTLP spans' : 'segment documents'}, its EXPORT_PROTOCOL (--protocol chooses another)`);
    if (like.length > 0) say(`note: like meshray stack (pid ${stackXRay.pid}): ${like.join('; ')}`);
  }
  const planned = await planSource(source.value, 'meshray-replay', io.env, say);
  if (!planned.ok) return fail(planned.message);
  const { kafka, plan, total } = planned;
  const target = describeExportTarget({ region, endpoint, env });
  say(`${planned.summary} → ${dryRun ? `ndjson (${values.output ?? 'stdout'}; ${settings.value.EXPORT_PROTOCOL === 'otlp' ? 'OTLP spans' : 'segment documents'})` : `X-Ray ${target.endpoint} (${settings.value.EXPORT_PROTOCOL}) at ≤ ${rate} ${settings.value.EXPORT_PROTOCOL === 'otlp' ? 'spans' : 'segments'}/s`}`);
  if (!dryRun) say(`exporting to ${target.endpoint} (region ${target.region}; credentials: ${target.credentials})`);
  // --dry-run's output is opened (a file truncated) before anything else: an empty selection leaves an empty
  // file, not the previous run's documents under this run's name.
  let output: ReturnType<typeof openOutput> | undefined;
  if (dryRun) {
    try {
      output = openOutput(values.output, io.stdout);
    } catch (e) {
      return fail(`cannot write ${values.output}: ${(e as Error).message}`);
    }
  }
  if (total === 0) {
    await output?.close();
    say(`nothing to replay: the selection holds no records (${describeSelection(selection)})`);
    return 0;
  }
  let redis: Redis | undefined;
  if (epochStore === 'redis' && redisUrl !== undefined) {
    try {
      redis = await connectRedis(redisUrl);
    } catch (e) {
      await output?.close();
      return fail((e as Error).message);
    }
  }

  const metrics = createTranslatorMetrics(new Registry());
  const tally = new ReplayTally();
  const xray = output === undefined ? createXRayClient({ region, endpoint, env }) : undefined;
  // The export sink as the translators wire it (exportSinkFromSettings: EXPORT_PROTOCOL), behind the --rate
  // decorator and the tally; --dry-run writes what would be sent.
  const exporter: ProtocolSink = xray === undefined
    ? dryRunSink(settings.value.EXPORT_PROTOCOL, new NdjsonSegmentSink((output as { out: NodeJS.WritableStream }).out))
    : exportSinkFromSettings(settings.value, { client: xray, endpoint, region: target.region, metrics });
  // a slice is about a second's worth (below 1/s: one document); the sink under it sends a slice as calls of
  // at most 50 documents, XRAY_MAX_CONCURRENCY at a time (a cap of 50 per slice made them one at a time: review)
  const limiter = xray === undefined
    ? undefined
    : { limiter: new TokenBucket({ ratePerSecond: rate, nowMs: Date.now, sleep: sleepMs }), sleep: sleepMs, sliceDocuments: Math.max(1, Math.floor(rate)) };
  const tallied: ProtocolSink = exporter.protocol === 'otlp'
    ? { protocol: 'otlp', sink: new TallySegmentSink(limiter ? new RateLimitedSegmentSink(exporter.sink, limiter) : exporter.sink, tally) }
    : { sink: new TallySegmentSink(limiter ? new RateLimitedSegmentSink(exporter.sink, limiter) : exporter.sink, tally) };
  const startMs = Date.now();
  const reader = new RangeSpanSource({
    kafka, topic, ranges: plan.ranges, batchRecords: source.value.batchRecords, idleTimeoutMs: source.value.idleTimeoutMs,
    ...(planned.timeWindow !== undefined ? { timeWindow: planned.timeWindow } : {}),
  });
  const config = translatorConfigOf(settings.value);
  // The live translators' pipeline over a source that never redelivers: a poison record or a document
  // X-Ray refuses is skipped and tallied at once; documents not accepted after the sink's retries stop it.
  const translator = createTranslator({
    config,
    source: reader,
    ...tallied,
    deadLetters: new TallyDeadLetterSink(tally),
    ...(redis ? { sharedEpochs: new RedisEpochStore({ redis, ttlMs: config.epochTtlMs }) } : {}),
    poisonMaxAttempts: 1,
    metrics,
    logger: silentLogger(),
    clock: Date.now,
    failurePauseMs: 0,
  });
  /** `spans`: translated and exported, read from the metrics at the end (a record carries many: span-list records). */
  const line = (spans?: number) => {
    // Records count once their batch is done: a replay that stops on X-Ray never shows them as replayed.
    const records = reader.positions.reduce((n, p) => n + p.next - p.startOffset, 0);
    return formatProgress({
      records, totalRecords: total, ...(spans !== undefined ? { spans, spansVerb: 'exported' } : {}), written: tally.documents, writtenUnit: 'document',
      ...(dryRun ? {} : { rateLimitPerSecond: rate }),
      skipped: tally.skippedTotal, elapsedMs: Date.now() - startMs, positions: reader.positions,
    });
  };
  const progress = values.quiet === true ? undefined : startProgress(io.stderr, 'meshray replay: ', line);
  let failure: Error | undefined;
  const interrupt = onInterrupt(() => { void reader.stop(); }, say);
  try {
    await translator.start();
    await reader.finished();
  } catch (e) {
    failure = e as Error;
    // A refused caller is not fixed by retrying: say what is, with the code (docs/replay.md names them).
    if (isMeshrayError(e) && actionFor(e.code) === 'halt') failure = new Error(`${e.code}: ${e.message}; ${HALT_ADVICE[e.code] ?? 'rerun once that is fixed'}`);
  } finally {
    interrupt.dispose();
    progress?.stop();
    await output?.close().catch(() => undefined);
    redis?.disconnect();
    xray?.destroy();
  }
  const spans = (await metrics.spansTranslated.get()).values.reduce((n, v) => n + v.value, 0);
  say(`${failure ? 'stopped' : 'done'}: ${line(spans)}`);
  const fallbacks = (await metrics.redisFallbacks.get()).values.reduce((n, v) => n + v.value, 0);
  if (fallbacks > 0) say(`warning: Redis was unreachable for ${fallbacks} batches: their X-Ray trace ids came from local caches and may differ from the live translators'`);
  for (const l of formatSkipped(tally).split('\n')) if (l !== '') say(l);
  if (failure && output?.readerClosed() === true) {
    say('stopped: the output was closed by its reader (e.g. head)');
    return 0;
  }
  if (failure) {
    const rest = resumeOffsets(reader.positions);
    say(interrupt.signal === undefined ? `failed: ${failure.message}` : `interrupted (${interrupt.signal}): what is above was replayed`);
    // --offsets cannot carry a time window: a time range of the DLQ (read whole, kept by time) is rerun as it was.
    if (rest !== '' && planned.timeWindow !== undefined) say('to finish, rerun with the same --dlq --from/--to (what was replayed is sent again: the same documents, overwritten)');
    else if (rest !== '') say(`to finish, rerun with --offsets ${rest}${values.dlq === true ? ' --dlq' : ` --topic ${topic}`}`);
    return interrupt.signal === undefined ? 1 : 130;
  }
  return tally.skippedTotal > 0 ? 2 : 0;
}

/** What to do about a refused caller, by code; others: rerun once fixed. */
const HALT_ADVICE: Readonly<Partial<Record<string, string>>> = {
  XRAY_ACCESS_DENIED: 'fix the credentials or permissions and rerun',
  TRANSACTION_SEARCH_OFF: 'for replay, EXPORT_PROTOCOL=segments is --protocol segments',
};

/** --dry-run: segment documents as they are; OTLP spans as one OTLP/JSON object (resource + span) per line. */
function dryRunSink(protocol: 'segments' | 'otlp', ndjson: NdjsonSegmentSink): ProtocolSink {
  if (protocol === 'segments') return { sink: ndjson };
  const lineOf = (d: OtlpDocument): string => otlpSpanLineOf(d.placed);
  return { protocol: 'otlp', sink: { put: (documents: readonly OtlpDocument[]) => ndjson.put(documents.map(lineOf)) } };
}
