/**
 * Replay's decode → translate → export stage for one batch of one partition. The translator is the live
 * translators' (BatchTranslator: shared epoch store when given, else the partition's local cache) with the
 * CURRENT configuration; the sink is X-Ray (rate-limited) or an ndjson writer (dry run). Nothing is retried
 * by redelivery here: a record that cannot be decoded or translated, or a document X-Ray refuses, is
 * reported and skipped; documents X-Ray did not accept after the sink's retries abort the replay.
 */
import { isRetryable, MeshrayError } from '../../../shared/errors/index.ts';
import { formatIssues } from '../../../shared/result/result.ts';
import { deadLetterSourceOf } from '../../../shared/span-record/headers.ts';
import { decodeSpanRecord, type DeliveredRecord } from '../../../shared/span-record/record.ts';
import type { Span } from '../../../shared/zipkin/span.ts';
import type { PartitionEpochs } from '../../translator/epochs/partition-epochs.ts';
import type { ExportControl, PutOutcome, RejectedDocument } from '../../translator/export/segment-sink.ts';
import type { BatchTranslator } from '../../translator/translate/translate-batch.ts';
import type { ReplayTally } from './progress.ts';
import type { TokenBucket } from '../../../shared/resilience/token-bucket.ts';

/** Port: where replayed documents go (XRaySegmentSink, or NdjsonDocumentSink for --dry-run). */
export interface DocumentSink {
  put(documents: readonly string[], control?: ExportControl): Promise<PutOutcome>;
}

export interface ReplayBatchOptions {
  readonly translator: Pick<BatchTranslator, 'translate'>;
  readonly epochs: PartitionEpochs;
  readonly sink: DocumentSink;
  /** Absent: no rate limit (dry run). */
  readonly limiter?: Pick<TokenBucket, 'acquire'>;
  /** Documents per rate-limited `put` (about a second's worth: the consumer heartbeats between them). */
  readonly sliceDocuments?: number;
  readonly tally: ReplayTally;
  readonly clock: () => number;
}

const withSource = (record: DeliveredRecord): { source?: string } => {
  const source = deadLetterSourceOf(record.headers);
  return source === undefined ? {} : { source };
};

export async function replayBatch(o: ReplayBatchOptions, partition: number, records: readonly DeliveredRecord[], control?: ExportControl): Promise<void> {
  const { tally } = o;
  const spans: Span[] = [];
  const recordOfSpan: DeliveredRecord[] = [];
  for (const record of records) {
    const decoded = decodeSpanRecord(record);
    if (decoded.ok) {
      spans.push(decoded.value);
      recordOfSpan.push(record);
    } else {
      tally.skip({ kind: 'undecodable', partition, offset: record.offset, reason: 'avro', message: formatIssues(decoded.issues), ...withSource(record) });
    }
  }
  // Records count as read once their batch is done: a replay that stops on X-Ray never shows them as replayed.
  const done = (): void => {
    tally.records += records.length;
    tally.spans += spans.length;
  };
  if (spans.length === 0) return done();

  const out = await o.translator.translate(spans, o.epochs.forPartition(partition), o.clock());
  const untranslatable = new Set<number>();
  for (const r of out.rejected) {
    if (untranslatable.has(r.spanIndex)) continue;
    untranslatable.add(r.spanIndex);
    const record = recordOfSpan[r.spanIndex] as DeliveredRecord;
    tally.skip({ kind: 'untranslatable', partition, offset: record.offset, reason: r.reason, message: formatIssues(r.issues), ...withSource(record) });
  }
  const documents = out.documents;
  if (documents.length === 0) return done();

  const outcome = await putInSlices(o, documents.map((d) => d.json), control);
  const refusedRecords = new Set<string>();
  for (const r of outcome.rejected) {
    const doc = documents[r.index];
    const record = doc === undefined ? undefined : recordOfSpan[doc.spanIndex];
    if (record === undefined || refusedRecords.has(record.offset)) continue;
    refusedRecords.add(record.offset);
    tally.skip({ kind: 'rejected', partition, offset: record.offset, reason: r.reason, message: r.message, ...withSource(record) });
  }
  const notAccepted = outcome.rejected.length + (outcome.unfinished?.indices.length ?? 0);
  tally.documents += documents.length - notAccepted;
  if (outcome.unfinished) {
    const first = documents[outcome.unfinished.indices[0] ?? 0];
    const firstRecord = first === undefined ? undefined : recordOfSpan[first.spanIndex];
    const where = `partition ${partition}, first at offset ${firstRecord?.offset ?? '?'}`;
    throw new MeshrayError(
      outcome.unfinished.code,
      isRetryable(outcome.unfinished.code)
        ? `${outcome.unfinished.indices.length} documents not accepted after retries (${where}): ${outcome.unfinished.message}`
        : `X-Ray refused the caller, not the documents (${where}): ${outcome.unfinished.message}; fix the credentials or permissions and rerun`,
    );
  }
  done();
}

/** Puts the documents in rate-limited slices, heartbeating between them; one outcome with indices into `documents`. */
async function putInSlices(o: ReplayBatchOptions, documents: readonly string[], control?: ExportControl): Promise<PutOutcome> {
  const size = Math.max(1, o.sliceDocuments ?? documents.length);
  const rejected: RejectedDocument[] = [];
  for (let start = 0; start < documents.length; start += size) {
    const slice = documents.slice(start, start + size);
    if (start > 0) await control?.heartbeat();
    await o.limiter?.acquire(slice.length);
    const outcome = await o.sink.put(slice, control);
    rejected.push(...outcome.rejected.map((r) => ({ ...r, index: r.index + start })));
    if (outcome.unfinished) {
      // Stop at the first slice X-Ray did not take: the rest of the batch is unfinished too.
      const rest = Array.from({ length: documents.length - start - slice.length }, (_, i) => start + slice.length + i);
      return { rejected, unfinished: { ...outcome.unfinished, indices: [...outcome.unfinished.indices.map((i) => i + start), ...rest] } };
    }
  }
  return { rejected };
}

/** --dry-run: one document per line on a stream; every document counts as accepted. */
export class NdjsonDocumentSink implements DocumentSink {
  readonly #out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  async put(documents: readonly string[]): Promise<PutOutcome> {
    if (documents.length > 0) await writeChunk(this.#out, `${documents.join('\n')}\n`);
    return { rejected: [] };
  }
}

/** Writes and waits for 'drain' when the stream's buffer is full. */
export function writeChunk(out: NodeJS.WritableStream, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = out.write(chunk, (err) => { if (err) reject(err); });
    if (ok) resolve();
    else out.once('drain', resolve);
  });
}
