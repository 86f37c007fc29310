import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidRequestException, ThrottledException, XRayServiceException } from '@aws-sdk/client-xray';
import { CredentialsProviderError } from '@smithy/core/config';
import { ERROR_CATALOGUE, type ErrorCode } from '../../../../../shared/edge/errors/index.ts';
import {
  isFinalRefusal,
  ACCESS_ERROR_NAMES, actionFor, codeOfCallError, codeOfUnprocessed, UNPROCESSED_CODES, type ErrorAction,
} from '../../../../../services/translator/policy/error-policy.ts';

test('poison and refused documents are dead-lettered; X-Ray outages retried; refused callers halt; Redis outages skipped', () => {
  assert.equal(actionFor('RECORD_UNDECODABLE'), 'dead-letter');
  assert.equal(actionFor('SPAN_UNTRANSLATABLE'), 'dead-letter');
  assert.equal(actionFor('SEGMENT_REJECTED'), 'dead-letter');
  assert.equal(actionFor('XRAY_THROTTLED'), 'retry');
  assert.equal(actionFor('XRAY_UNAVAILABLE'), 'retry');
  assert.equal(actionFor('XRAY_ACCESS_DENIED'), 'halt');
  assert.equal(actionFor('EPOCH_STORE_UNAVAILABLE'), 'skip');
});

test('only retryable codes are retried; only permanent ones dead-lettered or halted', () => {
  for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) {
    const action = actionFor(code);
    if (action === 'retry') assert.equal(ERROR_CATALOGUE[code].retryable, true, code);
    if (action === 'halt' || action === 'dead-letter') assert.equal(ERROR_CATALOGUE[code].retryable, false, code);
  }
});

