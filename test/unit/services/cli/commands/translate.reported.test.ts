/**
 * Acceptance (issue 8, 1): every input rebuilt from a public bug report (test/fixtures/reported/, see its
 * README and each `.expected.txt`) holds on the dry run, `meshray translate`. The same inputs go through the
 * receiver in test/e2e/reported.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run } from '../../../../../services/cli/commands/translate.ts';
import { validateSegmentJson } from '../../../../../shared/core/xray/index.ts';
import type { SegmentDocument } from '../../../../../shared/core/xray/segment-document.ts';
import { runCommand } from '../io.ts';

const DIR = new URL('../../../../fixtures/reported/', import.meta.url);
const path = (name: string): string => fileURLToPath(new URL(name, DIR));
/** The spans were sent on 2025-06-01 around 12:00Z (13-millisecond-timestamps.expected.txt names this clock). */
const NOW = '2025-06-01T12:05:00Z';

interface Run { readonly code: number; readonly stderr: string; readonly docs: SegmentDocument[]; readonly stdout: string }

async function translate(name: string, ...flags: string[]): Promise<Run> {
  const r = await runCommand(run, [path(name), '--now', NOW, ...flags]);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const docs = lines.map((line) => {
    const valid = validateSegmentJson(line); // the X-Ray check: schema and X-Ray rules, 0 violations
    assert.ok(valid.ok, valid.ok ? '' : `${name}: ${JSON.stringify(valid.issues)}\n${line}`);
    return valid.value;
  });
  return { code: r.code, stderr: r.stderr, docs, stdout: r.stdout };
}

test('every reported input has its expectations and a test here', () => {
  const inputs = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(inputs, ['02-negative-duration-batch.json', '03-v1-ipv4-is-hostname.json', '04-negative-endpoint-port.json',
    '11-waypoint-peer-address.json', '13-millisecond-timestamps.json']);
  for (const f of inputs) assert.ok(readFileSync(path(f.replace(/\.json$/, '.expected.txt')), 'utf8').includes('Must hold'), f);
});

test('02 negative duration: the valid span is translated, the odd one too (end = start) - never the whole input refused', async () => {
  const r = await translate('02-negative-duration-batch.json');
  assert.notEqual(r.code, 1, r.stderr);
  const valid = r.docs.find((d) => d.id === '352bff9a74ca9ad2');
  assert.ok(valid, 'the valid span is translated');
  assert.equal(valid.name, 'backend');
  assert.equal(Math.round(((valid.end_time ?? 0) - valid.start_time) * 1e6), 1431);
  const odd = r.docs.find((d) => d.id === '352bff9a74ca9ad3');
  if (odd !== undefined) assert.equal(odd.end_time, odd.start_time, 'a negative duration is absent: end_time == start_time');
  else assert.equal(r.code, 2, 'skipped alone, with a reason');
  assert.equal(r.code, 0, 'Zipkin reads a negative duration as absent, so both spans are translated');
});

test('03 v1 ipv4 holding a host name: one segment "storefront", no ipv4 carried', async () => {
  const r = await translate('03-v1-ipv4-is-hostname.json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.docs.length, 1);
  const doc = r.docs[0] as SegmentDocument;
  assert.equal(doc.name, 'storefront');
  assert.equal(doc.start_time, 1748779200.594695);
  assert.equal(r.stdout.includes('7c0ffee1d2a3'), false, 'the host name is not carried as an address');
  assert.equal((doc.metadata?.['zipkin'] as { kind?: string } | undefined)?.kind, 'SERVER', 'a SERVER span from sr/ss');
});

test('04 negative endpoint ports: one segment "quotes" (SERVER), status 200, no port carried', async () => {
  const r = await translate('04-negative-endpoint-port.json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.docs.length, 1);
  const doc = r.docs[0] as SegmentDocument;
  assert.equal(doc.name, 'quotes');
  assert.equal(doc.http?.response?.status, 200);
  assert.equal(doc.type, undefined, 'a segment');
  assert.doesNotMatch(r.stdout, /"port"/, 'no port carried');
  assert.doesNotMatch(r.stdout, /-7936|"-1"/);
});

test('11 waypoint peer.address envoy://internal_client_address/: no client_ip "envoy"; peer.address stays in metadata', async () => {
  const r = await translate('11-waypoint-peer-address.json');
  assert.equal(r.code, 0, r.stderr);
  const server = r.docs.filter((d) => d.id === '3f1a9c2e7d4b6a50');
  assert.equal(server.length, 1, 'the waypoint SERVER span gives one document');
  for (const d of r.docs) {
    const ip = d.http?.request?.client_ip;
    if (ip !== undefined) assert.match(ip, /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]+)$/i, `client_ip ${ip} is an address`);
    assert.equal(ip?.startsWith('envoy') ?? false, false);
  }
  assert.match(JSON.stringify(server[0]?.metadata), /envoy:\/\/internal_client_address\//, 'peer.address visible in metadata');
});

test('13 epoch milliseconds: repaired and counted; the trace id is dated inside X-Ray\'s window, never January 1970', async () => {
  const r = await translate('13-millisecond-timestamps.json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.docs.length, 1);
  const doc = r.docs[0] as SegmentDocument;
  const epoch = Number.parseInt(doc.trace_id.slice(2, 10), 16);
  assert.ok(epoch >= 0x681757ec && epoch <= 0x683c4318, `trace id ${doc.trace_id}: epoch within [now - 28 d, now + 5 min]`);
  assert.equal(doc.start_time, 1748779200.123, 'epoch milliseconds read as microseconds x 1000');
  assert.equal(Math.round(((doc.end_time ?? 0) - doc.start_time) * 1000), 45);
  assert.match(r.stderr, /1 timestamps repaired \(timestamp_unit_repaired\)/);

  const preserved = await translate('13-millisecond-timestamps.json', '--epoch-policy', 'preserve');
  assert.equal(preserved.code, 2, 'preserve: the Zipkin id\'s epoch (2074) is outside the window: refused with a reason');
  assert.equal(preserved.docs.length, 0);
  assert.match(preserved.stderr, /epoch_out_of_window/);
});
