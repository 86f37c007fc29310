import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryAfterMsOf } from '../../../../../shared/edge/http/retry-after.ts';

test('retryAfterMsOf reads delay-seconds and HTTP dates (RFC 9110 §10.2.3); absent, blank or unreadable is undefined; a past date is 0', () => {
  assert.equal(retryAfterMsOf('2', 0), 2000);
  assert.equal(retryAfterMsOf(' 3 ', 0), 3000);
  assert.equal(retryAfterMsOf('Sun, 06 Nov 1994 08:49:40 GMT', Date.UTC(1994, 10, 6, 8, 49, 37)), 3000);
  const now = Date.UTC(2024, 0, 1, 0, 0, 0);
  assert.equal(retryAfterMsOf(new Date(now + 3000).toUTCString(), now), 3000);
  assert.equal(retryAfterMsOf(new Date(now - 3000).toUTCString(), now), 0);
  for (const unusable of [undefined, null, '', '  ', 'soon']) assert.equal(retryAfterMsOf(unusable, 0), undefined, String(unusable));
});
