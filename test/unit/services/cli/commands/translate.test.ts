import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { run } from '../../../../../services/cli/commands/translate.ts';
import { validateSegmentJson } from '../../../../../shared/xray/index.ts';
import { runCommand } from '../io.ts';

const fixture = (name: string) => new URL(`../../../../fixtures/${name}`, import.meta.url);
const BOOKINFO = fixture('zipkin/SYNTHESIZED-istio-1.7.4-bookinfo-zipkin-v2.json').pathname;
const GOLDEN = readFileSync(fixture('golden/bookinfo-istio-1.7.4.xray.ndjson'), 'utf8');

test('translates a file to the golden ndjson with the golden clock', async () => {
  const r = await runCommand(run, [BOOKINFO, '--now', '2019-06-21T18:30:00Z']);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, GOLDEN);
});

test('reads stdin with "-" and every line is a valid segment document', async () => {
  const r = await runCommand(run, ['-'], readFileSync(BOOKINFO));
  assert.equal(r.code, 0);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, GOLDEN.trimEnd().split("\n").length);
  for (const line of lines) {
    const v = validateSegmentJson(line);
    assert.ok(v.ok, v.ok ? line : JSON.stringify(v.issues));
  }
});

test('flags set the epoch policy and the annotation allowlist', async () => {
  const r = await runCommand(run, [BOOKINFO, '--epoch-policy', 'preserve', '--annotation-tags', 'zone']);
  assert.equal(r.code, 0);
  const docs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { trace_id: string; annotations?: Record<string, unknown> });
  assert.ok(docs.every((d) => d.trace_id.startsWith('1-eacd2e2b-')), 'preserve keeps the Zipkin prefix');
  assert.ok(docs.every((d) => Object.keys(d.annotations ?? {}).join(',') === 'zone'));
});

test('detects v1 JSON and protobuf from the content', async () => {
  const v1 = JSON.stringify([{ traceId: '0000000000000001', id: '0000000000000002', name: 'get', timestamp: 1_700_000_000_000_000, duration: 10,
    annotations: [{ timestamp: 1_700_000_000_000_000, value: 'sr', endpoint: { serviceName: 'svc', ipv4: '10.0.0.1' } },
      { timestamp: 1_700_000_000_000_010, value: 'ss', endpoint: { serviceName: 'svc', ipv4: '10.0.0.1' } }] }]);
  const r1 = await runCommand(run, ['-'], v1);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal((JSON.parse(r1.stdout) as { name: string }).name, 'svc');

  const root = protobuf.loadSync(new URL('../../../../../shared/zipkin/proto/zipkin.proto', import.meta.url).pathname);
  const ListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');
  const bytes = ListOfSpans.encode(ListOfSpans.fromObject({ spans: [{
    traceId: Buffer.from('00000000000000010000000000000001', 'hex'), id: Buffer.from('0000000000000003', 'hex'),
    kind: 2, name: 'get', timestamp: 1_700_000_000_000_000, duration: 5, localEndpoint: { serviceName: 'backend' },
  }] })).finish();
  const r2 = await runCommand(run, ['-'], Buffer.from(bytes));
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal((JSON.parse(r2.stdout) as { name: string }).name, 'backend');
});

test('a malformed body is refused whole, naming the span and the field', async () => {
  const body = JSON.stringify([{ traceId: '0000000000000001', id: '0000000000000002', timestamp: 1 }, { traceId: 'zz', id: '0000000000000003' }]);
  const r = await runCommand(run, ['-'], body);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '', 'nothing printed for a refused body');
  assert.match(r.stderr, /could not decode spans \(json-v2\)/);
  assert.match(r.stderr, /spans\[1\]\.traceId/);
});

test('undetectable input, bad flags and missing files are clear errors', async () => {
  const garbage = await runCommand(run, ['-'], gzipSync('x'));
  assert.equal(garbage.code, 1);
  assert.match(garbage.stderr, /could not (detect|decode)/);
  const badFlag = await runCommand(run, [BOOKINFO, '--epoch-policy', 'sometimes']);
  assert.equal(badFlag.code, 1);
  assert.match(badFlag.stderr, /--epoch-policy/);
  const missing = await runCommand(run, ['/nonexistent/spans.json']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read/);
  const help = await runCommand(run, ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: meshray translate/);
});
