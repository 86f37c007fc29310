import { z } from 'zod';
import type { CommandIo } from '../commands.ts';
import { parseCommandArgs } from '../command-args.ts';
import { parseTimeMs, timeProblem, ZIPKIN_RELEASE_MS } from '../replay/selection.ts';
import { reporterFor } from '../report.ts';
import { bodiesInOneArray, isBlankInput, notZipkinInput, oneObjectProblem, readInput } from '../read-input.ts';
import { parseConfig, translationEnv } from '../../../shared/edge/config/index.ts';
import { formatIssues } from '../../../shared/core/result/result.ts';
import { decodeNdjsonV2Batch, decodeSpanBatch, detectFormat, type SpanBatch, type ZipkinFormat } from '../../../shared/core/zipkin/index.ts';
import type { Issue, Result } from '../../../shared/core/result/result.ts';
import { MemoryEpochStore, documentsAsIs, packDocuments, translateSpans } from '../../../shared/core/xray/index.ts';
import { otlpSpanLineOf, placeOtlpSpans } from '../../../shared/core/otlp/index.ts';
import { translatorConfigOf } from '../../translator/index.ts';
import { plural } from '../plural.ts';

const HELP = `usage: meshray translate [FILE|-] [options]

Dry run: reads Zipkin spans (v2 JSON, v1 JSON, v2 protobuf, or the ndjson of 'meshray capture', one
v2 span per line; detected from the content) from FILE or stdin and prints one X-Ray segment document
per line (ndjson), or with --protocol otlp one OTLP/JSON span with its resource per line, as the OTLP path
exports them (its limits included: spans over 14 days old or 2 h ahead are refused). Nothing is sent anywhere. Spans are judged one by one, as the receiver does: a span
that stays invalid after Zipkin's normalisations is named on stderr and the others are still written.
The last stderr line sums up: spans in, documents out, spans refused by reason, and spans that share a
trace and id with another (X-Ray keeps one document per id).

options:
  --format FORMAT          json-v2 | json-v1 | proto-v2 | ndjson (default: detected)
  --protocol PROTOCOL      segments | otlp: the export protocol to translate for (default EXPORT_PROTOCOL,
                           else segments; --epoch-*, --packing apply to segments only)
  --epoch-policy POLICY    auto | rewrite | preserve (EPOCH_POLICY, default auto)
  --epoch-ttl DURATION     sliding TTL of a trace's X-Ray id, e.g. 60s (EPOCH_TTL, default 60s)
  --annotation-tags LIST   comma-separated tags indexed as annotations (ANNOTATION_TAGS, default: the
                           Istio set)
  --packing on|off         on (PACKING, default on): one document per service hop, its CLIENT and local
                           spans nested as subsegments; off: one document per span
  --now TIME               the translator's clock, ISO 8601 or epoch ms (default: now)

exit codes: 0 all spans translated; 1 unreadable input (not JSON/protobuf at all) or bad options;
2 some spans were refused (invalid, or untranslatable) - the others were written.
`;

type InputFormat = ZipkinFormat | 'ndjson';

/** `1 span`, `7 spans` (no digit grouping: scripts read this line). */

const FORMATS: readonly InputFormat[] = ['json-v2', 'json-v1', 'proto-v2', 'ndjson'];

/**
 * ndjson (`meshray capture --format ndjson`) is told from a JSON array by its first non-blank byte: `{`. A
 * body that is one JSON object over several lines (a pretty-printed span), or no span at all, is refused
 * before, with what it is (read-input.ts oneObjectProblem, as `meshray send` does).
 */
function detectInputFormat(body: Buffer): InputFormat | undefined {
  const format = detectFormat(body);
  if (format !== 'json-v2') return format;
  const text = body.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return text.startsWith('{') ? 'ndjson' : format;
}

function decodeInput(body: Buffer, format: InputFormat): Result<SpanBatch> {
  return format === 'ndjson' ? decodeNdjsonV2Batch(body) : decodeSpanBatch(body, format);
}

/** `invalid_port 2, no_timestamp 1` */
function byReason(reasons: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, n]) => `${r} ${n}`).join(', ');
}
const flagsSchema = z.object({ ...translationEnv });

/**
 * --now: ISO 8601 with a zone, or epoch milliseconds (replay's --from rules: a date-time without a zone would
 * depend on the machine's; epoch seconds by mistake read as 1970), not before Zipkin existed.
 */
