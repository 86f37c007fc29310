/**
 * Independent check of meshray's OTLP request bytes: the vendored opentelemetry-proto files are loaded
 * here with protobufjs (not the embedded descriptor shared/core/otlp encodes with), the Bookinfo request body
 * is decoded with them, and the result is checked against the OTLP specification: trace ids 16 bytes and
 * span ids 8 bytes (trace.proto `Span.trace_id` / `span_id`), kinds SERVER = 2 / CLIENT = 3 (`SpanKind`),
 * fixed64 nanosecond times with end ≥ start, `http.response.status_code` an int64 `AnyValue`,
 * `service.name` on every resource (semconv: required resource attribute), status codes within
 * `StatusCode`. The OTLP/JSON body is checked to be the same message.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { translateToOtlp, encodeExportRequestJson } from '../../../../../shared/core/otlp/index.ts';
import { BOOKINFO_NOW_MS, bookinfoSpans } from './support.ts';

const protoDir = fileURLToPath(new URL('../../../../../shared/core/otlp/proto/', import.meta.url));

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => `${protoDir}${target}`;
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  root.resolveAll();
  return root;
}

const root = loadRoot();
const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

interface DecodedValue { stringValue?: string; intValue?: string; boolValue?: boolean; arrayValue?: unknown }
interface DecodedSpan {
  traceId: Uint8Array; spanId: Uint8Array; parentSpanId?: Uint8Array; kind: number; name: string;
  startTimeUnixNano: string; endTimeUnixNano: string; flags?: number;
  attributes: { key: string; value: DecodedValue }[]; status?: { code?: number };
}
interface DecodedRequest {
  resourceSpans: { resource: { attributes: { key: string; value: DecodedValue }[] }; scopeSpans: { scope: { name: string }; spans: DecodedSpan[] }[] }[];
}

describe('OTLP request bytes, decoded with the separately loaded opentelemetry-proto', () => {
  const input = bookinfoSpans();
  const out = translateToOtlp(input, { nowMs: BOOKINFO_NOW_MS });
  const body = out.batches[0]?.body ?? new Uint8Array();
  const decoded = Request.toObject(Request.decode(body), { longs: String, enums: Number, defaults: true, arrays: true }) as DecodedRequest;
  const spans = decoded.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ rs, span }))));

  it('keeps the embedded descriptor in step with the .proto files', () => {
    const embedded: unknown = JSON.parse(readFileSync(`${protoDir}otlp-trace-descriptor.json`, 'utf8'));
    assert.deepEqual(embedded, JSON.parse(JSON.stringify(root.toJSON())));
  });

  it('holds every span, with ids of the sizes trace.proto requires', () => {
    assert.equal(spans.length, input.length);
    for (const { span } of spans) {
      assert.equal(span.traceId.length, 16);
      assert.equal(span.spanId.length, 8);
      assert.ok(span.parentSpanId === undefined || span.parentSpanId.length === 0 || span.parentSpanId.length === 8);
      assert.ok(Buffer.from(span.traceId).some((b) => b !== 0));
    }
    assert.deepEqual(new Set(spans.map(({ span }) => Buffer.from(span.spanId).toString('hex'))), new Set(input.map((s) => s.id)));
  });

  it('has SpanKind SERVER for inbound and CLIENT for outbound spans', () => {
    for (const { span } of spans) {
      const source = input.find((s) => s.id === Buffer.from(span.spanId).toString('hex'));
      const cluster = source?.tags['upstream_cluster'] ?? '';
      assert.equal(span.kind, cluster.startsWith('inbound|') ? 2 : 3, cluster);
    }
  });

  it('has nanosecond fixed64 times with end >= start', () => {
    for (const { span } of spans) {
      assert.match(span.startTimeUnixNano, /^\d{19}$/);
      assert.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano));
    }
  });

  it('has integer HTTP statuses, service.name on every resource, and valid status codes', () => {
    for (const { rs, span } of spans) {
      const status = span.attributes.find((a) => a.key === 'http.response.status_code');
      assert.equal(status?.value.intValue, '200');
      assert.equal(status?.value.stringValue ?? '', '');
      assert.ok(rs.resource.attributes.some((a) => a.key === 'service.name' && (a.value.stringValue ?? '').length > 0));
      assert.ok([0, 1, 2].includes(span.status?.code ?? 0));
    }
  });

  it('encodes the same message as OTLP/JSON (hex ids)', () => {
    const request = out.batches[0]!.request;
    const json = JSON.parse(encodeExportRequestJson(request)) as typeof request;
    const withBytes = {
      resourceSpans: json.resourceSpans.map((rs) => ({
        ...rs,
        scopeSpans: rs.scopeSpans.map((ss) => ({
          ...ss,
          spans: ss.spans.map((s) => ({ ...s, traceId: Buffer.from(s.traceId, 'hex'), spanId: Buffer.from(s.spanId, 'hex'), ...(s.parentSpanId ? { parentSpanId: Buffer.from(s.parentSpanId, 'hex') } : {}) })),
        })),
      })),
    };
    assert.deepEqual(Buffer.from(Request.encode(Request.fromObject(withBytes)).finish()), Buffer.from(body));
  });
});
