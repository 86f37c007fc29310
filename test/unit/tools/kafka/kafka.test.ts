import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidSpace, removeStaleDirs } from '../../../../tools/kafka/kafka.mjs';

/** Above Linux's largest pid (pid_max is at most 4,194,304): no process has it. */
const GONE = 2 ** 22 + 17;

test('removeStaleDirs deletes the broker and cluster directories whose owner and brokers are all gone, and nothing else', () => {
  const state = mkdtempSync(join(tmpdir(), 'meshray-kafka-state-'));
  try {
    const make = (name: string, files: Record<string, number>, space = pidSpace()): void => {
      for (const [file, pid] of Object.entries(files)) {
        mkdirSync(join(state, name, file, '..'), { recursive: true });
        writeFileSync(join(state, name, file), file === 'owner.pid' ? `${pid}\n${space}\n` : `${pid}\n`);
      }
      mkdirSync(join(state, name, 'data'), { recursive: true });
    };
    make('broker-killed', { 'owner.pid': GONE, 'broker.pid': GONE }); // a stack killed -9: its broker stopped with it
    make('broker-owned', { 'owner.pid': process.pid, 'broker.pid': GONE }); // its owner runs (and will delete it)
    make('broker-orphan', { 'owner.pid': GONE, 'broker.pid': process.pid }); // the owner died, its broker runs on
    make('broker-formatting', { 'owner.pid': GONE }); // the owner died before the broker started
    make('broker-older', {}); // no owner file: an older version's, or being made
    make('cluster-killed', { 'owner.pid': GONE, 'node-1/broker.pid': GONE, 'node-2/broker.pid': GONE });
    make('cluster-half', { 'owner.pid': GONE, 'node-1/broker.pid': GONE, 'node-2/broker.pid': process.pid });
    make('dev', { 'owner.pid': GONE }); // not a temp dir of startBroker's
    make('broker-container', { 'owner.pid': GONE, 'broker.pid': GONE }, 'another-host pid:[4026531836]'); // its pids are not ours
    make('broker-unplaced', { 'owner.pid': GONE, 'broker.pid': GONE }, ''); // where its pid was read is not known
    writeFileSync(join(state, 'classpath.txt'), 'x');
    const said: string[] = [];
    const removed = removeStaleDirs(state, (m) => said.push(m));
    assert.deepEqual(removed.map((d) => d.slice(state.length + 1)).sort(), ['broker-formatting', 'broker-killed', 'cluster-killed']);
    assert.deepEqual(readdirSync(state).sort(), ['broker-container', 'broker-older', 'broker-orphan', 'broker-owned', 'broker-unplaced', 'classpath.txt', 'cluster-half', 'dev']);
    assert.equal(said.length, 1);
    assert.match(said[0] ?? '', /^removed 3 broker directories left by processes killed before they could \(/);
    assert.deepEqual(removeStaleDirs(state, (m) => said.push(m)), [], 'nothing more on a second look');
    assert.deepEqual(removeStaleDirs(join(state, 'missing')), []);
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});
