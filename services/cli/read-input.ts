import { readFile } from 'node:fs/promises';
import { isDeadLetterLine } from '../../shared/core/zipkin/index.ts';

/** True when `body` holds nothing but whitespace (stops at the first other byte; no copy of the body). */
export function isBlankInput(body: Uint8Array): boolean {
  for (const byte of body) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

/**
 * Reads a whole file, or stdin for `-` / no argument. On a terminal (`stdin.isTTY`), `hint` is called first:
 * a command given no FILE otherwise waited, silent, for input a newcomer did not know it wanted.
 */
export async function readInput(file: string | undefined, stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean }, hint?: (line: string) => void): Promise<Buffer> {
  if (file !== undefined && file !== '-') return readFile(file);
  if (stdin.isTTY === true) hint?.('reading Zipkin spans from stdin: paste them and end with Ctrl-D, or give a FILE (--help)');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * Why `body` is not a Zipkin file at all, for the two inputs people feed a Zipkin reader by mistake, or
 * undefined: gzip (magic bytes 1f 8b, RFC 1952 §2.3.1) and OTLP/JSON (an object with `resourceSpans`, the
 * ExportTraceServiceRequest of opentelemetry-proto's trace_service.proto). `what` names the command's input.
 */
export function notZipkinInput(body: Uint8Array, what: string): string | undefined {
  if (body[0] === 0x1f && body[1] === 0x8b) return `${what} is gzip-compressed: decompress it first (zcat FILE | meshray … -)`;
  let first = 0;
  while (first < body.length && (body[first] === 0x20 || body[first] === 0x0a || body[first] === 0x0d || body[first] === 0x09 || body[first] === 0xef || body[first] === 0xbb || body[first] === 0xbf)) first += 1;
  if (body[first] !== 0x7b) return undefined; // '{': an object (one span, ndjson, or an OTLP request)
  const head = Buffer.from(body.buffer, body.byteOffset + first, Math.min(body.length - first, 4096)).toString('utf8');
  if (!/^\{\s*"resourceSpans"\s*:/.test(head)) return undefined;
  return `${what} is OTLP/JSON (resourceSpans), not Zipkin: meshray reads Zipkin spans; send OTLP to an OTLP endpoint (xray-local: POST /v1/traces)`;
}

/** Members of a Zipkin v2 span (zipkin2-api.yaml, Span). */
const SPAN_MEMBERS: ReadonlySet<string> = new Set(['traceId', 'id', 'parentId', 'name', 'kind', 'timestamp', 'duration', 'localEndpoint', 'remoteEndpoint', 'annotations', 'tags', 'shared', 'debug']);

/**
 * Why `body` is one JSON object rather than spans, or undefined: a span pretty-printed over several lines (not
 * ndjson, whose every line is a span), or an object that is no span at all (`{"spans": […]}`: read as ndjson it
 * was "1 span, missing_trace_id"). A single-line span object is ndjson of one span, and a single-line dead letter
 * (a DEAD_LETTER_FILE or `capture --dlq` file of one line) a dead-letter file of one: undefined (found by the
 * newcomer trial: the one span left unexported at shutdown could not be sent again). `name` names the input.
 */
export function oneObjectProblem(body: Uint8Array, name: string): string | undefined {
  const text = new TextDecoder().decode(body).replace(/^\uFEFF/, '').trim();
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // several values (ndjson), or not JSON: the decoders name the line
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const members = Object.keys(value);
  if (isDeadLetterLine(value)) return text.includes('\n') ? `${name}: one dead letter over several lines: a dead-letter file has one per line (jq -c .${name === 'stdin' ? '' : ` ${name}`})` : undefined;
  const expected = `${name}: must be a JSON array of spans (or ndjson, one span per line), got one JSON object`;
  if (members.length === 0) return `${expected} with no members`;
  // a span, even one lacking a member (the decoders then say which): any of Zipkin v2's span members
  if (members.some((m) => SPAN_MEMBERS.has(m))) return text.includes('\n') ? `${expected} over several lines: wrap it in [ ]` : undefined;
  const list = members.find((m) => Array.isArray((value as Record<string, unknown>)[m]));
  return `${expected} that is not a span (members: ${members.slice(0, 5).join(', ')}${members.length > 5 ? ', …' : ''})${list === undefined ? '' : `: if its "${list}" list holds Zipkin spans, give that list (jq '.${list}'${name === 'stdin' ? '' : ` ${name}`})`}`;
}

/**
 * `body` as one JSON array of spans when it is a JSON array of JSON arrays: several POST bodies kept in one file,
 * as the kourier capture under test/fixtures/zipkin/ is, or a list of traces as Zipkin's GET /api/v2/traces answers (found by the newcomer trial: every body was refused as
 * `not_a_span`, "got an array"). Returns the spans of every body, in order, and how many bodies there were; undefined
 * for any other input (only a body that starts `[` then `[` is parsed here).
 */
export function bodiesInOneArray(body: Buffer): { readonly body: Buffer; readonly bodies: number; readonly spans: number } | undefined {
  const head = body.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '');
  if (!/^\s*\[\s*\[/.test(head)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return undefined; // the decoders name what is wrong
  }
  if (!Array.isArray(value) || !value.every((b) => Array.isArray(b))) return undefined;
  const spans = (value as unknown[][]).flat();
  return { body: Buffer.from(JSON.stringify(spans)), bodies: value.length, spans: spans.length };
}
