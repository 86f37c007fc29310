import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../../../services/cli/commands/demo.ts';
import { spansForRoundRobin } from '../../../../../services/simulator/generate/flavour.ts';
import type { DemoSummary } from '../../../../../services/simulator/run-demo.ts';
import { decodeSpans } from '../../../../../shared/core/zipkin/index.ts';
import { runCommand } from '../io.ts';
import { startReceiverStub } from '../../simulator/receiver-stub.ts';

test('--help prints the options and exits 0', async () => {
  const r = await runCommand(run, ['--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--target', '--rate', '--duration', '--requests', '--flavour', '--id-bits', '--seed', '--error-rate', '--fault-rate', '--concurrency', '--quiet', '--json']) {
    assert.ok(r.stdout.includes(flag), flag);
  }
});

test('bad options: exit 1 with every problem named', async () => {
  const r = await runCommand(run, ['--flavour', '1.9', '--id-bits', '32', '--error-rate', '2', '--rate', '0', '--fault-flags', 'XX', '--latency', 'ratings=slow', '--duration', 'soon']);
  assert.equal(r.code, 1);
  for (const flag of ['--flavour', '--id-bits', '--error-rate', '--rate', '--fault-flags', '--latency', '--duration']) assert.ok(r.stderr.includes(flag), `${flag} in ${r.stderr}`);
  const shortRun = await runCommand(run, ['--duration', '3']);
  assert.equal(shortRun.code, 1, 'a 3 ms demo is not what was meant');
  assert.match(shortRun.stderr, /--duration: must be at least 1s, got "3" \(a number without a unit is milliseconds: did you mean 3s\?\)/);
  const unknown = await runCommand(run, ['--nope']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /meshray demo: Unknown option '--nope'/);
});

test('without --seed each run takes a new seed (a second run adds new traces), printed in its summary', async () => {
  const stub = await startReceiverStub();
  try {
    const seeds: number[] = [];
    const traceIds = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const r = await runCommand(run, ['--target', stub.target, '--requests', '2', '--rate', 'max', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as DemoSummary;
      assert.match(r.stdout, new RegExp(`seed ${summary.seed}\\)`));
      seeds.push(summary.seed);
    }
    for (const post of stub.posts) {
      const decoded = decodeSpans(post.body, 'json-v2');
      assert.ok(decoded.ok);
      for (const span of decoded.value) traceIds.add(span.traceId);
    }
    assert.notEqual(seeds[0], seeds[1]);
    assert.equal(traceIds.size, 4, 'two runs of two requests: four traces, none repeated');
  } finally {
    await stub.close();
  }
});

test('sends Bookinfo traffic to the target, prints a summary and a final JSON line', async () => {
  const stub = await startReceiverStub();
  try {
    const r = await runCommand(run, ['--target', stub.target, '--requests', '9', '--rate', 'max', '--flavour', 'modern', '--id-bits', '64', '--seed', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1] ?? '') as DemoSummary;
    assert.equal(summary.requests, 9);
    assert.equal(summary.spans, spansForRoundRobin('modern', 9));
    assert.equal(summary.spansAccepted, summary.spans);
    assert.equal(summary.flavour, 'modern');
    assert.match(r.stdout, /^meshray demo: 9 requests \(flavour modern, seed 3\)/);
    assert.match(r.stdout, /receiver answers: 202×\d+/);
    for (const post of stub.posts) {
      const spans = decodeSpans(post.body, 'json-v2');
      assert.ok(spans.ok);
      for (const s of spans.value) {
        assert.match(s.traceId, /^[0-9a-f]{16}$/);
        assert.ok('istio.canonical_service' in s.tags);
      }
    }
  } finally {
    await stub.close();
  }
});

test('--quiet --json prints only the JSON line; refused POSTs exit 2', async () => {
  const stub = await startReceiverStub(() => ({ status: 400, body: 'no' }));
  try {
    const r = await runCommand(run, ['--target', stub.target, '--requests', '3', '--rate', 'max', '--quiet', '--json']);
    assert.equal(r.code, 2);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const summary = JSON.parse(lines[0] ?? '') as DemoSummary;
    assert.equal(summary.refusedPosts, summary.posts);
    assert.equal(summary.spansAccepted, 0);
  } finally {
    await stub.close();
  }
});
