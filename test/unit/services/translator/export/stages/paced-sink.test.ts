import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacedSegmentSink } from '../../../../../../services/translator/export/stages/paced-sink.ts';
import type { PutOutcome, SegmentSink } from '../../../../../../services/translator/export/segment-sink.ts';

/** Virtual time: `sleep` parks until `drive` moves the clock to it; nothing waits for real time. */
function virtualTime() {
  let now = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    nowMs: () => now,
    sleep: (ms: number) => new Promise<void>((resolve) => { timers.push({ at: now + Math.max(0, ms), resolve }); }),
    /** Runs `work` to its end, moving the clock to the next parked sleeper whenever everything else is idle. */
    async drive<T>(work: Promise<T>): Promise<T> {
      let settled = false;
      void work.then(() => { settled = true; }, () => { settled = true; });
      for (await flush(); !settled; await flush()) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift();
        if (next === undefined) throw new Error('idle with no sleeper: the work can never finish');
        now = next.at;
        next.resolve();
      }
      return work;
    },
  };
}

/** An inner sink answering each call with `answer`, recording the (virtual) time and the documents of each call. */
function recording(time: { nowMs: () => number }, answer: (docs: readonly string[], call: number) => PutOutcome): { sink: SegmentSink; at: number[]; calls: string[][] } {
  const at: number[] = [];
  const calls: string[][] = [];
  return { at, calls, sink: { put: async (docs) => { at.push(time.nowMs()); calls.push([...docs]); return answer(docs, at.length); } } };
}

const LIMITS = { maxDocuments: 50, maxPayloadBytes: 1024 * 1024 };

const throttled = (docs: readonly string[], accepted: number): PutOutcome => ({
  rejected: [], unfinished: { code: 'XRAY_THROTTLED', message: 'ThrottledException', indices: docs.map((_, i) => i).slice(accepted) },
});

test('without throttling calls are not spaced', async () => {
  const time = virtualTime();
  const inner = recording(time, () => ({ rejected: [] }));
  const paced = new PacedSegmentSink(inner.sink, { baseMs: 100, maxMs: 400, ...LIMITS, random: () => 0.5, sleep: time.sleep, nowMs: time.nowMs });
  await time.drive(Promise.all([1, 2, 3, 4, 5].map((i) => paced.put([`d${i}`]))));
  assert.deepEqual(inner.at, [0, 0, 0, 0, 0]);
  assert.equal(paced.spacingMs, 0);
});

test('once X-Ray throttles, waiting puts are pooled into calls of at most maxDocuments, one call per spacing; each put gets its part of the answer', async () => {
  const time = virtualTime();
  const inner = recording(time, (docs) => throttled(docs, 1));
  const paced = new PacedSegmentSink(inner.sink, { baseMs: 100, maxMs: 400, ...LIMITS, maxDocuments: 4, random: () => 0.5, sleep: time.sleep, nowMs: time.nowMs });
  await time.drive(paced.put(['a', 'b']));
  assert.equal(paced.spacingMs, 100, 'a throttled answer that accepted some sets the spacing to the base');
  const outcomes = await time.drive(Promise.all([1, 2, 3, 4, 5].map((i) => paced.put([`d${i}`, `e${i}`]))));
  assert.deepEqual(inner.calls.slice(1), [['d1', 'e1', 'd2', 'e2'], ['d3', 'e3', 'd4', 'e4'], ['d5', 'e5']], 'whole puts, in arrival order');
  assert.deepEqual(inner.at, [0, 0, 100, 200], 'random 0.5: exactly the spacing apart');
  assert.equal(paced.spacingMs, 100, 'not below the base while calls are throttled');
  // each call accepted its first document only
  assert.deepEqual(outcomes.map((o) => o.unfinished?.indices), [[1], [0, 1], [1], [0, 1], [1]]);
  assert.ok(outcomes.every((o) => o.unfinished?.code === 'XRAY_THROTTLED'));
});

