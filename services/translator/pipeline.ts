import { isMeshrayError, MeshrayError } from '../../shared/edge/errors/index.ts';
import type { Logger } from '../../shared/edge/log/index.ts';
import { formatIssues } from '../../shared/core/result/result.ts';
import type { DeliveredRecord, RecordBatch } from '../../shared/edge/transport/index.ts';
import type { Span } from '../../shared/core/zipkin/span.ts';
import { epochStoreAt, traceKeyOf } from '../../shared/core/xray/index.ts';
import { spanAloneRecordOf } from '../../shared/core/span-record/record.ts';
import { decodeBatch, issuesInRecord, spansAloneOf } from './decode/decode-batch.ts';
import { receiveClocksOf } from './epochs/receive-clocks.ts';
import { UncommittedRecords } from './commit/uncommitted.ts';
import { AcceptedDocuments } from './export/accepted-documents.ts';
import { actionFor, isFinalRefusal } from './policy/error-policy.ts';
import type { BatchControl, BatchHandler, BatchResult } from './consume/span-source.ts';
import type { PartitionEpochs } from './epochs/partition-epochs.ts';
import type { DeadLetter, DeadLetterSink } from './export/dead-letter.ts';
import type { ExportSink, ExportTranslator, ExportDocument, ExportProtocol } from './export/export-document.ts';
import type { PutOutcome } from './export/segment-sink.ts';
import { sleepMs } from '../../shared/edge/resilience/clock.ts';
import { isGroupRebalanceError } from '../../shared/edge/kafka/describe-error.ts';
import type { TranslatorMetrics } from './metrics.ts';

/** `D`: what the protocol's translate stage makes and its sink takes (segment documents, OTLP spans). */
export interface PipelineOptions<D extends ExportDocument> {
  /** Labels the pipeline's metrics; default `segments`. */
  readonly protocol?: ExportProtocol;
  readonly translator: ExportTranslator<D>;
  readonly epochs: PartitionEpochs;
  readonly sink: ExportSink<D>;
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
   * PACKING (segments only): groups the translated documents into the documents exported, each naming the
   * spans it carries (`spanIndices`; services/translator/translate/pack-segments.ts over shared/core/xray/pack.ts).
   * Absent: one exported document per translated one.
   */
  readonly pack?: (documents: readonly D[]) => { readonly documents: readonly D[]; readonly split: number };
}

/** How often a batch waiting for another call's answer about the same documents heartbeats its source. */
const IN_FLIGHT_HEARTBEAT_MS = 1000;

/**
 * The batch handler: decode → translate → export → commit. Offsets are reported done only once X-Ray
 * accepted the documents (or they were dead-lettered). A record carries one span (v1) or a span list (v2);
 * a poison record (undecodable, or holding a span refused for now) is retried by redelivery up to
 * `poisonMaxAttempts`, then dead-lettered, and its partition moves on; a span refused for good
 * (policy/error-policy.ts isFinalRefusal) is dead-lettered at its first delivery, without cutting the batch. Dead-lettering is per span: an
 * untranslatable or rejected span goes to the DLQ alone (spanAloneRecordOf), its neighbours are exported;
 * only an undecodable record goes whole.
 */
export class TranslatorPipeline<D extends ExportDocument> implements BatchHandler {
  readonly #o: PipelineOptions<D>;
  readonly #protocol: ExportProtocol;
  readonly #log: Logger;
  readonly #uncommitted = new UncommittedRecords();
  /** PACKING=on only: documents X-Ray accepted recently (by trace key and id), not sent again. */
  readonly #acceptedDocuments: AcceptedDocuments | undefined;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Batches that failed in a row with an expected (retry/halt) error: logged at warn once per streak. */
  #failedInARow = 0;

