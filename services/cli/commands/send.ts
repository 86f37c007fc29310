import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandIo } from '../commands.ts';
import { parseCommandArgs } from '../command-args.ts';
import { reporterFor } from '../report.ts';
import { durationFlag, intFlag, senderTarget, tokenHeaders, unansweredHint, unauthorizedHint } from '../flags.ts';
import { plural } from '../plural.ts';
import { bodiesInOneArray, isBlankInput, notZipkinInput, oneObjectProblem, readInput } from '../read-input.ts';
import { formatIssues } from '../../../shared/core/result/result.ts';
import { decodeNdjsonV2Batch, decodeSpanBatch, type Span } from '../../../shared/core/zipkin/index.ts';
import { startMicrosOf } from '../../../shared/core/xray/index.ts';
import { OTLP_ENDPOINT_LIMITS } from '../../../shared/core/otlp/index.ts';
import { DEFAULT_TARGET, createHttpTransport, detectSpanFileFormat, encodeSpanJsonV2, postBatches, SPAN_FILE_FORMATS, SpanPoster, spansUrlOf, type PostTally, type SpanFileFormat } from '../../simulator/index.ts';

/** The body without a UTF-8 byte order mark (an editor's), which would make its first line not JSON. */
const withoutBom = (body: Buffer): Buffer => (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body);

const HELP = `usage: meshray send [FILE|-] [options]

Posts captured spans to a Zipkin receiver in Envoy-sized batches. FILE (or stdin) holds a Zipkin v2 JSON
array, a v1 JSON array, a v2 protobuf list, or ndjson with one v2 span per line (what 'meshray capture'
writes, a dead-letter file included: each line's span). Spans are judged one by one, as the receiver judges
them: an invalid span is named on stderr and not sent, and its neighbours are. Spans with no timestamp
(nor an annotation timestamp) are sent (the receiver takes them) with a warning: the translator
dead-letters them. So are spans that start more than 14 days ago or more than 2 hours after this machine's
clock, which the OTLP path dead-letters (too_old, too_far_ahead). The batches are re-encoded as
Zipkin v2 JSON, in file order.

options:
  --target URL             receiver (/api/v2/spans is appended; default: the receiver of the meshray stack or
                           meshray start running here, else http://127.0.0.1:9411)
  --token TOKEN            bearer token for a receiver with RECEIVER_AUTH_TOKENS set (default: MESHRAY_TOKEN from the environment)
  --format FORMAT          ${SPAN_FILE_FORMATS.join(' | ')} (default: detected)
  --batch-size N           spans per POST (default 5, Envoy's min_flush_spans); a POST of several spans stays
                           under 4 MiB of body (the receiver's default MAX_BODY_BYTES is 5 MiB)
  --concurrency N          max POSTs in flight (default 4)
  --retries N              retries of a 503/429, after its Retry-After (default 3)
  --max-retry-after DUR    longest Retry-After honoured, e.g. 30s (default 30s)
  --unsent FILE            where the spans of POSTs finally unanswered or refused for now (401/403, 408, 429,
                           5xx) are written, one v2 span per line, to send again with 'meshray send FILE'
                           (default: meshray-unsent.ndjson in the current directory; written only when some
                           were not taken; sending that file whole removes it)
  --json                   end with one line of JSON: the summary
  --quiet                  no human summary (the --json line is still printed)

exit codes: 0 every span sent and every batch accepted; 1 unreadable input (not a span list at all) or bad
options; 2 some spans invalid (not sent), or some batches finally refused or unanswered.
`;

export interface SendSummary extends PostTally {
  readonly target: string;
  readonly format: SpanFileFormat;
  readonly spans: number;
  /** Spans the file holds that are not valid Zipkin spans (or dead letters without one): named on stderr, not sent. */
  readonly invalid: number;
  readonly durationMs: number;
}