function parseNow(value: string | undefined, fallbackMs: number): { ok: true; ms: number } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, ms: fallbackMs };
  const ms = parseTimeMs(value);
  if (ms === undefined) return { ok: false, message: timeProblem('--now', value, '2026-05-01T10:00:00Z') };
  if (ms < ZIPKIN_RELEASE_MS) {
    return { ok: false, message: `--now: ${new Date(ms).toISOString()} is before Zipkin existed (2012), and X-Ray would refuse every trace id dated by it` };
  }
  return { ok: true, ms };
}

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const { say, fail } = reporterFor('translate', io);
  const parsed = parseCommandArgs(args, {
    format: { type: 'string' },
    'epoch-policy': { type: 'string' },
    'epoch-ttl': { type: 'string' },
    'annotation-tags': { type: 'string' },
    packing: { type: 'string' },
    protocol: { type: 'string' },
    now: { type: 'string' },
  }, { name: 'translate', help: HELP, io, fail, maxPositionals: 1 });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const { env } = io;
  // Each setting as the translator reads it: the flag, else the translator's variable (a preview with the
  // translators' environment exported shows their documents); every problem is listed at once.
  const given = { EPOCH_POLICY: values['epoch-policy'], EPOCH_TTL: values['epoch-ttl'], ANNOTATION_TAGS: values['annotation-tags'], PACKING: values.packing };
  const flags = parseConfig(flagsSchema, {
    EPOCH_POLICY: given.EPOCH_POLICY ?? (env['EPOCH_POLICY'] || undefined),
    EPOCH_TTL: given.EPOCH_TTL ?? (env['EPOCH_TTL'] || undefined),
    ANNOTATION_TAGS: given.ANNOTATION_TAGS ?? (env['ANNOTATION_TAGS'] || undefined),
    PACKING: given.PACKING ?? (env['PACKING'] || undefined),
  });
  const errors: string[] = [];
  if (!flags.ok) {
    const nameOf = (path: string): string => (given[path as keyof typeof given] === undefined ? path : `--${path.toLowerCase().replaceAll('_', '-')}`);
    errors.push(formatIssues(flags.issues.map((i) => ({ ...i, path: nameOf(i.path) }))));
  }
  const protocol = values.protocol ?? (env['EXPORT_PROTOCOL'] || 'segments');
  if (protocol !== 'segments' && protocol !== 'otlp') {
    errors.push(`${values.protocol === undefined ? 'EXPORT_PROTOCOL' : '--protocol'}: expected segments or otlp, got "${protocol}"`);
  }
  const now = parseNow(values.now, Date.now());
  if (!now.ok) errors.push(now.message);
  if (values.format !== undefined && !FORMATS.includes(values.format as InputFormat)) {
    errors.push(`--format: expected one of ${FORMATS.join(', ')}, got "${values.format}"`);
  }
  if (errors.length > 0 || !flags.ok || !now.ok) return fail(`invalid options:\n${errors.join('\n')}`);
  const nowMs = now.ms;

  let body: Buffer;
  try {
    body = await readInput(positionals[0], io.stdin, (line) => io.stderr.write(`meshray translate: ${line}\n`));
  } catch (e) {
    return fail(`cannot read ${positionals[0] ?? 'stdin'}: ${(e as Error).message}`);
  }
  if (isBlankInput(body)) return fail(`${positionals[0] === undefined || positionals[0] === '-' ? 'stdin' : positionals[0]} is empty: no spans to translate`);
  const several = values.format === undefined ? bodiesInOneArray(body) : undefined;
  if (several !== undefined) {
    say(`${positionals[0] === undefined || positionals[0] === '-' ? 'stdin' : positionals[0]} holds ${several.bodies} lists of spans in one array (POST bodies, or traces as Zipkin's /api/v2/traces gives them): read as their ${several.spans} spans, in order (span indexes count across the lists)`);
    body = several.body;
  }
  const notZipkin = values.format === undefined ? notZipkinInput(body, positionals[0] === undefined || positionals[0] === '-' ? 'stdin' : positionals[0]) : undefined;
  if (notZipkin !== undefined) return fail(notZipkin);
  const oneObject = values.format === undefined ? oneObjectProblem(body, positionals[0] === undefined || positionals[0] === '-' ? 'stdin' : positionals[0]) : undefined;
  if (oneObject !== undefined) return fail(oneObject);
  const format = (values.format as InputFormat | undefined) ?? detectInputFormat(body);
  if (format === undefined) return fail('could not detect the format: expected Zipkin v2 JSON, v1 JSON, v2 protobuf or ndjson');
  const decoded = decodeInput(body, format);
  if (!decoded.ok) return fail(`could not decode spans (${format}):\n${formatIssues(decoded.issues)}`);
  const { spans, refused, timestampUnitRepairs, bodyIndexes } = decoded.value;
  for (const r of refused) {
    say(`span ${r.index} refused (${r.reason}, field ${r.field === '' ? '(the span)' : r.field}):\n${formatIssues(r.issues)}`);
  }

  const config = translatorConfigOf(flags.value);
  /** Names each refused span by where the input holds it (`span 3 (trace/id)`), with its issues. */
  const sayRefused = (rejected: readonly { spanIndex: number; reason: string; issues: readonly Issue[] }[]): void => {
    // translateSpans numbers the spans it was given; the input numbers them as the decoders do (bodyIndexes): a
    // list's index with the refused ones still in place, ndjson's line (blank ones included), a v1 span's index
    // for both of its sides (found by review: ndjson and v1 refusals named another span's index).
    for (const r of rejected) {
      const span = spans[r.spanIndex];
      const at = bodyIndexes[r.spanIndex];
      const named = span === undefined ? `span ${at ?? r.spanIndex}` : `span ${at === undefined ? '' : `${at} `}(${span.traceId}/${span.id})`;
      const issues = at === undefined ? r.issues : r.issues.map((i) => ({ ...i, path: i.path.replace(/^spans\[\d+\]/, `spans[${at}]`) }));
      say(`${named} not translated (${r.reason}):\n${formatIssues(issues)}`);
    }
  };
  const repaired = timestampUnitRepairs > 0 ? `, ${timestampUnitRepairs} timestamps repaired (timestamp_unit_repaired)` : '';
  // spans as the input holds them: a v1 span with both sides is one span in, though it became two
  const spansIn = new Set([...bodyIndexes, ...refused.map((r) => r.index)]).size;
  if (protocol === 'otlp') {
    // the OTLP path's spans (services/translator/translate/translate-otlp-batch.ts), as replay --dry-run writes them
    const placed = placeOtlpSpans(spans, { nowMs, annotationAllowlist: config.annotationAllowlist });
    io.stdout.write(placed.placed.map((p) => `${otlpSpanLineOf(p)}\n`).join(''));
    sayRefused(placed.rejected);
    const reasons = [...refused.map((r) => r.reason), ...placed.rejected.map((r) => r.reason)];
    const trimmedSpans = placed.stats.spansTrimmed > 0 ? `, ${plural(placed.stats.spansTrimmed, 'span')} trimmed to fit 200 KB (meshray.trimmed says what was dropped, meshray.trimmed_attributes which attributes)` : '';
    say(`${plural(spansIn, 'span')} in (${format}), ${plural(placed.placed.length, 'OTLP span')} out, ${reasons.length} refused${reasons.length > 0 ? ` (${byReason(reasons)})` : ''}${repaired}${trimmedSpans}`);
    return reasons.length > 0 ? 2 : 0;
  }
  const epochs = new MemoryEpochStore({ ttlMs: config.epochTtlMs, maxEntries: config.epochCacheMaxEntries });
  const out = translateSpans(spans, { config, nowMs, epochs });
  // The same documents the translator exports (PACKING, shared/core/xray/pack.ts), without the assembly window:
  // a file is one batch.
  const documents = config.packing ? packDocuments(out.documents, config.maxDocumentBytes).documents : documentsAsIs(out.documents);
  io.stdout.write(documents.map((d) => `${d.json}\n`).join(''));
  sayRefused(out.rejected);
  const reasons = [...refused.map((r) => r.reason), ...out.rejected.map((r) => r.reason)];
  // Two spans with one trace and id (a span sent twice, or its parts reported apart): X-Ray keeps one document per
  // id, and packing keeps one of them (README "Not merged"). Said, since it looked like a span lost without a word.
  const duplicates = out.documents.length - new Set(out.documents.map((d) => `${d.traceId}:${d.segmentId}`)).size;
  const merged = duplicates > 0 ? `, ${duplicates} with the trace and id of another (X-Ray keeps one document per id${config.packing ? ': one kept' : ''})` : '';
  // Said, since a value cut away to fit X-Ray's 64 KB looked like a tag lost without a word (newcomer trial).
  const trimmed = out.stats.metadataTrimmed > 0 ? `, ${plural(out.stats.metadataTrimmed, 'document')} trimmed to fit 64 KB (metadata.meshray names what was dropped)` : '';
  say(`${plural(spansIn, 'span')} in (${format}), ${plural(documents.length, 'document')} out, ${reasons.length} refused${reasons.length > 0 ? ` (${byReason(reasons)})` : ''}${repaired}${merged}${trimmed}`);
  return reasons.length > 0 ? 2 : 0;
}
