import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSpansVia, encodeSpanItems, SPAN_LIST_SCHEMA_FINGERPRINT, SPAN_SCHEMA_FINGERPRINT } from '../../../../../shared/core/avro/span-codec.ts';
import { DEAD_LETTER_HEADERS, SPAN_SCHEMA_HEADER } from '../../../../../shared/core/span-record/headers.ts';
import {
  decodeRecordSpans, decodeSpanRecord, deliveredRecordOf, spanAloneRecordOf, spanRecordKeyOf, toSpanListRecord, toSpanRecords,
} from '../../../../../shared/core/span-record/record.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { decodeSpans } from '../../../../../shared/core/zipkin/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../../../../../shared/core/xray/index.ts';

const span = (traceId: string, id: string): Span => ({
  traceId, id, kind: 'SERVER', name: 'get /', timestampMicros: 1_700_000_000_000_000, durationMicros: 1500,
  localEndpoint: { serviceName: 'productpage' }, annotations: [], tags: { 'http.status_code': '200' },
});

test('the key is the low 64 bits of the trace id: the 64- and 128-bit ids of one trace share a key', () => {
  assert.equal(spanRecordKeyOf('463ac35c9f6413ad48485a3953bb6124'), '48485a3953bb6124');
  assert.equal(spanRecordKeyOf('48485a3953bb6124'), '48485a3953bb6124');
  const [wide, narrow] = toSpanRecords([span('463ac35c9f6413ad48485a3953bb6124', 'a'.repeat(16)), span('48485a3953bb6124', 'b'.repeat(16))], 42);
  assert.equal(wide?.key, narrow?.key);
});

test('a record carries the Avro span, the schema header and the given timestamp; it decodes back to the span', () => {
  const original = span('463ac35c9f6413ad48485a3953bb6124', '00f067aa0ba902b7');
  const [record] = toSpanRecords([original], 1_700_000_000_123);
  assert.ok(record);
  assert.deepEqual(record.headers, { [SPAN_SCHEMA_HEADER]: SPAN_SCHEMA_FINGERPRINT });
  assert.equal(record.timestampMs, 1_700_000_000_123);
  const decoded = decodeSpanRecord(record);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.value, original);
});

test('a record whose header names an unknown schema, or whose value is garbage, is a poison record (issues, no throw)', () => {
  const [record] = toSpanRecords([span('48485a3953bb6124', '00f067aa0ba902b7')], 1);
  assert.ok(record);
  const unknown = decodeSpanRecord({ value: record.value, headers: { [SPAN_SCHEMA_HEADER]: 'ffffffffffffffff' } });
  assert.equal(unknown.ok, false);
  assert.match(unknown.ok ? '' : unknown.issues[0]?.message ?? '', /unknown span schema fingerprint/);
  assert.equal(decodeSpanRecord({ value: Buffer.from('not avro at all'), headers: record.headers }).ok, false);
});

test('deliveredRecordOf: a client\'s fetched record as every SpanSource hands it on; absent key or value are empty', () => {
  const r = deliveredRecordOf({ key: Buffer.from('a3ce929d0e0e4736'), value: Buffer.from([1, 2]), headers: { h: [Buffer.from('x'), 'y'] }, timestamp: '1714557600000', offset: '42' }, 3);
  assert.deepEqual(r, { key: 'a3ce929d0e0e4736', value: Buffer.from([1, 2]), headers: { h: 'x' }, timestampMs: 1714557600000, partition: 3, offset: '42' });
  const bare = deliveredRecordOf({ key: null, value: null, timestamp: '0', offset: '0' }, 0);
  assert.equal(bare.key, '');
  assert.equal(bare.value.length, 0);
  assert.deepEqual(bare.headers, {});
});

