import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { PassThrough, Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import { BatchGetTracesCommand } from '@aws-sdk/client-xray';
import type { FastifyRequest } from 'fastify';
import { encodeSpan, SPAN_SCHEMA_FINGERPRINT } from '../../../../shared/core/avro/index.ts';
import { SPAN_SCHEMA_HEADER, deadLetterHeaders } from '../../../../shared/core/span-record/headers.ts';
import { toSpanListRecord, toSpanRecords } from '../../../../shared/core/span-record/record.ts';
import { encodeSpanItems } from '../../../../shared/core/avro/span-codec.ts';
import { ensureTopics } from '../../../../shared/edge/kafka/topics.ts';
import { decodeJsonV2, traceIdLow64 } from '../../../../shared/core/zipkin/index.ts';
import type { Span } from '../../../../shared/core/zipkin/span.ts';
import { runCommand } from '../../../unit/services/cli/io.ts';
import { bookinfoCopies, startingAt } from '../../../support/bookinfo.ts';
import { kafkaTestClient } from '../../../support/kafka-test-client.ts';
import { nestedIdsOf, startXRayLocal as startHarness, type XRayLocal } from '../../../support/xray-local.ts';
import { run as replay } from '../../../../services/cli/commands/replay.ts';
import { run as capture } from '../../../../services/cli/commands/capture.ts';
import { run as translate } from '../../../../services/cli/commands/translate.ts';

const { brokers: BROKERS, kafka, producer, admin, dir, unique } = kafkaTestClient('cli-replay');
const ENV = { KAFKA_BROKERS: BROKERS };

const bookinfo = bookinfoCopies;

async function produce(topic: string, spans: readonly Span[], timestampMs: number): Promise<void> {
  const records = toSpanRecords(spans, timestampMs);
  await producer.send({
    topic, acks: -1,
    messages: records.map((r) => ({ key: r.key, value: r.value, headers: { ...r.headers }, timestamp: String(r.timestampMs) })),
  });
}

const THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000;

/**
 * xray-local (the shared harness). `rejectOldTraceIds` emulates X-Ray refusing documents whose trace id epoch
 * lies more than 30 days back (xray-local itself accepts any well-formed id): such documents come back in
 * UnprocessedTraceSegments with ErrorCode InvalidTraceId and are not stored.
 */
async function startXRayLocal(options: { rejectOldTraceIds?: boolean } = {}): Promise<XRayLocal> {
  if (options.rejectOldTraceIds !== true) return startHarness({ maxSegments: 100_000 });
  return startHarness({ maxSegments: 100_000, configure: (app) => {
    const refusedBy = new WeakMap<FastifyRequest, { Id: string; ErrorCode: string; Message: string }[]>();
    app.addHook('preHandler', async (req) => {
      if (req.url !== '/TraceSegments') return;
      const body = req.body as { TraceSegmentDocuments?: string[] };
      const kept: string[] = [];
      const refused: { Id: string; ErrorCode: string; Message: string }[] = [];
      for (const d of body.TraceSegmentDocuments ?? []) {
        const doc = JSON.parse(d) as { id: string; trace_id: string };
        const epochMs = Number.parseInt(doc.trace_id.slice(2, 10), 16) * 1000;
        if (epochMs < Date.now() - THIRTY_DAYS_MS) refused.push({ Id: doc.id, ErrorCode: 'InvalidTraceId', Message: `Invalid segment. ErrorCode: InvalidTraceId, Cause: trace id ${doc.trace_id} is older than 30 days` });
        else kept.push(d);
      }
      if (refused.length === 0) return;
      body.TraceSegmentDocuments = kept;
      refusedBy.set(req, refused);
    });
    app.addHook('onSend', async (req, _reply, payload) => {
      const refused = refusedBy.get(req);
      if (refused === undefined || typeof payload !== 'string') return payload;
      const out = JSON.parse(payload) as { UnprocessedTraceSegments: unknown[] };
      out.UnprocessedTraceSegments.push(...refused);
      return JSON.stringify(out);
    });
  } });
}

/** Every stored document, as BatchGetTraces returns it (exact strings), keyed `traceId/segmentId`. */
async function storedDocuments(x: XRayLocal): Promise<Map<string, string>> {
  const ids = [...x.store.traces()].map((t) => t.traceId).sort();
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 5) {
    const got = await x.client.send(new BatchGetTracesCommand({ TraceIds: ids.slice(i, i + 5) }));
    assert.deepEqual(got.UnprocessedTraceIds ?? [], []);
    for (const t of got.Traces ?? []) for (const s of t.Segments ?? []) out.set(`${t.Id}/${s.Id}`, s.Document ?? '');
  }
  return out;
}

