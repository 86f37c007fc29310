/**
 * The adapters `meshray replay` gives the translator (services/translator createTranslator) besides its
 * RangeSpanSource: "skip and tally" as a DeadLetterSink, a SegmentSink decorator counting accepted
 * documents, and the --dry-run ndjson writer. Replay and the live translator run the same pipeline; only
 * these ports differ.
 */
import { DEAD_LETTER_HEADERS, deadLetterSourceOf } from '../../../shared/core/span-record/headers.ts';
import type { BatchControl, DeadLetter, DeadLetterSink, PutOutcome, SegmentSink } from '../../translator/index.ts';
import type { ReplayTally, SkipKind } from './progress.ts';

const KIND_OF_CODE: Readonly<Record<string, SkipKind>> = {
  RECORD_UNDECODABLE: 'undecodable',
  SPAN_UNTRANSLATABLE: 'untranslatable',
  SEGMENT_REJECTED: 'rejected',
};

/**
 * DeadLetterSink that skips and tallies: replay never writes to the DLQ; each dead letter becomes a
 * skip (listed on stderr, exit code 2): an undecodable record, or one span (a span of a list names its index). An undecodable record's reason reads `avro` (the value
 * codec that refused it), as `capture` says.
 */
export class TallyDeadLetterSink implements DeadLetterSink {
  readonly #tally: ReplayTally;

  constructor(tally: ReplayTally) {
    this.#tally = tally;
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    for (const l of letters) {
      const source = deadLetterSourceOf(l.record.headers);
      // a span of a span list, dead-lettered alone, names its index (record.ts spanAloneRecordOf); a record read
      // from the DLQ is one span already, and its source (`…#N`) names the index it had (review: "span 2" of p0@0)
      const spanIndex = l.code === 'RECORD_UNDECODABLE' || source !== undefined ? undefined : l.record.headers[DEAD_LETTER_HEADERS.spanIndex];
      // ...and its span, the record's only one, is `spans[0]` to the translator: named as its source record had it,
      // as capture names it (newcomer trial: capture said spans[3], replay spans[0], of one dead letter)
      // (the translator's own refusals only: an OTLP rejection quotes its request's `…scopeSpans[0].spans[0]`, found by review)
      const sourceIndex = source === undefined || l.code !== 'SPAN_UNTRANSLATABLE' ? undefined : l.record.headers[DEAD_LETTER_HEADERS.spanIndex];
      this.#tally.skip({
        kind: KIND_OF_CODE[l.code] ?? 'rejected',
        partition: l.record.partition,
        offset: l.record.offset,
        reason: l.code === 'RECORD_UNDECODABLE' ? 'avro' : l.reason,
        message: sourceIndex === undefined || !/^\d+$/.test(sourceIndex) ? l.message : l.message.replace(/(?<![\w.])spans\[0\]/g, `spans[${sourceIndex}]`),
        ...(source === undefined ? {} : { source }),
        ...(spanIndex === undefined ? {} : { spanIndex: Number(spanIndex) }),
      });
    }
  }
}

/**
 * SegmentSink decorator: adds the documents the inner sink accepted to `tally.documents`. Generic over the
 * document type so it wraps the segments and the OTLP sinks alike.
 *
 * Shaped like the other SegmentSink decorators on purpose (the inner sink and options held, `put` wrapping
 * the inner `put`): one behaviour per decorator, composed by the caller (docs/CONVENTIONS.md, "Translator ports").
 */
export class TallySegmentSink<T = string> {
  readonly #inner: { put(documents: readonly T[], control?: BatchControl): Promise<PutOutcome> };
  readonly #tally: ReplayTally;

  constructor(inner: { put(documents: readonly T[], control?: BatchControl): Promise<PutOutcome> }, tally: ReplayTally) {
    this.#inner = inner;
    this.#tally = tally;
  }

  async put(documents: readonly T[], control?: BatchControl): Promise<PutOutcome> {
    const outcome = await this.#inner.put(documents, control);
    this.#tally.documents += documents.length - outcome.rejected.length - (outcome.unfinished?.indices.length ?? 0);
    return outcome;
  }
}

/** --dry-run: one document per line on a stream; every document counts as accepted. */
export class NdjsonSegmentSink implements SegmentSink {
  readonly #out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  async put(documents: readonly string[]): Promise<PutOutcome> {
    if (documents.length > 0) await writeChunk(this.#out, `${documents.join('\n')}\n`);
    return { rejected: [] };
  }
}

/**
 * Writes and settles once the stream has taken the chunk (its write callback): a failed write (EPIPE, ENOSPC)
 * rejects, so the read stops there. (Resolving when `write` returned true let a failed write pass unnoticed
 * until the stream's 'error' event crashed the process.)
 */
export function writeChunk(out: NodeJS.WritableStream, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(chunk, (err) => { if (err) reject(err); else resolve(); });
  });
}
