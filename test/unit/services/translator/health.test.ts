import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsumerHealth, ExportHealth } from '../../../../services/translator/health.ts';

test('live fails when lagging without a commit for the stall timeout; ready once joined', () => {
  let now = 0;
  const h = new ConsumerHealth({ stallTimeoutMs: 1000, now: () => now });
  assert.equal(h.ready(), 'not a member of the consumer group');
  h.joined();
  assert.equal(h.ready(), undefined);
  now = 5000;
  assert.equal(h.live(), undefined, 'idle without lag is healthy');
  h.lag(0, 10);
  now = 5500;
  assert.equal(h.live(), undefined);
  now = 6100;
  assert.match(h.live() ?? '', /stalled/);
  h.committed();
  h.lag(0, 0);
  assert.equal(h.live(), undefined);
});

test('an interrupted consumer (crash, stop by kafkajs) is unready at once, not live once out of the group past the stall timeout, healed by a join', () => {
  let now = 0;
  const h = new ConsumerHealth({ stallTimeoutMs: 1000, now: () => now });
  h.joined();
  h.interrupted('crashed: Connection error');
  assert.equal(h.ready(), 'consumer interrupted, rejoining: crashed: Connection error');
  assert.equal(h.live(), undefined, 'a rebuild in progress is not a dead process');
  now = 600;
  h.interrupted('stopped by kafkajs');
  assert.equal(h.ready(), 'consumer interrupted, rejoining: stopped by kafkajs', 'the latest reason');
  now = 1000;
  assert.equal(h.live(), undefined);
  now = 1001;
  assert.equal(h.live(), 'consumer out of the group for 1001 ms: stopped by kafkajs', 'measured from the first interruption');
  h.joined();
  assert.equal(h.ready(), undefined);
  assert.equal(h.live(), undefined);
  now = 5000;
  h.interrupted('again');
  now = 5999;
  assert.equal(h.live(), undefined, 'the clock restarts after a join');
});

test('export health: ready fails once calls failed for EXPORT_FAILURE_TIMEOUT, with the last reason; the first success heals it', async () => {
  const { ExportHealth } = await import('../../../../services/translator/health.ts');
  let now = 1000;
  const h = new ExportHealth({ failureTimeoutMs: 30_000, now: () => now });
  assert.equal(h.ready(), undefined);
  h.failed('XRAY_UNAVAILABLE', 'Error: connect ECONNREFUSED 127.0.0.1:2000');
  now += 29_999;
  assert.equal(h.ready(), undefined, 'a failure shorter than the timeout is not reported');
  h.failed('XRAY_ACCESS_DENIED', 'CredentialsProviderError: Could not load credentials from any providers');
  now += 1;
  assert.equal(h.ready(), 'X-Ray export failing for 30 s: XRAY_ACCESS_DENIED: CredentialsProviderError: Could not load credentials from any providers',
    'measured from the first failure, with the latest reason');
  h.succeeded();
  assert.equal(h.ready(), undefined);
  h.failed('XRAY_UNAVAILABLE', 'down');
  now += 29_000;
  assert.equal(h.ready(), undefined, 'the clock restarts after a success');
});

test('allOf: the first problem of several checks', async () => {
  const { allOf } = await import('../../../../services/translator/health.ts');
  assert.equal(allOf(() => undefined, () => undefined)(), undefined);
  assert.equal(allOf(() => undefined, () => 'b', () => 'c')(), 'b');
});

test('while start-up waits (Kafka unreachable, the span topic absent) ready says for what; live is not affected; a join clears it', () => {
  const h = new ConsumerHealth({ stallTimeoutMs: 1000, now: () => 0 });
  h.waiting('Kafka at k:9092: topic spans does not exist yet (the receiver creates it)');
  assert.equal(h.ready(), 'not consuming yet: Kafka at k:9092: topic spans does not exist yet (the receiver creates it)');
  assert.equal(h.live(), undefined);
  h.waiting(undefined);
  assert.equal(h.ready(), 'not a member of the consumer group');
  h.waiting('again');
  h.joined();
  assert.equal(h.ready(), undefined);
});

test('a stall while the X-Ray export fails keeps liveness (a restart would not bring X-Ray back; readiness says it), and is measured again from the recovery', () => {
  let now = 0;
  const exportHealth = new ExportHealth({ failureTimeoutMs: 500, now: () => now });
  const h = new ConsumerHealth({ stallTimeoutMs: 1000, now: () => now, exportState: exportHealth });
  h.joined();
  h.lag(0, 10);
  exportHealth.failed('XRAY_UNAVAILABLE', 'connect ECONNREFUSED');
  now = 60_000;
  assert.equal(h.live(), undefined, 'lag, no commit for a minute, but the export is what fails');
  assert.match(exportHealth.ready() ?? '', /^X-Ray export failing for 60 s: XRAY_UNAVAILABLE/);
  exportHealth.succeeded();
  now = 60_900;
  assert.equal(h.live(), undefined, '900 ms since the export recovered');
  now = 61_001;
  assert.equal(h.live(), 'consumer stalled: 10 records behind, no commit for 1001 ms', 'recovered, yet no commit for the stall timeout: the consumer\'s own stall');
  h.committed();
  assert.equal(h.live(), undefined);
  h.interrupted('crashed');
  exportHealth.failed('XRAY_UNAVAILABLE', 'again');
  now = 70_000;
  assert.match(h.live() ?? '', /^consumer out of the group for 8999 ms: crashed$/, 'a consumer out of the group is not excused by the export');
});
