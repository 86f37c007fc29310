// A node:test reporter that lists every test's wall time (slowest first) and, with TEST_DURATIONS=strict,
// fails when one is over a limit.
// Usage: node --import tsx --test --test-reporter=./scripts/test-durations.mjs test/unit/**.test.ts
//   TEST_MAX_MS   the limit per test (default 1000: "no unit test over 1 s", docs/CONVENTIONS.md)
//   TEST_SLOWEST  how many of the slowest tests to list (default 15)
//   TEST_DURATIONS=strict  fail the run when a test is over the limit. The default only lists and flags:
//                          wall time depends on the machine, and a shared CI machine under load must not
//                          turn a wall-clock reading into a red build (failed tests always fail the run)
// Only leaf tests count (a describe/suite's time is the sum of its tests). Failures are listed as well, so
// this reporter can stand alone; run it beside `spec` with two --test-reporter/--test-reporter-destination pairs.
import { relative } from 'node:path';

export default async function* durations(source) {
  const maxMs = Number(process.env.TEST_MAX_MS ?? 1000);
  const slowest = Number(process.env.TEST_SLOWEST ?? 15);
  const rows = [];
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.details?.type === 'suite') continue;
    // a file's own pass/fail event (the subprocess) has the file path as its name: skip it
    if (data.file && data.name === data.file) continue;
    const file = data.file ? relative(process.cwd(), data.file) : '?';
    const row = { ms: data.details?.duration_ms ?? 0, file, name: data.name };
    rows.push(row);
    if (event.type === 'test:fail') failures.push({ ...row, error: String(data.details?.error?.cause ?? data.details?.error ?? '') });
  }
  rows.sort((a, b) => b.ms - a.ms);
  const over = rows.filter((r) => r.ms > maxMs);
  yield `${rows.length} tests; slowest ${Math.min(slowest, rows.length)}:\n`;
  for (const r of rows.slice(0, slowest)) yield `${r.ms.toFixed(1).padStart(9)} ms  ${r.file}  ${r.name}\n`;
  const max = rows[0]?.ms ?? 0;
  yield `max ${max.toFixed(1)} ms (limit ${maxMs} ms): ${over.length === 0 ? 'ok' : `${over.length} over the limit`}\n`;
  for (const f of failures) yield `FAIL ${f.file}  ${f.name}: ${f.error.split('\n')[0]}\n`;
  if ((over.length > 0 && process.env.TEST_DURATIONS === 'strict') || failures.length > 0) process.exitCode = 1;
}