  constructor(options: PipelineOptions<D>) {
    this.#o = options;
    this.#protocol = options.protocol ?? 'segments';
    this.#log = options.logger.child({ component: 'pipeline' });
    this.#sleep = options.sleep ?? sleepMs;
    // with packing, a duplicate span sent alone would replace a packed document and drop what it nested
    this.#acceptedDocuments = options.pack === undefined ? undefined : new AcceptedDocuments();
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
    this.#uncommitted.delivering(partition);
    const nowMs = this.#o.clock();

    // decode
    const { spans, recordOfSpan, indexInDelivered, indexInRecord, poisons } = decodeBatch(records);

    // translate
    const clocks = receiveClocksOf(spans, recordOfSpan.map((r) => (records[r] as DeliveredRecord).timestampMs), nowMs);
    const local = this.#o.epochs.forPartition(partition);
    local.sweep(clocks.oldestMs);
    const epochs = epochStoreAt(local, clocks.of);
    const out = await this.#o.translator.translate(spans, epochs, nowMs);
    for (const r of out.rejected) {
      const recordIndex = recordOfSpan[r.spanIndex] ?? 0;
      const known = poisons.get(recordIndex);
      // the issues name the span by its index in the batch: name it by its index in its record, as the DLQ does
      const span = { spanIndex: r.spanIndex, reason: r.reason, message: formatIssues(issuesInRecord(r.issues, r.spanIndex, indexInRecord[r.spanIndex] ?? 0)) };
      if (known === undefined) poisons.set(recordIndex, { recordIndex, code: 'SPAN_UNTRANSLATABLE', reason: span.reason, message: span.message, spans: [span] });
      else known.spans?.push(span);
    }
    /** Span `spanIndex` of the batch as a record of its own (its record when it is the record's only span). */
    const recordOfSpanAlone = (spanIndex: number): DeliveredRecord => {
      const record = records[recordOfSpan[spanIndex] ?? 0] as DeliveredRecord;
      const span = spans[spanIndex];
      return (span && spanAloneRecordOf(record, indexInDelivered[spanIndex] ?? 0, span)) ?? record;
    };

    // a record that failed before and is not poison now (a time-dependent failure passed) no longer has a failure
    if (this.#uncommitted.hasFailures(partition)) {
      const tracesOf = records.map(() => new Set<string>());
      spans.forEach((s, i) => { tracesOf[recordOfSpan[i] ?? 0]?.add(s.traceId); });
      records.forEach((r, i) => { if (!poisons.has(i)) this.#uncommitted.recovered(partition, r.offset, tracesOf[i] ?? new Set()); });
    }

    // poison records: count this delivery; stop before the first one still allowed another attempt
    let cut = records.length;
    const letters: DeadLetter[] = [];
    // parts of one record (an assembly window's traces) share its offset: each part counts its own deliveries,
    // whenever it is due (a part is one trace: its poison spans' trace id names it)
    for (const poison of [...poisons.values()].sort((a, b) => a.recordIndex - b.recordIndex)) {
      const record = records[poison.recordIndex] as DeliveredRecord;
      const firstPoison = poison.spans?.[0];
      const part = firstPoison === undefined || poison.spans?.some((p) => spans[p.spanIndex]?.traceId !== spans[firstPoison.spanIndex]?.traceId) === true
        ? '' : spans[firstPoison.spanIndex]?.traceId ?? '';
      const attempts = this.#uncommitted.delivered(partition, record.offset, part);
      const spansInRecord = poison.spans?.map((p) => ({ index: indexInRecord[p.spanIndex] ?? 0, traceId: spans[p.spanIndex]?.traceId ?? '', reason: p.reason, message: p.message, attempts }));
      // what other parts of the record (other traces) failed with stays: this delivery speaks for its traces only
      const traces = new Set(spansInRecord?.map((p) => p.traceId));
      const otherParts = spansInRecord === undefined ? undefined : this.#uncommitted.failureOf(partition, record.offset)?.spans?.filter((p) => !traces.has(p.traceId));
      const spansOfRecord = spansInRecord && otherParts ? [...otherParts, ...spansInRecord] : spansInRecord;
      this.#uncommitted.failed(partition, record.offset, { code: poison.code, reason: poison.reason, message: poison.message, attempts, ...(spansOfRecord ? { spans: spansOfRecord } : {}) });
      if (poison.recordIndex >= cut) continue;
      // refused for good (error-policy.ts isFinalRefusal): dead-lettered now, and the batch is not cut around it
      const final = poison.spans !== undefined && poison.spans.every((p) => isFinalRefusal(p.reason));
      if (!final && (attempts < this.#o.poisonMaxAttempts || actionFor(poison.code) !== 'dead-letter')) {
        cut = poison.recordIndex;
        continue;
      }
      if (poison.spans === undefined) {
        letters.push({ topic: batch.topic, record, code: poison.code, reason: poison.reason, attempts, message: poison.message });
        continue;
      }
      for (const p of poison.spans) letters.push({ topic: batch.topic, record: recordOfSpanAlone(p.spanIndex), code: poison.code, reason: p.reason, attempts, message: p.message });
    }

    // export what comes before the cut and was not accepted on an earlier delivery. Remembered and filtered per
    // translated document, BEFORE packing: a redelivery may hold records the first delivery lacked (or lack some it
    // had), so packing can nest a document accepted alone before in a parent's document (or the reverse), and
    // X-Ray would then hold its id twice.
    const inBatch = out.documents.filter((d) => (recordOfSpan[d.spanIndex] ?? 0) < cut);
    const spansOf = (d: D): readonly number[] => d.spanIndices ?? [d.spanIndex];
    const offsetOfSpan = (i: number): string => (records[recordOfSpan[i] ?? 0] as DeliveredRecord).offset;
    const offsetsOf = (d: D): string[] => [...new Set(spansOf(d).map(offsetOfSpan))];
    const traceKeyOfDocument = (d: D): string => traceKeyOf((spans[d.spanIndex] as Span).traceId);
    const recent = this.#acceptedDocuments;
    // a span delivered again (a duplicate record, a redelivery) whose document X-Ray accepted already: not sent again
    const notYetAccepted = inBatch.filter((d) => !this.#uncommitted.wasAccepted(partition, offsetOfSpan(d.spanIndex), d.segmentId));
    if (recent !== undefined) {
      // the same document in a call not answered yet (the window's timer and a batch; a revoked generation's put):
      // wait for the answer, then judge it again, so that it is neither sent twice nor lost if that call fails
      try {
        for (;;) {
          const calls = new Set<Promise<unknown>>();
          for (const d of notYetAccepted) {
            const call = recent.inFlight(traceKeyOfDocument(d), d.segmentId);
            if (call !== undefined) calls.add(call);
          }
          if (calls.size === 0) break;
          await this.#answered([...calls], control);
          if (!control.isActive()) return await this.#failed(batch, new MeshrayError('NOT_READY', 'export abandoned: partition revoked or consumer stopping'), control);
        }
      } catch (err) {
        return this.#failed(batch, err, control);
      }
    }
    const fresh = recent === undefined ? notYetAccepted : notYetAccepted.filter((d) => !recent.has(traceKeyOfDocument(d), d.segmentId, nowMs));
    const notResent = notYetAccepted.length - fresh.length; // counted once the batch is done (a failed one comes again)
    const packed = this.#pack(fresh);
    const unpackedRefusals = new Set<number>();
    if (packed.length > 0) {
      const idsOf = (d: D): readonly string[] => d.segmentIds ?? [d.segmentId];
      const put = async (sent: readonly D[]): Promise<PutOutcome> => {
        const keys = recent === undefined ? [] : sent.map(traceKeyOfDocument);
        const call = this.#o.sink.put(sent, control);
        if (recent !== undefined) sent.forEach((d, i) => { recent.sending(keys[i] as string, idsOf(d), call); });
        try {
          const answer = await call;
          // what X-Ray took is remembered before the call stops counting as in flight: a duplicate waiting for
          // this answer must find it accepted, not absent (it was sent, and replaced a packed document, while a
          // refused document's pieces were sent again below)
          if (recent !== undefined) {
            const notTaken = new Set([...(answer.unfinished?.indices ?? []), ...answer.rejected.map((r) => r.index)]);
            sent.forEach((d, i) => { if (!notTaken.has(i)) recent.accepted(keys[i] as string, idsOf(d), nowMs); });
          }
          return answer;
        } finally {
          if (recent !== undefined) sent.forEach((d, i) => { recent.settled(keys[i] as string, idsOf(d)); });
        }
      };
      let documents: readonly D[] = packed;
      let outcome: PutOutcome;
      try {
        outcome = await put(packed);
        // a refused packed document: the documents it carried go again, each alone, so that only the span X-Ray
        // refuses is dead-lettered, not its service hop's other spans
        const unpack = outcome.rejected.filter((r) => (packed[r.index]?.spanIndices?.length ?? 1) > 1);
        if (unpack.length > 0) {
          const carried = (d: D): D[] => {
            const spansIn = new Set(spansOf(d));
            const ids = new Set(idsOf(d));
            return fresh.filter((t) => spansIn.has(t.spanIndex) && ids.has(t.segmentId));
          };
          const alone = unpack.flatMap((r) => carried(packed[r.index] as D));
          // a failure here must not lose what the first call settled: its documents are unfinished instead
          const again: PutOutcome = await put(alone).catch((err: unknown) => ({
            rejected: [],
            unfinished: { code: isMeshrayError(err) ? err.code : 'XRAY_UNAVAILABLE', message: err instanceof Error ? err.message : String(err), indices: alone.map((_, i) => i) },
          }));
          const shift = packed.length;
          documents = [...packed, ...alone];
          const unfinished = [...(outcome.unfinished?.indices ?? []), ...(again.unfinished?.indices ?? []).map((i) => i + shift)];
          const first = outcome.unfinished ?? again.unfinished;
          outcome = {
            rejected: [...outcome.rejected.filter((r) => !unpack.includes(r)), ...again.rejected.map((r) => ({ ...r, index: r.index + shift }))],
            ...(first === undefined ? {} : { unfinished: { ...first, indices: unfinished } }),
          };
          // the refused packed documents were not accepted, and their spans are accounted for by `alone`
          for (const r of unpack) unpackedRefusals.add(r.index);
        }
      } catch (err) {
        return this.#failed(batch, err, control);
      }
      const traceKeys = recent === undefined ? [] : documents.map(traceKeyOfDocument);
      const refused = new Set<number>();
      for (const r of outcome.rejected) {
        const doc = documents[r.index];
        // a refused document dead-letters each span it carries, each alone
        for (const spanIndex of doc === undefined ? [] : spansOf(doc)) {
          if (refused.has(spanIndex)) continue;
          refused.add(spanIndex);
          letters.push({ topic: batch.topic, record: recordOfSpanAlone(spanIndex), code: r.code, reason: r.reason, attempts: 1, message: r.message });
        }
      }
      const notAccepted = new Set([...(outcome.unfinished?.indices ?? []), ...outcome.rejected.map((r) => r.index), ...unpackedRefusals]);
      this.#o.metrics.documentsExported.inc(documents.length - notAccepted.size);
      if (recent !== undefined) documents.forEach((d, i) => { if (!notAccepted.has(i)) recent.accepted(traceKeys[i] as string, idsOf(d), nowMs); });
      if (outcome.unfinished) {
        // each translated document an accepted one carries (its spans and ids), under its own span's offset
        documents.forEach((d, i) => {
          if (notAccepted.has(i)) return;
          const spansIn = new Set(spansOf(d));
          const ids = new Set(d.segmentIds ?? [d.segmentId]);
          for (const t of fresh) if (spansIn.has(t.spanIndex) && ids.has(t.segmentId)) this.#uncommitted.accepted(partition, offsetOfSpan(t.spanIndex), t.segmentId);
        });
        const { code, indices, message } = outcome.unfinished;
        const first = documents[indices[0] ?? 0];
        const where = `partition ${partition}, first at offset ${first === undefined ? '?' : offsetsOf(first)[0] ?? '?'}`;
        const said = actionFor(code) === 'halt'
          ? `X-Ray refused the caller, not the documents (${where}): ${message}`
          : `${indices.length} document${indices.length === 1 ? '' : 's'} not accepted after retries (${where}): ${message}`;
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
        this.#o.metrics.deadLetters.inc({ code: l.code, reason: l.reason, protocol: this.#protocol });
        if (l.code !== 'SEGMENT_REJECTED') this.#o.metrics.spansRejected.inc({ reason: l.reason, protocol: this.#protocol });
      }
    }
    const exportedSpans = new Set(inBatch.map((d) => d.spanIndex)).size;
    this.#o.metrics.spansTranslated.inc({ protocol: this.#protocol }, exportedSpans);
    if (cut === 0) {
      this.#o.metrics.batches.inc({ outcome: 'poison_retry', protocol: this.#protocol });
      return {};
    }
    if (notResent > 0) this.#o.metrics.documentsNotResent.inc(notResent);
    const doneThrough = (records[cut - 1] as DeliveredRecord).offset;
    this.#o.metrics.records.inc({ protocol: this.#protocol }, cut);
    this.#o.metrics.batches.inc({ outcome: cut === records.length ? 'committed' : 'partial', protocol: this.#protocol });
    if (this.#failedInARow > 0) {
      this.#log.info({ failedBatches: this.#failedInARow }, 'batches export again');
      this.#failedInARow = 0;
    }
    return { doneThrough, doneRecords: cut };
  }

  /**
   * The dead letters that keep `records` (delivered, not committed, and no longer to be exported: the
   * all-in-one's topic at shutdown): each with `unexported` (code NOT_READY, attempts 0), except a poison
   * record still under POISON_MAX_ATTEMPTS, which keeps its own code, reason and attempts. Such a record's
   * poison spans go alone with that reason and its other spans alone as `unexported` (per span, as the
   * pipeline dead-letters); an undecodable one goes whole.
   */
  unexportedLetters(topic: string, records: readonly DeliveredRecord[], unexported: { readonly reason: string; readonly message: string }): DeadLetter[] {
    const letters: DeadLetter[] = [];
    const asUnexported = (record: DeliveredRecord): DeadLetter => ({ topic, record, code: 'NOT_READY', reason: unexported.reason, attempts: 0, message: unexported.message });
    for (const record of records) {
      const failure = this.#uncommitted.failureOf(record.partition, record.offset);
      if (failure === undefined) {
        letters.push(asUnexported(record));
        continue;
      }
      const asPoison = (r: DeliveredRecord, why: { readonly reason: string; readonly message: string; readonly attempts: number } = failure): DeadLetter =>
        ({ topic, record: r, code: failure.code, reason: why.reason, attempts: why.attempts, message: why.message });
      const alone = failure.spans === undefined ? undefined : spansAloneOf(record);
      if (failure.spans === undefined || alone === undefined) {
        letters.push(asPoison(record));
        continue;
      }
      // the indices are within the record as written (a part of it, from the assembly window, maps its own)
      const poison = new Map(failure.spans.map((p) => [`${p.index} ${p.traceId}`, p]));
      alone.forEach(({ record: r, traceId, indexInRecord }) => {
        const why = poison.get(`${indexInRecord} ${traceId}`);
        letters.push(why === undefined ? asUnexported(r) : asPoison(r, why));
      });
    }
    return letters;
  }

  #pack(documents: readonly D[]): readonly D[] {
    if (this.#o.pack === undefined) return documents;
    const packed = this.#o.pack(documents);
    if (packed.split > 0) this.#o.metrics.subsegmentsSplit.inc(packed.split);
    return packed.documents;
  }

  /**
   * Resolves once every call in `calls` is answered, heartbeating the source meanwhile (a heartbeat's error
   * rejects), or once the source is no longer active (revoked, stopping: the caller then gives the batch up).
   */
  async #answered(calls: readonly Promise<unknown>[], control: BatchControl): Promise<void> {
    let answered = false;
    const all = Promise.all(calls).then(() => { answered = true; });
    while (!answered && control.isActive()) {
      let timer: NodeJS.Timeout | undefined;
      const beat = new Promise<void>((resolve) => { timer = setTimeout(resolve, IN_FLIGHT_HEARTBEAT_MS); });
      await Promise.race([all, beat]);
      clearTimeout(timer);
      if (!answered && control.isActive()) await control.heartbeat();
    }
  }

  async #failed(batch: RecordBatch, err: unknown, control: BatchControl): Promise<BatchResult> {
    const failure = err instanceof Error ? err : new Error(String(err));
    if (isMeshrayError(err) && err.code === 'NOT_READY') {
      this.#o.metrics.batches.inc({ outcome: 'abandoned', protocol: this.#protocol });
      return { failure };
    }
    if (isGroupRebalanceError(err)) {
      // A heartbeat mid-batch (between export retries) met a rebalance: routine on every scale-out, not a fault
      // (found by review: logged at error with a stack). Nothing was committed; the new owner gets the records.
      this.#o.metrics.batches.inc({ outcome: 'abandoned', protocol: this.#protocol });
      this.#log.info({ partition: batch.partition, firstOffset: batch.records[0]?.offset, err: failure.message }, 'batch abandoned: the consumer group is rebalancing; its records will be redelivered');
      return { failure };
    }
    this.#o.metrics.batches.inc({ outcome: 'failed', protocol: this.#protocol });
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
