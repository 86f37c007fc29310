/**
 * `meshray send` against a receiver PROCESS with MAX_BODY_BYTES=1mb: the receiver answers a larger body 413 as
 * soon as it reads the Content-Length and closes the connection, and a sender in another process that is still
 * writing the body gets EPIPE instead of the answer (an in-process receiver stub never shows it). A newcomer's
 * two 3 MB spans and a small one were "no answer: EPIPE … is a receiver running there?", all three kept back on
 * every resend. Now every span that fits the receiver is taken, and the one too large alone is named as such.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, testKafka, uniqueNames } from '../support/kafka.ts';
import { scrapeMetric } from '../support/metrics.ts';
import { killAll, REPO_ROOT } from '../support/processes.ts';
import { startReceiver } from '../support/stack.ts';

after(killAll);

const KB = 1024;

test('send takes every span a receiver process can take when bodies pass its MAX_BODY_BYTES, and names the span too large alone', { timeout: 120_000 }, async () => {
  const names = uniqueNames('send-large');
  await createTopic(testKafka(), names.spansTopic, 3);
  const receiver = await startReceiver('receiver', { spansTopic: names.spansTopic, env: { MAX_BODY_BYTES: '1mb' } });
  const nowMicros = Date.now() * 1000;
  const span = (i: number, tagBytes: number) => ({
    traceId: `65e1c3f0a1b2c3d4e5f60718293a${String(i).padStart(4, '0')}`, id: String(i).padStart(16, '0'), name: 'get', kind: 'SERVER',
    timestamp: nowMicros, duration: 1000, localEndpoint: { serviceName: 'reviews' }, tags: { 'request.body': 'x'.repeat(tagBytes) },
  });
  // one POST of 5 spans of 800 KB (3.9 MiB, under send's 4 MiB): far over the receiver's 1 MiB, each span fits
  // alone; then a 1.5 MB span, too large alone, and a small one
  const spans = [...[1, 2, 3, 4, 5].map((i) => span(i, 800 * KB)), span(6, 1500 * KB), span(7, 10)];
  const dir = mkdtempSync(join(tmpdir(), 'meshray-send-large-'));
  const file = join(dir, 'spans.json');
  writeFileSync(file, JSON.stringify(spans));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'services/cli/main.ts', 'send', '--target', receiver.url, '--unsent', join(dir, 'unsent.ndjson'), file], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /spans accepted: 6, refused or unanswered: 1 \(1 POST\)/, r.stdout);
  assert.equal(await scrapeMetric(`${receiver.url}/metrics`, 'meshray_receiver_spans_received_total'), 6, 'the receiver took the six that fit');
  // how the 1.5 MB span was lost depends on who wins the race: its 413 read (refused for good) or the connection closed first
  const out = `${r.stdout}${r.stderr}`;
  assert.match(out, /likely too large alone for .*: raise its MAX_BODY_BYTES|413: .*MAX_BODY_BYTES/, out);
  assert.doesNotMatch(out, /is a receiver running there/);
  process.stdout.write(`# ${r.stdout.split('\n').find((l) => l.includes('receiver answers')) ?? ''}\n`);
});
