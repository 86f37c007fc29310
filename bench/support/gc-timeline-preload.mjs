// Bench-only preload (`node --import <this file>`): appends each garbage collection of at least 1 ms of the
// process to the file BENCH_GC_TIMELINE names, one line per pause: `<start, ms since the epoch> <duration ms>
// <kind>`, from perf_hooks' `gc` entries (performance.timeOrigin + startTime: wall-clock, unlike --trace-gc's
// ms since the isolate started). bench/support/gc-timeline.ts reads it. Not part of any service.
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { openSync, writeSync } from 'node:fs';

const file = process.env['BENCH_GC_TIMELINE'];
if (file) {
  const fd = openSync(file, 'a');
  const KINDS = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  new PerformanceObserver((list) => {
    let lines = '';
    for (const entry of list.getEntries()) {
      if (entry.duration < 1) continue;
      const kind = entry.detail?.kind;
      lines += `${(performance.timeOrigin + entry.startTime).toFixed(1)} ${entry.duration.toFixed(2)} ${KINDS[kind] ?? kind}\n`;
    }
    if (lines !== '') writeSync(fd, lines);
  }).observe({ entryTypes: ['gc'] });
}
