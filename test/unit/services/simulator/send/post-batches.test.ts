import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postBatches, MAX_POST_BYTES } from '../../../../../services/simulator/send/post-batches.ts';
import { encodeSpansJsonV2 } from '../../../../../services/simulator/encode/encode-json-v2.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';

const spanOf = (i: number, tagBytes = 0): Span => ({ traceId: 'a'.repeat(32), id: String(i).padStart(16, '0'), annotations: [], tags: tagBytes > 0 ? { t: 'x'.repeat(tagBytes) } : {} });
const ids = (batches: Span[][]) => batches.map((b) => b.map((s) => Number(s.id)));

test('spans go in POSTs of at most maxSpans, in order', () => {
  assert.deepEqual(ids(postBatches(Array.from({ length: 12 }, (_, i) => spanOf(i + 1)), 5)), [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]);
  assert.deepEqual(postBatches([], 5), []);
});

test('a POST of several spans stays within maxBytes of body; a span larger alone goes alone (two 3 MB spans were one 6 MB body, over the receiver\'s 5 MiB)', () => {
  const three = 3 * 1024 * 1024;
  const batches = postBatches([spanOf(1, three), spanOf(2, three), spanOf(3), spanOf(4, 6 * 1024 * 1024), spanOf(5)], 5);
  assert.deepEqual(ids(batches), [[1], [2, 3], [4], [5]]);
  for (const b of batches) if (b.length > 1) assert.ok(Buffer.byteLength(encodeSpansJsonV2(b)) <= MAX_POST_BYTES);
  // the bound is the body encodeSpansJsonV2 writes, exactly
  const small = Array.from({ length: 4 }, (_, i) => spanOf(i + 1, 100));
  const exact = Buffer.byteLength(encodeSpansJsonV2(small));
  assert.deepEqual(ids(postBatches(small, 5, exact)), [[1, 2, 3, 4]]);
  assert.deepEqual(ids(postBatches(small, 5, exact - 1)), [[1, 2, 3], [4]]);
});
