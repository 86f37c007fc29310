import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onInterrupt, REPEATED_SIGNAL_MS, runUntilSignal } from '../../../../services/cli/run-until-signal.ts';

test('the first SIGINT closes the service; a second one hurries it (the all-in-one ends its drain) instead of killing the process', async () => {
  const calls: string[] = [];
  let finish: () => void = () => undefined;
  const service = {
    close: () => { calls.push('close'); return new Promise<void>((resolve) => { finish = resolve; }); },
    hurry: () => { calls.push('hurry'); finish(); },
  };
  const before = process.listenerCount('SIGINT');
  let t = 0;
  const exit = runUntilSignal(service, (code) => { assert.fail(`exit(${code})`); }, () => t);
  process.emit('SIGINT');
  t += 1000;
  process.emit('SIGINT');
  assert.equal(await exit, 0);
  assert.deepEqual(calls, ['close', 'hurry']);
  assert.equal(process.listenerCount('SIGINT'), before, 'its handlers are gone once the service closed');
});

test('a failed close exits 1', async () => {
  const exit = runUntilSignal({ close: () => Promise.reject(new Error('boom')) });
  process.emit('SIGTERM');
  assert.equal(await exit, 1);
});

test('a third signal exits at once with 130, after the service saved what it holds (abandon) and said so', async () => {
  const calls: string[] = [];
  const codes: number[] = [];
  const service = {
    close: () => { calls.push('close'); return new Promise<void>(() => undefined); },
    hurry: () => { calls.push('hurry'); },
    abandon: () => { calls.push('abandon'); return '3 spans written'; },
  };
  const before = { SIGTERM: process.listenerCount('SIGTERM'), SIGINT: process.listenerCount('SIGINT') };
  let t = 0;
  void runUntilSignal(service, (code) => { codes.push(code); }, () => t);
  try {
    process.emit('SIGTERM');
    t += 1000;
    process.emit('SIGTERM');
    t += 1000;
    process.emit('SIGTERM');
    assert.deepEqual(calls, ['close', 'hurry', 'abandon']);
    assert.deepEqual(codes, [130]);
  } finally {
    // the close never settles here, so its handlers stay: remove them
    for (const signal of ['SIGTERM', 'SIGINT'] as const) for (const l of process.listeners(signal).slice(before[signal])) process.off(signal, l);
  }
});

test('a signal repeated within REPEATED_SIGNAL_MS counts once (npm start: the terminal\'s Ctrl-C and npm\'s forwarded copy)', async () => {
  const calls: string[] = [];
  let finish: () => void = () => undefined;
  const service = {
    close: () => { calls.push('close'); return new Promise<void>((resolve) => { finish = resolve; }); },
    hurry: () => { calls.push('hurry'); finish(); },
  };
  let t = 5_000;
  const exit = runUntilSignal(service, (code) => { assert.fail(`exit(${code})`); }, () => t);
  process.emit('SIGINT');
  t += REPEATED_SIGNAL_MS - 1;
  process.emit('SIGINT');
  assert.deepEqual(calls, ['close'], 'the copy is not a second Ctrl-C: the drain goes on');
  t += REPEATED_SIGNAL_MS;
  process.emit('SIGINT');
  assert.deepEqual(calls, ['close', 'hurry']);
  assert.equal(await exit, 0);
});

test('onInterrupt (replay, capture): the first signal stops the work and is remembered; a repeat within REPEATED_SIGNAL_MS is the same Ctrl-C; a second one exits with 130', () => {
  const said: string[] = [];
  const codes: number[] = [];
  let stops = 0;
  let t = 0;
  const before = process.listenerCount('SIGINT');
  const interrupt = onInterrupt(() => { stops += 1; }, (line) => said.push(line), (code) => codes.push(code), () => t);
  try {
    assert.equal(interrupt.signal, undefined);
    process.emit('SIGINT');
    t += REPEATED_SIGNAL_MS - 1;
    process.emit('SIGINT'); // npm forwarding the terminal's Ctrl-C
    assert.equal(interrupt.signal, 'SIGINT');
    assert.equal(stops, 1);
    assert.deepEqual(codes, []);
    t += 1000;
    process.emit('SIGTERM');
    assert.deepEqual(codes, [130]);
    assert.equal(stops, 1);
    assert.match(said[0] ?? '', /^SIGINT: stopping \(a second one exits at once/);
    assert.match(said[1] ?? '', /^SIGTERM again: exiting at once/);
  } finally {
    interrupt.dispose();
  }
  assert.equal(process.listenerCount('SIGINT'), before, 'disposed: its handlers are gone');
});

test('SIGHUP (a closed terminal, a dropped SSH session) stops a service as SIGTERM does, and its handlers go with the others', async () => {
  const calls: string[] = [];
  const before = process.listenerCount('SIGHUP');
  const exit = runUntilSignal({ close: async () => { calls.push('close'); } }, (code) => { assert.fail(`exit(${code})`); });
  assert.equal(process.listenerCount('SIGHUP'), before + 1, 'the default action (die at once) is replaced');
  process.emit('SIGHUP');
  assert.equal(await exit, 0);
  assert.deepEqual(calls, ['close']);
  assert.equal(process.listenerCount('SIGHUP'), before);
});

test('onInterrupt stops the command on SIGHUP too', () => {
  const said: string[] = [];
  let stopped = 0;
  const interrupt = onInterrupt(() => { stopped += 1; }, (line) => said.push(line), (code) => { assert.fail(`exit(${code})`); });
  try {
    process.emit('SIGHUP', 'SIGHUP');
    assert.equal(stopped, 1);
    assert.equal(interrupt.signal, 'SIGHUP');
    assert.match(said[0] ?? '', /^SIGHUP: stopping/);
  } finally {
    interrupt.dispose();
  }
});
