import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantileOf, responseEndOf } from '../../../../bench/compare/open-loop.ts';

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
