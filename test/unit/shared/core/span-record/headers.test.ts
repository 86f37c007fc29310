import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEAD_LETTER_HEADERS, DEAD_LETTER_MESSAGE_MAX_CHARS, deadLetterHeaders, deadLetterSourceOf, stringHeadersOf,
} from '../../../../../shared/core/span-record/headers.ts';

const letter = {
  record: { key: 'k', value: Buffer.from('v'), headers: { 'meshray-schema': 'abc', 'x-test': 'kept' }, timestampMs: 1, partition: 3, offset: '1200' },
  topic: 'meshray.spans', code: 'RECORD_UNDECODABLE', reason: 'avro', attempts: 3, message: 'x'.repeat(5000),
};

test('a dead letter keeps the original headers and says where it came from and why', () => {
  const headers = deadLetterHeaders(letter);
  assert.deepEqual(headers, {
    'meshray-schema': 'abc', 'x-test': 'kept',
    'meshray.dlq.reason': 'avro', 'meshray.dlq.error-code': 'RECORD_UNDECODABLE', 'meshray.dlq.source-topic': 'meshray.spans',
    'meshray.dlq.source-partition': '3', 'meshray.dlq.source-offset': '1200', 'meshray.dlq.attempts': '3',
    'meshray.dlq.message': 'x'.repeat(DEAD_LETTER_MESSAGE_MAX_CHARS),
  });
  assert.equal(deadLetterSourceOf(headers), 'meshray.spans/3@1200');
});

test('a record without dead-letter headers has no source; missing partition/offset read as ?', () => {
  assert.equal(deadLetterSourceOf({ 'meshray-schema': 'abc' }), undefined);
  assert.equal(deadLetterSourceOf({ [DEAD_LETTER_HEADERS.topic]: 't' }), 't/?@?');
});

test('wire headers become one UTF-8 string per name (first of a repeated header; absent values left out)', () => {
  assert.deepEqual(stringHeadersOf({ a: Buffer.from('é'), b: 'plain', c: [Buffer.from('first'), 'second'], d: undefined, e: [] }), { a: 'é', b: 'plain', c: 'first' });
  assert.deepEqual(stringHeadersOf(undefined), {});
});
