import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postSpans, spansUrlOf, DEFAULT_POST_OPTIONS } from '../../../../../services/simulator/send/post-spans.ts';
import { SpanPoster } from '../../../../../services/simulator/send/span-poster.ts';
import { fetchTransport, type PostTransport } from '../../../../../services/simulator/send/transport.ts';
import { flush } from '../../../../support/mock-time.ts';
import { memoryReceiver, startReceiverStub } from '../receiver-stub.ts';

test('spansUrlOf appends /api/v2/spans to a bare target and keeps an explicit path', () => {
  assert.equal(spansUrlOf('http://127.0.0.1:9411'), 'http://127.0.0.1:9411/api/v2/spans');
  assert.equal(spansUrlOf('http://127.0.0.1:9411/'), 'http://127.0.0.1:9411/api/v2/spans');
  assert.equal(spansUrlOf('http://h:1/zipkin/api/v2/spans'), 'http://h:1/zipkin/api/v2/spans');
});


test('a 503 with Retry-After is retried once after the delay, then accepted', async () => {
  const stub = await startReceiverStub((call) => (call === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 202 }));
  try {
    const slept: number[] = [];
    const result = await postSpans(spansUrlOf(stub.target), '[]', { ...DEFAULT_POST_OPTIONS, sleep: async (ms) => { slept.push(ms); } });
    assert.deepEqual(result.answers, [503, 202]);
    assert.equal(result.status, 202);
    assert.equal(result.attempts, 2);
    assert.deepEqual(slept, [1000]);
    assert.equal(stub.posts.length, 2);
    assert.equal(stub.posts[0]?.url, '/api/v2/spans');
    assert.equal(stub.posts[0]?.contentType, 'application/json');
  } finally {
    await stub.close();
  }
});

test('the default wait honours Retry-After (mock timers); a second 503 is final with one retry; 400 is not retried', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const receiver = memoryReceiver((call) => (call <= 2 ? { status: 503, headers: { 'retry-after': '1' }, body: 'busy' } : { status: 400, body: 'spans[0].id: bad' }));
  const options = { ...DEFAULT_POST_OPTIONS, transport: receiver.transport };
  const refusing = postSpans('http://receiver/api/v2/spans', '[]', options);
  await flush();
  assert.equal(receiver.posts.length, 1);
  t.mock.timers.tick(999);
  await flush();
  assert.equal(receiver.posts.length, 1, 'still waiting out Retry-After: 1');
  t.mock.timers.tick(1);
  const refused = await refusing;
  assert.equal(receiver.posts.length, 2);
  assert.equal(receiver.posts[1]?.atMs, 1_001_000);
  assert.deepEqual(refused.answers, [503, 503]);
  assert.equal(refused.status, 503);
  assert.equal(refused.error, 'busy');
  const bad = await postSpans('http://receiver/api/v2/spans', '[]', { ...options, maxRetries: 3 });
  assert.deepEqual(bad.answers, [400]);
  assert.equal(bad.error, 'spans[0].id: bad');
});

test('the fetch transport behaves like the http one: 503 + Retry-After retried, then 202', async () => {
  const stub = await startReceiverStub((call) => (call === 1 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 202 }));
  try {
    const result = await postSpans(spansUrlOf(stub.target), '[]', { ...DEFAULT_POST_OPTIONS, transport: fetchTransport() });
    assert.deepEqual(result.answers, [503, 202]);
    assert.equal(stub.posts[1]?.contentType, 'application/json');
  } finally {
    await stub.close();
  }
});

test('no receiver: status 0 with the network error, counted as refused by the poster', async () => {
  const stub = await startReceiverStub();
  const target = stub.target;
  await stub.close();
  const poster = new SpanPoster({ url: spansUrlOf(target), concurrency: 2 });
  await poster.submit([{ traceId: 'a'.repeat(32), id: '1'.repeat(16), annotations: [], tags: {} }]);
  await poster.settle();
  assert.equal(poster.tally.refusedPosts, 1);
  assert.equal(poster.tally.spansRefused, 1);
  assert.equal(poster.tally.responses['error'], 1);
  assert.match(poster.tally.errors[0] ?? '', /^no answer: /);
});

