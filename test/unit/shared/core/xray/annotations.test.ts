import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { anyText } from '../../../../support/arbitraries.ts';
import { annotationValueOf, metadataNamespaceOf, sanitizeAnnotationKey, serializeTags, splitTags } from '../../../../../shared/core/xray/annotations.ts';
import { DEFAULT_ANNOTATION_ALLOWLIST } from '../../../../../shared/core/xray/config.ts';

test('annotation keys sanitised to [A-Za-z0-9_.]', () => {
  assert.equal(sanitizeAnnotationKey('guid:x-request-id'), 'guid_x_request_id');
  assert.equal(sanitizeAnnotationKey('istio.canonical_service'), 'istio.canonical_service');
  assert.equal(sanitizeAnnotationKey('a b/c'), 'a_b_c');
});

test('annotation values: strings ≤ 1,000 chars (the schema\'s annotation maxLength; found by review: cut at 250), true/false as booleans', () => {
  assert.equal(annotationValueOf('true'), true);
  assert.equal(annotationValueOf('false'), false);
  assert.equal(annotationValueOf('5183'), '5183');
  assert.equal(annotationValueOf('x'.repeat(600)), 'x'.repeat(600));
  assert.equal(annotationValueOf('x'.repeat(1200)), 'x'.repeat(1000));
});

test('metadata namespaces: istio.* → istio, http.* → http, everything else → default', () => {
  const cases: [string, string][] = [
    ['istio.mesh_id', 'istio'],
    ['http.protocol', 'http'],
    ['downstream_cluster', 'default'],
    ['upstream_cluster.name', 'default'],
    ['peer.address', 'default'],
    ['clnt/finagle.version', 'default'],
    ['zipkin.x', 'default'],
    ['meshray.x', 'default'],
    ['istio', 'default'],
    ['.x', 'default'],
  ];
  for (const [tag, namespace] of cases) assert.equal(metadataNamespaceOf(tag), namespace, tag);
});

test('allowlisted tags → annotations, the rest → metadata, independent of tag order', () => {
  const tags = { 'http.method': 'GET', 'guid:x-request-id': 'abc', 'istio.mesh_id': 'cluster.local', zone: 'a', peer: 'p' };
  const reversed = Object.fromEntries(Object.entries(tags).reverse());
  const split = splitTags(tags, DEFAULT_ANNOTATION_ALLOWLIST);
  assert.deepEqual({ ...split.annotations }, { 'istio.mesh_id': 'cluster.local', guid_x_request_id: 'abc', zone: 'a' });
  assert.deepEqual(JSON.parse(JSON.stringify(split.metadata)), { default: { peer: 'p' }, http: { 'http.method': 'GET' } });
  assert.equal(JSON.stringify(splitTags(reversed, DEFAULT_ANNOTATION_ALLOWLIST)), JSON.stringify(split));
});

test('custom allowlist: at most 50 annotations; the overflow and key collisions stay in metadata', () => {
  const tags = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${String(i).padStart(2, '0')}`, String(i)]));
  const allowlist = [...Object.keys(tags), 'a-b', 'a_b'];
  const split = splitTags({ ...tags }, allowlist);
  assert.equal(Object.keys(split.annotations ?? {}).length, 50);
  assert.deepEqual(Object.keys(split.metadata['default'] ?? {}), Array.from({ length: 10 }, (_, i) => `t${50 + i}`));
  const collide = splitTags({ 'a-b': '1', a_b: '2' }, ['a-b', 'a_b']);
  assert.deepEqual({ ...collide.annotations }, { a_b: '1' });
  assert.deepEqual(JSON.parse(JSON.stringify(collide.metadata)), { default: { a_b: '2' } });
});

test('an annotation cut to 1,000 characters keeps its whole value in metadata (the cut loses nothing)', () => {
  const long = `${'u'.repeat(999)}😀tail`;
  const tags = { 'guid:x-request-id': long, zone: 'z'.repeat(1000), 'http.method': 'GET' };
  for (const allowlist of [DEFAULT_ANNOTATION_ALLOWLIST, ['guid:x-request-id', 'zone', 'guid:x-request-id']]) {
    const split = splitTags(tags, allowlist);
    assert.equal(split.annotations?.['guid_x_request_id'], 'u'.repeat(999), 'cut before the surrogate pair');
    assert.equal(split.annotations?.['zone'], 'z'.repeat(1000));
    assert.deepEqual(JSON.parse(JSON.stringify(split.metadata)), { default: { 'guid:x-request-id': long }, http: { 'http.method': 'GET' } });
    const json = serializeTags(tags, allowlist);
    assert.equal(`{${json.metadataMembers}}`, JSON.stringify(split.metadata));
  }
});

test('a tag named __proto__ is kept as data', () => {
  const tags = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
  const split = splitTags(tags, []);
  assert.equal(JSON.stringify(split.metadata), '{"default":{"__proto__":"x"}}');
});

test('serializeTags writes exactly JSON.stringify of splitTags, for any tags and allowlist', () => {
  const tagKey = fc.oneof(
    fc.constantFrom(...DEFAULT_ANNOTATION_ALLOWLIST, 'http.method', 'istio.mesh_id', 'peer.address', '__proto__', '10', '2', '0x', 'a-b', 'a_b', 'istio', '.x'),
    fc.string(),
    anyText(),
  );
  const tagValue = fc.oneof(fc.string(), anyText(), fc.constantFrom('true', 'false', 'x'.repeat(300), 'x'.repeat(1000), 'x'.repeat(1001), `${'x'.repeat(999)}😀`));
  const tags = fc.array(fc.tuple(tagKey, tagValue), { maxLength: 30 }).map((entries) => {
    const out: Record<string, string> = {};
    for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });
  const allowlist = fc.oneof(
    fc.constant(DEFAULT_ANNOTATION_ALLOWLIST),
    fc.array(tagKey, { maxLength: 8 }),
    fc.constant(Array.from({ length: 60 }, (_, i) => `t${i}`)),
  );
  fc.assert(
    fc.property(tags, allowlist, (t, list) => {
      const split = splitTags(t, list);
      const json = serializeTags(t, list);
      assert.equal(json.annotations, split.annotations === undefined ? undefined : JSON.stringify(split.annotations));
      assert.equal(`{${json.metadataMembers}}`, JSON.stringify(split.metadata));
    }),
    { numRuns: 1000 },
  );
});
