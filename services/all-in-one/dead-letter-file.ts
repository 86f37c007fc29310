/**
 * The all-in-one's DeadLetterSink: it has no Kafka, so no dead-letter topic. Each dead letter is appended to a
 * file, one line per span, in the same shape as `meshray capture --dlq` writes (format `dead-letters`: `time`,
 * `reason`, `errorCode`, `attempts`, `source`, `message`, then the Zipkin v2 `span`, or `null` for a record
 * that does not decode). `meshray translate FILE` and `meshray send FILE` read such a file back (they take
 * each line's `span`). The file is opened on the first dead letter, so a run without one leaves none behind.
 * `send` resolves once the lines are written: a letter is committed only after it is in the file.
 */
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, rmSync } from 'node:fs';
import { appendFile, open, rm, stat, truncate } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MeshrayError } from '../../shared/edge/errors/index.ts';
import { decodeRecordSpans } from '../../shared/core/span-record/record.ts';
import type { Logger } from '../../shared/edge/log/index.ts';
import { encodeSpanJsonV2 } from '../simulator/index.ts';
import type { DeadLetter, DeadLetterSink } from '../translator/index.ts';

/** One dead letter as its lines (one per span it holds), stamped `time`. Pure. */
export function deadLetterLinesOf(letter: DeadLetter, time: string): string[] {
  const head = {
    time,
    reason: letter.reason,
    errorCode: letter.code,
    attempts: letter.attempts,
    source: { topic: letter.topic, partition: letter.record.partition, offset: letter.record.offset },
    message: letter.message,
  };
  const decoded = decodeRecordSpans(letter.record);
  if (!decoded.ok || decoded.value.length === 0) return [JSON.stringify({ ...head, span: null })];
  return decoded.value.map((span) => JSON.stringify({ ...head, span: JSON.parse(encodeSpanJsonV2(span)) as unknown }));
}

/**
 * The distinct trace ids of the spans `letters` hold, the first `max` of them, and how many more there
 * are: what an error line names when the letters could not be written. Undecodable records add none. Pure.
 */
export function traceIdsOf(letters: readonly DeadLetter[], max: number): { readonly traceIds: string[]; readonly more: number } {
  const ids = new Set<string>();
  for (const letter of letters) {
    const decoded = decodeRecordSpans(letter.record);
    if (decoded.ok) for (const span of decoded.value) ids.add(span.traceId);
  }
  const all = [...ids];
  return { traceIds: all.slice(0, max), more: Math.max(0, all.length - max) };
}

export class FileDeadLetterSink implements DeadLetterSink {
  readonly #path: string;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #protocol: 'segments' | 'otlp';
  #written = 0;
  #warned = false;
  /** Appends run one after another: concurrent batches (PARTITIONS_CONCURRENCY) never interleave lines. */
  #tail: Promise<void> = Promise.resolve();

  /** `protocol`: the translator's EXPORT_PROTOCOL, which `meshray translate` must be given to show why (its limits differ). */
  constructor(options: { path: string; logger: Logger; now?: () => number; protocol?: 'segments' | 'otlp' }) {
    this.#path = resolve(options.path);
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
    this.#protocol = options.protocol ?? 'segments';
  }

  /**
   * At start: makes the file's directory if it is missing, and checks that `file` can be appended to (a
   * directory, or a place without write access, cannot). A dead letter that cannot be written is never
   * committed, so an unwritable file would stall export. The file itself is left as it was: created on the
   * first dead letter.
   * @throws MeshrayError CONFIG_INVALID naming DEAD_LETTER_FILE.
   */
  static checkWritable(file: string): void {
    const path = resolve(file);
    const existed = existsSync(path);
    try {
      mkdirSync(dirname(path), { recursive: true });
      const fd = openSync(path, 'a');
      try {
        if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
      } finally {
        closeSync(fd);
        if (!existed) rmSync(path, { force: true });
      }
    } catch (err) {
      throw new MeshrayError('CONFIG_INVALID', `DEAD_LETTER_FILE=${path}: cannot be written (${(err as Error).message}); set DEAD_LETTER_FILE to a writable file path`);
    }
  }

