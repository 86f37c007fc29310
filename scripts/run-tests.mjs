#!/usr/bin/env node
// Runs node:test over test/<suite>/**/*.test.ts through the tsx loader (Node 20 has no test globs).
// Suites that need Kafka (integration, e2e) get a broker started here when KAFKA_BROKERS is unset.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';

const suites = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const only = process.env.TEST_FILTER;
const collect = (dir) => {
  let out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith('.test.ts') && (!only || p.includes(only))) out.push(p);
  }
  return out;
};
const bySuite = suites.map((s) => ({ suite: s, files: collect(join('test', s)) })).filter((s) => s.files.length > 0);
if (bySuite.length === 0) {
  console.error(`no test files found for suites: ${suites.join(', ')}`);
  process.exit(1);
}
// The failover suite starts its own 3-node cluster (tools/kafka startCluster): it needs no broker from here.
const usesBroker = (s) => s.suite !== 'unit' && s.suite !== 'failover';
const needsKafka = bySuite.some(usesBroker) && !process.env.KAFKA_BROKERS;
// A running `meshray stack` or `meshray start` announces its receiver to `send` and `demo` in MESHRAY_RUNTIME_DIR
// (services/cli/running-receivers.ts): the tests' own stacks and a developer's must not find one another.
let runtimeDir;
if (!process.env.MESHRAY_RUNTIME_DIR) {
  runtimeDir = mkdtempSync(join(tmpdir(), 'meshray-test-runtime-'));
  process.env.MESHRAY_RUNTIME_DIR = runtimeDir;
}
/**
 * The tests' broker refuses a record dated more than 6 days back (INVALID_TIMESTAMP, at the send): the 7-day time
 * retention deletes a segment of such records at its next check (30 s after start, then every 5 min), and a DLQ
 * test's letters dated 2023 vanished mid-test on CI (2789 of 3002 left). Refused at once, such a test fails every
 * time, never only when the check happens to run.
 */
const TEST_BROKER_CONFIG = { 'log.message.timestamp.before.max.ms': String(6 * 24 * 3600 * 1000) };
let broker;
if (needsKafka) {
  const { startBroker } = await import('../tools/kafka/kafka.mjs');
  broker = await startBroker({ log: (m) => console.error(`[kafka] ${m}`), config: TEST_BROKER_CONFIG });
  // the broker's guard is on (a broker given by KAFKA_BROKERS has its own settings): the test of the guard reads this
  process.env.MESHRAY_TEST_BROKER_GUARD = 'on';
  process.env.KAFKA_BROKERS = broker.brokers;
}
// Unit test files are independent: run them side by side. Integration and e2e files start processes,
// fixed ports and consumer groups: one at a time.
const runSuite = ({ suite, files }) => {
  const concurrency = process.env.TEST_CONCURRENCY ?? (suite === 'unit' ? String(Math.max(2, availableParallelism())) : '1');
  console.error(`[test] ${suite}: ${files.length} files, concurrency ${concurrency}`);
  // Unit tests also go through scripts/test-durations.mjs: it lists the slowest tests and flags any over 1 s
  // (docs/CONVENTIONS.md); TEST_DURATIONS=strict fails the run on one (measure on a quiet machine).
  const reporters = suite === 'unit'
    ? ['--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=./scripts/test-durations.mjs', '--test-reporter-destination=stderr']
    : [];
  // TEST_NAME: only the tests whose name matches this regular expression (node's --test-name-pattern).
  const names = process.env.TEST_NAME ? [`--test-name-pattern=${process.env.TEST_NAME}`] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...names, ...reporters, ...files], {
    stdio: 'inherit',
    env: process.env,
  });
  return new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
};
let code = 0;
const lastUsingBroker = bySuite.findLastIndex(usesBroker);
for (const [i, suite] of bySuite.entries()) {
  const c = await runSuite(suite);
  if (c !== 0) code = c;
  if (i === lastUsingBroker && broker) { await broker.stop(); broker = undefined; } // not running beside the cluster
}
if (broker) await broker.stop();
if (runtimeDir) rmSync(runtimeDir, { recursive: true, force: true });
process.exit(code);
