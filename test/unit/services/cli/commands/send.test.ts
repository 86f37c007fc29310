import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../../../services/cli/commands/send.ts';
import { encodeSpanJsonV2 } from '../../../../../services/simulator/encode/encode-json-v2.ts';
import { decodeJsonV2, decodeSpans } from '../../../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import type { AddressInfo } from 'node:net';
import { runCommand } from '../io.ts';
import { main } from '../../../../../services/all-in-one/main.ts';
import { silentLogger } from '../../../../../shared/edge/log/index.ts';
import { startReceiverStub } from '../../simulator/receiver-stub.ts';

const FIXTURE = new URL('../../../../fixtures/zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json', import.meta.url);
const fixtureSpans = (): Span[] => {
  const r = decodeJsonV2(readFileSync(FIXTURE));
  assert.ok(r.ok);
  return r.value;
};

function receivedSpans(bodies: readonly string[]): Span[] {
  return bodies.flatMap((b) => {
    const r = decodeSpans(b, 'json-v2');
    assert.ok(r.ok);
    return r.value;
  });
}

test('posts a v2 JSON file in batches of 5 and reports the answers', async () => {
  const stub = await startReceiverStub();
  try {
    const r = await runCommand(run, [FIXTURE.pathname, '--target', stub.target, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(stub.posts.map((p) => decodeJsonV2(p.body).ok && JSON.parse(p.body).length), [5, 3]);
    assert.deepEqual(receivedSpans(stub.posts.map((p) => p.body)), fixtureSpans());
    const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { spans: number; posts: number; spansAccepted: number; format: string };
    assert.deepEqual([summary.spans, summary.posts, summary.spansAccepted, summary.format], [8, 2, 8, 'json-v2']);
    assert.match(r.stdout, /meshray send: 8 spans \(json-v2\) in 2 POSTs/);
    assert.doesNotMatch(r.stderr, /no timestamp/);
    // the fixture dates from 2019: what each export path does with it is said (newcomer trial: all 8 dead-lettered too_old, send said "accepted: 8")
    assert.match(r.stderr, /meshray send: 8 span\(s\) started more than 14 days ago: with EXPORT_PROTOCOL=otlp the translator dead-letters them \(too_old/);
    const fresh = fixtureSpans().map((span) => ({ ...span, timestampMicros: Date.now() * 1000 }));
    const now = await runCommand(run, ['-', '--target', stub.target], `${fresh.map(encodeSpanJsonV2).join('\n')}\n`);
    assert.equal(now.code, 0, now.stderr);
    assert.doesNotMatch(now.stderr, /14 days/);
    assert.doesNotMatch(now.stderr, /hours after/);
    // a sender's clock ahead: the OTLP path dead-letters such spans (too_far_ahead), say so
    const aheadMicros = (Date.now() + 3 * 3_600_000) * 1000;
    const ahead = fixtureSpans().map((span, i) => ({ ...span, timestampMicros: i < 3 ? aheadMicros : Date.now() * 1000 }));
    const later = await runCommand(run, ['-', '--target', stub.target], `${ahead.map(encodeSpanJsonV2).join('\n')}\n`);
    assert.equal(later.code, 0, later.stderr);
    assert.match(later.stderr, /meshray send: 3 span\(s\) start more than 2 hours after this machine's clock: with EXPORT_PROTOCOL=otlp the translator takes them POISON_MAX_ATTEMPTS deliveries, then dead-letters them \(too_far_ahead/);
    assert.doesNotMatch(later.stderr, /14 days/);
  } finally {
    await stub.close();
  }
});

test('reads ndjson from stdin (what capture writes), honours --batch-size, retries a 503 after Retry-After', async () => {
  const stub = await startReceiverStub((call) => (call === 1 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 202 }));
  try {
    const ndjson = `${fixtureSpans().map(encodeSpanJsonV2).join('\n')}\n`;
    const r = await runCommand(run, ['-', '--target', stub.target, '--batch-size', '3', '--concurrency', '1'], ndjson);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(stub.posts.length, 4);
    assert.deepEqual(stub.posts.map((p) => p.answer), [503, 202, 202, 202]);
    assert.deepEqual(receivedSpans(stub.posts.slice(1).map((p) => p.body)), fixtureSpans());
    assert.match(r.stdout, /receiver answers: 202×3, 503×1 \(1 retried after Retry-After\)/);
  } finally {
    await stub.close();
  }
});

test('an invalid span is named by its line and not sent; its neighbours are, and the exit code is 2', async () => {
  const stub = await startReceiverStub();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'meshray-send-'));
    const file = join(dir, 'bad.ndjson');
    writeFileSync(file, [
      '{"traceId":"abcdef0123456789","id":"abcdef0123456789"}',
      '{"traceId":"abcdef0123456789","id":"abcdef0123456780","kind":"SIDEWAYS"}',
      '[{"traceId": broken]',
      '{"traceId":"abcdef0123456789","id":"abcdef0123456781"}',
      '{"traceId":"abcdef0123456789","id":"abcdef0123456782","annotations":[{"timestamp":1764600000000000,"value":"wr"}]}',
    ].join('\n'));
    const r = await runCommand(run, [file, '--target', stub.target, '--json']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /line 2 not sent \(invalid_kind\)/);
    assert.match(r.stderr, /line 3 not sent \(not_a_span\)/);
    assert.match(r.stderr, /2 invalid span\(s\) in the file were not sent/);
    assert.match(r.stderr, /2 span\(s\) have no timestamp \(nor an annotation timestamp\): the receiver accepts them, but the translator cannot date them and dead-letters them/);
    assert.deepEqual(receivedSpans(stub.posts.map((p) => p.body)).map((s) => s.id), ['abcdef0123456789', 'abcdef0123456781', 'abcdef0123456782']);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { spans: number; invalid: number };
    assert.deepEqual([summary.spans, summary.invalid], [3, 2], 'the span dated by its annotation is not counted as undated');
    assert.doesNotMatch(r.stderr, /Zipkin v1 span\(s\) in this/);
    // a v1 span among v2 ones: the receiver's advice (POST it to /api/v1/spans) is not send's
    const mixed = await runCommand(run, ['-', '--target', stub.target], `${[
      { traceId: 'abcdef0123456789', id: 'abcdef0123456783', timestamp: Date.now() * 1000 },
      { traceId: 'abcdef0123456789', id: 'abcdef0123456784', binaryAnnotations: [{ key: 'http.url', value: '/x' }] },
    ].map((span) => JSON.stringify(span)).join('\n')}\n`);
    assert.equal(mixed.code, 2, mixed.stderr);
    assert.match(mixed.stderr, /line 2 not sent \(wrong_version\)/);
    assert.match(mixed.stderr, /meshray send: 1 Zipkin v1 span\(s\) in this ndjson file: send reads one format per file; put them in a file of their own \(a v1 JSON array\) and send that/);
    const empty = await runCommand(run, ['-', '--target', stub.target], '');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /stdin is empty: no spans to send/);
    const garbage = await runCommand(run, ['-', '--target', stub.target], 'hello');
    assert.equal(garbage.code, 1, 'not a span list at all');
    const missing = await runCommand(run, [join(dir, 'nope.json')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*nope\.json/);
    const opts = await runCommand(run, ['--batch-size', '0', '--target', 'ftp://x']);
    assert.equal(opts.code, 1);
    assert.match(opts.stderr, /--target: expected an http\(s\) URL[\s\S]*--batch-size|--batch-size[\s\S]*--target/);
  } finally {
    await stub.close();
  }
});

