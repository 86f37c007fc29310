import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDeadLetterSink, traceIdsOf } from '../../../../services/all-in-one/dead-letter-file.ts';
import type { DeadLetter } from '../../../../services/translator/index.ts';
import { toSpanRecord } from '../../../../shared/core/span-record/record.ts';
import { isMeshrayError } from '../../../../shared/edge/errors/index.ts';
import { createLogger, silentLogger } from '../../../../shared/edge/log/index.ts';
import { Writable } from 'node:stream';
import type { Span } from '../../../../shared/core/zipkin/span.ts';

const letter = (id: string): DeadLetter => {
  const span = { traceId: 'aaaaaaaaaaaaaaa1', id, name: 'get', annotations: [], tags: {}, shared: false, debug: false } as unknown as Span;
  return { topic: 'meshray.spans', record: { ...toSpanRecord(span, 0), partition: 0, offset: id.slice(-1) }, code: 'SPAN_UNTRANSLATABLE', reason: 'no_timestamp', attempts: 1, message: 'm' };
};

test('concurrent sends append whole batches in call order; the file appears only with the first letter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-dlf-'));
  try {
    const file = join(dir, 'sub', 'dead.ndjson');
    FileDeadLetterSink.checkWritable(file);
    assert.equal(existsSync(file), false, 'the check leaves no file behind');
    const sink = new FileDeadLetterSink({ path: file, logger: silentLogger(), now: () => Date.parse('2026-12-01T16:00:00Z') });
    const ids = Array.from({ length: 40 }, (_, i) => `00000000000000${(i + 16).toString(16)}`);
    await Promise.all([sink.send(ids.slice(0, 20).map(letter)), sink.send(ids.slice(20).map(letter))]);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { time: string; span: { id: string } });
    assert.deepEqual(lines.map((l) => l.span.id), ids);
    assert.equal(lines[0]?.time, '2026-12-01T16:00:00.000Z');
    assert.equal(sink.written, 40);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed append is a retryable PUBLISH_FAILED and does not block the appends after it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-dlf-'));
  try {
    const file = join(dir, 'dead.ndjson');
    mkdirSync(file); // a directory where the file should be: every append fails
    const sink = new FileDeadLetterSink({ path: file, logger: silentLogger() });
    await assert.rejects(sink.send([letter('0000000000000011')]), (e: unknown) => isMeshrayError(e) && e.code === 'PUBLISH_FAILED' && e.message.includes(file));
    rmSync(file, { recursive: true });
    await sink.send([letter('0000000000000012')]);
    assert.equal(readFileSync(file, 'utf8').trimEnd().split('\n').length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('traceIdsOf: the distinct trace ids of the letters, the first max of them, and how many more', () => {
  const of = (traceId: string, id: string): DeadLetter => {
    const l = letter(id);
    const span = { traceId, id, name: 'get', annotations: [], tags: {}, shared: false, debug: false } as unknown as Span;
    return { ...l, record: { ...toSpanRecord(span, 0), partition: 0, offset: '0' } };
  };
  const garbage: DeadLetter = { ...letter('0000000000000001'), record: { key: 'k', value: Buffer.from([0xff]), headers: {}, timestampMs: 0, partition: 0, offset: '9' } };
  const letters = [of('aaaaaaaaaaaaaaa1', '0000000000000001'), garbage, of('aaaaaaaaaaaaaaa1', '0000000000000002'), of('bbbbbbbbbbbbbbb2', '0000000000000003'), of('ccccccccccccccc3', '0000000000000004')];
  assert.deepEqual(traceIdsOf(letters, 2), { traceIds: ['aaaaaaaaaaaaaaa1', 'bbbbbbbbbbbbbbb2'], more: 1 });
  assert.deepEqual(traceIdsOf(letters, 10), { traceIds: ['aaaaaaaaaaaaaaa1', 'bbbbbbbbbbbbbbb2', 'ccccccccccccccc3'], more: 0 });
});

test('send (the running path) after a torn last line left by a killed run starts on a line of its own: the first letter stays readable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-dlf-'));
  try {
    const file = join(dir, 'dead.ndjson');
    writeFileSync(file, '{"time":"2026-12-01T00:00:00.000Z","span":{"traceId":"ab');
    const sink = new FileDeadLetterSink({ path: file, logger: silentLogger() });
    await sink.send([letter('0000000000000021')]);
    await sink.send([letter('0000000000000022')]);
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines[0], '{"time":"2026-12-01T00:00:00.000Z","span":{"traceId":"ab', 'the fragment stays alone');
    assert.deepEqual(lines.slice(1, 3).map((l) => (JSON.parse(l) as { span: { id: string } }).span.id), ['0000000000000021', '0000000000000022']);
    assert.deepEqual(lines.slice(3), [''], 'after a whole line, no blank line is added');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sendSync after a torn last line (an append cut short by an exit) starts on a line of its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-dlf-'));
  try {
    const file = join(dir, 'dead.ndjson');
    writeFileSync(file, '{"time":"2026-12-01T00:00:00.000Z","reason":"unexported_at_sh');
    const sink = new FileDeadLetterSink({ path: file, logger: silentLogger() });
    assert.equal(sink.sendSync([letter('0000000000000011'), letter('0000000000000012')]), 2);
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines[0], '{"time":"2026-12-01T00:00:00.000Z","reason":"unexported_at_sh', 'the torn line stays alone');
    assert.deepEqual(lines.slice(1, 3).map((l) => (JSON.parse(l) as { span: { id: string } }).span.id), ['0000000000000011', '0000000000000012']);
    assert.equal(lines[3], '');
    assert.equal(sink.sendSync([letter('0000000000000013')]), 1);
    assert.equal(readFileSync(file, 'utf8').split('\n').length, 5, 'after a whole line, no blank line is added');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the first dead letter\'s warning names the translate command that shows why, with --protocol otlp on the OTLP path (its limits differ: too_old)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-dlf-'));
  try {
    for (const [protocol, command] of [['segments', 'meshray translate FILE'], ['otlp', 'meshray translate --protocol otlp FILE']] as const) {
      const logged: string[] = [];
      const destination = new Writable({ write(chunk: Buffer, _e, done) { logged.push(chunk.toString()); done(); } });
      const sink = new FileDeadLetterSink({ path: join(dir, `${protocol}.ndjson`), logger: createLogger({ level: 'warn', service: 'translator', destination }), protocol });
      await sink.send([letter('0000000000000011')]);
      await sink.send([letter('0000000000000012')]);
      assert.equal(logged.length, 1, 'once');
      assert.ok(logged[0]?.includes(`(${command} shows why;`), logged[0]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