test('the poster never has more than `concurrency` POSTs in flight', async () => {
  let inFlight = 0;
  let peak = 0;
  const answers: (() => void)[] = [];
  const fakeFetch: typeof fetch = async () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise<void>((resolve) => answers.push(resolve));
    inFlight--;
    return new Response(null, { status: 202 });
  };
  const accepted: number[] = [];
  const poster = new SpanPoster({ url: 'http://x/api/v2/spans', concurrency: 3, post: { transport: fetchTransport(fakeFetch) }, onSpansAccepted: (s) => accepted.push(s.length) });
  const submitting = (async () => {
    for (let i = 0; i < 20; i++) await poster.submit([{ traceId: 'a'.repeat(32), id: '1'.repeat(16), annotations: [], tags: {} }]);
  })();
  for (let turn = 0; accepted.length < 20; turn++) {
    assert.ok(turn < 1000, `stuck with ${accepted.length} accepted`);
    await flush();
    assert.ok(inFlight <= 3, `${inFlight} POSTs in flight`);
    answers.shift()?.(); // answer the oldest POST
  }
  await submitting;
  await poster.settle();
  assert.equal(peak, 3);
  assert.equal(accepted.length, 20);
  assert.deepEqual(poster.tally.responses, { '202': 20 });
});

test('SpanPoster: the same refusal on many POSTs is one message with its count', async () => {
  const refused: typeof fetch = (input) => (String(input).includes('teapot')
    ? Promise.resolve(new Response('short and stout', { status: 418 }))
    : Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) })));
  const poster = new SpanPoster({ url: 'http://x/api/v2/spans', concurrency: 1, post: { transport: fetchTransport(refused), maxRetries: 0 } });
  for (let i = 0; i < 5; i++) await poster.submit([{ traceId: 'a'.repeat(32), id: '1'.repeat(16), annotations: [], tags: {} }]);
  await poster.settle();
  const teapot = new SpanPoster({ url: 'http://teapot/api/v2/spans', concurrency: 1, post: { transport: fetchTransport(refused), maxRetries: 0 } });
  await teapot.submit([{ traceId: 'a'.repeat(32), id: '1'.repeat(16), annotations: [], tags: {} }]);
  await teapot.settle();
  assert.equal(poster.tally.refusedPosts, 5);
  assert.equal(poster.tally.errors.length, 1, poster.tally.errors.join(' | '));
  assert.match(poster.tally.errors[0] ?? '', /^no answer: .*ECONNREFUSED.* \(× 5 POSTs\)$/);
  assert.deepEqual(teapot.tally.errors.length, 1);
  assert.doesNotMatch(teapot.tally.errors[0] ?? '', /×/, 'a message seen once has no count');
});

test('a POST answered 413 is posted again in halves, down to single spans: only a span too large alone is refused (found by the newcomer trial)', async () => {
  const big = 'x'.repeat(1000);
  const spanOf = (i: number, tags: Record<string, string> = {}) => ({ traceId: 'a'.repeat(32), id: String(i).padStart(16, '0'), annotations: [], tags });
  // a receiver taking bodies up to 2,500 bytes
  const stub = await startReceiverStub((_call, body) => ({ status: body.length > 2500 ? 413 : 202 }));
  try {
    const accepted: string[] = [];
    const refused: string[] = [];
    const poster = new SpanPoster({
      url: spansUrlOf(stub.target), concurrency: 1,
      onSpansAccepted: (s) => accepted.push(...s.map((x) => x.id)), onRefused: (s) => refused.push(...s.map((x) => x.id)),
    });
    // four spans of about 1 KB and one of about 3 KB: the batch is too large, its halves are not, the 3 KB span alone is
    await poster.submit([spanOf(1, { t: big }), spanOf(2, { t: big }), spanOf(3, { t: big.repeat(3) }), spanOf(4, { t: big }), spanOf(5, { t: big })]);
    await poster.settle();
    assert.deepEqual(accepted.sort(), ['0000000000000001', '0000000000000002', '0000000000000004', '0000000000000005']);
    assert.deepEqual(refused, ['0000000000000003']);
    assert.equal(poster.tally.spansSent, 5);
    assert.equal(poster.tally.spansAccepted, 4);
    assert.equal(poster.tally.spansRefused, 1);
    assert.ok((poster.tally.responses['413'] ?? 0) >= 2, JSON.stringify(poster.tally.responses));
  } finally {
    await stub.close();
  }
});

