import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MeshrayError } from '../../../../../shared/edge/errors/index.ts';
import { toErrorResponse } from '../../../../../services/receiver/receive/error-response.ts';

describe('toErrorResponse', () => {
  it('maps the receiver codes to 400/413/415/503', () => {
    const expected = {
      BODY_MALFORMED: 400, BODY_TOO_LARGE: 413, TOO_MANY_SPANS: 413, UNSUPPORTED_MEDIA_TYPE: 415,
      UNSUPPORTED_ENCODING: 415, BUFFER_FULL: 503, ACK_TIMEOUT: 503, PUBLISH_FAILED: 503, NOT_READY: 503,
    } as const;
    for (const [code, status] of Object.entries(expected)) {
      const r = toErrorResponse(new MeshrayError(code as keyof typeof expected));
      assert.equal(r.status, status, code);
      assert.equal(r.body.error, code);
      assert.equal('retry-after' in r.headers, status === 503, code);
    }
  });

  it('includes issues only when there are some', () => {
    const issues = [{ path: 'spans[0].id', message: 'must be 16 hex characters' }];
    assert.deepEqual(toErrorResponse(new MeshrayError('BODY_MALFORMED', 'bad', { issues })).body, { error: 'BODY_MALFORMED', message: 'bad', issues });
    assert.deepEqual(toErrorResponse(new MeshrayError('BODY_MALFORMED', 'bad')).body, { error: 'BODY_MALFORMED', message: 'bad' });
  });

  it('maps fastify body-limit errors to 413 and hides bugs behind 500', () => {
    assert.equal(toErrorResponse(Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).body.error, 'BODY_TOO_LARGE');
    const bug = toErrorResponse(new TypeError('x is undefined'));
    assert.equal(bug.status, 500);
    assert.deepEqual(bug.body, { error: 'INTERNAL', message: 'internal error' });
  });
});
