import { Registry } from 'prom-client';
import { encodeSpan, encodeSpanItems, SPAN_SCHEMA_FINGERPRINT } from '../../../../shared/core/avro/span-codec.ts';
import { toSpanListRecord } from '../../../../shared/core/span-record/record.ts';
import { SPAN_SCHEMA_HEADER } from '../../../../shared/core/span-record/headers.ts';
import { silentLogger } from '../../../../shared/edge/log/index.ts';
import { InProcessTopic, type TopicRecord } from '../../../../shared/edge/transport/index.ts';
import { DEFAULT_TRANSLATOR_CONFIG, type TranslatorConfig } from '../../../../shared/core/xray/index.ts';
import type { Span } from '../../../../shared/core/zipkin/span.ts';
import { buildApp, type TranslatorApp } from '../../../../services/translator/app.ts';
import { InProcessSpanSource } from '../../../../services/translator/consume/in-process-span-source.ts';
import type { SharedEpochStore } from '../../../../services/translator/epochs/shared-epoch-store.ts';
import { InProcessDeadLetterSink } from '../../../../services/translator/export/dead-letter.ts';
import type { PutOutcome, SegmentSink } from '../../../../services/translator/export/segment-sink.ts';
import type { OtlpSpanSink } from '../../../../services/translator/export/otlp-span-sink.ts';
import { ConsumerHealth } from '../../../../services/translator/health.ts';
import { createTranslatorMetrics } from '../../../../services/translator/metrics.ts';

/** A SERVER span of trace `traceId` (32 hex), started now. */
export function spanOf(traceId: string, id: string, nowMs: number): Span {
  return {
    traceId, id, kind: 'SERVER', name: 'get /', timestampMicros: nowMs * 1000, durationMicros: 1500,
    localEndpoint: { serviceName: 'reviews' }, annotations: [], tags: { 'http.method': 'GET', 'http.status_code': '200' },
  };
}

export function recordOf(span: Span): TopicRecord {
  return { key: span.traceId.slice(-16), value: encodeSpan(span), headers: { [SPAN_SCHEMA_HEADER]: SPAN_SCHEMA_FINGERPRINT }, timestampMs: 0 };
}

/** A span-list record (v2, as the receiver writes) of `spans`, keyless like the receiver's. */
export function listRecordOf(spans: readonly Span[]): TopicRecord {
  return toSpanListRecord([encodeSpanItems(spans)], spans.length, 0);
}

export const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** A sink whose answers the test scripts; records every call. */
export class FakeSink implements SegmentSink {
  readonly calls: string[][] = [];
  readonly accepted: string[] = [];
  constructor(readonly answer: (documents: readonly string[], call: number) => PutOutcome = () => ({ rejected: [] })) {}
  async put(documents: readonly string[]): Promise<PutOutcome> {
    this.calls.push([...documents]);
    const outcome = this.answer(documents, this.calls.length);
    const refused = new Set([...outcome.rejected.map((r) => r.index), ...(outcome.unfinished?.indices ?? [])]);
    documents.forEach((d, i) => { if (!refused.has(i)) this.accepted.push(d); });
    return outcome;
  }
}

export interface Harness {
  readonly topic: InProcessTopic;
  readonly app: TranslatorApp;
  readonly dlq: InProcessDeadLetterSink;
  readonly registry: Registry;
  readonly health: ConsumerHealth;
}

/** `sink`: the segments path; `otlpSink`: EXPORT_PROTOCOL=otlp. */
export function harness(options: { sink?: SegmentSink; otlpSink?: OtlpSpanSink; partitions?: number; poisonMaxAttempts?: number; sharedEpochs?: SharedEpochStore; translatorConfig?: TranslatorConfig }): Harness {
  const topic = new InProcessTopic({ name: 'spans', partitions: options.partitions ?? 2, maxRecords: 10_000 });
  const registry = new Registry();
  const metrics = createTranslatorMetrics(registry);
  const logger = silentLogger();
  const health = new ConsumerHealth({ stallTimeoutMs: 60_000, now: Date.now });
  const dlq = new InProcessDeadLetterSink({ maxRecords: 100 });
  const source = new InProcessSpanSource({ topic, partitionsConcurrency: 2, maxBatch: 100, logger, health, metrics, pollMs: 20 });
  const app = buildApp({
    translatorConfig: options.translatorConfig ?? DEFAULT_TRANSLATOR_CONFIG, poisonMaxAttempts: options.poisonMaxAttempts ?? 3, logger, registry, metrics, health,
    source, ...(options.otlpSink ? { protocol: 'otlp' as const, sink: options.otlpSink } : { sink: options.sink ?? new FakeSink() }), deadLetters: dlq, clock: Date.now, failurePauseMs: 5,
    ...(options.sharedEpochs ? { sharedEpochs: options.sharedEpochs } : {}),
  });
  return { topic, app, dlq, registry, health };
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  let sum = 0;
  for (const v of metric?.values ?? []) {
    if (Object.entries(labels).every(([k, l]) => String((v.labels as Record<string, unknown>)[k]) === l)) sum += v.value;
  }
  return sum;
}
