import { isMeshrayError, MeshrayError, type ErrorCode } from '../../shared/edge/errors/index.ts';
import type { Logger } from '../../shared/edge/log/index.ts';
import { formatIssues } from '../../shared/core/result/result.ts';
import type { DeliveredRecord, RecordBatch } from '../../shared/edge/transport/index.ts';
import { documentsAsIs, packDocuments, type PackedDocument, type TranslatedDocument } from '../../shared/core/xray/index.ts';
import type { Span } from '../../shared/core/zipkin/span.ts';
import { decodeSpanRecord } from '../../shared/core/span-record/record.ts';
import { UncommittedRecords } from './commit/uncommitted.ts';
import { actionFor } from './policy/error-policy.ts';
import type { BatchControl, BatchHandler, BatchResult } from './consume/span-source.ts';
import type { PartitionEpochs } from './epochs/partition-epochs.ts';
import type { DeadLetter, DeadLetterSink } from './export/dead-letter.ts';
import type { PutOutcome, SegmentSink } from './export/segment-sink.ts';
import { sleepMs } from '../../shared/edge/resilience/clock.ts';
import type { TranslatorMetrics } from './metrics.ts';
import type { BatchTranslator } from './translate/translate-batch.ts';

export interface PipelineOptions {
  readonly translator: BatchTranslator;
  readonly epochs: PartitionEpochs;
  readonly sink: SegmentSink;
  readonly deadLetters: DeadLetterSink;
  readonly metrics: TranslatorMetrics;
  readonly logger: Logger;
  /** Deliveries of a poison record before it is dead-lettered (POISON_MAX_ATTEMPTS). */
  readonly poisonMaxAttempts: number;
  /** The clock (composition root: Date.now); gives the translator its `nowMs`. */
  readonly clock: () => number;
  /** Pause after a failed batch before it is redelivered. */
  readonly failurePauseMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * PACKING: nest each service's subsegments in its segment's document (shared/core/xray/pack.ts), splitting
   * off the largest ones past `maxDocumentBytes`; off: one document per translated document.
   */
  readonly packing?: { readonly maxDocumentBytes: number };
}

interface Poison {
  readonly recordIndex: number;
  readonly code: ErrorCode;
  readonly reason: string;
  readonly message: string;
}

/**
 * The batch handler: decode → translate → export → commit. Offsets are reported done only once X-Ray
 * accepted the documents (or they were dead-lettered). A poison record (undecodable, untranslatable) is
 * retried by redelivery up to `poisonMaxAttempts`, then dead-lettered, and its partition moves on.
 */
