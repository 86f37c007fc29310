import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../../../services/simulator/run-demo.ts';
import { FLAVOURS, spansForRoundRobin } from '../../../../services/simulator/generate/flavour.ts';
import { decodeSpans } from '../../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../../shared/core/zipkin/span.ts';
import { formatIssues } from '../../../../shared/core/result/result.ts';
import { drive } from '../../../support/mock-time.ts';
import { memoryReceiver, startReceiverStub } from './receiver-stub.ts';


function decodeBody(body: string): Span[] {
  const r = decodeSpans(body, 'json-v2');
  assert.ok(r.ok, r.ok ? '' : formatIssues(r.issues));
  return r.value;
}

test('runDemo sends every generated span in ≤5-span, one-workload POSTs; the ledger sees every accepted span', async () => {
  for (const flavour of FLAVOURS) {
    const stub = await startReceiverStub();
    try {
      const ledger: Span[] = [];
      const summary = await runDemo({ target: stub.target, flavour, requests: 30, rate: Infinity, seed: 4, concurrency: 4, onSpansAccepted: (s) => ledger.push(...s) });
      const expected = spansForRoundRobin(flavour, 30);
      assert.equal(summary.requests, 30);
      assert.equal(summary.spans, expected);
      assert.equal(summary.spansSent, expected);
      assert.equal(summary.spansAccepted, expected);
      assert.equal(summary.spansRefused, 0);
      assert.equal(summary.refusedPosts, 0);
      assert.equal(summary.posts, stub.posts.length);
      assert.deepEqual(summary.responses, { '202': stub.posts.length });
      const received: Span[] = [];
      for (const post of stub.posts) {
        assert.equal(post.url, '/api/v2/spans');
        const spans = decodeBody(post.body);
        assert.ok(spans.length >= 1 && spans.length <= 5, `batch of ${spans.length}`);
        assert.equal(new Set(spans.map((s) => s.tags['node_id'])).size, 1, 'one workload per POST');
        received.push(...spans);
      }
      assert.equal(received.length, expected);
      assert.deepEqual(new Set(ledger.map((s) => s.id)), new Set(received.map((s) => s.id)));
      assert.equal(new Set(received.map((s) => s.traceId)).size, 30);
    } finally {
      await stub.close();
    }
  }
});

test('the same seed sends the same traces; a 503 with Retry-After is retried once, after its delay (mock timers), and then accepted', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  let first = true;
  const receiver = memoryReceiver(() => {
    if (first) {
      first = false;
      return { status: 503, headers: { 'retry-after': '1' } };
    }
    return { status: 202 };
  });
  const options = { target: 'http://receiver', transport: receiver.transport, requests: 12, rate: Infinity, seed: 77, errorRate: 0.5, faultRate: 0.2 };
  const a = await drive(t, runDemo(options));
  const retried = receiver.posts.filter((p) => p.answer === 202 && p.body === receiver.posts[0]?.body);
  assert.equal(retried[0]?.atMs, (receiver.posts[0]?.atMs ?? 0) + 1000, 'retried exactly Retry-After later');
  const idsA = new Set(receiver.posts.filter((p) => p.answer === 202).flatMap((p) => decodeBody(p.body).map((s) => s.id)));
  assert.equal(a.retries, 1);
  assert.equal(a.responses['503'], 1);
  assert.equal(a.responses['202'], a.posts);
  assert.equal(a.refusedPosts, 0);
  assert.equal(a.spansAccepted, a.spans);
  assert.equal(idsA.size, a.spans);
  receiver.posts.length = 0;
  const b = await drive(t, runDemo(options));
  const idsB = new Set(receiver.posts.flatMap((p) => decodeBody(p.body).map((s) => s.id)));
  assert.deepEqual(idsB, idsA);
  assert.equal(b.injectedErrors + b.injectedFaults, a.injectedErrors + a.injectedFaults);
  assert.ok(a.injectedErrors + a.injectedFaults > 0);
});

test('refused POSTs are counted and not in the ledger', async () => {
  const stub = await startReceiverStub((call) => (call % 2 === 0 ? { status: 400, body: 'spans[0]: no' } : { status: 202 }));
  try {
    const ledger: Span[] = [];
    const s = await runDemo({ target: stub.target, requests: 10, rate: Infinity, concurrency: 1, onSpansAccepted: (x) => ledger.push(...x) });
    assert.ok(s.refusedPosts > 0);
    assert.equal(s.spansAccepted + s.spansRefused, s.spans);
    assert.equal(ledger.length, s.spansAccepted);
    assert.match(s.errors[0] ?? '', /^400: spans\[0\]: no/);
  } finally {
    await stub.close();
  }
});

test('rate and duration bound the run; an abort stops generating but still sends what was buffered (mock timers)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const receiver = memoryReceiver();
  const timed = await drive(t, runDemo({ target: 'http://receiver', transport: receiver.transport, rate: 40, durationMs: 250 }));
  assert.equal(timed.durationMs, 250);
  assert.equal(timed.requests, 10, 'one request every 25 ms for 250 ms');
  assert.equal(timed.spansAccepted, timed.spans);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const aborted = await drive(t, runDemo({ target: 'http://receiver', transport: receiver.transport, rate: 20, durationMs: 60_000, signal: controller.signal }));
  assert.equal(aborted.durationMs, 100);
  assert.ok(aborted.requests >= 2 && aborted.requests <= 3, `one request every 50 ms until the abort at 100 ms, got ${aborted.requests}`);
  assert.equal(aborted.spansAccepted, aborted.spans);
});