test('a span-list record (v2): no key, the list fingerprint, its chunks\' spans in order; read by both the direct and the avsc path', () => {
  const spans = [span('463ac35c9f6413ad48485a3953bb6124', 'a'.repeat(16)), span('48485a3953bb6125', 'b'.repeat(16)), span('48485a3953bb6126', 'c'.repeat(16))];
  const record = toSpanListRecord([encodeSpanItems(spans.slice(0, 2)), encodeSpanItems(spans.slice(2))], 3, 7);
  assert.equal(record.key, '');
  assert.deepEqual(record.headers, { [SPAN_SCHEMA_HEADER]: SPAN_LIST_SCHEMA_FINGERPRINT });
  assert.deepEqual(decodeRecordSpans(record), { ok: true, value: spans });
  assert.deepEqual(decodeSpansVia(record.value, SPAN_LIST_SCHEMA_FINGERPRINT, false), { ok: true, value: spans });
  // v1 records stay readable through the same call
  const [v1] = toSpanRecords([spans[0] as Span], 1);
  assert.deepEqual(decodeRecordSpans(v1 as NonNullable<typeof v1>), { ok: true, value: [spans[0]] });
  assert.equal(decodeSpanRecord(record).ok, false, 'the single-span reader names the shape instead of misreading it');
});

test('spanAloneRecordOf: a list item as a v1 record of its own (its dead-letter identity), never its neighbours', () => {
  const spans = [span('48485a3953bb6124', 'a'.repeat(16)), span('48485a3953bb6125', 'b'.repeat(16))];
  const list = { ...toSpanListRecord([encodeSpanItems(spans)], 2, 9), partition: 4, offset: '120' };
  const alone = spanAloneRecordOf(list, 1, spans[1] as Span);
  assert.ok(alone);
  assert.equal(alone.key, spanRecordKeyOf('48485a3953bb6125'));
  assert.deepEqual([alone.partition, alone.offset, alone.timestampMs], [4, '120', 9]);
  assert.deepEqual(alone.headers, { [SPAN_SCHEMA_HEADER]: SPAN_SCHEMA_FINGERPRINT, [DEAD_LETTER_HEADERS.spanIndex]: '1' });
  assert.deepEqual(decodeSpanRecord(alone), { ok: true, value: spans[1] });
  assert.equal(spanAloneRecordOf(list, 2, spans[1] as Span), undefined, 'no such item');
  const [v1] = toSpanRecords([spans[0] as Span], 1);
  assert.equal(spanAloneRecordOf(v1 as NonNullable<typeof v1>, 0, spans[0] as Span), v1, 'a v1 record is its own span');
});

test('a garbage or truncated span list is a poison record: issues name the item', () => {
  const spans = [span('48485a3953bb6124', 'a'.repeat(16)), span('48485a3953bb6125', 'b'.repeat(16))];
  const { value, headers } = toSpanListRecord([encodeSpanItems(spans)], 2, 9);
  const truncated = decodeRecordSpans({ value: value.subarray(0, value.length - 20), headers });
  assert.equal(truncated.ok, false);
  assert.match(truncated.ok ? '' : truncated.issues[0]?.path ?? '', /^spans\[1\]\./);
  assert.equal(decodeRecordSpans({ value: Buffer.from('not avro at all'), headers }).ok, false);
});

test('a span with lone surrogates (JSON \\ud800 escapes) reads back from its record as decoded, so `meshray translate` and the live path make the same documents', () => {
  const body = '[{"traceId":"5af7183fb1d4cf5f","id":"6b221d5bc9e6496c","name":"get \\ud800","timestamp":1556604172355737,"duration":1431,'
    + '"kind":"SERVER","localEndpoint":{"serviceName":"reviews"},"tags":{"x":"\\ud800 lone","http.url":"http://x/\\udfff","\\udc00k":"v"}}]';
  const decoded = decodeSpans(body, 'json-v2');
  assert.ok(decoded.ok);
  const [span] = decoded.value;
  assert.equal(span?.tags['x'], '\ufffd lone');
  const [record] = toSpanRecords(decoded.value, 1);
  assert.ok(record !== undefined);
  const live = decodeRecordSpans(record);
  assert.ok(live.ok);
  assert.deepEqual(live.value, decoded.value);
  const nowMs = Date.parse('2019-04-30T06:03:00Z');
  const documentsOf = (spans: readonly Span[]): string[] =>
    translateSpans(spans, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs, epochs: new MemoryEpochStore() }).documents.map((d) => d.json);
  const dryRun = documentsOf(decoded.value);
  assert.deepEqual(documentsOf(live.value), dryRun);
  assert.ok(dryRun[0]?.includes('"x":"\ufffd lone"'), dryRun[0]);
});