test('a pooled call\'s refusals and failure reach the puts they concern', async () => {
  const time = virtualTime();
  let fail = false;
  const inner = recording(time, (docs, call) => {
    if (fail) throw new Error('socket hang up');
    if (call === 1) return throttled(docs, 1);
    return { rejected: [{ index: 2, code: 'SEGMENT_REJECTED', reason: 'InvalidSegment', message: 'no' }], unfinished: { code: 'XRAY_THROTTLED', message: 'slow', indices: [1] } };
  });
  const paced = new PacedSegmentSink(inner.sink, { baseMs: 100, maxMs: 400, ...LIMITS, random: () => 0.5, sleep: time.sleep, nowMs: time.nowMs });
  await time.drive(paced.put(['a', 'b']));
  const [first, second] = await time.drive(Promise.all([paced.put(['c', 'd']), paced.put(['e', 'f'])]));
  assert.deepEqual(inner.calls[1], ['c', 'd', 'e', 'f']);
  assert.deepEqual(first, { rejected: [], unfinished: { code: 'XRAY_THROTTLED', message: 'slow', indices: [1] } });
  assert.deepEqual(second, { rejected: [{ index: 0, code: 'SEGMENT_REJECTED', reason: 'InvalidSegment', message: 'no' }] });
  fail = true;
  const failed = await time.drive(Promise.allSettled([paced.put(['g']), paced.put(['h'])]));
  assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected']);
  assert.equal(inner.calls.length, 3, 'one pooled call failed for both');
});

test('answers that accept nothing double the spacing up to the cap; answers without throttling halve it back to none', async () => {
  const time = virtualTime();
  const inner = recording(time, (docs, call) => (call <= 4 ? throttled(docs, 0) : { rejected: [] }));
  const paced = new PacedSegmentSink(inner.sink, { baseMs: 100, maxMs: 400, ...LIMITS, random: () => 0.5, sleep: time.sleep, nowMs: time.nowMs });
  const spacings: number[] = [];
  for (let i = 0; i < 8; i += 1) {
    await time.drive(paced.put([`d${i}`]));
    spacings.push(paced.spacingMs);
  }
  assert.deepEqual(spacings, [100, 200, 400, 400, 200, 100, 0, 0]);
  // each call waits for the previous call's start plus the spacing in force when that call went
  assert.deepEqual(inner.at, [0, 0, 100, 300, 700, 1100, 1300, 1300]);
});

test('the jitter spreads a turn over [½, 1½) of the spacing', async () => {
  for (const [random, gap] of [[0, 50], [0.999, 149]] as const) {
    const time = virtualTime();
    const inner = recording(time, (docs) => throttled(docs, 1));
    const paced = new PacedSegmentSink(inner.sink, { baseMs: 100, maxMs: 400, ...LIMITS, maxDocuments: 2, random: () => random, sleep: time.sleep, nowMs: time.nowMs });
    await time.drive(paced.put(['a', 'b']));
    await time.drive(Promise.all([paced.put(['c', 'd']), paced.put(['e', 'f'])]));
    assert.deepEqual(inner.at, [0, 0, gap]);
  }
});

test('a put waiting for its turn heartbeats the source, and gives its documents back unfinished once the source is no longer active', async () => {
  const time = virtualTime();
  const inner = recording(time, (docs) => throttled(docs, 1));
  const paced = new PacedSegmentSink(inner.sink, { baseMs: 100, maxMs: 400, ...LIMITS, random: () => 0.5, sleep: time.sleep, nowMs: time.nowMs });
  await time.drive(paced.put(['a', 'b']));
  await time.drive(paced.put(['c', 'd'])); // at 0: the next turn is at 100
  let active = true;
  let beats = 0;
  const outcome = await time.drive(paced.put(['e', 'f', 'g'], { heartbeat: async () => { beats += 1; active = false; }, isActive: () => active }));
  assert.deepEqual(outcome, { rejected: [], unfinished: { code: 'NOT_READY', message: 'export abandoned: partition revoked or consumer stopping', indices: [0, 1, 2] } });
  assert.equal(beats, 1);
  assert.equal(inner.at.length, 2, 'no call for the abandoned put');
});