export class TranslatorPipeline implements BatchHandler {
  readonly #o: PipelineOptions;
  readonly #log: Logger;
  readonly #uncommitted = new UncommittedRecords();
  readonly #sleep: (ms: number) => Promise<void>;
  /** Batches that failed in a row with an expected (retry/halt) error: logged at warn once per streak. */
  #failedInARow = 0;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'pipeline' });
    this.#sleep = options.sleep ?? sleepMs;
  }

  revoke(partitions: readonly number[]): void {
    this.#o.epochs.drop(partitions);
    this.#uncommitted.revoked(partitions);
  }

  async handle(batch: RecordBatch, control: BatchControl): Promise<BatchResult> {
    const result = await this.exportBatch(batch, control);
    if (result.doneThrough !== undefined) this.committed(batch.partition, result.doneThrough);
    return result;
  }

  /** The partition is committed through `offset`: forget what was remembered about those records. */
  committed(partition: number, offset: string): void {
    this.#uncommitted.committed(partition, offset);
  }

  /**
   * `handle` without the commit bookkeeping: the assembly window hands it records of whole traces (not a
   * contiguous range) and commits on its own (services/translator/assemble/).
   */
  async exportBatch(batch: RecordBatch, control: BatchControl): Promise<BatchResult> {
    const { records, partition } = batch;
    if (records.length === 0) return {};
    const nowMs = this.#o.clock();

    // decode
    const spans: Span[] = [];
    const recordOfSpan: number[] = [];
    const poisons = new Map<number, Poison>();
    records.forEach((record, recordIndex) => {
      const decoded = decodeSpanRecord(record);
      if (decoded.ok) {
        spans.push(decoded.value);
        recordOfSpan.push(recordIndex);
      } else {
        poisons.set(recordIndex, { recordIndex, code: 'RECORD_UNDECODABLE', reason: 'undecodable', message: formatIssues(decoded.issues) });
      }
    });

    // translate
    const out = await this.#o.translator.translate(spans, this.#o.epochs.forPartition(partition), nowMs);
    for (const r of out.rejected) {
      const recordIndex = recordOfSpan[r.spanIndex] ?? 0;
      if (!poisons.has(recordIndex)) poisons.set(recordIndex, { recordIndex, code: 'SPAN_UNTRANSLATABLE', reason: r.reason, message: formatIssues(r.issues) });
    }

    // poison records: count this delivery; stop before the first one still allowed another attempt
    let cut = records.length;
    const letters: DeadLetter[] = [];
    for (const poison of [...poisons.values()].sort((a, b) => a.recordIndex - b.recordIndex)) {
      const record = records[poison.recordIndex] as DeliveredRecord;
      const attempts = this.#uncommitted.delivered(partition, record.offset);
      if (poison.recordIndex >= cut) continue;
      if (attempts < this.#o.poisonMaxAttempts || actionFor(poison.code) !== 'dead-letter') {
        cut = poison.recordIndex;
        continue;
      }
      letters.push({ topic: batch.topic, record, code: poison.code, reason: poison.reason, attempts, message: poison.message });
    }

    // export what comes before the cut (and was not accepted on an earlier delivery)
    const inBatch = out.documents.filter((d) => (recordOfSpan[d.spanIndex] ?? 0) < cut);
    const recordIndicesOf = (d: PackedDocument): number[] => [...new Set(d.spanIndices.map((i) => recordOfSpan[i] ?? 0))];
    const offsetsOf = (d: PackedDocument): string[] => recordIndicesOf(d).map((i) => (records[i] as DeliveredRecord).offset);
    const documents = this.#pack(inBatch).filter((d) => !offsetsOf(d).every((o) => this.#uncommitted.wasAccepted(partition, o, d.segmentId)));
    if (documents.length > 0) {
      let outcome: PutOutcome;
      try {
        outcome = await this.#o.sink.put(documents.map((d) => d.json), control);
      } catch (err) {
        return this.#failed(batch, err, control);
      }
      const refused = new Set<number>();
      for (const r of outcome.rejected) {
        const doc = documents[r.index];
        for (const recordIndex of doc === undefined ? [] : recordIndicesOf(doc)) {
          if (refused.has(recordIndex)) continue;
          refused.add(recordIndex);
          letters.push({ topic: batch.topic, record: records[recordIndex] as DeliveredRecord, code: r.code, reason: r.reason, attempts: 1, message: r.message });
        }
      }
      const notAccepted = new Set([...(outcome.unfinished?.indices ?? []), ...outcome.rejected.map((r) => r.index)]);
      this.#o.metrics.documentsExported.inc(documents.length - notAccepted.size);
      if (outcome.unfinished) {
        documents.forEach((d, i) => { if (!notAccepted.has(i)) for (const o of offsetsOf(d)) this.#uncommitted.accepted(partition, o, d.segmentId); });
        const { code, indices, message } = outcome.unfinished;
        const first = documents[indices[0] ?? 0];
        const where = `partition ${partition}, first at offset ${first === undefined ? '?' : offsetsOf(first)[0] ?? '?'}`;
        const said = actionFor(code) === 'halt'
          ? `X-Ray refused the caller, not the documents (${where}): ${message}`
          : `${indices.length} documents not accepted after retries (${where}): ${message}`;
        return this.#failed(batch, new MeshrayError(code, said), control);
      }
    }

    // dead-letter, then report done
    if (letters.length > 0) {
      try {
        await this.#o.deadLetters.send(letters);
      } catch (err) {
        return this.#failed(batch, err, control);
      }
      for (const l of letters) {
        this.#o.metrics.deadLetters.inc({ code: l.code, reason: l.reason });
        if (l.code !== 'SEGMENT_REJECTED') this.#o.metrics.spansRejected.inc({ reason: l.reason });
      }
    }
    const exportedSpans = new Set(inBatch.map((d) => d.spanIndex)).size;
    this.#o.metrics.spansTranslated.inc(exportedSpans);
    if (cut === 0) {
      this.#o.metrics.batches.inc({ outcome: 'poison_retry' });
      return {};
    }
    const doneThrough = (records[cut - 1] as DeliveredRecord).offset;
    this.#o.metrics.records.inc(cut);
    this.#o.metrics.batches.inc({ outcome: cut === records.length ? 'committed' : 'partial' });
    if (this.#failedInARow > 0) {
      this.#log.info({ failedBatches: this.#failedInARow }, 'batches export again');
      this.#failedInARow = 0;
    }
    return { doneThrough };
  }

  #pack(documents: readonly TranslatedDocument[]): PackedDocument[] {
    const packing = this.#o.packing;
    if (packing === undefined) return documentsAsIs(documents);
    const packed = packDocuments(documents, packing.maxDocumentBytes);
    if (packed.split > 0) this.#o.metrics.subsegmentsSplit.inc(packed.split);
    return packed.documents;
  }

  async #failed(batch: RecordBatch, err: unknown, control: BatchControl): Promise<BatchResult> {
    const failure = err instanceof Error ? err : new Error(String(err));
    if (isMeshrayError(err) && err.code === 'NOT_READY') {
      this.#o.metrics.batches.inc({ outcome: 'abandoned' });
      return { failure };
    }
    this.#o.metrics.batches.inc({ outcome: 'failed' });
    const retryable = isMeshrayError(err) && (actionFor(err.code) === 'retry' || actionFor(err.code) === 'halt');
    const fields = { partition: batch.partition, firstOffset: batch.records[0]?.offset, records: batch.records.length };
    // An outage fails every batch every pause: say it once (readiness and the metrics carry the rest).
    if (retryable && this.#failedInARow++ === 0) this.#log.warn({ ...fields, code: err.code, err: err.message }, 'batch not exported; it will be redelivered (repeats are logged at debug)');
    else if (retryable) this.#log.debug({ ...fields, code: err.code, err: err.message }, 'batch not exported; it will be redelivered');
    else this.#log.error({ ...fields, err }, 'batch failed unexpectedly; it will be redelivered');
    if (control.isActive()) await this.#sleep(this.#o.failurePauseMs ?? 1000);
    return { failure };
  }
}
