import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionFor, codeOfCallError, codeOfUnprocessed } from '../../../../services/translator/consume/error-policy.ts';

test('poison and refused documents are dead-lettered; X-Ray outages retried; Redis outages skipped', () => {
  assert.equal(actionFor('RECORD_UNDECODABLE'), 'dead-letter');
  assert.equal(actionFor('SPAN_UNTRANSLATABLE'), 'dead-letter');
  assert.equal(actionFor('SEGMENT_REJECTED'), 'dead-letter');
  assert.equal(actionFor('XRAY_THROTTLED'), 'retry');
  assert.equal(actionFor('XRAY_UNAVAILABLE'), 'retry');
  assert.equal(actionFor('EPOCH_STORE_UNAVAILABLE'), 'skip');
});

test('X-Ray unprocessed codes: throttling and unknown retried, invalid rejected', () => {
  assert.equal(codeOfUnprocessed('ThrottledException'), 'XRAY_THROTTLED');
  assert.equal(codeOfUnprocessed('InternalFailure'), 'XRAY_UNAVAILABLE');
  assert.equal(codeOfUnprocessed('SomethingNew'), 'XRAY_UNAVAILABLE');
  assert.equal(codeOfUnprocessed(undefined), 'XRAY_UNAVAILABLE');
  for (const c of ['InvalidTraceId', 'MissingId', 'SegmentTooLarge', 'InvalidJson', 'InvalidSegment']) assert.equal(codeOfUnprocessed(c), 'SEGMENT_REJECTED', c);
});

test('call errors: credentials and 5xx are never treated as bad documents', () => {
  assert.equal(codeOfCallError('ThrottledException', 429), 'XRAY_THROTTLED');
  assert.equal(codeOfCallError('InvalidSignatureException', 403), 'XRAY_UNAVAILABLE');
  assert.equal(codeOfCallError('ExpiredTokenException', 400), 'XRAY_UNAVAILABLE');
  assert.equal(codeOfCallError('InternalFailure', 500), 'XRAY_UNAVAILABLE');
  assert.equal(codeOfCallError('Error', undefined), 'XRAY_UNAVAILABLE');
  assert.equal(codeOfCallError('InvalidRequestException', 400), 'SEGMENT_REJECTED');
});
