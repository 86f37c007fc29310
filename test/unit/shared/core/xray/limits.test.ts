import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitDocument, fitsBytes, MAX_DOCUMENT_BYTES, MAX_DROPPED_NAMES, truncateChars } from '../../../../../shared/core/xray/limits.ts';

test('truncateChars never splits a surrogate pair', () => {
  assert.equal(truncateChars('abc', 5), 'abc');
  assert.equal(truncateChars('abcdef', 3), 'abc');
  assert.equal(truncateChars('ab😀', 3), 'ab');
  assert.equal(truncateChars('ab😀c', 4), 'ab😀');
});

test('fitsBytes counts UTF-8 bytes only when it matters', () => {
  assert.equal(fitsBytes('a'.repeat(100), 300), true);
  assert.equal(fitsBytes('a'.repeat(301), 300), false);
  assert.equal(fitsBytes('é'.repeat(150), 300), true);
  assert.equal(fitsBytes('é'.repeat(151), 300), false);
});

test('fitDocument leaves a fitting document alone and shares nothing it trims', () => {
  const shared = { default: { a: 'x'.repeat(500), b: 'y' } };
  const small = { name: 'n', metadata: shared };
  assert.deepEqual(fitDocument(small, 10_000), { json: JSON.stringify(small), trimmed: false });

  const big = { name: 'n', metadata: shared };
  const fitted = fitDocument(big, 200);
  assert.ok(fitted !== undefined && fitted.trimmed);
  assert.deepEqual(JSON.parse(fitted.json), { name: 'n', metadata: { default: { b: 'y' }, meshray: { truncated: true, droppedMetadataKeys: 1, droppedMetadata: ['default.a'] } } });
  assert.equal(shared.default.a.length, 500, 'the caller’s metadata object is not mutated');
});

test('fitDocument drops annotations after metadata, and gives up when nothing is left to drop', () => {
  const doc = { name: 'n', annotations: { a: 'x'.repeat(300), b: 'y' }, metadata: { default: { m: 'z'.repeat(100) } } };
  const fitted = fitDocument(doc, 200);
  assert.ok(fitted !== undefined);
  assert.deepEqual(JSON.parse(fitted.json), { name: 'n', annotations: { b: 'y' }, metadata: { meshray: { truncated: true, droppedMetadataKeys: 1, droppedMetadata: ['default.m'], droppedAnnotations: 1, droppedAnnotationKeys: ['a'] } } });
  const hopeless = { name: 'n'.repeat(500) };
  assert.equal(fitDocument(hopeless, 200), undefined);
});

test('fitDocument names what it dropped, largest first, the first MAX_DROPPED_NAMES of them (newcomer trial: a 2 MB tag vanished unnamed), and keeps what fits', () => {
  const zipkin: Record<string, string> = { 'http.url': 'http://productpage:9080/', 'big.payload': 'x'.repeat(2_000_000) };
  const one = fitDocument({ name: 'n', metadata: { zipkin } }, MAX_DOCUMENT_BYTES);
  assert.ok(one !== undefined);
  assert.deepEqual(JSON.parse(one.json).metadata, { zipkin: { 'http.url': 'http://productpage:9080/' }, meshray: { truncated: true, droppedMetadataKeys: 1, droppedMetadata: ['zipkin.big.payload'] } });

  const many: Record<string, string> = {};
  for (let i = 0; i < 40; i += 1) many[`tag.${String(i).padStart(2, '0')}.${'k'.repeat(150)}`] = 'v'.repeat(3000 - i);
  const fitted = fitDocument({ name: 'n', metadata: { zipkin: many } }, 20_000);
  assert.ok(fitted !== undefined);
  assert.ok(Buffer.byteLength(fitted.json) <= 20_000);
  const mark = JSON.parse(fitted.json).metadata.meshray as { droppedMetadataKeys: number; droppedMetadata: string[] };
  assert.ok(mark.droppedMetadataKeys > MAX_DROPPED_NAMES, String(mark.droppedMetadataKeys));
  assert.equal(mark.droppedMetadata.length, MAX_DROPPED_NAMES);
  assert.equal(mark.droppedMetadata[0], `zipkin.tag.00.${'k'.repeat(150)}`.slice(0, 100), 'the largest first, each name cut to 100 characters');
  const kept = Object.keys(JSON.parse(fitted.json).metadata.zipkin as object).length;
  assert.equal(kept + mark.droppedMetadataKeys, 40);
  assert.ok(kept > 0, 'what fits is kept');
});

