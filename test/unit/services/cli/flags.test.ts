import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targetFlag } from '../../../../services/cli/flags.ts';

test('--target takes a receiver\'s http(s) address or its v2 route, and names the v1 route as the wrong one before any POST', () => {
  for (const ok of ['http://127.0.0.1:9411', 'https://zipkin.example:443/', 'http://localhost:9411/api/v2/spans', 'http://localhost:9411/api/v2/spans/']) {
    const errors: string[] = [];
    assert.equal(targetFlag(ok, errors), ok);
    assert.deepEqual(errors, [], ok);
  }
  for (const v1 of ['http://127.0.0.1:9411/api/v1/spans', 'http://127.0.0.1:9411/api/v1/spans/']) {
    const errors: string[] = [];
    assert.equal(targetFlag(v1, errors), undefined);
    assert.deepEqual(errors, [`--target: ${v1} is the Zipkin v1 route, and meshray sends v2 JSON: give the receiver's address (http://HOST:9411) or its /api/v2/spans`]);
  }
  const errors: string[] = [];
  assert.equal(targetFlag('ftp://x', errors), undefined);
  assert.equal(targetFlag('not a url', errors), undefined);
  assert.deepEqual(errors, ['--target: expected an http(s) URL like http://127.0.0.1:9411, got "ftp://x"', '--target: expected an http(s) URL like http://127.0.0.1:9411, got "not a url"']);
  assert.equal(targetFlag(undefined, errors), undefined);
});

test('unansweredHint: no answer at all asks whether a receiver runs there; some answered, the rest unanswered, says it may be overloaded (found by the diff review)', async () => {
  const { unansweredHint } = await import('../../../../services/cli/flags.ts');
  const url = 'http://127.0.0.1:9411/api/v2/spans';
  assert.equal(unansweredHint({ '202': 3 }, url), undefined);
  assert.match(unansweredHint({ error: 2 }, url) ?? '', /^2 POSTs got no answer from http:\/\/127\.0\.0\.1:9411\/api\/v2\/spans: is a receiver running there\?/);
  assert.match(unansweredHint({ '202': 900, error: 3 }, url) ?? '', /^3 POSTs got no answer from .* while others did \(timeouts or dropped connections\): the receiver may be overloaded or restarting$/);
  // single spans whose connection closed mid-body: too large for the receiver, not "is a receiver running" (newcomer trial)
  assert.match(unansweredHint({ '202': 1, closed: 3 }, url, 1) ?? '', /^1 POST of one span lost its connection while the body was sent \(EPIPE\): a receiver answers a body over its MAX_BODY_BYTES .* that span is likely too large alone for http:\/\/127\.0\.0\.1:9411\/api\/v2\/spans: raise its MAX_BODY_BYTES to send it$/);
  // and both kinds, each said
  assert.match(unansweredHint({ '202': 1, closed: 1, error: 2 }, url, 1) ?? '', /to send it; 2 POSTs got no answer from .* while others did/);
  // halves that all got through leave nothing to say (the review: "1 POST got no answer" after every span was taken)
  assert.equal(unansweredHint({ '202': 2, closed: 1 }, url, 0), undefined);
});
