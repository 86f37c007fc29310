/**
 * Property: any span that satisfies the model yields only documents that pass the validator
 * (official schema + X-Ray's unwritten rules + 64 KB), and translation never throws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { anyText as anyCodePoints } from '../../../../support/arbitraries.ts';
import type { Annotation, Endpoint, Span, SpanKind } from '../../../../../shared/core/zipkin/span.ts';
import { translateSpans } from '../../../../../shared/core/xray/translate.ts';
import { DEFAULT_ANNOTATION_ALLOWLIST, DEFAULT_TRANSLATOR_CONFIG } from '../../../../../shared/core/xray/config.ts';
import type { EpochPolicy } from '../../../../../shared/core/xray/config.ts';
import { MemoryEpochStore } from '../../../../../shared/core/xray/epoch-store.ts';
import { validateSegmentJson } from '../../../../../shared/core/xray/validate.ts';
import { formatIssues } from '../../../../../shared/core/result/result.ts';
import { FAILURE_RESPONSE_FLAGS } from '../../../../../shared/core/xray/flags.ts';

const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const anyText = fc.oneof(fc.string(), anyCodePoints(), fc.string({ unit: 'grapheme', maxLength: 300 }));
const kind = fc.constantFrom<SpanKind>('CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER');
const micros = fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1_500_000_000_000_000, max: 1_800_000_000_000_000 }));

const endpoint: fc.Arbitrary<Endpoint> = fc.record(
  { serviceName: anyText, ipv4: fc.ipV4(), ipv6: fc.ipV6(), port: fc.integer({ min: 0, max: 65535 }) },
  { requiredKeys: [] },
);

const flagNames = Object.keys(FAILURE_RESPONSE_FLAGS);
const knownTag = fc.oneof(
  fc.tuple(fc.constant('http.status_code'), fc.oneof(fc.integer({ min: 0, max: 999 }).map(String), anyText)),
  fc.tuple(fc.constant('response_flags'), fc.oneof(fc.constant('-'), fc.subarray(flagNames, { minLength: 1 }).map((f) => f.join(',')), anyText)),
  fc.tuple(fc.constant('upstream_cluster'), fc.oneof(fc.constant('inbound|9080||'), hex(4).map((h) => `outbound|9080||${h}.default.svc.cluster.local`), anyText)),
  fc.tuple(fc.constantFrom('http.url', 'http.method', 'user_agent', 'peer.address', 'response_size', 'error', 'node_id', 'istio.canonical_service', 'istio.namespace'), anyText),
  fc.tuple(fc.constantFrom(...DEFAULT_ANNOTATION_ALLOWLIST), anyText),
  fc.tuple(anyText, anyText),
);
const tags = fc.array(knownTag, { maxLength: 25 }).map((entries) => {
  const out: Record<string, string> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
});
const annotation: fc.Arbitrary<Annotation> = fc.record({ timestampMicros: micros, value: anyText });

const span: fc.Arbitrary<Span> = fc
  .record(
    {
      traceId: fc.oneof(hex(16), hex(32)),
      id: hex(16),
      parentId: hex(16),
      kind,
      name: anyText,
      timestampMicros: micros,
      durationMicros: fc.integer({ min: 0, max: 10 ** 12 }),
      localEndpoint: endpoint,
      remoteEndpoint: endpoint,
      annotations: fc.array(annotation, { maxLength: 4 }),
      tags,
      debug: fc.boolean(),
      shared: fc.boolean(),
    },
    { requiredKeys: ['traceId', 'id', 'annotations', 'tags'] },
  )
  .map((s) => {
    if (s.parentId === s.id) {
      const { parentId: _drop, ...rest } = s;
      return rest;
    }
    return s;
  });

/** Spans of few traces and ids, so batches contain shared ids, parents and children, mixed id widths. */
const batch = fc.array(span, { maxLength: 12 }).chain((spans) =>
  fc.tuple(fc.constant(spans), fc.array(fc.nat(), { minLength: spans.length, maxLength: spans.length })).map(([ss, picks]) =>
    ss.map((s, i) => {
      const pick = picks[i] ?? 0;
      const donor = ss[pick % ss.length] as Span;
      return pick % 3 === 0 ? { ...s, traceId: donor.traceId.slice(-16), ...(pick % 2 === 0 ? { id: donor.id } : {}) } : s;
    }),
  ),
);

test('any valid spans → only valid documents, never a throw', () => {
  fc.assert(
    fc.property(
      batch,
      fc.constantFrom<EpochPolicy>('auto', 'rewrite', 'preserve'),
      fc.integer({ min: 0, max: 4_102_444_800_000 }),
      fc.constantFrom(64 * 1024, 3000),
      (spans, epochPolicy, nowMs, maxDocumentBytes) => {
        const output = translateSpans(spans, {
          config: { ...DEFAULT_TRANSLATOR_CONFIG, epochPolicy, maxDocumentBytes },
          nowMs,
          epochs: new MemoryEpochStore(),
        });
        for (const doc of output.documents) {
          const result = validateSegmentJson(doc.json);
          assert.ok(result.ok, result.ok ? '' : `${formatIssues(result.issues)}\n${doc.json.slice(0, 1000)}`);
          assert.equal(result.value.id, doc.segmentId);
          assert.equal(result.value.trace_id, doc.traceId);
          assert.ok(Buffer.byteLength(doc.json) <= maxDocumentBytes);
          // The hand-written serializer writes exactly what JSON.stringify writes (order, escapes, numbers).
          assert.equal(doc.json, JSON.stringify(JSON.parse(doc.json)));
        }
        const accountedFor = new Set([...output.documents.map((d) => d.spanIndex), ...output.rejected.map((r) => r.spanIndex)]);
        assert.equal(accountedFor.size, spans.length, 'every span is either translated or rejected');
      },
    ),
    { numRuns: Number(process.env.FC_RUNS ?? 250) },
  );
});

test('translation is deterministic for any input', () => {
  fc.assert(
    fc.property(batch, (spans) => {
      const run = () => translateSpans(spans, { config: DEFAULT_TRANSLATOR_CONFIG, nowMs: 1_700_000_000_000, epochs: new MemoryEpochStore() });
      assert.deepEqual(run(), run());
    }),
    { numRuns: 100 },
  );
});