async function committed(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition);
}

const sortSpans = (spans: readonly Span[]) => [...spans].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

test('capture a time range, replay it into xray-local; replays are byte-identical and idempotent; the live group is untouched', { timeout: 120_000 }, async () => {
  const topic = unique('spans');
  const liveGroup = unique('live');
  await ensureTopics(kafka, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
  const now = Date.now();
  // Spans dated 10 minutes ago, all three sets: the four translations below are compared, and a 2019 span's
  // rewritten trace id changed at each UTC midnight; and ten minutes away from every record time, so a selection
  // by span time instead of record time would find none of them.
  const earlier = startingAt(bookinfo(3, 1), (now - 600_000) * 1000);
  const wanted = startingAt(bookinfo(8, 2), (now - 600_000) * 1000);
  const later = startingAt(bookinfo(3, 3), (now - 600_000) * 1000);
  await produce(topic, earlier, now - 120_000);
  await produce(topic, wanted, now);
  await produce(topic, later, now + 120_000);
  const from = new Date(now - 60_000).toISOString();
  const to = String(now + 60_000);

  // A live translator group with committed offsets (no members: set through the admin API).
  await admin.setOffsets({ groupId: liveGroup, topic, partitions: [0, 1, 2].map((partition) => ({ partition, offset: '1' })) });
  const liveBefore = await committed(liveGroup, topic);
  assert.deepEqual(liveBefore.map((p) => p.offset), ['1', '1', '1']);

  // capture → zipkin-json file: exactly the spans of the time range
  const file = join(dir, 'capture.json');
  const cap = await runCommand(capture, ['--topic', topic, '--from', from, '--to', to, '--output', file], '', ENV);
  assert.equal(cap.code, 0, cap.stderr);
  assert.match(cap.stderr, new RegExp(`${wanted.length} records in \\d of 3 partitions`));
  const captured = decodeJsonV2(readFileSync(file));
  assert.ok(captured.ok);
  assert.deepEqual(sortSpans(captured.value), sortSpans(wanted));

  // ndjson: one span per line, same spans
  const nd = await runCommand(capture, ['--topic', topic, '--from', from, '--to', to, '--format', 'ndjson', '--quiet'], '', ENV);
  assert.equal(nd.code, 0, nd.stderr);
  const lines = nd.stdout.trim().split('\n');
  assert.equal(lines.length, wanted.length);
  const ndSpans = lines.map((l) => { const d = decodeJsonV2(Buffer.from(`[${l}]`)); assert.ok(d.ok); return d.value[0] as Span; });
  assert.deepEqual(sortSpans(ndSpans), sortSpans(wanted));

  // the capture translates as a file (`meshray translate FILE`)
  const tr = await runCommand(translate, [file], '', {});
  assert.equal(tr.code, 0, tr.stderr);
  const translatedCount = tr.stdout.trim().split('\n').length;

  const x1 = await startXRayLocal();
  const x2 = await startXRayLocal();
  try {
    // replay into xray-local
    const args = ['--topic', topic, '--from', from, '--to', to];
    const first = await runCommand(replay, [...args, '--xray-endpoint', x1.endpoint], '', ENV);
    assert.equal(first.code, 0, first.stderr);
    const n = wanted.length;
    assert.match(first.stderr, new RegExp(`done: ${n}/${n} records \\(100%\\), ${n} spans exported, \\d+ documents written`));
    const docs1 = await storedDocuments(x1);
    assert.equal(docs1.size, translatedCount, 'as many documents as `meshray translate` makes of the capture');
    assert.equal(x1.store.traceCount, 8, 'one X-Ray trace per Bookinfo trace');

    // replaying again changes nothing
    const again = await runCommand(replay, [...args, '--xray-endpoint', x1.endpoint, '--quiet'], '', ENV);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(x1.store.segmentCount, docs1.size);
    assert.deepEqual(await storedDocuments(x1), docs1);

    // into an EMPTY xray-local: the same documents, byte for byte
    const fresh = await runCommand(replay, [...args, '--xray-endpoint', x2.endpoint], '', ENV);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.deepEqual(await storedDocuments(x2), docs1);

    // dry run: the same documents as ndjson, nothing sent
    const dry = await runCommand(replay, [...args, '--dry-run', '--quiet'], '', ENV);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(dry.stdout.trim().split('\n').sort(), [...docs1.values()].sort());
  } finally {
    await x1.close();
    await x2.close();
  }

  // the live group's committed offsets are untouched, and no throwaway group lingers
  assert.deepEqual(await committed(liveGroup, topic), liveBefore);
  const { groups } = await admin.listGroups();
  assert.deepEqual(groups.filter((g) => /^meshray-(replay|capture)-/.test(g.groupId)), []);
});

test('explicit offsets; an undecodable record is reported by offset and skipped (exit 2)', { timeout: 60_000 }, async () => {
  const topic = unique('offsets');
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  const spans = bookinfo(1, 4);
  await produce(topic, spans.slice(0, 3), Date.now());
  await producer.send({ topic, acks: -1, messages: [{ key: traceIdLow64(spans[0]!.traceId), value: Buffer.from('not avro at all'), headers: { [SPAN_SCHEMA_HEADER]: SPAN_SCHEMA_FINGERPRINT } }] });
  await produce(topic, spans.slice(3), Date.now());

  const all = await runCommand(replay, ['--topic', topic, '--offsets', '0:0-', '--dry-run', '--quiet'], '', ENV);
  assert.equal(all.code, 2, all.stderr);
  assert.match(all.stderr, /done: 9\/9 records \(100%\), 8 spans/);
  assert.match(all.stderr, /1 skipped \(1 undecodable record\):\n.*undecodable p0@3 avro: /);
  // PACKING=on (the default) nests a hop's CLIENT spans in its segment: count what the documents carry
  const carried = all.stdout.trim().split('\n').flatMap((l) => nestedIdsOf(JSON.parse(l) as object));
  assert.ok(carried.length >= 8, `${carried.length} segments and subsegments`);

  const some = await runCommand(replay, ['--topic', topic, '--partition', '0', '--start-offset', '4', '--end-offset', '5', '--dry-run'], '', ENV);
  assert.equal(some.code, 0, some.stderr);
  assert.match(some.stderr, /done: 2\/2 records \(100%\), 2 spans/);

  const cap = await runCommand(capture, ['--topic', topic, '--offsets', '0:2-3', '--quiet'], '', ENV);
  assert.equal(cap.code, 2);
  assert.match(cap.stderr, /undecodable p0@3/);
  const captured = decodeJsonV2(Buffer.from(cap.stdout));
  assert.ok(captured.ok);
  assert.deepEqual(captured.value, [spans[2]]);
});

test('configuration fix: a dead letter X-Ray refused under --epoch-policy preserve (64-bit trace id → epoch 1970; X-Ray\'s 30-day trace-id window emulated on xray-local) lands when replayed from the DLQ with the default policy auto', { timeout: 60_000 }, async () => {
  const spansTopic = unique('spans');
  const dlq = unique('dlq');
  await ensureTopics(kafka, [{ topic: dlq, numPartitions: 1, replicationFactor: 1 }]);
  const nowMicros = Date.now() * 1000;
  const span: Span = {
    traceId: '5af7183fb1d4cf5f', id: '6b221d5bc9e6496c', parentId: '5af7183fb1d4cf5f', kind: 'SERVER', name: 'get /api/reviews',
    timestampMicros: nowMicros, durationMicros: 12_000,
    localEndpoint: { serviceName: 'reviews.default' }, annotations: [],
    tags: { 'http.method': 'GET', 'http.status_code': '200', 'istio.canonical_service': 'reviews' },
  };
  const value = encodeSpan(span);
  const original = { key: traceIdLow64(span.traceId), value, headers: { [SPAN_SCHEMA_HEADER]: SPAN_SCHEMA_FINGERPRINT }, timestampMs: Date.now(), partition: 2, offset: '41' };
  await producer.send({
    topic: dlq, acks: -1,
    messages: [{
      key: original.key, value,
      headers: deadLetterHeaders({ topic: spansTopic, record: original, code: 'SEGMENT_REJECTED', reason: 'InvalidTraceId', attempts: 1, message: 'Invalid segment. ErrorCode: InvalidTraceId' }),
    }],
  });
  const env = { ...ENV, DLQ_TOPIC: dlq };
  const xray = await startXRayLocal({ rejectOldTraceIds: true });
  try {
    // the configuration the live translator had: preserve keeps the 64-bit id's zero epoch, which X-Ray refuses:
    // the translator refuses the span itself, naming the reason, and sends nothing
    const broken = await runCommand(replay, ['--dlq', '--all', '--epoch-policy', 'preserve', '--xray-endpoint', xray.endpoint, '--quiet'], '', env);
    assert.equal(broken.code, 2, broken.stderr);
    assert.match(broken.stderr, new RegExp(`1 skipped \\(1 untranslatable span\\):\\n.*untranslatable p0@0 \\(from ${spansTopic}/2@41\\) epoch_out_of_window: `));
    assert.equal(xray.store.segmentCount, 0);

    // the fix: EPOCH_POLICY=auto (the default) rewrites the implausible epoch to the span's start second
    const fixed = await runCommand(replay, ['--dlq', '--all', '--xray-endpoint', xray.endpoint], '', env);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stderr, /done: 1\/1 record \(100%\), 1 span exported, 1 document written/);
    const docs = [...(await storedDocuments(xray)).values()];
    assert.equal(docs.length, 1);
    const doc = JSON.parse(docs[0] ?? '{}') as { id: string; trace_id: string };
    assert.equal(doc.id, span.id);
    assert.equal(doc.trace_id, `1-${Math.floor(nowMicros / 1e6).toString(16)}-00000000${span.traceId}`);
  } finally {
    await xray.close();
  }
});

