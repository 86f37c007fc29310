import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../../../services/simulator/run-demo.ts';
import { FLAVOURS, spansForRoundRobin } from '../../../../services/simulator/generate/flavour.ts';
import { decodeSpans } from '../../../../shared/zipkin/index.ts';
import type { Span } from '../../../../shared/zipkin/span.ts';
import { formatIssues } from '../../../../shared/result/result.ts';
import { startReceiverStub } from './receiver-stub.ts';

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

test('the same seed sends the same traces; a 503 with Retry-After is retried once and then accepted', async () => {
  let first = true;
  const stub = await startReceiverStub(() => {
    if (first) {
      first = false;
      return { status: 503, headers: { 'retry-after': '1' } };
    }
    return { status: 202 };
  });
  try {
    const a = await runDemo({ target: stub.target, requests: 12, rate: Infinity, seed: 77, errorRate: 0.5, faultRate: 0.2 });
    const idsA = new Set(stub.posts.filter((p) => p.answer === 202).flatMap((p) => decodeBody(p.body).map((s) => s.id)));
    assert.equal(a.retries, 1);
    assert.equal(a.responses['503'], 1);
    assert.equal(a.responses['202'], a.posts);
    assert.equal(a.refusedPosts, 0);
    assert.equal(a.spansAccepted, a.spans);
    assert.equal(idsA.size, a.spans);
    stub.posts.length = 0;
    const b = await runDemo({ target: stub.target, requests: 12, rate: Infinity, seed: 77, errorRate: 0.5, faultRate: 0.2 });
    const idsB = new Set(stub.posts.flatMap((p) => decodeBody(p.body).map((s) => s.id)));
    assert.deepEqual(idsB, idsA);
    assert.equal(b.injectedErrors + b.injectedFaults, a.injectedErrors + a.injectedFaults);
    assert.ok(a.injectedErrors + a.injectedFaults > 0);
  } finally {
    await stub.close();
  }
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

test('rate and duration bound the run; an abort stops generating but still sends what was buffered', async () => {
  const stub = await startReceiverStub();
  try {
    const timed = await runDemo({ target: stub.target, rate: 40, durationMs: 250 });
    assert.ok(timed.requests >= 1 && timed.requests <= 12, `~10 requests, got ${timed.requests}`);
    assert.equal(timed.spansAccepted, timed.spans);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await runDemo({ target: stub.target, rate: 20, durationMs: 60_000, signal: controller.signal });
    assert.ok(aborted.durationMs < 5_000);
    assert.equal(aborted.spansAccepted, aborted.spans);
  } finally {
    await stub.close();
  }
});