test('a batch finally refused exits 2', async () => {
  const stub = await startReceiverStub((call) => (call === 2 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 202 }));
  try {
    const unsent = join(mkdtempSync(join(tmpdir(), 'meshray-send-')), 'unsent.ndjson');
    const r = await runCommand(run, [FIXTURE.pathname, '--target', stub.target, '--retries', '0', '--concurrency', '1', '--unsent', unsent]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /1 of 2 POSTs were refused or unanswered/);
    assert.match(r.stdout, /spans accepted: 5, refused or unanswered: 3/);
    // the spans not taken are written to send again, in the file's order (newcomer trial: nothing said which were left)
    assert.match(r.stderr, new RegExp(`3 span\\(s\\) not taken were written to ${unsent}: meshray send ${unsent} sends them again`));
    assert.deepEqual(receivedSpans([`[${readFileSync(unsent, 'utf8').trim().split('\n').join(',')}]`]), fixtureSpans().slice(5));
    const again = await runCommand(run, [unsent, '--target', stub.target, '--quiet']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(receivedSpans(stub.posts.slice(-1).map((p) => p.body)), fixtureSpans().slice(5));
  } finally {
    await stub.close();
  }
});

test('the unsent file holds only what sending again may deliver; sending it whole removes it; one from an earlier run is named as such (found by the diff review)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-send-'));
  const unsent = join(dir, 'meshray-unsent.ndjson');
  // every POST 413, split down to single spans, each still 413: refused for good, nothing to send again
  const tooLarge = await startReceiverStub(() => ({ status: 413, body: '{"error":"BODY_TOO_LARGE"}' }));
  try {
    const r = await runCommand(run, [FIXTURE.pathname, '--target', tooLarge.target, '--unsent', unsent, '--quiet']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /8 span\(s\) were refused for good \(the answers above say why: sending them again would not help\) and are not written to /);
    assert.equal(existsSync(unsent), false);
  } finally {
    await tooLarge.close();
  }
  // a full receiver (503 past the retries) for the first POST: its spans are written; sending that file removes it
  const full = await startReceiverStub((call) => (call === 1 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 202 }));
  try {
    const first = await runCommand(run, [FIXTURE.pathname, '--target', full.target, '--retries', '0', '--concurrency', '1', '--unsent', unsent, '--quiet']);
    assert.equal(first.code, 2);
    assert.equal(readFileSync(unsent, 'utf8').trim().split('\n').length, 5);
    const again = await runCommand(run, [unsent, '--target', full.target, '--unsent', unsent, '--quiet']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /every span of .*meshray-unsent\.ndjson was taken: the file is removed/);
    assert.equal(existsSync(unsent), false);
    writeFileSync(unsent, 'left by an earlier run\n');
    const other = await runCommand(run, [FIXTURE.pathname, '--target', full.target, '--unsent', unsent, '--quiet']);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stderr, /meshray-unsent\.ndjson is from an earlier run: nothing was left unsent this time/);
    assert.equal(readFileSync(unsent, 'utf8'), 'left by an earlier run\n', 'not touched');
  } finally {
    await full.close();
  }
});

