// The admission decision with time as an input: no clock, no timer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMISSION_HEADROOM, DrainAdmission } from '../../../../../services/receiver/publish/drain-admission.ts';

const ACK_TIMEOUT_MS = 2000;
const T0 = 1_000_000;

/** An admission that measured `rate` spans/s from one saturated send of one second. */
function measured(rate: number): DrainAdmission {
  const a = new DrainAdmission({ ackTimeoutMs: ACK_TIMEOUT_MS });
  a.busy(T0);
  a.acked(rate, 1, T0 + 1000);
  return a;
}

describe('DrainAdmission', () => {
  it('admits anything before the first measurement, and always into an empty queue', () => {
    const a = new DrainAdmission({ ackTimeoutMs: ACK_TIMEOUT_MS });
    assert.equal(a.spansPerSecond, undefined);
    assert.equal(a.admits(40_000, 1000, T0), true);
    const slow = measured(10);
    assert.equal(slow.admits(0, 5000, T0 + 1000), true);
  });

  it('admits exactly what drains within the headroom share of ACK_TIMEOUT at the measured rate', () => {
    const a = measured(1000);
    assert.equal(a.spansPerSecond, 1000);
    const limit = 1000 * (ACK_TIMEOUT_MS / 1000) * ADMISSION_HEADROOM; // 1000 spans at 1000 spans/s, 2 s, half
    assert.equal(a.admits(limit - 10, 10, T0 + 1100), true);
    assert.equal(a.admits(limit - 10, 11, T0 + 1100), false);
  });

  it('a send that emptied the queue raises the estimate but never lowers it', () => {
    const a = measured(1000);
    a.busy(T0 + 5000);
    a.acked(5, 0, T0 + 5010); // 500 spans/s: only what arrived
    assert.equal(a.spansPerSecond, 1000);
    a.busy(T0 + 6000);
    a.acked(100, 0, T0 + 6010); // 10 000 spans/s: Kafka can do at least that
    assert.ok((a.spansPerSecond ?? 0) > 1000);
  });

  it('saturated sends move the estimate towards the new rate, more the longer they took', () => {
    const a = measured(1000);
    a.acked(100, 1, T0 + 1100); // 1000 spans/s again
    assert.equal(a.spansPerSecond, 1000);
    a.acked(100, 1, T0 + 2100); // 100 spans/s over 1 s: alpha = 1 - e^(-1/3)
    const expected = 1000 + (1 - Math.exp(-1000 / 3000)) * (100 - 1000);
    assert.ok(Math.abs((a.spansPerSecond ?? 0) - expected) < 1e-9, String(a.spansPerSecond));
  });

  it('refuses while Kafka has acknowledged nothing for longer than ACK_TIMEOUT, whatever the old rate', () => {
    const a = measured(1_000_000);
    assert.equal(a.admits(10, 10, T0 + 1000 + ACK_TIMEOUT_MS), true);
    assert.equal(a.admits(10, 10, T0 + 1001 + ACK_TIMEOUT_MS), false);
    a.acked(10, 0, T0 + 1002 + ACK_TIMEOUT_MS);
    assert.equal(a.admits(10, 10, T0 + 1003 + ACK_TIMEOUT_MS), true);
  });
});
