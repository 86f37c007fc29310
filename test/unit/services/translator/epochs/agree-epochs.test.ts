import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshrayError } from '../../../../../shared/edge/errors/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG, MemoryEpochStore, translateSpans } from '../../../../../shared/core/xray/index.ts';
import type { Span } from '../../../../../shared/core/zipkin/span.ts';
import { agreeOnEpochs } from '../../../../../services/translator/epochs/agree-epochs.ts';
import type { EpochProposal, SharedEpochStore } from '../../../../../services/translator/epochs/shared-epoch-store.ts';

const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const nowSec = Math.floor(NOW_MS / 1000);
const hex8 = (sec: number) => sec.toString(16).padStart(8, '0');

const span = (traceId: string, startSec: number, id = '00f067aa0ba902b7'): Span => ({
  traceId, id, kind: 'SERVER', timestampMicros: startSec * 1_000_000, durationMicros: 1000, annotations: [], tags: {},
});

/** The shared store's port, first writer wins across calls, as Redis SET NX does; records every call. */
class FirstWriterWins implements SharedEpochStore {
  readonly held = new Map<string, string>();
  readonly calls: EpochProposal[][] = [];
  async agree(proposals: readonly EpochProposal[]): Promise<ReadonlyMap<string, string>> {
    this.calls.push(proposals.map(({ traceKey, xrayTraceId }) => ({ traceKey, xrayTraceId })));
    for (const p of proposals) if (!this.held.has(p.traceKey)) this.held.set(p.traceKey, p.xrayTraceId);
    return new Map(proposals.map((p) => [p.traceKey, this.held.get(p.traceKey) ?? '']));
  }
}

const agree = (spans: readonly Span[], local: MemoryEpochStore, shared: SharedEpochStore) =>
  agreeOnEpochs({ spans, local, shared, config: DEFAULT_TRANSLATOR_CONFIG, nowMs: NOW_MS });

test('one proposal per trace (64- and 128-bit ids of a trace share a key), minted from its first span', async () => {
  const shared = new FirstWriterWins();
  const low = '48485a3953bb6124';
  const implausible = `0000beef${'0'.repeat(8)}${low}`;
  const { store, rewrites } = await agree([span(implausible, nowSec - 60), span(low, nowSec - 10), span(implausible, nowSec - 5)], new MemoryEpochStore(), shared);
  assert.equal(shared.calls.length, 1);
  assert.deepEqual(shared.calls[0], [{ traceKey: low, xrayTraceId: `1-${hex8(nowSec - 60)}-00000000${low}` }], 'epoch rewritten from the first span\'s start');
  assert.equal(rewrites, 1);
  assert.equal(store.recall(low, NOW_MS), `1-${hex8(nowSec - 60)}-00000000${low}`);
});

test('a plausible epoch is kept (not a rewrite); a trace the local cache holds proposes what it holds', async () => {
  const shared = new FirstWriterWins();
  const local = new MemoryEpochStore();
  const plausible = `${hex8(nowSec - 30)}0123456789abcdef01234567`;
  local.remember('1111111111111111', '1-6500abcd-000000001111111111111111', NOW_MS);
  const { rewrites } = await agree([span(plausible, nowSec - 30), span('1111111111111111', nowSec - 1)], local, shared);
  assert.deepEqual(shared.calls[0], [
    { traceKey: '89abcdef01234567', xrayTraceId: `1-${hex8(nowSec - 30)}-0123456789abcdef01234567` },
    { traceKey: '1111111111111111', xrayTraceId: '1-6500abcd-000000001111111111111111' },
  ]);
  assert.equal(rewrites, 0);
});

test('another instance\'s id wins: recall and remember answer the winner and warm the local cache; no rewrite counted', async () => {
  const shared = new FirstWriterWins();
  const winner = '1-6a000000-000000002222222222222222';
  shared.held.set('2222222222222222', winner);
  const local = new MemoryEpochStore();
  const { store, rewrites } = await agree([span('2222222222222222', nowSec - 2)], local, shared);
  assert.equal(rewrites, 0, 'our rewrite lost');
  assert.equal(store.remember('2222222222222222', '1-ffffffff-000000002222222222222222', NOW_MS), winner);
  assert.equal(store.recall('2222222222222222', NOW_MS), winner);
  assert.equal(local.recall('2222222222222222', NOW_MS), winner, 'the local cache keeps the winner for an outage');
  assert.equal(store.recall('3333333333333333', NOW_MS), undefined, 'other traces fall through to the local cache');
});

test('spans the translator rejects propose nothing (bad trace id, no start); a down store throws EPOCH_STORE_UNAVAILABLE', async () => {
  const shared = new FirstWriterWins();
  const noStart: Span = { traceId: '4444444444444444', id: '00f067aa0ba902b7', annotations: [], tags: {} };
  await agree([span('not-hex', nowSec), noStart], new MemoryEpochStore(), shared);
  assert.deepEqual(shared.calls, [[]]);
  const down: SharedEpochStore = { agree: async () => { throw new MeshrayError('EPOCH_STORE_UNAVAILABLE', 'redis down'); } };
  await assert.rejects(agree([span('5555555555555555', nowSec)], new MemoryEpochStore(), down), (e: unknown) => e instanceof MeshrayError && e.code === 'EPOCH_STORE_UNAVAILABLE');
});

test('a span the translator rejects for any other reason (span id, parent id) dates nothing: the trace gets the id translateSpans mints from the span it keeps (found by review: 28 days off)', async () => {
  const low = '48485a3953bb6124';
  const traceId = `${low}${low}`;
  const longAgo = Math.floor(Date.UTC(2019, 0, 1) / 1000);
  for (const bad of [span(traceId, longAgo, 'NOT-HEX'), { ...span(traceId, longAgo), parentId: 'xyz' }]) {
    const good = span(traceId, nowSec - 60);
    const shared = new FirstWriterWins();
    const { store } = await agree([bad, good], new MemoryEpochStore(), shared);
    const alone = translateSpans([bad, good], { config: DEFAULT_TRANSLATOR_CONFIG, epochs: new MemoryEpochStore(), nowMs: NOW_MS });
    assert.equal(alone.rejected.length, 1, 'the translator rejects the bad span');
    const minted = alone.documents[0]?.traceId;
    assert.equal(minted, `1-${hex8(nowSec - 60)}-${traceId.slice(8)}`, 'the good span dates it');
    assert.deepEqual(shared.calls[0], [{ traceKey: low, xrayTraceId: minted }]);
    assert.equal(store.recall(low, NOW_MS), minted);
  }
});

test('after an outage in which the local cache minted its own id, the agreed id replaces it there too', async () => {
  const shared = new FirstWriterWins();
  const agreedId = '1-6a000000-000000006666666666666666';
  shared.held.set('6666666666666666', agreedId);
  const local = new MemoryEpochStore();
  // during a Redis outage this instance answered alone and minted another id for the trace
  local.remember('6666666666666666', '1-6b000000-000000006666666666666666', NOW_MS - 1000);
  const { store } = await agree([span('6666666666666666', nowSec - 2)], local, shared);
  assert.deepEqual(shared.calls[0], [{ traceKey: '6666666666666666', xrayTraceId: '1-6b000000-000000006666666666666666' }], 'it proposed what it held');
  assert.equal(store.recall('6666666666666666', NOW_MS), agreedId);
  assert.equal(local.recall('6666666666666666', NOW_MS), agreedId, 'a second outage answers the agreed id, not the local mint');
});
