import { parseArgs } from 'node:util';
import type { CommandIo } from '../commands.ts';
import { reporterFor } from '../report.ts';
import { formatIssues } from '../../../shared/result/result.ts';
import { deadLetterSourceOf } from '../../../shared/span-record/headers.ts';
import { decodeSpanRecord, type DeliveredRecord } from '../../../shared/span-record/record.ts';
import { encodeSpanJsonV2 } from '../../simulator/encode/encode-json-v2.ts';
import { recordsIn } from '../replay/plan-ranges.ts';
import { formatProgress, formatSkipped, ReplayTally, resumeOffsets, startProgress } from '../replay/progress.ts';
import { RangeReader } from '../replay/read-ranges.ts';
import { writeChunk } from '../replay/replay-batch.ts';
import { describeSelection } from '../replay/selection.ts';
import { openOutput, parseSource, planSource, SOURCE_HELP, SOURCE_OPTIONS } from '../replay/source-flags.ts';

const HELP = `usage: meshray capture SELECTION [options]

Writes the spans of part of the span topic (or the dead-letter topic) to a file, as Zipkin v2 JSON.
Reads with a consumer group of its own that never commits. The file goes back in with
'meshray send FILE' (to a receiver) or 'meshray translate FILE' (a dry-run translation).

${SOURCE_HELP}
output:
  --format FORMAT          zipkin-json: one Zipkin v2 JSON array (default) | ndjson: one v2 span per line
  --output FILE            write to FILE (default: stdout)
  --quiet                  no progress lines on stderr

exit codes: 0 every record written; 1 bad options or a Kafka failure; 2 some records could not be
decoded (listed on stderr, not written).
`;

export const CAPTURE_FORMATS = ['zipkin-json', 'ndjson'] as const;
export type CaptureFormat = (typeof CAPTURE_FORMATS)[number];

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const { say, fail } = reporterFor('capture', io);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: false,
      options: { ...SOURCE_OPTIONS, format: { type: 'string' }, output: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean' } },
    });
  } catch (e) {
    return fail(`${(e as Error).message}\n\n${HELP}`);
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const errors: string[] = [];
  const source = parseSource(values, io.env);
  if (!source.ok) errors.push(...source.errors);
  const format = (values.format ?? 'zipkin-json') as CaptureFormat;
  if (!CAPTURE_FORMATS.includes(format)) errors.push(`--format: expected one of ${CAPTURE_FORMATS.join(', ')}, got "${values.format}"`);
  if (errors.length > 0 || !source.ok) return fail(`invalid options:\n${errors.join('\n')}`);

  const { topic, selection } = source.value;
  const planned = await planSource(source.value, 'meshray-capture', io.env);
  if (!planned.ok) return fail(planned.message);
  const { kafka, plan } = planned;
  for (const w of plan.warnings) say(`warning: ${w}`);
  const total = recordsIn(plan.ranges);
  say(`${topic}: ${describeSelection(selection)}: ${total} records in ${plan.ranges.filter((r) => r.endOffset > r.startOffset).length} of ${plan.ranges.length} partitions → ${format} (${values.output ?? 'stdout'})`);

  let output: ReturnType<typeof openOutput>;
  try {
    output = openOutput(values.output, io.stdout);
  } catch (e) {
    return fail(`cannot write ${values.output}: ${(e as Error).message}`);
  }
  const tally = new ReplayTally();
  let first = true;
  const write = async (_partition: number, records: readonly DeliveredRecord[]): Promise<void> => {
    const lines: string[] = [];
    for (const record of records) {
      const decoded = decodeSpanRecord(record);
      if (!decoded.ok) {
        const from = deadLetterSourceOf(record.headers);
        tally.skip({ kind: 'undecodable', partition: record.partition, offset: record.offset, reason: 'avro', message: formatIssues(decoded.issues), ...(from ? { source: from } : {}) });
        continue;
      }
      lines.push(encodeSpanJsonV2(decoded.value));
    }
    tally.records += records.length;
    tally.spans += lines.length;
    if (lines.length === 0) return;
    const chunk = format === 'ndjson'
      ? `${lines.join('\n')}\n`
      : `${first ? '[\n' : ',\n'}${lines.join(',\n')}`;
    first = false;
    await writeChunk(output.out, chunk);
    tally.documents += lines.length;
  };
  const startMs = Date.now();
  const reader = new RangeReader({
    kafka, topic, ranges: plan.ranges, batchRecords: source.value.batchRecords, idleTimeoutMs: source.value.idleTimeoutMs,
    groupIdPrefix: 'meshray-capture', onBatch: write,
  });
  const line = () => formatProgress({
    records: tally.records, totalRecords: total, spans: tally.spans, written: tally.documents, writtenUnit: 'span',
    skipped: tally.skippedTotal, elapsedMs: Date.now() - startMs, positions: reader.positions,
  });
  const progress = values.quiet === true ? undefined : startProgress(io.stderr, 'meshray capture: ', line);
  let failure: Error | undefined;
  try {
    await reader.read();
    if (format === 'zipkin-json') await writeChunk(output.out, first ? '[]\n' : '\n]\n');
  } catch (e) {
    failure = e as Error;
  } finally {
    progress?.stop();
    await output.close().catch((e: unknown) => { failure ??= e as Error; });
  }
  say(`${failure ? 'stopped' : 'done'}: ${line()}`);
  for (const l of formatSkipped(tally).split('\n')) if (l !== '') say(l);
  if (failure) {
    const rest = resumeOffsets(reader.positions);
    say(`failed: ${failure.message}${format === 'zipkin-json' ? ' (the output is an unfinished JSON array)' : ''}`);
    if (rest !== '') say(`the rest: --offsets ${rest}${values.dlq === true ? ' --dlq' : ` --topic ${topic}`}`);
    return 1;
  }
  return tally.skippedTotal > 0 ? 2 : 0;
}
