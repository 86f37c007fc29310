import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeSpanItems } from '../../../../../shared/core/avro/span-codec.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { cutMarker, TRIM_FLOOR_CHARACTERS, trimmedToFit } from '../../../../../shared/core/zipkin/trim.ts';

const sizeOf = (span: Span): number => encodeSpanItems([span]).length;
const base: Span = { traceId: 'a'.repeat(16), id: 'b'.repeat(16), name: 'get', kind: 'SERVER', timestampMicros: 1_700_000_000_000_000, durationMicros: 10, localEndpoint: { serviceName: 'reviews' }, annotations: [], tags: { 'http.method': 'GET' } };

test('a span that fits is returned as it is', () => {
  const r = trimmedToFit(base, 10_000, sizeOf);
  assert.equal(r?.span, base);
  assert.equal(r?.valuesCut, 0);
});

test('the longest values are cut, to the largest cap that fits, each ending with the marker; short values and everything else are kept', () => {
  const span: Span = {
    ...base,
    tags: { 'http.url': 'u'.repeat(300_000), 'response.body': 'r'.repeat(200_000), 'http.method': 'GET' },
    annotations: [{ timestampMicros: 1, value: 'a'.repeat(150_000) }, { timestampMicros: 2, value: 'short' }],
  };
  const maxBytes = 500_000; // 300k + 200k + 150k characters: a cap of ≈ 175k fits
  const r = trimmedToFit(span, maxBytes, sizeOf);
  assert.ok(r !== undefined);
  assert.ok(sizeOf(r.span) <= maxBytes);
  assert.equal(r.valuesCut, 2, 'the two values past the cap; the 150,000-character annotation is under it');
  const url = r.span.tags['http.url'] ?? '';
  const cap = url.indexOf('…');
  assert.ok(cap > 150_000, `the cap (${cap}) leaves the smaller long value whole`);
  assert.equal(url, 'u'.repeat(cap) + cutMarker(300_000 - cap));
  assert.equal(r.span.tags['response.body'], 'r'.repeat(cap) + cutMarker(200_000 - cap));
  assert.equal(r.span.tags['http.method'], 'GET');
  assert.deepEqual(r.span.annotations, span.annotations);
  assert.deepEqual({ ...r.span, tags: {}, annotations: [] }, { ...span, tags: {}, annotations: [] });
  // the largest cap: one more character does not fit
  const wider = trimmedToFit({ ...span, tags: { ...span.tags } }, sizeOf(r.span) - 1, sizeOf);
  assert.ok(wider !== undefined && (wider.span.tags['http.url'] ?? '').indexOf('…') < cap);
});

test('a span whose bulk is not in its values is refused (undefined), as is one still too large with every value at the floor', () => {
  const many: Span = { ...base, annotations: Array.from({ length: 20_000 }, (_, n) => ({ timestampMicros: n, value: `event-${n}` })) };
  assert.equal(trimmedToFit(many, 100_000, sizeOf), undefined);
  const tagsAtFloor: Span = { ...base, tags: Object.fromEntries(Array.from({ length: 200 }, (_, n) => [`k${n}`, 'v'.repeat(TRIM_FLOOR_CHARACTERS * 2)])) };
  assert.equal(trimmedToFit(tagsAtFloor, 150_000, sizeOf), undefined);
});

test('a cut never splits a surrogate pair', () => {
  const emoji = '😀'.repeat(100_000); // 200,000 UTF-16 code units, 400,000 UTF-8 bytes
  const r = trimmedToFit({ ...base, tags: { note: emoji } }, 100_000, sizeOf);
  const value = r?.span.tags['note'] ?? '';
  const kept = value.slice(0, value.indexOf('…'));
  assert.ok(kept.length > 0 && kept.length % 2 === 0, 'whole pairs only');
  assert.equal(Buffer.from(kept, 'utf8').toString('utf8'), kept, 'no lone surrogate');
});
