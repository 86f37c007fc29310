import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TARGET, announceReceiver, defaultTargetOf, holderOfPort, pidIsAlive, processStartOf, runningReceivers, runtimeDirOf, thisProcess } from '../../../../services/cli/running-receivers.ts';
import { senderTarget } from '../../../../services/cli/flags.ts';

const withDir = async (body: (dir: string) => Promise<void> | void): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-running-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('runtimeDirOf: MESHRAY_RUNTIME_DIR, else $XDG_RUNTIME_DIR/meshray, else a per-user directory under the temporary one', () => {
  assert.equal(runtimeDirOf({ MESHRAY_RUNTIME_DIR: '/x/y', XDG_RUNTIME_DIR: '/run/user/1' }), '/x/y');
  assert.equal(runtimeDirOf({ XDG_RUNTIME_DIR: '/run/user/1' }), '/run/user/1/meshray');
  assert.equal(runtimeDirOf({ MESHRAY_RUNTIME_DIR: '', XDG_RUNTIME_DIR: '' }), join(tmpdir(), `meshray-${process.getuid?.() ?? 'user'}`));
});

test('an announced receiver is found while its process runs, and gone once removed; the directory is private', () => withDir((parent) => {
  const dir = join(parent, 'meshray');
  const announced = announceReceiver(dir, { pid: process.pid, command: 'stack', receiver: 'http://127.0.0.1:40123' });
  assert.ok('remove' in announced, JSON.stringify(announced));
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(runningReceivers(dir), [{ pid: process.pid, command: 'stack', receiver: 'http://127.0.0.1:40123' }]);
  announced.remove();
  assert.deepEqual(runningReceivers(dir), []);
  assert.deepEqual(readdirSync(dir), []);
}));

test('a receiver whose process is gone (killed -9: its file stayed) is not found, and its file is removed; so is a file that is not an entry', () => withDir((dir) => {
  const gone = 2 ** 22 + 17; // above Linux's pid_max default (4,194,304): no such process
  assert.equal(pidIsAlive(gone), false);
  writeFileSync(join(dir, `${gone}.json`), JSON.stringify({ pid: gone, command: 'start', receiver: 'http://127.0.0.1:9411' }));
  writeFileSync(join(dir, `${process.pid}.json`), '{"pid":'); // half written by hand: never by announceReceiver
  writeFileSync(join(dir, '12.json'), JSON.stringify({ pid: process.pid, command: 'stack', receiver: 'http://127.0.0.1:1' })); // named for another pid
  writeFileSync(join(dir, 'notes.txt'), 'kept');
  assert.deepEqual(runningReceivers(dir), []);
  assert.deepEqual(readdirSync(dir), ['notes.txt']);
}));

test('a directory that cannot be made is reported, not thrown: the stack runs on without discovery', () => withDir((dir) => {
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const announced = announceReceiver(join(file, 'meshray'), { pid: process.pid, command: 'stack', receiver: 'http://127.0.0.1:1' });
  assert.ok('failed' in announced && /ENOTDIR/.test(announced.failed), JSON.stringify(announced));
  assert.deepEqual(runningReceivers(join(dir, 'missing')), []);
}));

test('defaultTargetOf: none running → :9411; one → it (a note unless it is :9411); several → an error naming each, no guess', () => {
  assert.deepEqual(defaultTargetOf([], []), { url: DEFAULT_TARGET });
  assert.deepEqual(defaultTargetOf([{ pid: 7, command: 'start', receiver: DEFAULT_TARGET }], []), { url: DEFAULT_TARGET });
  assert.deepEqual(defaultTargetOf([{ pid: 8, command: 'stack', receiver: 'http://127.0.0.1:40123' }], []), {
    url: 'http://127.0.0.1:40123', note: 'posting to the receiver of meshray stack (pid 8) at http://127.0.0.1:40123; --target chooses another',
  });
  const errors: string[] = [];
  defaultTargetOf([{ pid: 7, command: 'start', receiver: DEFAULT_TARGET }, { pid: 8, command: 'stack', receiver: 'http://127.0.0.1:40123' }], errors);
  assert.deepEqual(errors, ['--target: 2 meshray receivers run on this machine (meshray start, pid 7: http://127.0.0.1:9411; meshray stack, pid 8: http://127.0.0.1:40123): choose one with --target']);
});

test('senderTarget: --target wins over an announced receiver; without it the announced one is used and noted', () => withDir((dir) => {
  const announced = announceReceiver(dir, { pid: process.pid, command: 'stack', receiver: 'http://127.0.0.1:40123' });
  assert.ok('remove' in announced);
  const notes: string[] = [];
  const errors: string[] = [];
  const note = (line: string): void => { notes.push(line); };
  const env = { MESHRAY_RUNTIME_DIR: dir };
  assert.equal(senderTarget('http://10.0.0.1:9411', env, errors, note), 'http://10.0.0.1:9411');
  assert.deepEqual(notes, []);
  assert.equal(senderTarget(undefined, env, errors, note), 'http://127.0.0.1:40123');
  assert.deepEqual(notes, [`posting to the receiver of meshray stack (pid ${process.pid}) at http://127.0.0.1:40123; --target chooses another`]);
  assert.deepEqual(errors, []);
  announced.remove();
  assert.equal(senderTarget(undefined, env, errors, note), DEFAULT_TARGET);
}));

