import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSegmentDocument, validateSegmentJson } from '../../../../../shared/core/xray/validate.ts';

const valid = {
  name: 'productpage.default',
  id: '0123456789abcdef',
  trace_id: '1-5d0d2e04-0123456789abcdef01234567',
  start_time: 1561141508.707487,
  end_time: 1561141508.787072,
};

function paths(doc: unknown): string[] {
  const result = validateSegmentDocument(doc);
  return result.ok ? [] : result.issues.map((i) => i.path);
}

test('accepts a minimal segment and an independent remote subsegment', () => {
  assert.deepEqual(paths(valid), []);
  assert.deepEqual(paths({ ...valid, type: 'subsegment', namespace: 'remote', parent_id: 'fedcba9876543210' }), []);
});

test('accepts dotted annotation keys (X-Ray allows them since 2024; the published schema does not)', () => {
  assert.deepEqual(paths({ ...valid, annotations: { 'istio.mesh_id': 'cluster.local', a_b: 1, c: true } }), []);
});

test('accepts in_progress documents without end_time and rejects other end-less documents', () => {
  const { end_time: _drop, ...open } = valid;
  assert.deepEqual(paths({ ...open, in_progress: true }), []);
  assert.deepEqual(paths(open), ['end_time']);
});

const rejections: [string, Record<string, unknown>, string][] = [
  ['name with < (outside the X-Ray charset)', { name: 'a<b' }, 'name'],
  ['name of 201 characters', { name: 'a'.repeat(201) }, 'name'],
  ['empty name', { name: '' }, 'name'],
  ['trace id with 7-digit epoch', { trace_id: '1-5d0d2e0-0123456789abcdef012345678' }, 'trace_id'],
  ['trace id with version 2', { trace_id: '2-5d0d2e04-0123456789abcdef01234567' }, 'trace_id'],
  ['id that is 16 chars but not hex', { id: '0123456789abcdeZ' }, 'id'],
  ['parent_id not hex', { parent_id: 'zzzzzzzzzzzzzzzz' }, 'parent_id'],
  ['annotation key with -', { annotations: { 'a-b': 'x' } }, 'annotations["a-b"]'],
  ['annotation value object', { annotations: { a: {} } }, 'annotations.a'],
  ['51 annotations', { annotations: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, 'annotations'],
  ['status as string', { http: { response: { status: '200' } } }, 'http.response.status'],
  ['url over 250 chars', { http: { request: { url: 'x'.repeat(251) } } }, 'http.request.url'],
  ['metadata namespace not an object', { metadata: { default: 'x' } }, 'metadata.default'],
  ['subsegment without parent_id', { type: 'subsegment' }, 'parent_id'],
  ['end before start', { end_time: 1 }, 'end_time'],
  ['exception id not hex', { fault: true, cause: { exceptions: [{ id: 'xxxxxxxxxxxxxxxx' }] } }, 'cause.exceptions[0].id'],
];

for (const [what, patch, path] of rejections) {
  test(`rejects ${what}, naming ${path}`, () => {
    assert.ok(paths({ ...valid, ...patch }).includes(path), JSON.stringify(paths({ ...valid, ...patch })));
  });
}

test('names a missing required field', () => {
  const { start_time: _drop, ...doc } = valid;
  assert.ok(paths(doc).includes('start_time'));
});

test('validateSegmentJson checks size before parsing, then content', () => {
  const big = JSON.stringify({ ...valid, metadata: { default: { blob: 'x'.repeat(64 * 1024) } } });
  const tooBig = validateSegmentJson(big);
  assert.equal(tooBig.ok, false);
  assert.match(tooBig.ok ? '' : (tooBig.issues[0]?.message ?? ''), /bytes, at most 65536/);

  const notJson = validateSegmentJson('{"name":');
  assert.equal(notJson.ok, false);
  assert.equal(notJson.ok ? '' : notJson.issues[0]?.path, 'document');

  assert.equal(validateSegmentJson(JSON.stringify(valid)).ok, true);
});

test('64 KB is counted in UTF-8 bytes, not characters', () => {
  // 22,000 × 'é' is 44,000 bytes: fits; 33,000 × 'é' is 66,000 bytes: does not, though only 33,000 characters.
  const fits = JSON.stringify({ ...valid, metadata: { default: { s: 'é'.repeat(22_000) } } });
  const over = JSON.stringify({ ...valid, metadata: { default: { s: 'é'.repeat(33_000) } } });
  assert.equal(validateSegmentJson(fits).ok, true);
  assert.equal(validateSegmentJson(over).ok, false);
});
