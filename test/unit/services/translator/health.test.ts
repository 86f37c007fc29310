import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsumerHealth, ExportHealth, FAILURE_COVER_MS } from '../../../../services/translator/health.ts';

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
  h.committed(0, '10');
  h.lag(0, 0);
  assert.equal(h.live(), undefined);
});

test('committing an offset already committed is not progress: a partition retrying a record it cannot finish fails liveness (newcomer trial: an unwritable DEAD_LETTER_FILE)', () => {
  let now = 0;
  const h = new ConsumerHealth({ stallTimeoutMs: 1000, now: () => now });
  h.joined();
  h.committed(1, '32');
  h.lag(1, 8);
  for (now = 100; now <= 1000; now += 100) h.committed(1, '32'); // the records before the poison span, done again
  now = 1101;
  assert.equal(h.live(), 'consumer stalled: partition 1 is 8 records behind, no commit for 1101 ms', 'the same offset committed again every 100 ms');
  h.committed(1, '33');
  assert.equal(h.live(), undefined, 'the stuck partition moved');
  now = 3200;
  h.committed(1, '0');
  assert.equal(h.live(), undefined, 'offsets that went back (the span topic made again) start over: progress, not a stall for good');
});

test('progress is judged per partition: one partition stuck while the others commit fails liveness (found by the diff review of 2026-12-04)', () => {
  let now = 0;
  const h = new ConsumerHealth({ stallTimeoutMs: 1000, now: () => now });
  h.joined();
  h.committed(1, '32');
  h.lag(1, 8); // stuck behind a record it cannot finish
  h.lag(2, 3);
  for (let next = 6; now < 3000; next += 1) { // partition 2 commits every 100 ms, and always has more
    now += 100;
    h.committed(2, String(next));
    h.lag(2, 3);
    if (now <= 1000) assert.equal(h.live(), undefined, `${now} ms: within the stall timeout`);
  }
  assert.equal(h.live(), 'consumer stalled: partition 1 is 8 records behind, no commit for 3000 ms', 'partition 2 moving forward does not hide partition 1');
  h.lag(3, 1);
  now += 1001;
  assert.equal(h.live(), 'consumer stalled: partition 1 is 8 records behind, no commit for 4001 ms (2 more partitions stalled)', 'the oldest stall is named, and how many more');
  h.revoked([1]);
  assert.equal(h.live(), 'consumer stalled: partition 2 is 3 records behind, no commit for 1001 ms (1 more partition stalled)', 'a revoked partition is no longer judged here');
  h.lag(2, 0);
  h.committed(3, '1');
  assert.equal(h.live(), undefined, 'a partition without lag is not stalled; a commit that moves is progress');
});

