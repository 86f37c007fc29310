import { Writable } from 'node:stream';
import type { CommandIo } from '../commands.ts';
import { parseCommandArgs } from '../command-args.ts';
import { reporterFor } from '../report.ts';
import { onInterrupt } from '../run-until-signal.ts';
import { formatIssues } from '../../../shared/core/result/result.ts';
import { deadLetterSourceOf } from '../../../shared/core/span-record/headers.ts';
import { decodeRecordSpans, type DeliveredRecord } from '../../../shared/core/span-record/record.ts';
import { encodeSpanJsonV2 } from '../../simulator/index.ts';
import { formatProgress, formatSkipped, ReplayTally, resumeOffsets, startProgress } from '../replay/progress.ts';
import { RangeSpanSource, type BatchHandler } from '../../translator/index.ts';
import { writeChunk } from '../replay/replay-sinks.ts';
import { DeadLetterSummary, deadLetterEntryOf } from '../replay/dead-letters.ts';
import { describeSelection } from '../replay/selection.ts';
import { openOutput, parseSource, planSource, SOURCE_HELP, SOURCE_OPTIONS } from '../replay/source-flags.ts';
import { runningReceivers, runtimeDirOf } from '../running-receivers.ts';

const HELP = `usage: meshray capture SELECTION [options]

Writes the spans of part of the span topic (or the dead-letter topic) to a file, as Zipkin v2 JSON.
Reads with a consumer group of its own that never commits. The file goes back in with
'meshray send FILE' (to a receiver) or 'meshray translate FILE' (a dry-run translation).

With --dlq, each dead letter is written with why and where from, read from its meshray.dlq.* headers:
  {"time":"…","reason":"InvalidTraceId","errorCode":"SEGMENT_REJECTED","attempts":1,
   "source":{"topic":"meshray.spans","partition":3,"offset":"1200"},"dlq":{"partition":0,"offset":"7"},
   "message":"…","span":{…Zipkin v2 span, or null when the record cannot be decoded}}

${SOURCE_HELP}
output:
  --format FORMAT          zipkin-json: one Zipkin v2 JSON array (default without --dlq) | ndjson: one v2
                           span per line | dead-letters: one dead letter per line, as above (default with --dlq)
  --output FILE            write to FILE (default: stdout)
  --summary                with --dlq: print the dead letters' counts by reason (and error code) on stdout
                           at the end; without --output nothing else is written to stdout
  --quiet                  nothing on stderr but warnings, skipped records and failures

exit codes: 0 every record written; 1 bad options or a Kafka failure; 2 some records could not be
decoded (listed on stderr, not written).
`;