test('the names of what was dropped never cost an annotation nor the document: left out when only they do not fit (found by review)', () => {
  const metadataOf = (): Record<string, Record<string, unknown>> => {
    const bucket: Record<string, unknown> = {};
    for (let i = 0; i < 20; i += 1) bucket[`k${String(i).padStart(2, '0')}${'q'.repeat(92)}`] = 'v';
    return { default: bucket };
  };
  const refusedBefore = fitDocument({ name: 'n'.repeat(2900), metadata: metadataOf() }, 3000);
  assert.ok(refusedBefore !== undefined, 'fits once the metadata is gone, as it did before names were written');
  assert.ok(Buffer.byteLength(refusedBefore.json) <= 3000);
  assert.deepEqual(JSON.parse(refusedBefore.json).metadata.meshray, { truncated: true, droppedMetadataKeys: 20 });

  const annotationKept = fitDocument({ name: 'n'.repeat(2000), annotations: { a: 'x'.repeat(500) }, metadata: metadataOf() }, 2700);
  assert.ok(annotationKept !== undefined);
  assert.ok(Buffer.byteLength(annotationKept.json) <= 2700);
  const parsed = JSON.parse(annotationKept.json) as { annotations?: Record<string, string>; metadata: { meshray: Record<string, unknown> } };
  assert.equal(parsed.annotations?.['a']?.length, 500, 'the annotation stays');
  assert.deepEqual(parsed.metadata.meshray, { truncated: true, droppedMetadataKeys: 20 }, 'the same document as before names were written');
});

test('fitDocument: the whole value kept beside a cut annotation goes alone when that fits, leaving no empty namespace; a value that only starts like an annotation is no copy; a __proto__ tag is kept as data (found by review)', () => {
  const whole = 'q'.repeat(1200);
  const cut = whole.slice(0, 1000);
  const copyAlone = JSON.parse(JSON.stringify({ name: 's', annotations: { guid_x_request_id: cut }, metadata: { default: { 'guid:x-request-id': whole }, http: { big: 'b'.repeat(62_000) } } })) as Parameters<typeof fitDocument>[0];
  const fitted = fitDocument(copyAlone, 64_000);
  assert.ok(fitted !== undefined);
  const out = JSON.parse(fitted.json) as { metadata: Record<string, Record<string, unknown>> };
  assert.equal(out.metadata['default'], undefined, 'no "default":{} left behind');
  assert.equal(out.metadata['http']?.['big'], 'b'.repeat(62_000));
  assert.deepEqual(out.metadata['meshray']?.['droppedMetadata'], ['default.guid:x-request-id']);

  // an annotation of exactly 1,000 characters was never cut: a value that starts with it is a tag of its own, and the largest goes
  const exact = 'e'.repeat(1000);
  const lookalike = fitDocument(JSON.parse(JSON.stringify({ name: 's', annotations: { zone: exact }, metadata: { default: { other: `${exact}${'t'.repeat(22_000)}`, biggest: 'g'.repeat(50_000) } } })), 64_000);
  assert.deepEqual((JSON.parse(lookalike?.json ?? '{}') as { metadata: { meshray: { droppedMetadata: string[] } } }).metadata.meshray.droppedMetadata, ['default.biggest']);

  // a copy under __proto__ (an allowlisted tag of that name) that must stay: still there, as an own key
  const proto = JSON.parse(`{"name":"s","annotations":{"__proto__":${JSON.stringify(cut)}},"metadata":{"default":{"__proto__":${JSON.stringify(whole)},"zz":${JSON.stringify('z'.repeat(70_000))}}}}`) as Parameters<typeof fitDocument>[0];
  const kept = fitDocument(proto, 64_000);
  assert.ok(kept !== undefined);
  assert.match(kept.json, new RegExp(`"__proto__":"${whole}"`));
  assert.match(kept.json, /"droppedMetadata":\["default.zz"\]/);
});
