/**
 * Acceptance (issue 10 §3): offered load at 3× the receiver's capacity for 20 s (`BENCH=overload` runs 60 s),
 * nothing lost silently: every answer is 202 or 503 with Retry-After; the spans refused equal what
 * `meshray_receiver_spans_refused_total{reason}` counts; every span answered 202 reaches xray-local once per
 * document id; the receiver's RSS stays under its bound.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { killAll } from '../support/processes.ts';
import { RECEIVER_RSS_BOUND_MB, runOverload } from '../support/overload.ts';

after(killAll);

test('3× the receiver\'s capacity for 20 s: every refusal is a counted 503 with Retry-After, every 202 is delivered, RSS bounded', { timeout: 400_000 }, async () => {
  const f = await runOverload(20);
  console.log(`# overload: ${JSON.stringify(f)}`);
  assert.deepEqual(Object.keys(f.statuses).filter((s) => s !== '202' && s !== '503'), [], `only 202 and 503: ${JSON.stringify(f.statuses)}`);
  assert.ok((f.statuses['503'] ?? 0) > 0, 'the overload was refused in part (else it was no overload)');
  assert.ok((f.statuses['202'] ?? 0) > 0, 'the receiver kept accepting what it could');
  assert.equal(f.withoutRetryAfter, 0, 'every 503 carries Retry-After');
  assert.equal(Object.values(f.refusedCounted).reduce((a, b) => a + b, 0), f.refusedSpans, `every refused span counted by reason: ${JSON.stringify(f.refusedCounted)}`);
  assert.ok(f.maxRssMb > 0 && f.maxRssMb < RECEIVER_RSS_BOUND_MB, `receiver RSS ${f.maxRssMb} MB under ${RECEIVER_RSS_BOUND_MB} MB`);
});
