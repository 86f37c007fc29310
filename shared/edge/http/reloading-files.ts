import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface ReloadingFilesOptions<T> {
  /** Files read together (a certificate and its key; one token file). */
  readonly paths: readonly string[];
  /** Turns the files' contents into the value in use; throws when they are not valid (the old value stays). */
  readonly parse: (contents: readonly Buffer[]) => T;
  /** Called with each new value after a change was read and parsed. */
  readonly onChange?: (value: T) => void;
  /** Called when a changed file cannot be read or parsed (e.g. a certificate written before its key); once per failure, not on every check while it lasts. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Files that are re-read when their contents change: a token file, a TLS certificate and key. `check()`
 * reads the files, and when their SHA-256 digest differs from the last one it parses them and, if they
 * parse, switches to the new value. `start(intervalMs)` runs `check()` on a timer (a stat-free poll: a
 * rotated Kubernetes Secret is a symlink swap that fs.watch misses, and a poll is deterministic under
 * mock timers). A rotation written in two steps (certificate, then key) fails to parse in between: the
 * old value is kept and the next check picks up the pair. The first read happens in the constructor and
 * throws when the files are missing or invalid (a configuration problem at startup).
 */
export class ReloadingFiles<T> {
  readonly #options: ReloadingFilesOptions<T>;
  #digest: string;
  #value: T;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The failure last reported (a read error's message, or the digest of contents that did not parse): not again. */
  #failed: string | undefined;

  constructor(options: ReloadingFilesOptions<T>) {
    this.#options = options;
    const contents = this.#read();
    this.#value = options.parse(contents);
    this.#digest = digestOf(contents);
  }

  /** The value parsed from the files' last valid contents. */
  get value(): T { return this.#value; }

  /** Re-reads the files; true when they changed and the new contents are now in use. */
  check(): boolean {
    let contents: Buffer[];
    try {
      contents = this.#read();
    } catch (error) {
      this.#failedWith(`read:${String(error)}`, error);
      return false;
    }
    const digest = digestOf(contents);
    if (digest === this.#digest) {
      this.#failed = undefined; // back to the contents in use
      return false;
    }
    let value: T;
    try {
      value = this.#options.parse(contents);
    } catch (error) {
      this.#failedWith(`parse:${digest}`, error);
      return false;
    }
    this.#failed = undefined;
    this.#digest = digest;
    this.#value = value;
    this.#options.onChange?.(value);
    return true;
  }

  /** Checks every `intervalMs` until `stop()`; the timer does not keep the process alive. */
  start(intervalMs: number): void {
    this.stop();
    this.#timer = setInterval(() => this.check(), intervalMs);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reports a failure once: the same one on every later check (an emptied file left so) is not reported again. */
  #failedWith(key: string, error: unknown): void {
    if (key === this.#failed) return;
    this.#failed = key;
    this.#options.onError?.(error);
  }

  #read(): Buffer[] {
    return this.#options.paths.map((p) => readFileSync(p));
  }
}

function digestOf(contents: readonly Buffer[]): string {
  const hash = createHash('sha256');
  for (const c of contents) hash.update(String(c.length)).update(':').update(c);
  return hash.digest('hex');
}