test('X-Ray unreachable: exit 1, and the command to finish the job is printed', { timeout: 60_000 }, async () => {
  const topic = unique('down');
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  await produce(topic, bookinfo(1, 5), Date.now());
  const r = await runCommand(replay, ['--topic', topic, '--all', '--xray-endpoint', 'http://127.0.0.1:1', '--max-retries', '0', '--quiet'], '', ENV);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /failed: \d+ documents? not accepted after retries \(partition 0, first at offset 0\)/);
  assert.match(r.stderr, new RegExp(`to finish, rerun with --offsets 0:0-7 --topic ${topic}`));
});

test('span-list records (what the receiver writes: many spans per record): the summary counts spans, not records', { timeout: 60_000 }, async () => {
  const topic = unique('lists');
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  const spans = bookinfo(3, 8); // 3 traces of 8 spans
  const lists = [spans.slice(0, 10), spans.slice(10, 17), spans.slice(17)].map((part) => toSpanListRecord([encodeSpanItems(part)], part.length, Date.now()));
  await producer.send({ topic, acks: -1, messages: lists.map((r) => ({ value: r.value, headers: { ...r.headers }, timestamp: String(r.timestampMs) })) });
  const out = await runCommand(replay, ['--topic', topic, '--offsets', '0:0-', '--dry-run', '--quiet'], '', ENV);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, new RegExp(`done: 3/3 records \\(100%\\), ${spans.length} spans exported, \\d+ documents written`));
});

