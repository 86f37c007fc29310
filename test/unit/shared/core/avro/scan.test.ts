import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { scanDatum } from '../../../../../shared/core/avro/scan.ts';
import { SPAN_SCHEMA } from '../../../../../shared/core/avro/span-schema.ts';

/** Every Avro type the walk knows, nested. */
const ALL = avro.Type.forSchema({
  type: 'record', name: 'All', fields: [
    { name: 'n', type: 'null' }, { name: 'b', type: 'boolean' }, { name: 'i', type: 'int' }, { name: 'l', type: 'long' },
    { name: 'f', type: 'float' }, { name: 'd', type: 'double' }, { name: 's', type: 'string' }, { name: 'by', type: 'bytes' },
    { name: 'fx', type: { type: 'fixed', name: 'F4', size: 4 } }, { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] } },
    { name: 'u', type: ['null', 'string', 'long'] }, { name: 'a', type: { type: 'array', items: 'string' } },
    { name: 'm', type: { type: 'map', values: 'long' } }, { name: 'nulls', type: { type: 'array', items: 'null' } },
  ],
});
const SPAN = avro.Type.forSchema(SPAN_SCHEMA as avro.Schema);

/** Zigzag varint of a safe integer. */
function varint(n: number): number[] {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 128) {
    out.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return out;
}

const valid = ALL.toBuffer({
  n: null, b: true, i: -7, l: 2 ** 40, f: 1.5, d: -2.25, s: 'héllo', by: Buffer.from([0, 255]), fx: Buffer.from('abcd'),
  e: 'C', u: 'x', a: ['p', 'q'], m: { k: 1 }, nulls: [null, null, null],
});

test('valid data of every type scans clean, and so do random spans of the span schema', () => {
  assert.equal(scanDatum(ALL, valid), undefined);
  for (let i = 0; i < 200; i += 1) {
    assert.equal(scanDatum(ALL, ALL.toBuffer(ALL.random())), undefined);
    assert.equal(scanDatum(SPAN, SPAN.toBuffer(SPAN.random())), undefined);
  }
});

test('every strict prefix of a valid datum is truncated, and a trailing byte is refused', () => {
  for (let end = 0; end < valid.length; end += 1) {
    const issue = scanDatum(ALL, valid.subarray(0, end));
    assert.ok(issue !== undefined, `prefix of ${end} bytes passed`);
  }
  assert.match(scanDatum(ALL, Buffer.concat([valid, Buffer.from([0])]))?.message ?? '', /1 trailing byte/);
});

/** A record holding only `field`, scanned over `bytes`. */
const one = (type: avro.Schema, bytes: number[]) =>
  scanDatum(avro.Type.forSchema({ type: 'record', name: 'One', fields: [{ name: 'x', type }] }), Uint8Array.from(bytes));

test('a block count larger than the bytes left fails at once, with its path (bounded by the input size)', () => {
  const issue = one({ type: 'map', values: 'string' }, [...varint(2 ** 40), 2, 0x61, 0]);
  assert.equal(issue?.path, 'x');
  assert.match(issue?.message ?? '', /block of 1099511627776 item\(s\) cannot fit in the 3 byte\(s\) left/);
  assert.match(one({ type: 'array', items: 'null' }, [...varint(2_000_000), 0])?.message ?? '', /cannot fit/);
  assert.equal(one({ type: 'array', items: 'null' }, [...varint(3), 0]), undefined);
  assert.match(one({ type: 'array', items: 'long' }, [...varint(-1), ...varint(-5), 2, 0])?.message ?? '', /negative block size -5/);
});

test('lengths, enum indices, union branches, booleans and longs are checked', () => {
  assert.match(one('string', varint(-3))?.message ?? '', /negative length -3/);
  assert.match(one('string', [...varint(10), 0x61])?.message ?? '', /truncated: needs 10 byte\(s\), 1 left/);
  assert.match(one({ type: 'enum', name: 'E', symbols: ['A', 'B'] }, varint(2))?.message ?? '', /enum index 2 out of range 0..1/);
  assert.match(one(['null', 'string'], varint(5))?.message ?? '', /union branch 5 out of range 0..1/);
  assert.match(one('boolean', [2])?.message ?? '', /invalid boolean byte 2/);
  assert.match(one('long', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])?.message ?? '', /beyond ±\(2\^53 - 2\)/);
  assert.match(one('long', Array.from({ length: 11 }, () => 0x80))?.message ?? '', /more than 10 bytes/);
  assert.match(one('int', [0x80, 0x80, 0x80, 0x80, 0x80, 0x01])?.message ?? '', /more than 5 bytes/);
  assert.equal(one('long', varint(2 ** 53 - 2)), undefined);
});

test('paths name the field, the item and the map entry', () => {
  const nested = avro.Type.forSchema({ type: 'record', name: 'N', fields: [{ name: 'tags', type: { type: 'array', items: { type: 'record', name: 'T', fields: [{ name: 'value', type: 'string' }] } } }] });
  assert.equal(scanDatum(nested, Uint8Array.from([...varint(2), ...varint(1), 0x61, ...varint(-1)]))?.path, 'tags[1].value');
  const map = avro.Type.forSchema({ type: 'record', name: 'M', fields: [{ name: 'm', type: { type: 'map', values: 'string' } }] });
  assert.equal(scanDatum(map, Uint8Array.from([...varint(1), ...varint(1), 0x6b, ...varint(-2)]))?.path, 'm{0}');
});
