import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refusalOf } from '../../../../../shared/core/zipkin/batch.ts';

test('a refusal\'s reason comes from its first issue\'s field and code, never from the wording of its message', () => {
  const cases: readonly [string, string | undefined, string, string][] = [
    ['spans[0].traceId', 'missing', 'is required', 'missing_trace_id'],
    ['spans[0].traceId', undefined, 'must be 16 or 32 hex characters (required by Zipkin)', 'invalid_trace_id'],
    ['spans[2].id', 'missing', 'is required', 'missing_id'],
    ['spans[2].id', undefined, 'is required to be hex', 'invalid_id'],
    ['spans[1]', 'wrong_version', 'is a Zipkin v1 span …', 'wrong_version'],
    ['spans[1]', undefined, 'is a Zipkin v1 lookalike', 'not_a_span'],
    ['spans[4].localEndpoint.port', undefined, 'must be 0 to 65535', 'invalid_port'],
  ];
  for (const [path, code, message, reason] of cases) {
    const issue = code === undefined ? { path, message } : { path, message, code: code as 'missing' | 'wrong_version' };
    assert.equal(refusalOf(0, [issue]).reason, reason, `${path} ${code ?? '(no code)'} ${message}`);
  }
});