test('throttled calls excuse liveness like failures, and do not touch readiness (meshray start behind a throttled X-Ray commits a batch in minutes)', () => {
  const clock = { now: 0 };
  const { consumer, exportHealth } = laggingBesideExport(clock, 500, 60_000);
  for (; clock.now <= 240_000; clock.now += 1000) {
    exportHealth.succeeded(); // X-Ray answers each call, throttling some of its documents
    exportHealth.throttled();
  }
  clock.now = 240_000;
  assert.equal(consumer.live(), undefined, 'four minutes throttled, no commit: excused');
  assert.equal(exportHealth.ready(), undefined, 'X-Ray answers: ready');
  clock.now = 240_000 + FAILURE_COVER_MS + 60_001;
  assert.match(consumer.live() ?? '', /^consumer stalled: partition 0 is 500 records behind/, 'once the throttling stopped, the stall is the consumer\'s own again');
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

test('export health: an endpoint without the route (misdirected: XRAY_ENDPOINT is not an X-Ray API) fails ready at once; a success heals it (newcomer trial)', () => {
  let now = 1000;
  const h = new ExportHealth({ failureTimeoutMs: 60_000, now: () => now });
  h.failed('XRAY_UNAVAILABLE', 'gave up after 2 retries: HTTP 404 (… is XRAY_ENDPOINT an X-Ray API …)', true);
  assert.equal(h.ready(), 'X-Ray export failing for 0 s: XRAY_UNAVAILABLE: gave up after 2 retries: HTTP 404 (… is XRAY_ENDPOINT an X-Ray API …)');
  h.succeeded();
  assert.equal(h.ready(), undefined);
  h.failed('XRAY_UNAVAILABLE', 'connect ECONNREFUSED');
  now += 1000;
  assert.equal(h.ready(), undefined, 'an outage still waits for EXPORT_FAILURE_TIMEOUT');
  h.failed('XRAY_UNAVAILABLE', 'HTTP 404', true);
  assert.match(h.ready() ?? '', /^X-Ray export failing for 1 s: XRAY_UNAVAILABLE: HTTP 404$/, 'measured from the first failure of the run');
  h.failed('XRAY_UNAVAILABLE', 'connect ECONNREFUSED');
  assert.equal(h.ready(), undefined, 'the latest call decides: the endpoint changed (an outage now), back to the timeout');
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

/** A joined consumer `lag` records behind, its liveness judged against an ExportHealth, on the clock `clock.now`. */
function laggingBesideExport(clock: { now: number }, lag: number, stallTimeoutMs = 1000): { consumer: ConsumerHealth; exportHealth: ExportHealth } {
  const exportHealth = new ExportHealth({ failureTimeoutMs: 500, now: () => clock.now });
  const consumer = new ConsumerHealth({ stallTimeoutMs, now: () => clock.now, exportState: exportHealth });
  consumer.joined();
  consumer.lag(0, lag);
  return { consumer, exportHealth };
}

test('the time the X-Ray export spends failing does not count towards a stall (a restart would not bring X-Ray back; readiness says it)', () => {
  const clock = { now: 0 };
  const { consumer: h, exportHealth } = laggingBesideExport(clock, 10);
  clock.now = 400; // 400 ms of the consumer's own stall, then an outage of a minute: a failed call every 5 s
  for (; clock.now <= 60_400; clock.now += 5000) exportHealth.failed('XRAY_UNAVAILABLE', 'connect ECONNREFUSED');
  clock.now = 60_400;
  assert.equal(h.live(), undefined, 'lag, no commit for a minute, but the export was what failed');
  assert.match(exportHealth.ready() ?? '', /^X-Ray export failing for 60 s: XRAY_UNAVAILABLE/);
  exportHealth.succeeded();
  clock.now = 61_000;
  assert.equal(h.live(), undefined, '400 + 600 ms of the consumer\'s own');
  clock.now = 61_001;
  assert.equal(h.live(), 'consumer stalled: partition 0 is 10 records behind, no commit for 61001 ms (60000 ms of it with the X-Ray export failing)', 'recovered, yet no commit: the consumer\'s own stall');
  h.committed(0, '10');
  assert.equal(h.live(), undefined);
  h.interrupted('crashed');
  exportHealth.failed('XRAY_UNAVAILABLE', 'again');
  clock.now = 70_000;
  assert.match(h.live() ?? '', /^consumer out of the group for 8999 ms: crashed$/, 'a consumer out of the group is not excused by the export');
});

test('the excuse ends: one failed call and no more (a stuck consumer makes none) covers FAILURE_COVER_MS; brief failures now and then cover only themselves (found by the diff review)', () => {
  const clock = { now: 0 };
  const { consumer: h, exportHealth: stuck } = laggingBesideExport(clock, 5);
  stuck.failed('XRAY_UNAVAILABLE', 'once');
  clock.now = FAILURE_COVER_MS + 1000;
  assert.equal(h.live(), undefined);
  clock.now = FAILURE_COVER_MS + 1001;
  assert.equal(h.live(), `consumer stalled: partition 0 is 5 records behind, no commit for ${FAILURE_COVER_MS + 1001} ms (${FAILURE_COVER_MS} ms of it with the X-Ray export failing)`);
  clock.now = 24 * 3600_000;
  assert.match(h.live() ?? '', /^consumer stalled/, 'still failing liveness a day later');

  // a failed call now and then, each past the cover of the one before: only each one's cover is excused
  clock.now = 0;
  const { consumer: g, exportHealth: sparse } = laggingBesideExport(clock, 5, 60_000);
  sparse.failed('XRAY_UNAVAILABLE', 'first');
  clock.now = 120_000;
  sparse.failed('XRAY_UNAVAILABLE', 'second, 90 s after the first one\'s cover ended');
  assert.equal(sparse.excusedMs(), FAILURE_COVER_MS, 'the gap between the runs is not excused');
  assert.equal(g.live(), `consumer stalled: partition 0 is 5 records behind, no commit for 120000 ms (${FAILURE_COVER_MS} ms of it with the X-Ray export failing)`);
  // failing time before the last progress is not taken off the stall after it
  g.committed(0, '5');
  clock.now = 130_000;
  assert.equal(sparse.excusedMs(), FAILURE_COVER_MS + 10_000);
  clock.now = 120_000 + FAILURE_COVER_MS + 60_000;
  assert.equal(g.live(), undefined, 'the second failure\'s 30 s of cover are excused: 60 s of stall');
  clock.now += 1;
  assert.equal(g.live(), `consumer stalled: partition 0 is 5 records behind, no commit for ${FAILURE_COVER_MS + 60_001} ms (${FAILURE_COVER_MS} ms of it with the X-Ray export failing)`);

  clock.now = 0;
  const { consumer: f, exportHealth: flapping } = laggingBesideExport(clock, 5);
  for (let t = 0; t < 3000; t += 500) {
    clock.now = t;
    flapping.failed('XRAY_UNAVAILABLE', 'one 503');
    clock.now = t + 10;
    flapping.succeeded();
  }
  clock.now = 1060;
  assert.equal(f.live(), undefined, '1060 ms, 60 of them failing: 1000 ms of stall');
  clock.now = 1061;
  assert.match(f.live() ?? '', /^consumer stalled/, 'a brief 503 every 500 ms excuses only its 10 ms each');
});
