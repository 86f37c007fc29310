import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { traceIdLow64 } from '../../../../../shared/core/zipkin/trace-id.ts';

describe('traceIdLow64', () => {
  it('takes the last 16 hex characters of a 128-bit id', () => {
    assert.equal(traceIdLow64('4d1e00c0db9010db86154a4ba6e91385'), '86154a4ba6e91385');
  });

  it('returns a 64-bit id unchanged', () => {
    assert.equal(traceIdLow64('86154a4ba6e91385'), '86154a4ba6e91385');
  });

  it('makes a 64-bit id and a 128-bit id with the same low half compare equal', () => {
    assert.equal(traceIdLow64('eacd2e2b8a2daf31f6604fffcf8ffe2a'), traceIdLow64('f6604fffcf8ffe2a'));
  });
});