test('a topic that does not exist: exit 1 with a clear message', { timeout: 30_000 }, async () => {
  const r = await runCommand(replay, ['--topic', unique('missing'), '--all', '--dry-run'], '', ENV);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /meshray replay: cannot read it-cli-replay-missing-\w+ from .*: topic it-cli-replay-missing-\w+ does not exist/);
});

test('replay --dry-run | head: once the reader closes stdout (EPIPE), replay stops quietly (exit 0) and leaves no consumer group', { timeout: 60_000 }, async () => {
  const topic = unique('epipe');
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  await produce(topic, bookinfo(1, 6), Date.now());
  // a pipe whose reader is gone: every write fails with EPIPE (the first one emits 'error' on the stream)
  const stdout = new Writable({ write: (_chunk, _encoding, done) => { done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })); } });
  const stderr = new PassThrough();
  const said: Buffer[] = [];
  stderr.on('data', (c: Buffer) => said.push(c));
  const code = await replay(['--topic', topic, '--all', '--dry-run', '--quiet'], { stdin: Readable.from([]), stdout, stderr, env: ENV });
  const text = Buffer.concat(said).toString('utf8');
  assert.equal(code, 0, text);
  assert.match(text, /stopped: the output was closed by its reader/);
  assert.doesNotMatch(text, /failed:/);
  const { groups } = await admin.listGroups();
  assert.deepEqual(groups.filter((g) => /^meshray-replay-/.test(g.groupId)), [], 'the throwaway group is deleted');
});

