import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addGcTrace, emptyGcTraceSummary, GcTraceCollector } from '../../../../bench/support/gc-trace.ts';

const NVP_SCAVENGE = '[8937:0x216a4e70]       93 ms: pause=6.2 mutator=0.8 gc=s reduce_memory=0 scavenge=3.66 scavenge.parallel=3.29 '
  + 'background.scavenge.parallel=3.14 background.unmapper=0.50 unmapper=0.00 promoted=676312 new_space_survived=178344 promotion_ratio=65.6%';
const NVP_MARK = '[8937:0x216a4e70]      400 ms: pause=12.5 mutator=30.0 gc=ms reduce_memory=0 mark=8.0 background.mark=20.25 background.sweep=4.0 '
  + 'background.evacuate.copy=1.25 promoted=0';
const PLAIN_SCAVENGE = '[8945:0xe2f1e40]       71 ms: Scavenge 3.9 (4.0) -> 3.7 (5.0) MB, 6.55 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure; ';
const PLAIN_MARK = '[8945:0xe2f1e40]     5071 ms: Mark-Compact 45.9 (60.0) -> 30.7 (55.0) MB, 21.50 / 0.10 ms  (+ 12.3 ms in 40 steps since start of marking, biggest step 1.0 ms) (average mu = 0.9, current mu = 0.8) finalize incremental marking via task; GC in old space requested';
const PLAIN_REDUCE = '[8945:0xe2f1e40]     9071 ms: Mark-Compact (reduce) 20.0 (30.0) -> 18.0 (25.0) MB, 3.50 / 0.00 ms  (average mu = 0.9, current mu = 0.8) memory reducer; ';

test('addGcTrace sums --trace-gc-nvp lines per kind: pause, every background.* field, promoted bytes', () => {
  const s = addGcTrace(emptyGcTraceSummary(), [NVP_SCAVENGE, NVP_SCAVENGE, NVP_MARK, 'a log line', '{"level":40,"msg":"gc=ms"}']);
  assert.deepEqual(s.s, { count: 2, pauseMs: 12.4, backgroundMs: 7.28, promotedBytes: 1_352_624 });
  assert.deepEqual(s.ms, { count: 1, pauseMs: 12.5, backgroundMs: 25.5, promotedBytes: 0 });
  assert.deepEqual(s.mmc, { count: 0, pauseMs: 0, backgroundMs: 0, promotedBytes: 0 });
});

test('addGcTrace counts --trace-gc lines per kind with their main-thread pause', () => {
  const s = addGcTrace(emptyGcTraceSummary(), [PLAIN_SCAVENGE, PLAIN_MARK, PLAIN_REDUCE, 'Scavenge without a time']);
  assert.equal(s.s.count, 1);
  assert.equal(s.s.pauseMs, 6.55);
  assert.equal(s.ms.count, 2);
  assert.equal(s.ms.pauseMs, 25);
  assert.equal(s.ms.backgroundMs, 0);
});

test('GcTraceCollector joins lines split across chunks and counts only while collecting', () => {
  const c = new GcTraceCollector();
  c.write(`${PLAIN_SCAVENGE}\n`);
  c.collecting = true;
  c.write(NVP_MARK.slice(0, 50));
  c.write(`${NVP_MARK.slice(50)}\n${PLAIN_SCAVENGE.slice(0, 10)}`);
  c.write(`${PLAIN_SCAVENGE.slice(10)}\n`);
  assert.equal(c.summary.ms.count, 1);
  assert.equal(c.summary.s.count, 1);
});

test('GcTraceCollector.restart starts a new window: what came before is not counted, a summary taken before keeps its counts', () => {
  const c = new GcTraceCollector();
  c.collecting = true;
  c.write(`${NVP_SCAVENGE}\n${NVP_SCAVENGE}\n`);
  const first = c.summary;
  c.restart();
  c.write(`${NVP_MARK}\n`);
  assert.equal(first.s.count, 2);
  assert.equal(c.summary.s.count, 0);
  assert.equal(c.summary.ms.count, 1);
});
