import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHttp, clientIpOf, parseNonNegativeInt, statusOf } from '../../../../../shared/core/xray/http.ts';

test('status from Envoy string tags; never 0', () => {
  const cases: [string | undefined, number | undefined][] = [
    ['503', 503], ['429', 429], ['404', 404], ['200', 200], [' 200 ', 200], ['0', undefined], ['', undefined], ['2xx', undefined], ['-1', undefined], ['200.5', undefined], [undefined, undefined],
  ];
  for (const [tag, expected] of cases) {
    const tags: Record<string, string> = tag === undefined ? {} : { 'http.status_code': tag };
    assert.equal(statusOf(tags), expected, String(tag));
  }
});

test('parseNonNegativeInt', () => {
  assert.equal(parseNonNegativeInt('5183'), 5183);
  assert.equal(parseNonNegativeInt('1e3'), undefined);
  assert.equal(parseNonNegativeInt('9'.repeat(20)), undefined);
});

test('request and response fields, absent ones omitted', () => {
  const tags = {
    'http.method': 'GET',
    'http.url': 'http://details:9080/details/0',
    user_agent: 'curl/7.60.0',
    'peer.address': '10.244.1.1:51234',
    'http.status_code': '200',
    response_size: '178',
  };
  assert.deepEqual(buildHttp(tags, true), {
    request: { method: 'GET', url: 'http://details:9080/details/0', user_agent: 'curl/7.60.0', client_ip: '10.244.1.1' },
    response: { status: 200, content_length: 178 },
  });
  assert.deepEqual(buildHttp(tags, false)?.request?.client_ip, undefined);
  assert.equal(buildHttp({}, true), undefined);
  assert.deepEqual(buildHttp({ 'http.status_code': '0' }, true), undefined);
  assert.deepEqual(buildHttp({ 'http.status_code': '0', 'http.method': 'POST' }, true), { request: { method: 'POST' } });
});

test('url truncated to 250 characters', () => {
  const url = `http://h/${'a'.repeat(300)}`;
  assert.equal(buildHttp({ 'http.url': url }, false)?.request?.url, url.slice(0, 250));
});

test('client_ip only from a value that is an IP address (port and brackets stripped)', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['10.244.1.1', '10.244.1.1'], ['10.244.1.1:51234', '10.244.1.1'], ['2001:DB8::1', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'], ['[::1]', '::1'],
    ['envoy://internal_client_address/', undefined], ['envoy', undefined], ['productpage:9080', undefined],
    ['10.0.0.256:80', undefined], ['unix:/var/run/sock', undefined], ['', undefined], [undefined, undefined],
  ];
  for (const [peer, expected] of cases) {
    assert.equal(clientIpOf(peer), expected, String(peer));
    const http = buildHttp(peer === undefined ? {} : { 'peer.address': peer }, true);
    assert.equal(http?.request?.client_ip, expected, `buildHttp ${String(peer)}`);
  }
});