export const CAPTURE_FORMATS = ['zipkin-json', 'ndjson', 'dead-letters'] as const;
export type CaptureFormat = (typeof CAPTURE_FORMATS)[number];

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const { say, fail } = reporterFor('capture', io);
  const parsed = parseCommandArgs(args, { ...SOURCE_OPTIONS, format: { type: 'string' }, output: { type: 'string' }, summary: { type: 'boolean' }, quiet: { type: 'boolean' } }, { name: 'capture', help: HELP, io, fail });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const errors: string[] = [];
  const source = parseSource(values, io.env, runningReceivers(runtimeDirOf(io.env)));
  if (!source.ok) errors.push(...source.errors);
  const format = (values.format ?? (values.dlq === true ? 'dead-letters' : 'zipkin-json')) as CaptureFormat;
  if (!CAPTURE_FORMATS.includes(format)) errors.push(`--format: expected one of ${CAPTURE_FORMATS.join(', ')}, got "${values.format}"`);
  if (format === 'dead-letters' && values.dlq !== true) errors.push('--format dead-letters: only with --dlq (other topics carry no dead-letter headers)');
  if (values.summary === true && values.dlq !== true) errors.push('--summary: only with --dlq (it counts dead letters by reason)');
  if (errors.length > 0 || !source.ok) return fail(errors.length === 1 ? `invalid options: ${errors[0]}` : `invalid options:\n${errors.join('\n')}`);
  const quiet = values.quiet === true;
  const info = (message: string): void => { if (!quiet) say(message); };
  const summary = values.summary === true ? new DeadLetterSummary() : undefined;
  // --summary alone: the table is stdout's only content.
  const writeRecords = summary === undefined || values.output !== undefined;

  const { topic, selection } = source.value;
  if (source.value.note !== undefined) say(`note: ${source.value.note}`);
  const planned = await planSource(source.value, 'meshray-capture', io.env, say);
  if (!planned.ok) return fail(planned.message);
  const { kafka, plan, total } = planned;
  info(`${planned.summary} → ${writeRecords ? `${format} (${values.output ?? 'stdout'})` : 'summary only'}`);
  if (total === 0) info(`nothing to capture: the selection holds no records (${describeSelection(selection)})`);

  let output: ReturnType<typeof openOutput>;
  try {
    output = writeRecords ? openOutput(values.output, io.stdout) : { out: nullStream(), close: () => Promise.resolve(), readerClosed: () => false };
  } catch (e) {
    return fail(`cannot write ${values.output}: ${(e as Error).message}`);
  }
  const tally = new ReplayTally();
  let first = true;
  const write = async (_partition: number, records: readonly DeliveredRecord[]): Promise<void> => {
    const lines: string[] = [];
    let spans = 0;
    for (const record of records) {
      const decoded = decodeRecordSpans(record); // one span (v1) or a span list (v2)
      if (decoded.ok) spans += decoded.value.length;
      if (format === 'dead-letters') {
        // Every dead letter is written, decodable or not: the reason is the point (one line per span it holds).
        const entry = deadLetterEntryOf(record);
        summary?.add(entry);
        if (!decoded.ok || decoded.value.length === 0) lines.push(JSON.stringify({ ...entry, span: null }));
        else for (const span of decoded.value) lines.push(JSON.stringify({ ...entry, span: JSON.parse(encodeSpanJsonV2(span)) as unknown }));
        continue;
      }
      if (!decoded.ok) {
        const from = deadLetterSourceOf(record.headers);
        tally.skip({ kind: 'undecodable', partition: record.partition, offset: record.offset, reason: 'avro', message: formatIssues(decoded.issues), ...(from ? { source: from } : {}) });
        continue;
      }
      for (const span of decoded.value) lines.push(encodeSpanJsonV2(span));
    }
    tally.records += records.length;
    tally.spans += spans;
    // Every dead letter counts in the summary, whatever the format and however many lines its batch gave.
    if (format !== 'dead-letters') for (const record of records) summary?.add(deadLetterEntryOf(record));
    if (lines.length === 0) return;
    const chunk = format !== 'zipkin-json'
      ? `${lines.join('\n')}\n`
      : `${first ? '[\n' : ',\n'}${lines.join(',\n')}`;
    first = false;
    await writeChunk(output.out, chunk);
    tally.documents += lines.length;
  };
  const startMs = Date.now();
  // The same source replay reads with; capture's handler writes the records instead of translating them.
  const reader = new RangeSpanSource({
    kafka, topic, ranges: plan.ranges, batchRecords: source.value.batchRecords, idleTimeoutMs: source.value.idleTimeoutMs,
    groupIdPrefix: 'meshray-capture', ...(planned.timeWindow !== undefined ? { timeWindow: planned.timeWindow } : {}),
  });
  const handler: BatchHandler = {
    handle: async ({ partition, records }) => {
      await write(partition, records);
      const last = records[records.length - 1];
      return last === undefined ? {} : { doneThrough: last.offset };
    },
    revoke: () => undefined,
  };
  const line = () => formatProgress({
    records: tally.records, totalRecords: total, spans: tally.spans, written: tally.documents, writtenUnit: format === 'dead-letters' ? 'dead letter' : 'span', ...(writeRecords ? {} : { writtenVerb: 'counted' }),
    skipped: tally.skippedTotal, elapsedMs: Date.now() - startMs, positions: reader.positions,
  });
  const progress = quiet ? undefined : startProgress(io.stderr, 'meshray capture: ', line);
  let failure: Error | undefined;
  const interrupt = onInterrupt(() => { void reader.stop(); }, say);
  try {
    await reader.read(handler);
    if (format === 'zipkin-json') await writeChunk(output.out, first ? '[]\n' : '\n]\n');
  } catch (e) {
    failure = e as Error;
  } finally {
    interrupt.dispose();
    progress?.stop();
    await output.close().catch((e: unknown) => { failure ??= e as Error; });
  }
  if (failure) say(`stopped: ${line()}`);
  else info(`done: ${line()}`);
  for (const l of formatSkipped(tally).split('\n')) if (l !== '') say(l);
  if (summary) io.stdout.write(summary.format(topic));
  if (failure && output.readerClosed()) {
    say('stopped: the output was closed by its reader (e.g. head)');
    return 0;
  }
  if (failure) {
    const rest = resumeOffsets(reader.positions);
    const why = interrupt.signal === undefined ? `failed: ${failure.message}` : `interrupted (${interrupt.signal}): what is above was written`;
    say(`${why}${format === 'zipkin-json' ? ' (the output is an unfinished JSON array)' : ''}`);
    // --offsets cannot carry a time window: a time range of the DLQ (read whole, kept by time) is rerun as it was.
    if (rest !== '' && planned.timeWindow !== undefined) say('the rest: rerun with the same --dlq --from/--to');
    else if (rest !== '') say(`the rest: --offsets ${rest}${values.dlq === true ? ' --dlq' : ` --topic ${topic}`}`);
    return interrupt.signal === undefined ? 1 : 130;
  }
  return tally.skippedTotal > 0 ? 2 : 0;
}

/** A writable that discards (records are not written when only the summary is asked for). */
function nullStream(): NodeJS.WritableStream {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
