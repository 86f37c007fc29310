import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { CommandIo } from '../commands.ts';
import { reporterFor } from '../report.ts';
import { readInput } from '../read-input.ts';
import { parseConfig, translationEnv } from '../../../shared/config/index.ts';
import { formatIssues } from '../../../shared/result/result.ts';
import { decodeSpans, detectFormat, type ZipkinFormat } from '../../../shared/zipkin/index.ts';
import { MemoryEpochStore, translateSpans } from '../../../shared/xray/index.ts';
import { translatorConfigOf } from '../../translator/translate/translator-config.ts';

const HELP = `usage: meshray translate [FILE|-] [options]

Dry run: reads Zipkin spans (v2 JSON, v1 JSON or v2 protobuf, detected from the content) from FILE or
stdin and prints one X-Ray segment document per line (ndjson). Nothing is sent anywhere.

options:
  --format FORMAT          json-v2 | json-v1 | proto-v2 (default: detected)
  --epoch-policy POLICY    auto | rewrite | preserve (default auto)
  --epoch-ttl DURATION     sliding TTL of a trace's X-Ray id, e.g. 60s (default 60s)
  --annotation-tags LIST   comma-separated tags indexed as annotations (default: the Istio set)
  --now TIME               the translator's clock, ISO 8601 or epoch ms (default: now)

exit codes: 0 all spans translated; 1 malformed input or bad options; 2 some spans could not be translated.
`;

const FORMATS: readonly ZipkinFormat[] = ['json-v2', 'json-v1', 'proto-v2'];
const flagsSchema = z.object({ ...translationEnv });

function parseNow(value: string | undefined, fallbackMs: number): number | undefined {
  if (value === undefined) return fallbackMs;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const { fail } = reporterFor('translate', io);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        'epoch-policy': { type: 'string' },
        'epoch-ttl': { type: 'string' },
        'annotation-tags': { type: 'string' },
        now: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (e) {
    return fail(`${(e as Error).message}\n\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1) return fail('expects at most one FILE');
  const flags = parseConfig(flagsSchema, {
    EPOCH_POLICY: values['epoch-policy'],
    EPOCH_TTL: values['epoch-ttl'],
    ANNOTATION_TAGS: values['annotation-tags'],
  });
  if (!flags.ok) return fail(`invalid options:\n${formatIssues(flags.issues.map((i) => ({ ...i, path: `--${i.path.toLowerCase().replaceAll('_', '-')}` })))}`);
  const nowMs = parseNow(values.now, Date.now());
  if (nowMs === undefined) return fail(`--now: expected ISO 8601 or epoch milliseconds, got "${values.now}"`);
  if (values.format !== undefined && !FORMATS.includes(values.format as ZipkinFormat)) {
    return fail(`--format: expected one of ${FORMATS.join(', ')}, got "${values.format}"`);
  }

  let body: Buffer;
  try {
    body = await readInput(positionals[0], io.stdin);
  } catch (e) {
    return fail(`cannot read ${positionals[0] ?? 'stdin'}: ${(e as Error).message}`);
  }
  const format = (values.format as ZipkinFormat | undefined) ?? detectFormat(body);
  if (format === undefined) return fail('could not detect the format: expected Zipkin v2 JSON, v1 JSON or v2 protobuf');
  const decoded = decodeSpans(body, format);
  if (!decoded.ok) return fail(`could not decode spans (${format}):\n${formatIssues(decoded.issues)}`);

  const config = translatorConfigOf(flags.value);
  const epochs = new MemoryEpochStore({ ttlMs: config.epochTtlMs, maxEntries: config.epochCacheMaxEntries });
  const out = translateSpans(decoded.value, { config, nowMs, epochs });
  io.stdout.write(out.documents.map((d) => `${d.json}\n`).join(''));
  for (const r of out.rejected) {
    io.stderr.write(`meshray translate: span ${r.spanIndex} not translated (${r.reason}):\n${formatIssues(r.issues)}\n`);
  }
  return out.rejected.length > 0 ? 2 : 0;
}