/** A final answer that sending again may turn into a 202: none (0), 401/403 (the token), 408, 429, 5xx. */
const sendingAgainMayHelp = (status: number): boolean => status === 0 || status === 401 || status === 403 || status === 408 || status === 429 || status >= 500;

/**
 * Writes the spans not taken (`notTaken`: span → place in the input) to `file`, in input order, through a temporary
 * file and a rename (the input itself may be `file`: a failed write must not cut it short). With nothing left, an
 * input that is `file` is removed (sent whole at last, no invalid span in it), and a `file` left by an earlier run is named as such.
 * Returns what to tell the user, or undefined.
 */
async function writeUnsent(file: string, input: string | undefined, notTaken: ReadonlyMap<Span, number>, refusedForGood: number, invalid: number): Promise<string | undefined> {
  const forGood = refusedForGood > 0 ? `${refusedForGood} span(s) were refused for good (the answers above say why: sending them again would not help) and are not written to ${file}` : undefined;
  if (notTaken.size === 0) {
    if (input === file && refusedForGood === 0 && invalid === 0) { // an invalid span stays in the file, to be mended
      await rm(file, { force: true });
      return `every span of ${file} was taken: the file is removed`;
    }
    if (input !== file && existsSync(file)) return [forGood, `${file} is from an earlier run: nothing was left unsent this time`].filter(Boolean).join('; ');
    return forGood;
  }
  const lines = [...notTaken].sort(([, a], [, b]) => a - b).map(([span]) => `${encodeSpanJsonV2(span)}\n`).join('');
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, lines);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    return `${notTaken.size} span(s) were not taken, and could not be written to ${file} (${(e as Error).message}): send the input again, or give --unsent FILE`;
  }
  return [`${notTaken.size} span(s) not taken were written to ${file}: meshray send ${file} sends them again`, forGood].filter(Boolean).join('; ');
}

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const { fail } = reporterFor('send', io);
  const parsed = parseCommandArgs(args, {
    target: { type: 'string' }, token: { type: 'string' }, format: { type: 'string' }, 'batch-size': { type: 'string' }, concurrency: { type: 'string' },
    retries: { type: 'string' }, 'max-retry-after': { type: 'string' }, unsent: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' },
  }, { name: 'send', help: HELP, io, fail, maxPositionals: 1 });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const errors: string[] = [];
  const url = spansUrlOf(senderTarget(values.target, io.env, errors, (line) => io.stderr.write(`meshray send: ${line}\n`)) ?? DEFAULT_TARGET);
  const headers = tokenHeaders(values.token, io.env, errors);
  const batchSize = intFlag('batch-size', values['batch-size'], 1, errors) ?? 5;
  const concurrency = intFlag('concurrency', values.concurrency, 1, errors) ?? 4;
  const maxRetries = intFlag('retries', values.retries, 0, errors) ?? 3;
  const maxRetryAfterMs = durationFlag('max-retry-after', values['max-retry-after'], errors) ?? 30_000;
  const format = values.format as SpanFileFormat | undefined;
  if (format !== undefined && !SPAN_FILE_FORMATS.includes(format)) errors.push(`--format: expected one of ${SPAN_FILE_FORMATS.join(', ')}, got "${format}"`);
  if (errors.length > 0) return fail(`invalid options:\n${errors.join('\n')}`);

  const source = positionals[0] ?? '-';
  let body: Buffer;
  try {
    body = await readInput(source, io.stdin, (line) => io.stderr.write(`meshray send: ${line}\n`));
  } catch (e) {
    return fail(`cannot read ${source === '-' ? 'stdin' : source}: ${(e as Error).message}`);
  }
  const name = source === '-' ? 'stdin' : source;
  if (isBlankInput(body)) return fail(`${name} is empty: no spans to send`);
  const several = format === undefined ? bodiesInOneArray(body) : undefined;
  if (several !== undefined) {
    io.stderr.write(`meshray send: ${name} holds ${several.bodies} lists of spans in one array (POST bodies, or traces as Zipkin's /api/v2/traces gives them): sending their ${several.spans} spans, in order (span indexes count across the lists)\n`);
    body = several.body;
  }
  const notZipkin = format === undefined ? notZipkinInput(body, name) : undefined;
  if (notZipkin !== undefined) return fail(notZipkin);
  const fileFormat = format ?? detectSpanFileFormat(body);
  // One span object across several lines (a pretty-printed fixture), or an object holding spans, starts like ndjson but is not: say what it is.
  const oneObject = format === undefined && fileFormat === 'ndjson' ? oneObjectProblem(body, name) : undefined;
  if (oneObject !== undefined) return fail(oneObject);
  if (fileFormat === undefined) return fail(`${name}: could not detect the format: expected a Zipkin v2 JSON array, v1 JSON array, v2 protobuf or ndjson (one span per line)`);
  // The receiver's own decoders: each span judged alone (shared/core/zipkin decodeSpanBatch, decodeNdjsonV2Batch).
  const decoded = fileFormat === 'ndjson' ? decodeNdjsonV2Batch(withoutBom(body)) : decodeSpanBatch(body, fileFormat);
  if (!decoded.ok) return fail(`${name}: could not decode spans (${fileFormat}):\n${formatIssues(decoded.issues)}`);
  const { spans, refused } = decoded.value;
  for (const r of refused) {
    const where = fileFormat === 'ndjson' ? `line ${r.index + 1}` : `span ${r.index}`;
    io.stderr.write(`meshray send: ${where} not sent (${r.reason}):\n${formatIssues(r.issues)}\n`);
  }
  // The receiver's advice ("POST it to /api/v1/spans") is not send's: send reads one format per file (newcomer trial).
  const other = refused.filter((r) => r.reason === 'wrong_version').length;
  if (other > 0) {
    // wrong_version is a v1 span among v2 ones, or a v2 span in a v1 array (found by review)
    const [version, list] = fileFormat === 'json-v1' ? ['v2', 'a v2 JSON array or ndjson'] : ['v1', 'a v1 JSON array'];
    io.stderr.write(`meshray send: ${other} Zipkin ${version} span(s) in this ${fileFormat} file: send reads one format per file; put them in a file of their own (${list}) and send that\n`);
  }

  const startMs = Date.now();
  // the spans of POSTs not taken that sending again may deliver (no answer, 401/403, 408, 429, 5xx), by their place
  // in the file, so the file written keeps the file's order; the rest (413 for one span alone, 400, 415) would be
  // refused again (found by the diff review)
  const notTaken = new Map<Span, number>();
  let refusedForGood = 0;
  const placeOf = new Map(spans.map((span, i) => [span, i]));
  const poster = new SpanPoster({
    url, concurrency, post: { maxRetries, maxRetryAfterMs, transport: createHttpTransport(headers) },
    onRefused: (refusedSpans, result) => {
      if (!sendingAgainMayHelp(result.status)) refusedForGood += refusedSpans.length;
      else for (const span of refusedSpans) notTaken.set(span, placeOf.get(span) ?? 0);
    },
  });
  for (const batch of postBatches(spans, batchSize)) await poster.submit(batch);
  await poster.settle();
  const unsentNote = await writeUnsent(resolve(values.unsent ?? 'meshray-unsent.ndjson'), source === '-' ? undefined : resolve(source), notTaken, refusedForGood, refused.length);
  const summary: SendSummary = { target: url, format: fileFormat, spans: spans.length, invalid: refused.length, durationMs: Date.now() - startMs, ...poster.tally };

  if (values.quiet !== true) {
    const answers = Object.entries(summary.responses).map(([status, n]) => `${status}×${n}`).join(', ') || 'none';
    io.stdout.write(
      `meshray send: ${plural(summary.spans, 'span')} (${summary.format}) in ${plural(summary.posts, 'POST')} to ${url} in ${(summary.durationMs / 1000).toFixed(1)}s\n` +
        `  receiver answers: ${answers}${summary.retries > 0 ? ` (${summary.retries} retried after Retry-After)` : ''}\n` +
        `  spans accepted: ${summary.spansAccepted}, refused or unanswered: ${summary.spansRefused} (${plural(summary.refusedPosts, 'POST')})\n` +
        (summary.invalid > 0 ? `  not sent (invalid in the file): ${summary.invalid}\n` : '') +
        summary.errors.map((e) => `  refused or unanswered: ${e}\n`).join(''),
    );
  }
  if (values.json === true) io.stdout.write(`${JSON.stringify(summary)}\n`);
  if (summary.refusedPosts > 0) io.stderr.write(`meshray send: ${summary.refusedPosts} of ${plural(summary.posts, 'POST')} ${summary.posts === 1 ? 'was' : 'were'} refused or unanswered\n`);
  const unauthorized = unauthorizedHint(summary.responses, headers);
  if (unauthorized !== undefined) io.stderr.write(`meshray send: ${unauthorized}\n`);
  const unanswered = unansweredHint(summary.responses, url, summary.closedMidBody);
  if (unanswered !== undefined) io.stderr.write(`meshray send: ${unanswered}\n`);
  if (unsentNote !== undefined) io.stderr.write(`meshray send: ${unsentNote}\n`);
  if (summary.invalid > 0) io.stderr.write(`meshray send: ${summary.invalid} invalid span(s) in the file were not sent\n`);
  // The receiver takes a span without a timestamp (Zipkin allows it: a late part of a span); without an
  // annotation timestamp either it cannot become a segment: the translator dead-letters it (no_timestamp).
  // Say so, rather than "accepted".
  const undated = spans.filter((span) => startMicrosOf(span) === undefined).length;
  if (undated > 0) {
    io.stderr.write(`meshray send: ${undated} span(s) have no timestamp (nor an annotation timestamp): the receiver accepts them, but the translator cannot date them and dead-letters them (no_timestamp); meshray translate FILE names them\n`);
  }
  // An older capture (the fixtures date from 2016 to January 2026) is taken, then dead-lettered by the OTLP path (too_old) or
  // stored at its own time, outside the console's last hour, by the segments path: say so (newcomer trial).
  const oldestAllowedMicros = (startMs - OTLP_ENDPOINT_LIMITS.maxAgeMs) * 1000;
  const old = spans.filter((span) => (startMicrosOf(span) ?? Infinity) < oldestAllowedMicros).length;
  if (old > 0) {
    io.stderr.write(`meshray send: ${old} span(s) started more than 14 days ago: with EXPORT_PROTOCOL=otlp the translator dead-letters them (too_old, X-Ray's OTLP endpoint refuses them); as segments they are stored at their own start_time, outside the console's default last hour (README, the send command)\n`);
  }
  // A sender's clock ahead of this one, or a capture with shifted times: the OTLP path holds such a span back
  // (its clock may catch up), then dead-letters it (newcomer trial, left undone a session before).
  const latestAllowedMicros = (startMs + OTLP_ENDPOINT_LIMITS.maxAheadMs) * 1000;
  const ahead = spans.filter((span) => (startMicrosOf(span) ?? -Infinity) > latestAllowedMicros).length;
  if (ahead > 0) {
    io.stderr.write(`meshray send: ${ahead} span(s) start more than ${OTLP_ENDPOINT_LIMITS.maxAheadMs / 3_600_000} hours after this machine's clock: with EXPORT_PROTOCOL=otlp the translator takes them POISON_MAX_ATTEMPTS deliveries, then dead-letters them (too_far_ahead, X-Ray's OTLP endpoint refuses them); as segments they are stored at their own start_time, outside the console's default last hour. Check the sender's clock or the capture's times\n`);
  }
  if (summary.refusedPosts > 0 || summary.invalid > 0) return 2;
  return 0;
}
