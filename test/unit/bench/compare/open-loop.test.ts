import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantileOf, responseEndOf, slowWindowsOf } from '../../../../bench/compare/open-loop.ts';

test('responseEndOf finds the end of a response with a Content-Length body, and -1 until it is all in', () => {
  const first = 'HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\nkeep-alive: timeout=72\r\n\r\n{}';
  const second = 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n';
  const buf = Buffer.from(first + second, 'latin1');
  assert.equal(responseEndOf(buf, 0), first.length);
  assert.equal(responseEndOf(buf, first.length), buf.length);
  assert.equal(responseEndOf(buf.subarray(0, first.length - 1), 0), -1);
  assert.equal(responseEndOf(Buffer.from('HTTP/1.1 202 Accepted\r\n', 'latin1'), 0), -1);
});

test('quantileOf takes the nearest rank of sorted values', () => {
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(quantileOf(sorted, 0.5), 500);
  assert.equal(quantileOf(sorted, 0.99), 990);
  assert.equal(quantileOf(sorted, 0.999), 999);
  assert.equal(quantileOf(sorted, 1), 1000);
  assert.ok(Number.isNaN(quantileOf(new Float64Array(0), 0.99)));
});

test('slowWindowsOf groups slow requests due within the gap into stalls, worst first', () => {
  const stalls = slowWindowsOf([
    { intendedEpochMs: 1000, latencyMs: 30 }, { intendedEpochMs: 1020, latencyMs: 150 }, { intendedEpochMs: 1060, latencyMs: 40 },
    { intendedEpochMs: 5000, latencyMs: 25 },
    { intendedEpochMs: 9000, latencyMs: 400 },
  ], 50);
  assert.deepEqual(stalls, [
    { atEpochMs: 9000, spanMs: 400, worstMs: 400, requests: 1 },
    { atEpochMs: 1000, spanMs: 170, worstMs: 150, requests: 3 },
    { atEpochMs: 5000, spanMs: 25, worstMs: 25, requests: 1 },
  ]);
  assert.deepEqual(slowWindowsOf([]), []);
});
