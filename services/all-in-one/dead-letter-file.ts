/**
 * The all-in-one's DeadLetterSink: it has no Kafka, so no dead-letter topic. Each dead letter is appended to a
 * file, one line per span, in the same shape as `meshray capture --dlq` writes (format `dead-letters`: `time`,
 * `reason`, `errorCode`, `attempts`, `source`, `message`, then the Zipkin v2 `span`, or `null` for a record
 * that does not decode). `meshray translate FILE` and `meshray send FILE` read such a file back (they take
 * each line's `span`). The file is opened on the first dead letter, so a run without one leaves none behind.
 * `send` resolves once the lines are written (appendFile): a letter is committed only after it is in the file.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
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

export class FileDeadLetterSink implements DeadLetterSink {
  readonly #path: string;
  readonly #log: Logger;
  readonly #now: () => number;
  #written = 0;

  constructor(options: { path: string; logger: Logger; now?: () => number }) {
    this.#path = resolve(options.path);
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
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
   * Makes the file's directory if it is missing and checks that the file can be written, at start: a dead
   * letter that cannot be written is never committed, so an unwritable file would stall export.
   * @throws MeshrayError CONFIG_INVALID naming DEAD_LETTER_FILE.
   */
  static checkWritable(file: string): void {
    const path = resolve(file);
    try {
      mkdirSync(dirname(path), { recursive: true });
      accessSync(existsSync(path) ? path : dirname(path), constants.W_OK);
    } catch (err) {
      throw new MeshrayError('CONFIG_INVALID', `DEAD_LETTER_FILE=${path}: cannot be written (${(err as Error).message}); set DEAD_LETTER_FILE to a writable path`);
    }
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const time = new Date(this.#now()).toISOString();
    const lines = letters.flatMap((l) => deadLetterLinesOf(l, time));
    await appendFile(this.#path, `${lines.join('\n')}\n`, 'utf8');
    if (this.#written === 0) {
      this.#log.warn({ file: this.#path, reason: letters[0]?.reason }, 'spans dead-lettered: written to the dead-letter file (meshray translate FILE shows why; meshray send FILE sends them again)');
    }
    this.#written += lines.length;
  }
}