test('--token (or MESHRAY_TOKEN) sends a bearer token to a receiver with RECEIVER_AUTH_TOKENS set; without it every POST is 401', async () => {
  const app = await main({ RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1', XRAY_LOCAL_PORT: '0', RECEIVER_AUTH_TOKENS: 's3cret' }, silentLogger());
  try {
    const target = `http://127.0.0.1:${(app.receiver.server.address() as AddressInfo).port}`;
    const unsent = join(mkdtempSync(join(tmpdir(), 'meshray-send-')), 'unsent.ndjson');
    const without = await runCommand(run, [FIXTURE.pathname, '--target', target, '--retries', '0', '--unsent', unsent]);
    assert.equal(without.code, 2);
    assert.match(without.stdout + without.stderr, /401/);
    assert.match(without.stderr, /meshray send: 2 POSTs answered 401: the receiver requires a bearer token \(RECEIVER_AUTH_TOKENS\); give --token TOKEN or set MESHRAY_TOKEN\n/, 'says what to do (newcomer trial)');
    const wrong = await runCommand(run, [FIXTURE.pathname, '--target', target, '--retries', '0', '--token', 'guess', '--unsent', unsent]);
    assert.match(wrong.stderr, /answered 401: the receiver refused the token given \(--token or MESHRAY_TOKEN\)/);
    const flag = await runCommand(run, [FIXTURE.pathname, '--target', target, '--token', 's3cret', '--json']);
    assert.equal(flag.code, 0, flag.stderr);
    const fromEnv = await runCommand(run, [FIXTURE.pathname, '--target', target, '--json'], '', { MESHRAY_TOKEN: 's3cret' });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    for (const r of [flag, fromEnv]) assert.equal((JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { spansAccepted: number }).spansAccepted, 8);
    const spaced = await runCommand(run, [FIXTURE.pathname, '--target', target, '--token', 'a b']);
    assert.equal(spaced.code, 1);
    assert.match(spaced.stderr, /--token: a bearer token has no spaces/);
  } finally {
    await app.close(1000);
  }
});

test('one span object over several lines (a pretty-printed fixture) is named as such, not read as broken ndjson; one span per line still sends', async () => {
  const span = { traceId: 'a'.repeat(32), id: '1'.repeat(16), name: 'get', timestamp: Date.now() * 1000, duration: 10, localEndpoint: { serviceName: 's' } };
  const pretty = await runCommand(run, ['-', '--target', 'http://127.0.0.1:1'], JSON.stringify(span, null, 2));
  assert.equal(pretty.code, 1);
  assert.match(pretty.stderr, /stdin: must be a JSON array of spans \(or ndjson, one span per line\), got one JSON object over several lines: wrap it in \[ \]/);
  const stub = await startReceiverStub();
  try {
    const line = await runCommand(run, ['-', '--target', stub.target, '--quiet'], `${JSON.stringify(span)}\n`);
    assert.equal(stub.posts.length, 1);
    assert.equal(line.code, 0, line.stderr);
  } finally {
    await stub.close();
  }
});

test('a dead-letter file of one line sends its span, as the start-up log and capture --help say (newcomer trial: it was "got one JSON object that is not a span", exit 1)', async () => {
  const span = { traceId: 'a'.repeat(32), id: '1'.repeat(16), name: 'get', timestamp: Date.now() * 1000, duration: 10, localEndpoint: { serviceName: 's' } };
  const letter = { time: new Date().toISOString(), reason: 'unexported_at_shutdown', errorCode: 'XRAY_UNAVAILABLE', attempts: 1, source: { topic: 'meshray.spans', partition: 0, offset: '7' }, message: 'X-Ray unreachable', span };
  const dir = mkdtempSync(join(tmpdir(), 'meshray-send-'));
  const file = join(dir, 'meshray-dead-letters.ndjson');
  writeFileSync(file, `${JSON.stringify(letter)}\n`);
  const stub = await startReceiverStub();
  try {
    const r = await runCommand(run, [file, '--target', stub.target, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(receivedSpans(stub.posts.map((p) => p.body)).map((s) => [s.traceId, s.id, s.localEndpoint?.serviceName]), [['a'.repeat(32), '1'.repeat(16), 's']]);
  } finally {
    await stub.close();
  }
});

test('a file of several POST bodies in one array (the kourier capture) sends their spans, and says so (newcomer trial: nothing was sent, exit 2)', async () => {
  const file = new URL('../../../../fixtures/zipkin/kourier-envoy-1.24-v2-posts.json', import.meta.url).pathname;
  const bodies = JSON.parse(readFileSync(file, 'utf8')) as { traceId: string; id: string }[][];
  const stub = await startReceiverStub();
  try {
    const r = await runCommand(run, [file, '--target', stub.target, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`holds ${bodies.length} lists of spans in one array \\(POST bodies, or traces as Zipkin's /api/v2/traces gives them\\): sending their ${bodies.flat().length} spans`));
    assert.deepEqual(receivedSpans(stub.posts.map((p) => p.body)).map((s) => `${s.traceId}/${s.id}`), bodies.flat().map((s) => `${s.traceId}/${s.id}`));
  } finally {
    await stub.close();
  }
});

test('POSTs that get no answer (no receiver there) are counted and the hint says what to check (newcomer trial: "no answer: ECONNREFUSED", exit 2, nothing more)', async () => {
  const stub = await startReceiverStub();
  const target = stub.target;
  await stub.close(); // a port where nothing listens any more
  const span = { traceId: 'a'.repeat(32), id: '1'.repeat(16), name: 'get', timestamp: Date.now() * 1000, duration: 10, localEndpoint: { serviceName: 's' } };
  const r = await runCommand(run, ['-', '--target', target, '--retries', '0', '--quiet', '--unsent', join(mkdtempSync(join(tmpdir(), 'meshray-send-')), 'unsent.ndjson')], `${JSON.stringify(span)}\n`);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`meshray send: 1 POST got no answer from ${target.replace(/[.]/g, '\\.')}/api/v2/spans: is a receiver running there\\? \\(npm start runs one on :9411`));
});

test('send names OTLP/JSON and gzip files as what they are, before any POST', async () => {
  const otlp = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'get' }] }] }] });
  const r = await runCommand(run, ['-', '--target', 'http://127.0.0.1:1'], otlp);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /stdin is OTLP\/JSON \(resourceSpans\), not Zipkin/);
  const zipped = await runCommand(run, ['-', '--target', 'http://127.0.0.1:1'], gzipSync('[]'));
  assert.match(zipped.stderr, /stdin is gzip-compressed/);
});