test('a throttled answer that accepted some halves the spacing, not below the base', async () => {
  const time = virtualTime();
  const inner = recording(time, (docs, call) => throttled(docs, call <= 3 ? 0 : 1));
  const paced = new PacedSegmentSink(inner.sink, { baseMs: 100, maxMs: 400, ...LIMITS, random: () => 0.5, sleep: time.sleep, nowMs: time.nowMs });
  const spacings: number[] = [];
  for (let i = 0; i < 6; i += 1) {
    await time.drive(paced.put([`d${i}`, `e${i}`]));
    spacings.push(paced.spacingMs);
  }
  assert.deepEqual(spacings, [100, 200, 400, 200, 100, 100]);
});

test('a pooled call refused as a whole (InvalidRequestException) sends each of its puts again alone: a good document is not refused for another put\'s bad one', async () => {
  const time = virtualTime();
  const wholeRefusal = (docs: readonly string[]): PutOutcome => ({ rejected: [], unfinished: { code: 'SEGMENT_REJECTED', message: 'InvalidRequestException: bad', indices: docs.map((_, i) => i) } });
  const inner = recording(time, (docs, call) => (call === 1 ? throttled(docs, 1) : docs.includes('bad') ? wholeRefusal(docs) : { rejected: [] }));
  const paced = new PacedSegmentSink(inner.sink, { baseMs: 100, maxMs: 400, ...LIMITS, random: () => 0.5, sleep: time.sleep, nowMs: time.nowMs });
  await time.drive(paced.put(['a', 'b'])); // throttled: later puts wait and are pooled
  const [good, mixed, other] = await time.drive(Promise.all([paced.put(['good0']), paced.put(['bad', 'good2']), paced.put(['good3', 'good4'])]));
  assert.deepEqual(inner.calls.slice(1), [['good0', 'bad', 'good2', 'good3', 'good4'], ['good0'], ['bad', 'good2'], ['good3', 'good4']], 'the refused pool, then each put alone, in arrival order');
  assert.deepEqual(good, { rejected: [] });
  assert.deepEqual(other, { rejected: [] });
  assert.deepEqual(mixed, wholeRefusal(['bad', 'good2']), 'its own refusal, for the stage above (bisecting) to narrow down');
});

test('a waiting put whose source\'s heartbeat fails (a rebalance) fails with that error; the other puts go on, and nothing escapes the pump', async () => {
  const time = virtualTime();
  const inner = recording(time, (docs) => throttled(docs, 1));
  const paced = new PacedSegmentSink(inner.sink, { baseMs: 100, maxMs: 400, ...LIMITS, random: () => 0.5, sleep: time.sleep, nowMs: time.nowMs });
  const escaped: unknown[] = [];
  const onUnhandled = (reason: unknown): void => { escaped.push(reason); };
  process.on('unhandledRejection', onUnhandled);
  try {
    await time.drive(paced.put(['a', 'b']));
    await time.drive(paced.put(['c', 'd'])); // at 0: the next turn is at 100
    const rebalancing = new Error('The group is rebalancing, so a rejoin is needed');
    const [revoked, kept] = await time.drive(Promise.allSettled([
      paced.put(['e'], { heartbeat: async () => { throw rebalancing; }, isActive: () => true }),
      paced.put(['f'], { heartbeat: async () => {}, isActive: () => true }),
    ]));
    assert.deepEqual(revoked, { status: 'rejected', reason: rebalancing });
    assert.equal(kept?.status, 'fulfilled');
    assert.deepEqual(inner.calls.at(-1), ['f'], 'the failed put was not sent');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(escaped, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