  /** The file's absolute path. */
  get path(): string {
    return this.#path;
  }

  /** Spans (lines) written since start. */
  get written(): number {
    return this.#written;
  }

  /**
   * Appends the letters' lines, after every earlier append. On a failed write (a full disk) the file is cut
   * back to its size before, so a redelivered batch leaves neither a torn line nor a duplicate.
   * @throws MeshrayError PUBLISH_FAILED (retryable: the translator's batch is redelivered).
   */
  send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return Promise.resolve();
    const write = this.#tail.then(() => this.#append(letters));
    this.#tail = write.catch(() => undefined);
    return write;
  }

  /**
   * `send`, synchronously, for a process about to exit (a third Ctrl-C): appends the letters' lines at once,
   * not after appends still in flight. Returns the lines (spans) written.
   * @throws MeshrayError PUBLISH_FAILED when the file cannot be written.
   */
  sendSync(letters: readonly DeadLetter[]): number {
    if (letters.length === 0) return 0;
    const lines = letters.flatMap((l) => deadLetterLinesOf(l, new Date(this.#now()).toISOString()));
    try {
      // An append still in flight (the process exits mid-write) may have left a torn last line: start on a
      // line of our own, so that line alone is unreadable, not ours glued to it.
      const torn = this.#endsTorn();
      appendFileSync(this.#path, `${torn ? '\n' : ''}${lines.join('\n')}\n`, 'utf8');
    } catch (err) {
      throw new MeshrayError('PUBLISH_FAILED', `cannot append dead letters to DEAD_LETTER_FILE=${this.#path}: ${(err as Error).message}`);
    }
    this.#written += lines.length;
    return lines.length;
  }

  /** True when the file exists, is not empty and its last byte is not a newline. */
  #endsTorn(): boolean {
    let fd: number;
    try {
      fd = openSync(this.#path, 'r');
    } catch {
      return false; // none yet
    }
    try {
      const size = fstatSync(fd).size;
      if (size === 0) return false;
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      return last[0] !== 0x0a;
    } finally {
      closeSync(fd);
    }
  }

  async #append(letters: readonly DeadLetter[]): Promise<void> {
    const time = new Date(this.#now()).toISOString();
    const lines = letters.flatMap((l) => deadLetterLinesOf(l, time));
    const before = await stat(this.#path).then((s) => s.size, () => undefined);
    try {
      // a run killed mid-append (SIGKILL, the OOM killer) may have left a torn last line: start on a line of our
      // own, so that fragment alone is unreadable, not our first letter glued to it
      const torn = before !== undefined && before > 0 && await endsWithoutNewline(this.#path, before);
      await appendFile(this.#path, `${torn ? '\n' : ''}${lines.join('\n')}\n`, 'utf8');
    } catch (err) {
      if (before !== undefined) await truncate(this.#path, before).catch(() => undefined);
      else await rm(this.#path, { force: true }).catch(() => undefined);
      // what happens next is the caller's to say: a batch is redelivered, a shutdown reports the spans lost
      throw new MeshrayError('PUBLISH_FAILED', `cannot append dead letters to DEAD_LETTER_FILE=${this.#path}: ${(err as Error).message}`);
    }
    this.#written += lines.length;
    if (!this.#warned) {
      this.#warned = true;
      this.#log.warn({ file: this.#path, reason: letters[0]?.reason }, `spans dead-lettered: written to the dead-letter file (meshray translate ${this.#protocol === 'otlp' ? '--protocol otlp ' : ''}FILE shows why; meshray send FILE sends those with a span again, which helps only once their cause is gone: X-Ray down, not a span refused for good such as too_old or no_timestamp)`);
    }
  }
}

/** True when the last of the file's `size` bytes is not a newline. */
async function endsWithoutNewline(path: string, size: number): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const last = Buffer.alloc(1);
    await file.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await file.close();
  }
}