/** Builds the exception the SDK's deserializer builds for an AWS error it does not model (name from the response). */
const unmodelled = (name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') =>
  new XRayServiceException({ name, $fault: fault, message: `${name} from X-Ray`, $metadata: { httpStatusCode: status } });

const networkError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:2000`), { code, $metadata: { attempts: 1 } });

/**
 * Every PutTraceSegments failure we can source, and what meshray does with it.
 * Sources: the X-Ray API reference / SDK model (PutTraceSegmentsCommand: InvalidRequestException,
 * ThrottledException, XRayServiceException), the AWS "Common Errors" every action can answer, the
 * credential chain (CredentialsProviderError), and Node's socket errors the SDK reports unchanged.
 */
const CALL_ERRORS: ReadonlyArray<readonly [string, unknown, ErrorCode, ErrorAction]> = [
  ['ThrottledException (modelled, 429)', new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }), 'XRAY_THROTTLED', 'retry'],
  ['ThrottledException (modelled, 400)', new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }), 'XRAY_THROTTLED', 'retry'],
  ['ThrottlingException (common)', unmodelled('ThrottlingException', 400), 'XRAY_THROTTLED', 'retry'],
  ['TooManyRequestsException', unmodelled('TooManyRequestsException', 429), 'XRAY_THROTTLED', 'retry'],
  ['a throttling $retryable trait', Object.assign(unmodelled('SlowDownPlease', 400), { $retryable: { throttling: true } }), 'XRAY_THROTTLED', 'retry'],
  ['InvalidRequestException (modelled)', new InvalidRequestException({ message: 'bad documents', $metadata: { httpStatusCode: 400 } }), 'SEGMENT_REJECTED', 'dead-letter'],
  ['ValidationError (common, 400)', unmodelled('ValidationError', 400), 'SEGMENT_REJECTED', 'dead-letter'],
  ['SerializationException (400)', unmodelled('SerializationException', 400), 'SEGMENT_REJECTED', 'dead-letter'],
  ['RequestEntityTooLargeException (413)', unmodelled('RequestEntityTooLargeException', 413), 'SEGMENT_REJECTED', 'dead-letter'],
  ['InternalFailure (500)', unmodelled('InternalFailure', 500), 'XRAY_UNAVAILABLE', 'retry'],
  ['ServiceUnavailable (503)', unmodelled('ServiceUnavailable', 503), 'XRAY_UNAVAILABLE', 'retry'],
  ['a 502 from a proxy', unmodelled('Unknown', 502), 'XRAY_UNAVAILABLE', 'retry'],
  ['RequestTimeoutException (408)', unmodelled('RequestTimeoutException', 408), 'XRAY_UNAVAILABLE', 'retry'],
  ['a $retryable trait', Object.assign(unmodelled('SomethingTransient', 400), { $retryable: {} }), 'XRAY_UNAVAILABLE', 'retry'],
  ['endpoint refused the connection', networkError('ECONNREFUSED'), 'XRAY_UNAVAILABLE', 'retry'],
  ['connection reset', networkError('ECONNRESET'), 'XRAY_UNAVAILABLE', 'retry'],
  ['connect timed out', networkError('ETIMEDOUT'), 'XRAY_UNAVAILABLE', 'retry'],
  ['host not found', networkError('ENOTFOUND'), 'XRAY_UNAVAILABLE', 'retry'],
  ['network unreachable', networkError('ENETUNREACH'), 'XRAY_UNAVAILABLE', 'retry'],
  ['TimeoutError (socket timeout)', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), 'XRAY_UNAVAILABLE', 'retry'],
  ['expired signature (clock skew, the SDK retries it)', Object.assign(unmodelled('InvalidSignatureException', 400), { message: 'Signature expired: 20260101T000000Z is now earlier than ...' }), 'XRAY_UNAVAILABLE', 'retry'],
  ['no credentials in the chain', new CredentialsProviderError('Could not load credentials from any providers', false), 'XRAY_ACCESS_DENIED', 'halt'],
  ['AccessDeniedException (403)', unmodelled('AccessDeniedException', 403), 'XRAY_ACCESS_DENIED', 'halt'],
  ['AccessDeniedException (400)', unmodelled('AccessDeniedException', 400), 'XRAY_ACCESS_DENIED', 'halt'],
  ['UnrecognizedClientException (unknown key)', unmodelled('UnrecognizedClientException', 403), 'XRAY_ACCESS_DENIED', 'halt'],
  ['InvalidSignatureException (wrong secret)', unmodelled('InvalidSignatureException', 403), 'XRAY_ACCESS_DENIED', 'halt'],
  ['SignatureDoesNotMatch', unmodelled('SignatureDoesNotMatch', 403), 'XRAY_ACCESS_DENIED', 'halt'],
  ['IncompleteSignature', unmodelled('IncompleteSignature', 400), 'XRAY_ACCESS_DENIED', 'halt'],
  ['InvalidClientTokenId', unmodelled('InvalidClientTokenId', 403), 'XRAY_ACCESS_DENIED', 'halt'],
  ['MissingAuthenticationToken', unmodelled('MissingAuthenticationToken', 403), 'XRAY_ACCESS_DENIED', 'halt'],
  ['ExpiredTokenException (session token expired)', unmodelled('ExpiredTokenException', 400), 'XRAY_ACCESS_DENIED', 'halt'],
  ['ExpiredToken', unmodelled('ExpiredToken', 403), 'XRAY_ACCESS_DENIED', 'halt'],
  ['NotAuthorized', unmodelled('NotAuthorized', 400), 'XRAY_ACCESS_DENIED', 'halt'],
  ['OptInRequired', unmodelled('OptInRequired', 403), 'XRAY_ACCESS_DENIED', 'halt'],
  ['an unnamed 403', unmodelled('Forbidden', 403), 'XRAY_ACCESS_DENIED', 'halt'],
  ['an unnamed 401', unmodelled('Unauthorized', 401), 'XRAY_ACCESS_DENIED', 'halt'],
  ['something never seen', new Error('boom'), 'XRAY_UNAVAILABLE', 'retry'],
  ['not even an Error', 'boom', 'XRAY_UNAVAILABLE', 'retry'],
];

test('PutTraceSegments call errors: the SDK exception decides the code and the action (table)', () => {
  for (const [what, error, code, action] of CALL_ERRORS) {
    assert.equal(codeOfCallError(error), code, what);
    assert.equal(actionFor(code), action, what);
  }
  for (const name of ACCESS_ERROR_NAMES) {
    assert.ok(CALL_ERRORS.some(([, e]) => (e as { name?: string }).name === name), `${name} has a row in the table`);
  }
});

/** UnprocessedTraceSegments[].ErrorCode: what meshray does with each code it knows, and with others. */
const UNPROCESSED: ReadonlyArray<readonly [string | undefined, ErrorCode, ErrorAction]> = [
  ['ThrottledException', 'XRAY_THROTTLED', 'retry'],
  ['ThrottlingException', 'XRAY_THROTTLED', 'retry'],
  ['InternalFailure', 'XRAY_UNAVAILABLE', 'retry'],
  ['ServiceUnavailable', 'XRAY_UNAVAILABLE', 'retry'],
  ['InvalidSegment', 'SEGMENT_REJECTED', 'dead-letter'],
  ['InvalidJson', 'SEGMENT_REJECTED', 'dead-letter'],
  ['SegmentTooLarge', 'SEGMENT_REJECTED', 'dead-letter'],
  ['MissingId', 'SEGMENT_REJECTED', 'dead-letter'],
  ['InvalidId', 'SEGMENT_REJECTED', 'dead-letter'],
  ['MissingTraceId', 'SEGMENT_REJECTED', 'dead-letter'],
  ['InvalidTraceId', 'SEGMENT_REJECTED', 'dead-letter'],
  ['MissingName', 'SEGMENT_REJECTED', 'dead-letter'],
  ['InvalidName', 'SEGMENT_REJECTED', 'dead-letter'],
  ['InvalidParentId', 'SEGMENT_REJECTED', 'dead-letter'],
  ['MissingStartTime', 'SEGMENT_REJECTED', 'dead-letter'],
  ['InvalidStartTime', 'SEGMENT_REJECTED', 'dead-letter'],
  ['MissingEndTime', 'SEGMENT_REJECTED', 'dead-letter'],
  ['InvalidEndTime', 'SEGMENT_REJECTED', 'dead-letter'],
  ['InvalidAnnotations', 'SEGMENT_REJECTED', 'dead-letter'],
  ['SomethingNew', 'XRAY_UNAVAILABLE', 'retry'],
  ['constructor', 'XRAY_UNAVAILABLE', 'retry'],
  [undefined, 'XRAY_UNAVAILABLE', 'retry'],
];

test('UnprocessedTraceSegments codes: throttling and unknown retried, invalid documents dead-lettered (table)', () => {
  for (const [xrayCode, code, action] of UNPROCESSED) {
    assert.equal(codeOfUnprocessed(xrayCode), code, String(xrayCode));
    assert.equal(actionFor(code), action, String(xrayCode));
  }
  for (const xrayCode of Object.keys(UNPROCESSED_CODES)) assert.ok(UNPROCESSED.some(([c]) => c === xrayCode), `${xrayCode} has a row in the table`);
});

test('isFinalRefusal: a refusal that follows from the span alone, or only gets worse with time, is final; one the clock or a newer schema can change is not', () => {
  for (const reason of ['no_timestamp', 'invalid_id', 'invalid_derived_id', 'too_large', 'too_old']) assert.equal(isFinalRefusal(reason), true, reason);
  for (const reason of ['epoch_out_of_window', 'too_far_ahead', 'undecodable', 'InvalidTraceId']) assert.equal(isFinalRefusal(reason), false, reason);
});