test('a POST whose connection closed while its large body was written (EPIPE: the receiver\'s 413 unread) is posted again in halves too, and a single span so lost is counted (found by the newcomer trial: "no answer" for two 3 MB spans and their small neighbour)', async () => {
  const big = 'x'.repeat(30 * 1024);
  const spanOf = (i: number, tags: Record<string, string> = {}) => ({ traceId: 'a'.repeat(32), id: String(i).padStart(16, '0'), annotations: [], tags });
  // what node:http gives a sender still writing when a receiver answers 413 and closes: no answer, EPIPE, the body unsent
  const transport: PostTransport = async (_url, body) => {
    if (body.length > 70 * 1024) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    return { status: 202, retryAfter: undefined, text: '' };
  };
  const accepted: string[] = [];
  const refused: string[] = [];
  const poster = new SpanPoster({
    url: 'http://127.0.0.1:9/api/v2/spans', concurrency: 1, post: { transport },
    onSpansAccepted: (s) => accepted.push(...s.map((x) => x.id)), onRefused: (s) => refused.push(...s.map((x) => x.id)),
  });
  await poster.submit([spanOf(1, { t: big }), spanOf(2, { t: big }), spanOf(3, { t: big.repeat(3) }), spanOf(4, { t: big }), spanOf(5, { t: big })]);
  await poster.settle();
  assert.deepEqual(accepted.sort(), ['0000000000000001', '0000000000000002', '0000000000000004', '0000000000000005']);
  assert.deepEqual(refused, ['0000000000000003']);
  assert.equal(poster.tally.closedMidBody, 1);
  assert.equal(poster.tally.refusedPosts, 1);
  assert.deepEqual(poster.tally.errors, ['no answer: EPIPE']);
  assert.equal(poster.tally.responses['error'], undefined, 'closed mid-body is not "no answer" (that asked whether a receiver runs)');
  assert.equal(poster.tally.responses['closed'], 3);
});

test('a refused connection, a reset (it may come after the receiver took the body), or a small body is not posted again in halves', async () => {
  const spans = [{ traceId: 'a'.repeat(32), id: '1'.repeat(16), annotations: [], tags: { t: 'x'.repeat(40 * 1024) } }, { traceId: 'a'.repeat(32), id: '2'.repeat(16), annotations: [], tags: { t: 'x'.repeat(40 * 1024) } }];
  for (const [what, error, small] of [
    ['refused', { code: 'ECONNREFUSED' }, false],
    ['reset (perhaps after the receiver read the body)', { code: 'ECONNRESET' }, false],
    ['small body', { code: 'EPIPE' }, true],
  ] as const) {
    const calls: number[] = [];
    const transport: PostTransport = async (_url, body) => {
      calls.push(body.length);
      throw Object.assign(new Error(error.code), error);
    };
    const poster = new SpanPoster({ url: 'http://127.0.0.1:9/api/v2/spans', concurrency: 1, post: { transport } });
    await poster.submit(small ? spans.map((s) => ({ ...s, tags: {} })) : spans);
    await poster.settle();
    assert.equal(calls.length, 1, what);
    assert.equal(poster.tally.closedMidBody, 0, what);
    assert.equal(poster.tally.responses['error'], 1, what);
  }
});
