/**
 * Issue 10 §3, shortened: 25 s of offered load at 3× the receiver's capacity (Kafka slowed by a client quota,
 * ACK_MODE=kafka). The 60 s soak is `BENCH=overload npm run bench` (same scenario, test/e2e/support/overload.ts).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runOverload, RECEIVER_RSS_BOUND_MB } from '../support/overload.ts';
import { killAll } from '../support/processes.ts';

after(killAll);

/** Share of the measured capacity the receiver must still accept under 3× overload (no goodput collapse). */
const MIN_GOODPUT_SHARE = 0.5;

test('3× capacity for 25 s: RSS bounded, every refusal an immediate 503 with Retry-After counted by reason, most of the capacity accepted, every 202 delivered', { timeout: 400_000 }, async () => {
  const f = await runOverload(25); // throws when a span answered 202 is not in xray-local exactly once
  console.log(`# overload: ${JSON.stringify(f)}`);
  const statuses = Object.keys(f.statuses).sort();
  assert.ok(statuses.every((s) => s === '202' || s === '503'), `answers other than 202 and 503: ${JSON.stringify(f.statuses)}`);
  assert.ok(f.refusedRequests > 0, 'nothing was refused: the offered load did not overload the receiver');
  assert.equal(f.withoutRetryAfter, 0, '503s without Retry-After');
  // A request refused before decoding counts 1 refused span, after decoding all its spans: at least one each.
  const counted = Object.values(f.refusedCounted).reduce((a, b) => a + b, 0);
  assert.ok(counted >= f.refusedRequests, `${f.refusedRequests} requests refused, ${counted} refusals counted: ${JSON.stringify(f.refusedCounted)}`);
  assert.ok(Object.keys(f.refusedCounted).every((r) => r === 'buffer_full' || r === 'ack_timeout'), JSON.stringify(f.refusedCounted));
  assert.ok(f.maxRssMb > 0 && f.maxRssMb < RECEIVER_RSS_BOUND_MB, `receiver RSS ${f.maxRssMb} MB (bound ${RECEIVER_RSS_BOUND_MB} MB)`);
  const capacitySpans = f.capacitySpansPerSecond * f.overloadSeconds;
  assert.ok(f.acceptedSpans >= MIN_GOODPUT_SHARE * capacitySpans,
    `accepted ${f.acceptedSpans} spans in ${f.overloadSeconds} s, under ${MIN_GOODPUT_SHARE} of the measured capacity (${capacitySpans})`);
});
