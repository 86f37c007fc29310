/** Small JSON-writing helpers for the serializer's hot path. Each gives exactly what `JSON.stringify` gives. */

/** Strings `JSON.stringify` copies as they are: no `"`, `\`, control character or surrogate. */
const NEEDS_NO_ESCAPE = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** `JSON.stringify(value)` for a string, without calling it in the common case of nothing to escape. */
export function quoteJson(value: string): string {
  return NEEDS_NO_ESCAPE.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** `JSON.stringify(value)` for a number: non-finite numbers are `null`. */
export function numberJson(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/**
 * Writes one JSON object member by member, in call order, as `JSON.stringify` would write an object built in
 * that order. Keys are meshray's own field names (plain ASCII, never array indices), so they are not escaped.
 */
export class JsonObjectWriter {
  #json = '';

  /** A member whose value is already JSON. */
  raw(key: string, json: string): this {
    this.#json = this.#json === '' ? `"${key}":${json}` : `${this.#json},"${key}":${json}`;
    return this;
  }

  string(key: string, value: string): this {
    return this.raw(key, quoteJson(value));
  }

  number(key: string, value: number): this {
    return this.raw(key, numberJson(value));
  }

  /** The members written so far, without braces. */
  members(): string {
    return this.#json;
  }

  close(): string {
    return `{${this.#json}}`;
  }
}