test('replay --dry-run --output on a full disk (/dev/full): it stops cleanly (failed: ENOSPC, exit 1, the --offsets of the rest) and leaves no consumer group (it crashed on the stream\'s error event)', { timeout: 60_000 }, async () => {
  const topic = unique('enospc');
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  await produce(topic, bookinfo(1, 6), Date.now());
  const r = await runCommand(replay, ['--topic', topic, '--all', '--dry-run', '--quiet', '--output', '/dev/full'], '', ENV);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /failed: .*ENOSPC/);
  assert.match(r.stderr, new RegExp(`to finish, rerun with --offsets 0:0-\\d+ --topic ${topic}`));
  const { groups } = await admin.listGroups();
  assert.deepEqual(groups.filter((g) => /^meshray-replay-/.test(g.groupId)), [], 'the throwaway group is deleted');
});

test('replay --dry-run --output FILE with an empty selection leaves FILE empty, not the previous run\'s documents', { timeout: 60_000 }, async () => {
  const topic = unique('empty-output');
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  await produce(topic, bookinfo(1, 6), Date.now());
  const file = join(dir, 'empty-selection.ndjson');
  writeFileSync(file, '{"an":"older run"}\n');
  const r = await runCommand(replay, ['--topic', topic, '--offsets', '0:100-', '--dry-run', '--output', file], '', ENV);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /nothing to replay/);
  assert.equal(readFileSync(file, 'utf8'), '');
});

