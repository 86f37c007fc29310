import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeSpanItems } from '../../../../../shared/core/avro/span-codec.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { cutMarker, TRIM_FLOOR_CHARACTERS, trimmedToFit, withValuesCutAt } from '../../../../../shared/core/zipkin/trim.ts';

const encode = (span: Span): Buffer => encodeSpanItems([span]);
const sizeOf = (span: Span): number => encode(span).length;
const cutsIn = (span: Span): number => [...Object.values(span.tags), ...span.annotations.map((a) => a.value)].filter((v) => v.includes('…[meshray cut ')).length;
const base: Span = { traceId: 'a'.repeat(16), id: 'b'.repeat(16), name: 'get', kind: 'SERVER', timestampMicros: 1_700_000_000_000_000, durationMicros: 10, localEndpoint: { serviceName: 'reviews' }, annotations: [], tags: { 'http.method': 'GET' } };

test('the longest values are cut, to the largest cap that fits, each ending with the marker; short values and everything else are kept', () => {
  const span: Span = {
    ...base,
    tags: { 'http.url': 'u'.repeat(300_000), 'response.body': 'r'.repeat(200_000), 'http.method': 'GET' },
    annotations: [{ timestampMicros: 1, value: 'a'.repeat(150_000) }, { timestampMicros: 2, value: 'short' }],
  };
  const maxBytes = 500_000; // 300k + 200k + 150k characters: a cap of ≈ 175k fits
  const r = trimmedToFit(span, maxBytes, encode);
  assert.ok(r !== undefined);
  assert.ok(sizeOf(r.span) <= maxBytes);
  assert.deepEqual(r.encoded, encode(r.span), 'the encoding returned is the cut span\'s');
  assert.equal(cutsIn(r.span), 2, 'the two values past the cap; the 150,000-character annotation is under it');
  const url = r.span.tags['http.url'] ?? '';
  const cap = url.indexOf('…');
  assert.ok(cap > 150_000, `the cap (${cap}) leaves the smaller long value whole`);
  assert.equal(url, 'u'.repeat(cap) + cutMarker(300_000 - cap));
  assert.equal(r.span.tags['response.body'], 'r'.repeat(cap) + cutMarker(200_000 - cap));
  assert.equal(r.span.tags['http.method'], 'GET');
  assert.deepEqual(r.span.annotations, span.annotations);
  assert.deepEqual({ ...r.span, tags: {}, annotations: [] }, { ...span, tags: {}, annotations: [] });
  // the largest cap, to within 1/1024 of the longest value: 300 characters more do not fit
  assert.ok(sizeOf(withValuesCutAt(span, cap + 300)) > maxBytes);
});

test('a span whose bulk is not in its values is refused (undefined), as is one still too large with every value at the floor', () => {
  const many: Span = { ...base, annotations: Array.from({ length: 20_000 }, (_, n) => ({ timestampMicros: n, value: `event-${n}` })) };
  assert.equal(trimmedToFit(many, 100_000, encode), undefined);
  const tagsAtFloor: Span = { ...base, tags: Object.fromEntries(Array.from({ length: 200 }, (_, n) => [`k${n}`, 'v'.repeat(TRIM_FLOOR_CHARACTERS * 2)])) };
  assert.equal(trimmedToFit(tagsAtFloor, 150_000, encode), undefined);
});

test('a cut never splits a surrogate pair: a cap that falls inside one cuts before it', () => {
  const emoji = '😀'.repeat(3000); // 6,000 UTF-16 code units; high surrogates at even indices
  const shifted = `a${emoji}`; // 6,001; high surrogates at odd indices
  const span: Span = { ...base, tags: { note: emoji }, annotations: [{ timestampMicros: 1, value: shifted }] };
  for (const [cap, tagKept, annotationKept] of [[2001, 2000, 2001], [2002, 2002, 2001]] as const) {
    const cut = withValuesCutAt(span, cap);
    for (const [value, whole, expected] of [[cut.tags['note'] ?? '', emoji, tagKept], [cut.annotations[0]?.value ?? '', shifted, annotationKept]] as const) {
      const kept = whole.slice(0, expected);
      assert.equal(value, kept + cutMarker(whole.length - expected), `cap ${cap}`);
      assert.equal(Buffer.from(kept, 'utf8').toString('utf8'), kept, `cap ${cap}: no lone surrogate`);
    }
  }
});
