/**
 * The flags `meshray replay` and `meshray capture` share: where to read (brokers, topic, --dlq) and which
 * records (the selection), their help text, and opening the output file.
 */
import { createWriteStream, openSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { dlqEnv, durationMs, kafkaEnv, loadConfig, parseConfig, requireSaslCredentials } from '../../../shared/edge/config/index.ts';
import { createKafka } from '../../../shared/edge/kafka/client.ts';
import { kafkaSecurityOf } from '../../../shared/edge/kafka/from-config.ts';
import type { Parsed, Selection, SelectionFlags } from './selection.ts';
import type { TimeWindow } from '../../translator/index.ts';
import { plural } from '../plural.ts';
import { recordsIn, resolveRanges, type RangePlan } from './plan-ranges.ts';
import { describeSelection, parseSelection } from './selection.ts';
import type { RunningKafka, RunningReceiver, RunningXRay } from '../running-receivers.ts';

/** parseArgs options for the source and selection flags. */
export const SOURCE_OPTIONS = {
  brokers: { type: 'string' },
  topic: { type: 'string' },
  dlq: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  offsets: { type: 'string', multiple: true },
  partition: { type: 'string', multiple: true },
  'start-offset': { type: 'string', multiple: true },
  'end-offset': { type: 'string', multiple: true },
  all: { type: 'boolean' },
  'batch-size': { type: 'string' },
  'idle-timeout': { type: 'string' },
} as const;

export const SOURCE_HELP = `source:
  --brokers LIST           Kafka bootstrap brokers host:port,... (default: KAFKA_BROKERS, else the Kafka
                           of the one \`meshray stack\` running on this machine)
  --topic TOPIC            topic to read (default: SPANS_TOPIC, else that stack's, or meshray.spans)
  --dlq                    read the dead-letter topic instead (DLQ_TOPIC, else that stack's, or
                           meshray.spans.dlq): its records carry the original span value

selection (exactly one):
  --from TIME [--to TIME]  records whose timestamp is ≥ --from; each partition stops at its first record
                           with timestamp ≥ --to (default: the high-water mark when the command started).
                           TIME: ISO 8601 (2024-05-01T10:00:00Z, 2024-05-01) or epoch milliseconds
  --offsets SPEC           PARTITION:START-END,... inclusive, e.g. 0:100-200,3:0-50; P:N one offset;
                           P:N- from N to the high-water mark. Repeatable
  --partition P --start-offset A [--end-offset B]
                           the same, one partition per triple (repeatable; B inclusive)
  --all                    the whole topic (log start offset to high-water mark)

reading:
  --batch-size N           records read and handled together, aligned to offsets (default 500: replay
                           exports, and capture writes, each such batch at once)
  --idle-timeout DURATION  fail when no record arrives for this long, e.g. 60s (default 60s)
`;

export interface SourceFlags extends SelectionFlags {
  readonly brokers?: string | undefined;
  readonly topic?: string | undefined;
  readonly dlq?: boolean | undefined;
  readonly 'batch-size'?: string | undefined;
  readonly 'idle-timeout'?: string | undefined;
}

export interface Source {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly selection: Selection;
  readonly batchRecords: number;
  readonly idleTimeoutMs: number;
  /**
   * The topic's record times are not in offset order: the DLQ (a dead letter keeps its span record's time and
   * is appended when it failed). A time selection then reads the whole topic and keeps the records in it.
   */
  readonly timesOutOfOrder: boolean;
  /** Set when the brokers came from a running `meshray stack` (for stderr: where the records are read). */
  readonly note?: string;
  /** That stack's export target, when it announced one (running-receivers.ts RunningXRay), and its pid. */
  readonly stackXRay?: RunningXRay & { readonly pid: number };
}

const BROKERS = kafkaEnv.KAFKA_BROKERS;
const topicsSchema = z.object({ SPANS_TOPIC: kafkaEnv.SPANS_TOPIC, DLQ_TOPIC: dlqEnv.DLQ_TOPIC });

const securityFlagsSchema = z.object({ KAFKA_SSL: kafkaEnv.KAFKA_SSL, KAFKA_SASL_MECHANISM: kafkaEnv.KAFKA_SASL_MECHANISM });

/**
 * Whether `env`'s Kafka settings ask for TLS and which SASL mechanism, never the credentials (what a `meshray
 * stack` announces of a KAFKA_BROKERS it was given); values the schema refuses read as neither.
 */
export function kafkaSecurityAnnounced(env: Readonly<Record<string, string | undefined>>): Pick<RunningKafka, 'ssl' | 'saslMechanism'> {
  const r = parseConfig(securityFlagsSchema, env);
  if (!r.ok) return {};
  return { ...(r.value.KAFKA_SSL ? { ssl: true } : {}), ...(r.value.KAFKA_SASL_MECHANISM === 'none' ? {} : { saslMechanism: r.value.KAFKA_SASL_MECHANISM }) };
}

/** Why this shell cannot reach a stack's Kafka as the stack does (TLS or SASL it lacks), or undefined. */
function securityMismatch(stack: RunningReceiver, kafka: RunningKafka, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const mine = kafkaSecurityAnnounced(env);
  const needs = [
    ...(kafka.ssl === true && mine.ssl !== true ? ['KAFKA_SSL=true'] : []),
    ...(kafka.saslMechanism !== undefined && mine.saslMechanism !== kafka.saslMechanism
      ? [`KAFKA_SASL_MECHANISM=${kafka.saslMechanism} with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`] : []),
  ];
  return needs.length === 0 ? undefined
    : `--brokers: the running meshray stack (pid ${stack.pid}) reaches its Kafka at ${kafka.brokers} with ${[kafka.ssl === true ? 'TLS' : '', kafka.saslMechanism === undefined ? '' : `SASL ${kafka.saslMechanism}`].filter(Boolean).join(' and ')}: set ${needs.join(' and ')} here too, or give --brokers`;
}

/**
 * The source flags (falling back to KAFKA_BROKERS, SPANS_TOPIC, DLQ_TOPIC) → a Source, or every problem. With
 * neither --brokers nor KAFKA_BROKERS, the Kafka of the one `meshray stack` in `running` (running-receivers.ts)
 * is read, with its topic names where neither --topic nor the variables name one; several stacks are not guessed at.
 */
export function parseSource(flags: SourceFlags, env: Readonly<Record<string, string | undefined>>, running: readonly RunningReceiver[] = []): Parsed<Source> {
  const errors: string[] = [];
  if (flags.brokers !== undefined && flags.brokers.trim() === '') errors.push('--brokers: empty (give host:port,...)');
  let brokersText = flags.brokers ?? env['KAFKA_BROKERS'] ?? '';
  let brokers: string[] = [];
  let stack: RunningReceiver | undefined;
  if (brokersText.trim() === '' && flags.brokers === undefined) {
    const stacks = running.filter((r) => r.kafka !== undefined);
    const starts = running.filter((r) => r.command === 'start');
    const only = stacks.length === 1 ? stacks[0] : undefined;
    if (only?.kafka !== undefined) {
      stack = only;
      brokersText = only.kafka.brokers;
      const mismatch = securityMismatch(only, only.kafka, env);
      if (mismatch !== undefined) errors.push(mismatch);
    } else if (stacks.length > 1) {
      errors.push(`--brokers: ${stacks.length} meshray stacks run on this machine (${stacks.map((r) => `pid ${r.pid}: ${r.kafka?.brokers ?? '?'}`).join('; ')}): choose one with --brokers`);
    } else {
      errors.push(`--brokers: no Kafka brokers (give --brokers host:port or set KAFKA_BROKERS)${starts.length === 0 ? ''
        : `; the running meshray start (pid ${starts.map((r) => r.pid).join(', ')}) has no Kafka: the all-in-one hands spans over in memory, and its dead letters go to DEAD_LETTER_FILE`}`);
    }
  }
  if (brokersText.trim() !== '') {
    const parsed = BROKERS.safeParse(brokersText);
    if (parsed.success) brokers = parsed.data;
    else if (stack !== undefined) errors.push(`--brokers: the running meshray stack (pid ${stack.pid}) announced brokers "${brokersText}", not host:port,...: give --brokers`);
    else {
      // the schema's own word on the item (e.g. a scheme to drop: `http://…`, found by review)
      const why = parsed.error.issues.find((i) => i.code === 'custom')?.message;
      errors.push(`--brokers: expected host:port,..., got "${brokersText}"${why !== undefined && why !== 'expected host:port' ? ` (${why.replace(/^expected host:port, /, '')})` : ''}`);
    }
  }
  if (flags.dlq === true && flags.topic !== undefined) errors.push('--dlq and --topic: give one (--dlq reads DLQ_TOPIC)');
  // cannot fail: both have defaults; an empty variable counts as unset, and then the stack's names are the defaults
  const envTopics = loadConfig(topicsSchema, {
    ...env,
    SPANS_TOPIC: env['SPANS_TOPIC'] || stack?.kafka?.spansTopic, DLQ_TOPIC: env['DLQ_TOPIC'] || stack?.kafka?.dlqTopic,
  });
  const topic = flags.dlq === true ? envTopics.DLQ_TOPIC : (flags.topic ?? envTopics.SPANS_TOPIC);
  if (topic.trim() === '') errors.push('--topic: empty topic name');
  const selection = parseSelection(flags);
  if (!selection.ok) errors.push(...selection.errors);
  let batchRecords = 500;
  if (flags['batch-size'] !== undefined) {
    const n = Number(flags['batch-size']);
    if (Number.isInteger(n) && n >= 1 && n <= 100_000) batchRecords = n;
    else errors.push(`--batch-size: expected an integer 1-100000, got "${flags['batch-size']}"`);
  }
  let idleTimeoutMs = 60_000;
  if (flags['idle-timeout'] !== undefined) {
    const parsed = durationMs().safeParse(flags['idle-timeout']);
    if (parsed.success) idleTimeoutMs = parsed.data;
    else errors.push(`--idle-timeout: expected a duration like 60s, got "${flags['idle-timeout']}"`);
  }
  if (errors.length > 0 || !selection.ok) return { ok: false, errors };
  const note = stack === undefined ? undefined : `reading the Kafka of meshray stack (pid ${stack.pid}) at ${brokers.join(',')}; --brokers chooses another`;
  const stackXRay = stack?.xray === undefined ? undefined : { ...stack.xray, pid: stack.pid };
  return { ok: true, value: { brokers, topic, selection: selection.value, batchRecords, idleTimeoutMs, timesOutOfOrder: flags.dlq === true, ...(note === undefined ? {} : { note }), ...(stackXRay === undefined ? {} : { stackXRay }) } };
}

const kafkaSecuritySchema = z.object({
  KAFKA_SSL: kafkaEnv.KAFKA_SSL,
  KAFKA_SASL_MECHANISM: kafkaEnv.KAFKA_SASL_MECHANISM,
  KAFKA_SASL_USERNAME: kafkaEnv.KAFKA_SASL_USERNAME,
  KAFKA_SASL_PASSWORD: kafkaEnv.KAFKA_SASL_PASSWORD,
}).superRefine(requireSaslCredentials);

/**
 * A quiet kafkajs client for a CLI run (kafkajs errors surface as thrown errors, not log lines); TLS and
 * SASL from the same variables the services read (KAFKA_SSL, KAFKA_SASL_*).
 */
function kafkaFor(source: Source, clientId: string, env: Readonly<Record<string, string | undefined>>): Kafka {
  return createKafka({
    brokers: source.brokers,
    clientId,
    logLevel: 'nothing',
    retry: { retries: 3 },
    ...kafkaSecurityOf(loadConfig(kafkaSecuritySchema, env)),
  });
}

/** An output: the file (created or truncated; throws when it cannot be) or stdout; `close` flushes and closes a file. */
export function openOutput(file: string | undefined, stdout: NodeJS.WritableStream): { out: NodeJS.WritableStream; close(): Promise<void>; readerClosed(): boolean } {
  if (file === undefined || file === '-') {
    // `meshray replay --dry-run | head`: once the reader closes the pipe, writes fail with EPIPE. Without a
    // listener that 'error' event crashed the process (a stack trace, the consumer group left behind); now
    // the write fails, the read stops and cleans up, and the command says the reader closed its output.
    let closed = false;
    const onError = (err: NodeJS.ErrnoException): void => { if (err.code === 'EPIPE') closed = true; };
    stdout.on('error', onError);
    return { out: stdout, close: async () => { stdout.off('error', onError); }, readerClosed: () => closed };
  }
  // Opened now so that a bad path fails before anything is read (throws the fs error).
  const stream = createWriteStream(file, { fd: openSync(file, 'w') });
  // A write that fails (ENOSPC, EIO) reaches writeChunk's callback, which fails the read: the command then
  // stops cleanly (what was written, the --offsets of the rest, the consumer group deleted). Without a
  // listener, the stream's 'error' event crashed the process with a stack trace and left the group behind.
  let failed: Error | undefined;
  stream.on('error', (err) => { failed ??= err; });
  return {
    out: stream,
    close: () => new Promise<void>((resolve, reject) => {
      if (failed !== undefined || stream.destroyed) { reject(failed ?? new Error(`${file}: the output stream was closed`)); return; }
      stream.end(() => resolve());
    }),
    readerClosed: () => false,
  };
}

/** A source resolved into ranges: `total` records in them, `summary` says what was selected and how much. */
export interface PlannedSource {
  readonly ok: true;
  readonly kafka: Kafka;
  readonly plan: RangePlan;
  readonly total: number;
  /** Records to keep by time, for a time selection on a topic whose times are out of order (RangeSpanSource `timeWindow`). */
  readonly timeWindow?: TimeWindow;
  /** `<topic>: <selection>: N records in P of Q partitions` */
  readonly summary: string;
}

/**
 * Connects to the source's cluster and resolves its selection into per-partition ranges; says each of the
 * plan's warnings (`warning: ...`) through `say`.
 */
export async function planSource(
  source: Source,
  clientId: string,
  env: Readonly<Record<string, string | undefined>>,
  say: (message: string) => void,
): Promise<PlannedSource | { ok: false; message: string }> {
  const kafka = kafkaFor(source, clientId, env);
  const admin = kafka.admin();
  let plan: RangePlan;
  try {
    await admin.connect();
    plan = await resolveRanges(admin, source.topic, source.selection, { timesOutOfOrder: source.timesOutOfOrder });
  } catch (e) {
    return { ok: false, message: `cannot read ${source.topic} from ${source.brokers.join(',')}: ${(e as Error).message}` };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  for (const w of plan.warnings) say(`warning: ${w}`);
  const total = recordsIn(plan.ranges);
  const withRecords = plan.ranges.filter((r) => r.endOffset > r.startOffset).length;
  const { selection } = source;
  const timeWindow = selection.kind === 'time' && source.timesOutOfOrder ? { fromMs: selection.fromMs, ...(selection.toMs !== undefined ? { toMs: selection.toMs } : {}) } : undefined;
  const read = timeWindow === undefined ? '' : ' (read whole and kept by record time: its times are not in offset order)';
  const summary = `${source.topic}: ${describeSelection(selection)}: ${plural(total, 'record')} in ${withRecords} of ${plural(plan.ranges.length, 'partition')}${read}`;
  return { ok: true, kafka, plan, total, summary, ...(timeWindow !== undefined ? { timeWindow } : {}) };
}