test('Ctrl-C during replay: it stops, prints what was replayed and the --offsets that finish the job (exit 130), and leaves no consumer group', { timeout: 60_000 }, async () => {
  const topic = unique('sigint');
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  await produce(topic, bookinfo(4, 8), Date.now()); // 32 records
  let interrupted = false;
  const listeners = process.listenerCount('SIGINT');
  // the first batch written is where the operator presses Ctrl-C
  const stdout = new Writable({ write: (_chunk, _encoding, done) => { if (!interrupted) { interrupted = true; process.emit('SIGINT'); } done(); } });
  const stderr = new PassThrough();
  const said: Buffer[] = [];
  stderr.on('data', (c: Buffer) => said.push(c));
  const code = await replay(['--topic', topic, '--all', '--dry-run', '--batch-size', '8', '--quiet'], { stdin: Readable.from([]), stdout, stderr, env: ENV });
  const text = Buffer.concat(said).toString('utf8');
  assert.equal(code, 130, text);
  assert.match(text, /SIGINT: stopping \(a second one exits at once/);
  assert.match(text, /stopped: 8\/32 records/);
  assert.match(text, /interrupted \(SIGINT\): what is above was replayed/);
  assert.match(text, new RegExp(`to finish, rerun with --offsets 0:8-31 --topic ${topic}`));
  assert.equal(process.listenerCount('SIGINT'), listeners, 'its handler is gone');
  const { groups } = await admin.listGroups();
  assert.deepEqual(groups.filter((g) => /^meshray-replay-/.test(g.groupId)), [], 'the throwaway group is deleted');
});

test('reading a running stack\'s Kafka, replay exports as its translators do: to its xray-local, by its protocol (newcomer trial: it asked for --xray-endpoint, and its dry run made segments for a stack on the OTLP path)', { timeout: 60_000 }, async () => {
  const topic = unique('stack-target');
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  await produce(topic, startingAt(bookinfo(1, 9), (Date.now() - 60_000) * 1000), Date.now()); // dated now: the OTLP path refuses 2019
  const x = await startHarness();
  try {
    const runtime = mkdtempSync(join(dir, 'runtime-'));
    const announce = (protocol: 'segments' | 'otlp') => writeFileSync(join(runtime, `${process.pid}.json`), JSON.stringify({
      pid: process.pid, command: 'stack', receiver: 'http://127.0.0.1:1',
      kafka: { brokers: BROKERS, spansTopic: topic, dlqTopic: `${topic}.dlq` }, xray: { endpoint: x.endpoint, protocol },
    }));
    // an empty XRAY_ENDPOINT is unset, and AWS_REGION without a credential variable is what the stack itself
    // ignored (it kept its xray-local): neither sends replay elsewhere (found by review)
    const env = { MESHRAY_RUNTIME_DIR: runtime, XRAY_ENDPOINT: '', AWS_REGION: 'eu-west-1' };
    announce('segments');
    const r = await runCommand(replay, ['--all'], '', env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`note: like meshray stack \\(pid ${process.pid}\\): exporting to its xray-local at ${x.endpoint.replaceAll('.', '\\.')} \\(--xray-endpoint chooses another\\)\\n`));
    assert.ok(x.store.segmentCount > 0, 'the stack\'s xray-local holds the replayed documents');
    // a stack on the OTLP path: the dry run makes OTLP spans, and says so
    announce('otlp');
    const dry = await runCommand(replay, ['--all', '--dry-run'], '', env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /→ ndjson \(stdout; OTLP spans\)/);
    assert.match(dry.stderr, /as OTLP spans, its EXPORT_PROTOCOL \(--protocol chooses another\)/);
    assert.ok(dry.stdout.trim().split('\n').every((l) => 'resource' in (JSON.parse(l) as object)), 'OTLP spans, not segment documents');
    // told otherwise, it does as told
    const told = await runCommand(replay, ['--all', '--dry-run', '--protocol', 'segments'], '', env);
    assert.match(told.stderr, /→ ndjson \(stdout; segment documents\)/);
    assert.doesNotMatch(told.stderr, /like meshray stack/);
    // an endpoint of the user's own wins over the stack's xray-local
    const elsewhere = await runCommand(replay, ['--all', '--xray-endpoint', 'http://127.0.0.1:1', '--protocol', 'segments', '--max-retries', '0'], '', env);
    assert.match(elsewhere.stderr, /exporting to http:\/\/127\.0\.0\.1:1 /);
    assert.doesNotMatch(elsewhere.stderr, /like meshray stack/);
  } finally {
    await x.close();
  }
});
