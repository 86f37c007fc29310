import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetryingSegmentSink } from '../../../../../../services/translator/export/stages/retrying-sink.ts';
import type { PutOutcome, SegmentSink } from '../../../../../../services/translator/export/segment-sink.ts';

function scripted(answers: readonly ((docs: readonly string[]) => PutOutcome)[]): { sink: SegmentSink; calls: string[][] } {
  const calls: string[][] = [];
  return { calls, sink: { put: async (docs) => { calls.push([...docs]); return (answers[calls.length - 1] ?? (() => ({ rejected: [] })))(docs); } } };
}
const sleeps = (): { sleep: (ms: number) => Promise<void>; slept: number[] } => {
  const slept: number[] = [];
  return { slept, sleep: async (ms) => { slept.push(ms); } };
};

test('puts again only what is left unfinished, with full-jitter backoff; indices stay those of the caller', async () => {
  const inner = scripted([
    () => ({ rejected: [{ index: 3, code: 'SEGMENT_REJECTED', reason: 'InvalidTraceId', message: 'old' }], unfinished: { code: 'XRAY_THROTTLED', message: 'ThrottledException: slow', indices: [1, 2] } }),
    () => ({ rejected: [], unfinished: { code: 'XRAY_THROTTLED', message: 'ThrottledException: slow', indices: [1] } }),
  ]);
  const clock = sleeps();
  let beats = 0;
  const outcome = await new RetryingSegmentSink(inner.sink, { maxRetries: 5, retryBaseMs: 100, retryMaxMs: 1_000, random: () => 0.5, sleep: clock.sleep })
    .put(['a', 'b', 'c', 'd'], { heartbeat: async () => { beats += 1; }, isActive: () => true });
  assert.deepEqual(inner.calls, [['a', 'b', 'c', 'd'], ['b', 'c'], ['c']]);
  assert.deepEqual(clock.slept, [50, 100], 'random 0.5 of 100·2^(retry-1)');
  assert.equal(beats, 2);
  assert.deepEqual(outcome, { rejected: [{ index: 3, code: 'SEGMENT_REJECTED', reason: 'InvalidTraceId', message: 'old' }] });
});

test('after maxRetries the documents still pending are unfinished, saying so', async () => {
  const down = (docs: readonly string[]): PutOutcome => ({ rejected: [], unfinished: { code: 'XRAY_UNAVAILABLE', message: 'ECONNREFUSED', indices: docs.map((_, i) => i) } });
  const inner = scripted([down, down, down]);
  const clock = sleeps();
  const outcome = await new RetryingSegmentSink(inner.sink, { maxRetries: 2, retryBaseMs: 10, retryMaxMs: 10, random: () => 1, sleep: clock.sleep }).put(['a', 'b']);
  assert.equal(inner.calls.length, 3);
  assert.deepEqual(outcome.unfinished, { code: 'XRAY_UNAVAILABLE', message: 'PutTraceSegments gave up after 2 retries (2 documents pending): ECONNREFUSED', indices: [0, 1] });
});

test('a refused caller is not retried; a stopping source abandons with NOT_READY before any wait', async () => {
  const denied = scripted([(docs) => ({ rejected: [], unfinished: { code: 'XRAY_ACCESS_DENIED', message: 'PutTraceSegments refused: AccessDeniedException: no', indices: docs.map((_, i) => i) } })]);
  const clock = sleeps();
  const refused = await new RetryingSegmentSink(denied.sink, { maxRetries: 8, retryBaseMs: 10, retryMaxMs: 10, sleep: clock.sleep }).put(['a']);
  assert.equal(denied.calls.length, 1);
  assert.equal(refused.unfinished?.code, 'XRAY_ACCESS_DENIED');

  const throttled = scripted([() => ({ rejected: [], unfinished: { code: 'XRAY_THROTTLED', message: 'slow', indices: [0] } })]);
  const stopped = await new RetryingSegmentSink(throttled.sink, { maxRetries: 8, retryBaseMs: 10, retryMaxMs: 10, sleep: clock.sleep })
    .put(['a'], { heartbeat: async () => undefined, isActive: () => false });
  assert.deepEqual(stopped.unfinished, { code: 'NOT_READY', message: 'export abandoned: partition revoked or consumer stopping', indices: [0] });
  assert.deepEqual(clock.slept, []);
});
