import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSelection, parseOffsetsSpec, parseSelection, parseTimeMs } from '../../../../../services/cli/replay/selection.ts';

const errorsOf = (r: ReturnType<typeof parseSelection>): string => (r.ok ? '' : r.errors.join('\n'));

test('parseTimeMs: ISO 8601 with a zone, a bare date (UTC) or epoch milliseconds', () => {
  assert.equal(parseTimeMs('2024-05-01T10:00:00Z'), Date.UTC(2024, 4, 1, 10));
  assert.equal(parseTimeMs('2024-05-01T10:00:00.250+02:00'), Date.UTC(2024, 4, 1, 8, 0, 0, 250));
  assert.equal(parseTimeMs('2024-05-01'), Date.UTC(2024, 4, 1));
  assert.equal(parseTimeMs('1714557600000'), 1714557600000);
  assert.equal(parseTimeMs(' 0 '), 0);
});

test('parseTimeMs: refuses local times without a zone, words and out-of-range numbers', () => {
  for (const bad of ['2024-05-01T10:00:00', 'yesterday', '', '-5', '1e12', '99999999999999999999', '2024-13-45T00:00:00Z']) {
    assert.equal(parseTimeMs(bad), undefined, bad);
  }
});

test('parseOffsetsSpec: inclusive ranges, single offsets, open ends, several specs', () => {
  const r = parseOffsetsSpec(['0:100-200,3:0-50', '5:7', '6:10-']);
  assert.deepEqual(r, { ok: true, value: [
    { partition: 0, startOffset: 100, endOffset: 200 },
    { partition: 3, startOffset: 0, endOffset: 50 },
    { partition: 5, startOffset: 7, endOffset: 7 },
    { partition: 6, startOffset: 10 },
  ] });
});

test('parseOffsetsSpec: every malformed item is named', () => {
  const r = parseOffsetsSpec(['0:100-200,x:1-2,3-4,1:a']);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.errors.length, 3);
  assert.match(r.errors[0] ?? '', /"x:1-2"/);
  assert.match(r.errors[1] ?? '', /"3-4"/);
  assert.match(r.errors[2] ?? '', /"1:a"/);
});

test('parseSelection: time range; --to optional; --to must follow --from', () => {
  assert.deepEqual(parseSelection({ from: '1000', to: '2000' }), { ok: true, value: { kind: 'time', fromMs: 1000, toMs: 2000 } });
  assert.deepEqual(parseSelection({ from: '2024-05-01' }), { ok: true, value: { kind: 'time', fromMs: Date.UTC(2024, 4, 1) } });
  assert.match(errorsOf(parseSelection({ from: '2000', to: '1000' })), /--to .* must be after --from/);
  assert.match(errorsOf(parseSelection({ from: '2000', to: '2000' })), /must be after/);
  assert.match(errorsOf(parseSelection({ to: '2000' })), /--from is required/);
  assert.match(errorsOf(parseSelection({ from: 'soon', to: 'later' })), /--from: expected ISO 8601[\s\S]*--to: expected ISO 8601/);
  assert.match(errorsOf(parseSelection({ from: '2024-05-01T10:00:00', to: '2024-05-01 11:00' })),
    /--from: "2024-05-01T10:00:00" has no time zone: add a zone \(Z or ±hh:mm\), e\.g\. 2024-05-01T10:00:00Z[\s\S]*--to: "2024-05-01 11:00" has no time zone: add a zone \(Z or ±hh:mm\)/);
});

test('parseSelection: --offsets and --partition/--start-offset/--end-offset triples, sorted by partition', () => {
  assert.deepEqual(parseSelection({ offsets: ['3:0-50,0:100-200'] }), { ok: true, value: { kind: 'offsets', ranges: [
    { partition: 0, startOffset: 100, endOffset: 200 }, { partition: 3, startOffset: 0, endOffset: 50 },
  ] } });
  assert.deepEqual(
    parseSelection({ partition: ['2', '1'], 'start-offset': ['5', '0'], 'end-offset': ['9', '3'] }),
    { ok: true, value: { kind: 'offsets', ranges: [{ partition: 1, startOffset: 0, endOffset: 3 }, { partition: 2, startOffset: 5, endOffset: 9 }] } },
  );
  assert.deepEqual(parseSelection({ partition: ['4'], 'start-offset': ['10'] }), { ok: true, value: { kind: 'offsets', ranges: [{ partition: 4, startOffset: 10 }] } });
});

test('parseSelection: offset errors (reversed, duplicate partition, unmatched triples)', () => {
  assert.match(errorsOf(parseSelection({ offsets: ['0:200-100'] })), /partition 0: end offset 100 is before start offset 200/);
  assert.match(errorsOf(parseSelection({ offsets: ['0:1-2,0:5-6'] })), /partition 0 is selected more than once/);
  assert.match(errorsOf(parseSelection({ partition: ['0', '1'], 'start-offset': ['5'] })), /one per --partition/);
  assert.match(errorsOf(parseSelection({ partition: ['0'], 'start-offset': ['5'], 'end-offset': ['6', '7'] })), /--end-offset: give one per --partition/);
  assert.match(errorsOf(parseSelection({ partition: ['p0'], 'start-offset': ['5'] })), /--partition: expected a partition number, got "p0"/);
  assert.match(errorsOf(parseSelection({ offsets: [','] })), /no range given/);
});

test('parseSelection: exactly one way of selecting', () => {
  assert.match(errorsOf(parseSelection({})), /choose what to read/);
  assert.match(errorsOf(parseSelection({ from: '1', offsets: ['0:1-2'] })), /choose one way.*--from\/--to and --offsets/);
  assert.match(errorsOf(parseSelection({ all: true, partition: ['0'], 'start-offset': ['1'] })), /--partition.*and --all/);
  assert.deepEqual(parseSelection({ all: true }), { ok: true, value: { kind: 'all' } });
});

test('describeSelection names the range', () => {
  assert.equal(describeSelection({ kind: 'offsets', ranges: [{ partition: 0, startOffset: 1, endOffset: 2 }, { partition: 3, startOffset: 4 }] }), '0:1-2,3:4-end');
  assert.equal(describeSelection({ kind: 'time', fromMs: 0, toMs: 1000 }), 'records from 1970-01-01T00:00:00.000Z to 1970-01-01T00:00:01.000Z');
});

test('parseSelection: epoch seconds given for --from/--to are refused with the milliseconds to pass (--from 1796180099 read as January 1970: the whole topic)', () => {
  assert.equal(parseTimeMs('1796180099'), undefined);
  assert.match(errorsOf(parseSelection({ from: '1796180099', to: '1796180999' })),
    /--from: 1796180099 as epoch milliseconds is 1970-01-21T18:56:20\.099Z; as epoch seconds it is 2026-12-02T02:54:59\.000Z: pass 1796180099000[\s\S]*--to: 1796180999 as epoch/);
  assert.deepEqual(parseSelection({ from: '1796180099000' }), { ok: true, value: { kind: 'time', fromMs: 1796180099000 } });
});
