/** Small JSON-writing helpers for the serializer's hot path. Each gives exactly what `JSON.stringify` gives. */

/** Strings `JSON.stringify` copies as they are: no `"`, `\`, control character or surrogate. */
const NEEDS_NO_ESCAPE = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * `JSON.stringify(value)` for a string, without calling it in the common case of nothing to escape; a lone
 * surrogate becomes U+FFFD (what meshray's Avro writer makes of it on the way through Kafka), not a `\ud800`
 * escape, which is no Unicode character and which X-Ray's UTF-8 documents cannot hold.
 */
export function quoteJson(value: string): string {
  return NEEDS_NO_ESCAPE.test(value) ? `"${value}"` : JSON.stringify(value.toWellFormed());
}

/** `JSON.stringify(value)` for a number: non-finite numbers are `null`. */
export function numberJson(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** Below 2^32 s (4.29e15 µs), a double's spacing is under 0.5 µs, so each whole µs count gets its own shortest form. */
const SECONDS_FROM_INTEGERS_BELOW_MICROS = 4e15;

/**
 * `numberJson(micros / 1e6)`: epoch seconds with up to 6 decimals, as X-Ray's `start_time`/`end_time` take them
 * (segment document reference, "Segment fields"). For a whole, non-negative `micros` below 4e15 it is written
 * from integers: ECMAScript's Number::toString gives the shortest decimal that rounds to the double, and there
 * that is `seconds.micros` without trailing zeros, because no other decimal of at most 6 places lies within half
 * a unit of the double's last place. Otherwise it is `numberJson(micros / 1e6)` itself.
 * Measured (`BENCH=ab`, "JSON start_time and end_time"): 3.5× faster than `String(micros / 1e6)` on distinct instants.
 */
export function secondsJson(micros: number): string {
  if (!(Number.isSafeInteger(micros) && micros >= 0 && micros < SECONDS_FROM_INTEGERS_BELOW_MICROS)) return numberJson(micros / 1e6);
  let fraction = micros % 1e6;
  const seconds = (micros - fraction) / 1e6;
  if (fraction === 0) return `${seconds}`;
  let places = 6;
  while (fraction % 10 === 0) {
    fraction /= 10;
    places -= 1;
  }
  return `${seconds}.${`${fraction}`.padStart(places, '0')}`;
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

/**
 * `json` as one flat (sequential) string. A document written piece by piece is a tree of V8 cons strings;
 * whoever encodes it next (the AWS SDK's JSON codec, `Buffer.byteLength`) walks or flattens that tree on
 * every use. Reading one character makes V8 flatten it once, in place. Measured (BENCH=sdk, issue 9): the
 * SDK's PutTraceSegments client costs 42.6 µs per fresh document and 23.1 µs once flat, flattening included.
 */
export function flatJson(json: string): string {
  // Kept in module state so that an optimizing compiler cannot drop the read as dead code.
  if (json.length > 0) lastFlattenedCode = json.charCodeAt(json.length >> 1);
  return json;
}
let lastFlattenedCode = 0;
/** The character flatJson last read (exists only so that the read is observable). */
export const lastFlattened = (): number => lastFlattenedCode;
