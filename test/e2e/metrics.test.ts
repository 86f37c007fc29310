/**
 * Every meshray metric, in each mode: the all-in-one (`meshray start`) and the split services (receiver +
 * translator on the real broker, Redis, xray-local). The same traffic goes to both: a few thousand Bookinfo
 * spans, one malformed body (400), one unsupported media type (Thrift, 415) and one raw body over MAX_BODY_BYTES (413). Each meshray_* metric a mode exposes
 * must have an expectation here (a new metric fails the test until it gets one), and the translation
 * counters must agree between the modes (same spans, same documents).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Span } from '../../shared/core/zipkin/span.ts';
import { encodeSpanJsonV2 } from '../../services/simulator/encode/encode-json-v2.ts';
import { main as startAllInOne } from '../../services/all-in-one/main.ts';
import { startReceiver } from '../../services/receiver/main.ts';
import { main as startTranslator } from '../../services/translator/main.ts';
import { BOOKINFO_SPANS, bookinfoTrace } from '../support/bookinfo.ts';
import { waitFor } from '../support/wait.ts';
import { startXRayLocal } from '../support/xray-local.ts';

const BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const BUFFER_MAX_SPANS = 20_000;
const MAX_BODY_BYTES = 1024 * 1024;
const TRACES = 400;
const TRACES_PER_REQUEST = 25;

/** `TRACES` Bookinfo traces with their own ids (salted per mode so the two runs never share a trace). */
const traffic = (salt: number): Span[][] => Array.from({ length: TRACES }, (_, c) => bookinfoTrace(salt * 100_000 + c + 1));
const SPANS = TRACES * BOOKINFO_SPANS.length;
const REQUESTS = TRACES / TRACES_PER_REQUEST;