test('a directory others may write to is not used: neither announced in nor read (another user could plant a receiver there)', () => withDir((parent) => {
  const dir = join(parent, 'meshray');
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ pid: process.pid, command: 'stack', receiver: 'http://203.0.113.9:9411' }));
  assert.deepEqual(runningReceivers(dir), []);
  const announced = announceReceiver(dir, thisProcess('stack', 'http://127.0.0.1:40123'));
  assert.ok('failed' in announced && /not this user's own, or others may write to it/.test(announced.failed), JSON.stringify(announced));
  chmodSync(dir, 0o700);
  chmodSync(join(dir, `${process.pid}.json`), 0o666);
  assert.deepEqual(runningReceivers(dir), [], 'nor a file others may write to');
}));

test('an entry whose pid another process has taken since (its start time differs) is stale', { skip: processStartOf(process.pid) === undefined ? 'no /proc here' : false }, () => withDir((dir) => {
  const me = thisProcess('start', 'http://127.0.0.1:9411');
  assert.equal(me.started, processStartOf(process.pid));
  writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ ...me, started: '1' }));
  assert.deepEqual(runningReceivers(dir), []);
  assert.deepEqual(readdirSync(dir), []);
  writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(me));
  assert.deepEqual(runningReceivers(dir), [me]);
}));

test('a stack announces its Kafka (brokers and topics) beside its receiver, and it is read back', () => withDir((dir) => {
  const kafka = { brokers: '127.0.0.1:40777', spansTopic: 'meshray.spans', dlqTopic: 'meshray.spans.dlq' };
  const announced = announceReceiver(dir, thisProcess('stack', 'http://127.0.0.1:40123', kafka));
  assert.ok('remove' in announced, JSON.stringify(announced));
  assert.deepEqual(runningReceivers(dir).map((r) => r.kafka), [kafka]);
  // TLS and SASL are announced (never credentials)
  const secure = { ...kafka, ssl: true, saslMechanism: 'plain' };
  announceReceiver(dir, thisProcess('stack', 'http://127.0.0.1:40123', secure));
  assert.deepEqual(runningReceivers(dir).map((r) => r.kafka), [secure]);
  // a malformed or empty kafka member is dropped, the receiver is kept
  for (const bad of [{ brokers: 5 }, { ...kafka, brokers: '' }, { ...kafka, dlqTopic: ' ' }]) {
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ pid: process.pid, command: 'stack', receiver: 'http://127.0.0.1:40123', kafka: bad }));
    assert.deepEqual(runningReceivers(dir), [{ pid: process.pid, command: 'stack', receiver: 'http://127.0.0.1:40123' }], JSON.stringify(bad));
  }
}));

test('a stack announces its export target (its xray-local, its protocol) for replay, and it is read back; a malformed one is dropped (newcomer trial)', () => withDir((dir) => {
  const kafka = { brokers: '127.0.0.1:40777', spansTopic: 'meshray.spans', dlqTopic: 'meshray.spans.dlq' };
  announceReceiver(dir, thisProcess('stack', 'http://127.0.0.1:40123', kafka, { endpoint: 'http://127.0.0.1:40200', protocol: 'otlp' }));
  assert.deepEqual(runningReceivers(dir).map((r) => r.xray), [{ endpoint: 'http://127.0.0.1:40200', protocol: 'otlp' }]);
  // a stack exporting to AWS announces its protocol only
  announceReceiver(dir, thisProcess('stack', 'http://127.0.0.1:40123', kafka, { protocol: 'segments' }));
  assert.deepEqual(runningReceivers(dir).map((r) => r.xray), [{ protocol: 'segments' }]);
  for (const bad of [{ protocol: 'zipkin' }, { endpoint: 'http://127.0.0.1:40200' }, 'otlp']) {
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ pid: process.pid, command: 'stack', receiver: 'http://127.0.0.1:40123', kafka, xray: bad }));
    assert.deepEqual(runningReceivers(dir).map((r) => r.xray), [undefined], JSON.stringify(bad));
  }
}));

test('holderOfPort: the running meshray whose receiver holds the port is named; others are offered as a guess', () => {
  const start = { pid: 4242, command: 'start', receiver: 'http://127.0.0.1:9411' } as const;
  assert.equal(holderOfPort([start], 9411), 'held by meshray start, pid 4242');
  assert.equal(holderOfPort([start], 2000), 'another program, or meshray start (pid 4242) running on this machine?');
  assert.equal(holderOfPort([], 9411), 'another program?');
});