async function send(receiverUrl: string, salt: number): Promise<void> {
  const traces = traffic(salt);
  for (let i = 0; i < traces.length; i += TRACES_PER_REQUEST) {
    const body = `[${traces.slice(i, i + TRACES_PER_REQUEST).flat().map(encodeSpanJsonV2).join(',')}]`;
    const res = await fetch(`${receiverUrl}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 202, await res.text());
  }
  const malformed = await fetch(`${receiverUrl}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"traceId": ' });
  assert.equal(malformed.status, 400);
  const unsupported = await fetch(`${receiverUrl}/api/v1/spans`, { method: 'POST', headers: { 'content-type': 'application/x-thrift' }, body: 'hello' });
  assert.equal(unsupported.status, 415);
  const tooLarge = await fetch(`${receiverUrl}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ' '.repeat(MAX_BODY_BYTES + 1) });
  assert.equal(tooLarge.status, 413);
}

interface Sample { readonly labels: Readonly<Record<string, string>>; readonly value: number }
/** Prometheus text → meshray metric family → samples (histograms: `_bucket`, `_sum`, `_count` kept by sample name). */
interface Scrape { readonly families: ReadonlySet<string>; readonly samples: ReadonlyMap<string, readonly Sample[]> }

function parse(text: string): Scrape {
  const families = new Set<string>();
  const samples = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    // prom-client's default process and Node.js metrics carry the prefix too; they are not meshray's counters.
    const type = /^# TYPE (meshray_(?!process_|nodejs_)\S+) /.exec(line);
    if (type?.[1]) families.add(type[1]);
    const m = /^(meshray_[a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m?.[1] || m[3] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) if (l[1] !== undefined && l[2] !== undefined) labels[l[1]] = l[2];
    const list = samples.get(m[1]) ?? [];
    list.push({ labels, value: Number(m[3]) });
    samples.set(m[1], list);
  }
  return { families, samples };
}

const scrape = async (url: string): Promise<Scrape> => parse(await (await fetch(`${url}/metrics`)).text());
const all = (s: Scrape, name: string): readonly Sample[] => s.samples.get(name) ?? [];
const sum = (s: Scrape, name: string, labels: Readonly<Record<string, string>> = {}): number =>
  all(s, name).filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((n, x) => n + x.value, 0);
const labelValues = (s: Scrape, name: string, label: string): string[] =>
  [...new Set(all(s, name).filter((x) => x.value > 0).map((x) => x.labels[label] ?? ''))].sort();

type Mode = 'all-in-one' | 'split';
type Check = (s: Scrape, mode: Mode) => void;

/** Every meshray metric family and what it must read after the traffic, in each mode. */
const EXPECTED: Readonly<Record<string, Check>> = {
  meshray_receiver_spans_received_total: (s) => assert.equal(sum(s, 'meshray_receiver_spans_received_total'), SPANS),
  meshray_receiver_spans_refused_total: (s) => {
    assert.equal(sum(s, 'meshray_receiver_spans_refused_total', { reason: 'body_malformed' }), 1, 'the 400');
    assert.equal(sum(s, 'meshray_receiver_spans_refused_total', { reason: 'unsupported_media_type' }), 1, 'the 415');
    assert.equal(sum(s, 'meshray_receiver_spans_refused_total', { reason: 'body_too_large' }), 1, 'the 413 (refused by fastify before the route)');
    assert.deepEqual(labelValues(s, 'meshray_receiver_spans_refused_total', 'reason'), ['body_malformed', 'body_too_large', 'unsupported_media_type']);
  },
  meshray_receiver_spans_repaired_total: (s) => assert.equal(sum(s, 'meshray_receiver_spans_repaired_total'), 0, 'the fixture has microsecond timestamps'),
  meshray_receiver_spans_published_total: (s) => assert.equal(sum(s, 'meshray_receiver_spans_published_total'), SPANS),
  // Kafka records carry span lists (one per partition per send), the all-in-one's in-process topic its own
  // records: at least one, at most one per span.
  meshray_receiver_records_published_total: (s) => {
    const records = sum(s, 'meshray_receiver_records_published_total');
    assert.ok(records >= 1 && records <= SPANS, `${records} records for ${SPANS} spans`);
  },
  meshray_receiver_spans_dropped_total: (s) => assert.equal(sum(s, 'meshray_receiver_spans_dropped_total'), 0),
  meshray_receiver_connections_dropped_total: (s) => assert.equal(sum(s, 'meshray_receiver_connections_dropped_total'), 0, 'no RECEIVER_MAX_CONNECTIONS set'),
  meshray_receiver_requests_total: (s) => {
    assert.equal(sum(s, 'meshray_receiver_requests_total', { route: '/api/v2/spans', status: '202' }), REQUESTS);
    assert.equal(sum(s, 'meshray_receiver_requests_total', { status: '400' }), 1);
    assert.equal(sum(s, 'meshray_receiver_requests_total', { status: '415' }), 1);
    assert.equal(sum(s, 'meshray_receiver_requests_total', { status: '413' }), 1);
    assert.equal(sum(s, 'meshray_receiver_requests_total'), REQUESTS + 3);
  },
  // Kafka's sendBatch: only the split receiver has one; the all-in-one appends to its in-process topic.
  meshray_receiver_publish_batch_spans: (s, mode) => {
    assert.equal(sum(s, 'meshray_receiver_publish_batch_spans_sum'), mode === 'split' ? SPANS : 0);
    if (mode === 'split') assert.ok(sum(s, 'meshray_receiver_publish_batch_spans_count') >= 1);
  },
  meshray_receiver_publish_duration_seconds: (s, mode) => {
    const calls = sum(s, 'meshray_receiver_publish_duration_seconds_count');
    if (mode === 'split') assert.ok(calls >= 1 && calls === sum(s, 'meshray_receiver_publish_batch_spans_count'));
    else assert.equal(calls, 0);
  },
  meshray_receiver_publish_retries_total: (s) => assert.equal(sum(s, 'meshray_receiver_publish_retries_total'), 0),
  meshray_receiver_buffer_spans: (s) => assert.equal(sum(s, 'meshray_receiver_buffer_spans'), 0, 'everything left the buffer'),
  meshray_receiver_buffer_capacity_spans: (s) => assert.equal(sum(s, 'meshray_receiver_buffer_capacity_spans'), BUFFER_MAX_SPANS),

  meshray_translator_partition_lag: (s) => {
    assert.ok(all(s, 'meshray_translator_partition_lag').length >= 1, 'lag is reported per partition');
    assert.equal(sum(s, 'meshray_translator_partition_lag'), 0);
  },
  meshray_translator_batches_total: (s) => {
    assert.ok(sum(s, 'meshray_translator_batches_total', { outcome: 'committed' }) >= 1);
    assert.deepEqual(labelValues(s, 'meshray_translator_batches_total', 'outcome'), ['committed']);
  },
  // The all-in-one's in-process topic holds one span per record; through Kafka a span-list record carries
  // the spans of one send for one partition, so records are at most the spans.
  meshray_translator_records_total: (s) => {
    const records = sum(s, 'meshray_translator_records_total');
    assert.ok(records >= 1 && records <= SPANS, `${records} records for ${SPANS} spans`);
    assert.equal(sum(s, 'meshray_translator_records_total', { protocol: 'segments' }), records);
  },
  meshray_translator_spans_translated_total: (s) => assert.equal(sum(s, 'meshray_translator_spans_translated_total'), SPANS),
  meshray_translator_spans_rejected_total: (s) => assert.equal(sum(s, 'meshray_translator_spans_rejected_total'), 0),
  meshray_translator_epoch_rewrites_total: (s) => assert.ok(sum(s, 'meshray_translator_epoch_rewrites_total') >= TRACES, 'the fixture\'s implausible epoch is rewritten'),
  meshray_translator_metadata_trimmed_total: (s) => assert.equal(sum(s, 'meshray_translator_metadata_trimmed_total'), 0),
  meshray_translator_kind_repaired_total: (s) => assert.ok(sum(s, 'meshray_translator_kind_repaired_total') >= 0),
  meshray_translator_redis_fallbacks_total: (s) => assert.equal(sum(s, 'meshray_translator_redis_fallbacks_total'), 0),
  meshray_translator_put_calls_total: (s) => {
    assert.ok(sum(s, 'meshray_translator_put_calls_total', { outcome: 'ok' }) >= 1);
    assert.deepEqual(labelValues(s, 'meshray_translator_put_calls_total', 'outcome'), ['ok']);
  },
  // PACKING=on (the default): a document carries a service hop; Bookinfo's hops are far below 64 KB, none split.
  meshray_translator_documents_exported_total: (s) =>
    assert.equal(sum(s, 'meshray_translator_documents_exported_total'), sum(s, 'meshray_translator_documents_per_call_sum')),
  meshray_translator_documents_not_resent_total: (s) => assert.equal(sum(s, 'meshray_translator_documents_not_resent_total'), 0, 'each span was delivered once'),
  meshray_translator_subsegments_split_total: (s) => assert.equal(sum(s, 'meshray_translator_subsegments_split_total'), 0),
  meshray_translator_documents_per_call: (s) => {
    // packed: fewer documents than spans (Bookinfo's 8 spans make 5 hop documents when a trace is packed whole)
    assert.ok(sum(s, 'meshray_translator_documents_per_call_sum') >= SPANS / 2);
    assert.ok(sum(s, 'meshray_translator_documents_per_call_sum') < SPANS, 'PACKING=on by default: fewer documents than spans');
    assert.equal(sum(s, 'meshray_translator_documents_per_call_count'), sum(s, 'meshray_translator_put_calls_total'));
  },
  meshray_translator_throttles_total: (s) => assert.equal(sum(s, 'meshray_translator_throttles_total'), 0),
  meshray_translator_unprocessed_segments_total: (s) => assert.equal(sum(s, 'meshray_translator_unprocessed_segments_total'), 0),
  meshray_translator_dead_letters_total: (s) => assert.equal(sum(s, 'meshray_translator_dead_letters_total'), 0),
  // EXPORT_PROTOCOL=segments in both modes: no OTLP request; the pipeline's counters say which protocol.
  meshray_translator_otlp_requests_total: (s) => assert.equal(sum(s, 'meshray_translator_otlp_requests_total'), 0),
  // ASSEMBLY=on (the default, split translator only): after the drain nothing is held, every trace left the
  // window once (all its spans were sent together, so none left early or late).
  meshray_translator_assembly_traces: (s) => assert.equal(sum(s, 'meshray_translator_assembly_traces'), 0),
  meshray_translator_assembly_spans: (s) => assert.equal(sum(s, 'meshray_translator_assembly_spans'), 0),
  meshray_translator_assembly_oldest_age_seconds: (s) => assert.equal(sum(s, 'meshray_translator_assembly_oldest_age_seconds'), 0),
  meshray_translator_assembly_flushed_traces_total: (s) => {
    assert.deepEqual(labelValues(s, 'meshray_translator_assembly_flushed_traces_total', 'reason'), ['idle']);
    assert.equal(sum(s, 'meshray_translator_assembly_flushed_traces_total'), TRACES);
  },
  meshray_translator_assembly_late_spans_total: (s) => assert.equal(sum(s, 'meshray_translator_assembly_late_spans_total'), 0),
  meshray_translator_assembly_refused_batches_total: (s) => assert.equal(sum(s, 'meshray_translator_assembly_refused_batches_total'), 0, 'no batch refused: the window never reached ASSEMBLY_MAX_SPANS and every export finished'),
  meshray_translator_consumer_rebuilds_total: (s) => assert.equal(sum(s, 'meshray_translator_consumer_rebuilds_total'), 0, 'no consumer was replaced'),
};

/** Families only the split translator exposes: the all-in-one has no assembly window (it packs per batch). */
const SPLIT_ONLY = new Set([
  'meshray_translator_assembly_traces', 'meshray_translator_assembly_spans', 'meshray_translator_assembly_oldest_age_seconds',
  'meshray_translator_assembly_flushed_traces_total', 'meshray_translator_assembly_late_spans_total',
  'meshray_translator_assembly_refused_batches_total',
]);

/**
 * Counters the same spans must move the same way in both modes (the pipeline is the same). Not the documents
 * per call: the split translator packs whole traces (assembly window), the all-in-one what one batch holds.
 */
const SAME_IN_BOTH = [
  'meshray_translator_spans_translated_total', 'meshray_translator_epoch_rewrites_total', 'meshray_translator_kind_repaired_total',
  'meshray_translator_metadata_trimmed_total',
  'meshray_receiver_spans_received_total', 'meshray_receiver_spans_published_total', 'meshray_receiver_spans_refused_total',
];

function checkEvery(mode: Mode, scrapes: readonly Scrape[]): Scrape {
  const merged: Scrape = {
    families: new Set(scrapes.flatMap((s) => [...s.families])),
    samples: new Map(scrapes.flatMap((s) => [...s.samples])),
  };
  const unexpected = [...merged.families].filter((f) => !(f in EXPECTED));
  assert.deepEqual(unexpected, [], `${mode}: metrics without an expectation in this test`);
  for (const [family, check] of Object.entries(EXPECTED)) {
    if (mode === 'all-in-one' && SPLIT_ONLY.has(family)) {
      assert.ok(!merged.families.has(family), `${mode} has no assembly window, yet exposes ${family}`);
      continue;
    }
    assert.ok(merged.families.has(family), `${mode} exposes ${family}`);
    try {
      check(merged, mode);
    } catch (e) {
      throw new Error(`${mode}: ${family}: ${(e as Error).message}`);
    }
  }
  return merged;
}

/** Waits until everything sent was exported (every span translated, buffers and lag drained). */
async function drained(urls: readonly string[]): Promise<Scrape[]> {
  let last = 'no scrape yet';
  return waitFor('every span exported', 120_000, async () => {
    const scrapes = await Promise.all(urls.map(scrape));
    const merged = new Map(scrapes.flatMap((s) => [...s.samples]));
    const s: Scrape = { families: new Set(), samples: merged };
    const [translated, buffered, lag] = ['meshray_translator_spans_translated_total', 'meshray_receiver_buffer_spans', 'meshray_translator_partition_lag'].map((f) => sum(s, f));
    last = `translated ${String(translated)} of ${SPANS}, receiver buffer ${String(buffered)}, partition lag ${String(lag)}`;
    return translated === SPANS && buffered === 0 && lag === 0 ? scrapes : undefined;
  }, { describe: () => last });
}

const results = new Map<Mode, Scrape>();

test('all-in-one: every meshray metric after thousands of spans, a 400, a 415 and a 413', { timeout: 180_000 }, async () => {
  const running = await startAllInOne({
    LOG_LEVEL: 'silent', RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1', XRAY_LOCAL_PORT: '0', XRAY_LOCAL_HOST: '127.0.0.1',
    BUFFER_MAX_SPANS: String(BUFFER_MAX_SPANS), MAX_BODY_BYTES: String(MAX_BODY_BYTES),
  });
  try {
    const url = `http://127.0.0.1:${(running.receiver.server.address() as AddressInfo).port}`;
    await send(url, 1);
    const [s] = await drained([url]);
    results.set('all-in-one', checkEvery('all-in-one', [s!]));
  } finally {
    await running.close();
  }
});

/**
 * A receiver and a translator (its extra env: `translatorEnv`) on a topic of their own with xray-local; the
 * traffic of `salt` is sent, then `check` runs with their URLs. Everything is stopped after.
 */
async function withSplit(translatorEnv: Record<string, string>, salt: number, check: (receiverUrl: string, translatorUrl: string) => Promise<void>): Promise<void> {
  const topic = `e2e-metrics-${randomUUID().slice(0, 8)}`;
  const xray = await startXRayLocal();
  const receiver = await startReceiver({
    LOG_LEVEL: 'silent', KAFKA_BROKERS: BROKERS, SPANS_TOPIC: topic, RECEIVER_PORT: '0', RECEIVER_HOST: '127.0.0.1',
    BUFFER_MAX_SPANS: String(BUFFER_MAX_SPANS), MAX_BODY_BYTES: String(MAX_BODY_BYTES), SPANS_TOPIC_PARTITIONS: '3',
  });
  let translator: Awaited<ReturnType<typeof startTranslator>> | undefined;
  try {
    const receiverUrl = `http://127.0.0.1:${(receiver.app.server.address() as AddressInfo).port}`;
    await waitFor('receiver ready', 60_000, async () => (await fetch(`${receiverUrl}/health/ready`)).ok);
    translator = await startTranslator({
      LOG_LEVEL: 'silent', KAFKA_BROKERS: BROKERS, REDIS_URL, SPANS_TOPIC: topic, DLQ_TOPIC: `${topic}.dlq`,
      TRANSLATOR_GROUP_ID: `${topic}-group`, OPS_HOST: '127.0.0.1', TRANSLATOR_OPS_PORT: '0', XRAY_ENDPOINT: xray.endpoint,
      ...translatorEnv,
    });
    await send(receiverUrl, salt);
    await check(receiverUrl, `http://127.0.0.1:${translator.opsPort}`);
  } finally {
    await translator?.close();
    await receiver.stop();
    await xray.close();
  }
}

test('split receiver + translator: every meshray metric after the same traffic', { timeout: 180_000 }, async () => {
  await withSplit({}, 2, async (receiverUrl, translatorUrl) => {
    const scrapes = await drained([receiverUrl, translatorUrl]);
    results.set('split', checkEvery('split', scrapes));
  });
});

/**
 * Metrics only a translator with ASSEMBLY=on and SAMPLING=on exposes (off by default in both modes above):
 * the same traffic through a split translator whose budget is large enough to keep every trace.
 */
const EXPECTED_WITH_SAMPLING: Readonly<Record<string, Check>> = {
  meshray_translator_assembly_traces: (s) => assert.equal(sum(s, 'meshray_translator_assembly_traces'), 0, 'every trace left the window'),
  meshray_translator_assembly_spans: (s) => assert.equal(sum(s, 'meshray_translator_assembly_spans'), 0),
  meshray_translator_assembly_oldest_age_seconds: (s) => assert.equal(sum(s, 'meshray_translator_assembly_oldest_age_seconds'), 0),
  // One per trace (a span-list record's traces are held apart: recordsByTraceOf), each whole in one request.
  meshray_translator_assembly_flushed_traces_total: (s) => {
    assert.deepEqual(labelValues(s, 'meshray_translator_assembly_flushed_traces_total', 'reason'), ['idle']);
    assert.equal(sum(s, 'meshray_translator_assembly_flushed_traces_total'), TRACES, 'every trace went through the window once');
  },
  meshray_translator_assembly_late_spans_total: (s) => assert.equal(sum(s, 'meshray_translator_assembly_late_spans_total'), 0),
  meshray_translator_assembly_refused_batches_total: (s) => assert.equal(sum(s, 'meshray_translator_assembly_refused_batches_total'), 0, 'no batch refused: the window never reached ASSEMBLY_MAX_SPANS and every export finished'),
  // Every span decided once; the budget keeps everything.
  meshray_translator_sampling_spans_total: (s) => {
    assert.equal(sum(s, 'meshray_translator_sampling_spans_total'), SPANS);
    assert.equal(sum(s, 'meshray_translator_sampling_spans_total', { decision: 'kept' }), SPANS);
  },
  meshray_translator_sampling_rate: (s) => {
    assert.ok(all(s, 'meshray_translator_sampling_rate').length >= 2, 'one rate per service');
    assert.ok(all(s, 'meshray_translator_sampling_rate').every((x) => x.value === 1), 'everything kept');
  },
  meshray_translator_sampling_adaptive_rate: (s) => assert.equal(sum(s, 'meshray_translator_sampling_adaptive_rate'), 1),
  meshray_translator_sampling_budget_fallbacks_total: (s) => assert.equal(sum(s, 'meshray_translator_sampling_budget_fallbacks_total'), 0, 'Redis answered'),
};

test('split translator with ASSEMBLY=on and SAMPLING=on: the window and sampling metrics after the same traffic', { timeout: 180_000 }, async () => {
  const env = { ASSEMBLY: 'on', ASSEMBLY_IDLE: '1s', SAMPLING: 'on', XRAY_SEGMENTS_PER_SECOND: '1000000' };
  await withSplit(env, 3, async (_receiverUrl, translatorUrl) => {
    // (the lag gauge is refreshed per fetched batch: with held records it lags behind the window's commits)
    const s = await waitFor('every span exported and the window empty', 120_000, async () => {
      const t = await scrape(translatorUrl);
      return sum(t, 'meshray_translator_spans_translated_total') === SPANS && sum(t, 'meshray_translator_assembly_spans') === 0 ? t : undefined;
    }, { describe: async () => { const t = await scrape(translatorUrl); return `translated ${sum(t, 'meshray_translator_spans_translated_total')} of ${SPANS}, held ${sum(t, 'meshray_translator_assembly_spans')}`; } });
    const unexpected = [...s.families].filter((f) => !(f in EXPECTED) && !(f in EXPECTED_WITH_SAMPLING));
    assert.deepEqual(unexpected, [], 'metrics without an expectation in this test');
    for (const [family, check] of Object.entries(EXPECTED_WITH_SAMPLING)) {
      assert.ok(s.families.has(family), `exposes ${family}`);
      try {
        check(s, 'split');
      } catch (e) {
        throw new Error(`${family}: ${(e as Error).message}`);
      }
    }
  });
});

test('both modes moved the translation and receiver counters alike', () => {
  const a = results.get('all-in-one');
  const b = results.get('split');
  assert.ok(a && b, 'both modes ran');
  for (const name of SAME_IN_BOTH) assert.equal(sum(a, name), sum(b, name), `${name}: same traffic, same value in both modes`);
});
