/**
 * Decodes an OTLP/HTTP trace export body (OTLP specification, "OTLP/HTTP Request": binary protobuf
 * `application/x-protobuf` or JSON `application/json`, optionally `Content-Encoding: gzip`) into the
 * OTLP/JSON object form: lowerCamelCase, trace/span ids as lowercase hex, 64-bit integers as decimal
 * strings, enums as numbers. JSON bodies go through the same protobuf type (`fromObject`), so both
 * encodings are checked against one schema.
 */
import { gunzipSync } from 'node:zlib';
import { ExportTraceServiceRequestType, TO_OBJECT } from './otlp-schema.ts';

export type OtlpEncoding = 'protobuf' | 'json';

/** An attribute value in OTLP/JSON form. */
export interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
  kvlistValue?: { values?: JsonKeyValue[] };
  bytesValue?: number[] | string;
}

export interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}

export interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: JsonKeyValue[];
  events?: { timeUnixNano?: string; name?: string; attributes?: JsonKeyValue[] }[];
  status?: { code?: number; message?: string };
  [other: string]: unknown;
}

export interface JsonResourceSpans {
  resource?: { attributes?: JsonKeyValue[] };
  scopeSpans?: { scope?: { name?: string; version?: string }; spans?: JsonSpan[]; schemaUrl?: string }[];
  schemaUrl?: string;
}

export interface JsonExportRequest {
  resourceSpans?: JsonResourceSpans[];
}

export type Decoded = { ok: true; request: JsonExportRequest; encoding: OtlpEncoding } | { ok: false; status: 400 | 413 | 415; message: string };

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function hexToBytes(hex: string, path: string): Uint8Array {
  if (!HEX.test(hex)) throw new TypeError(`${path}: must be hex-encoded (OTLP/JSON encodes ids as hex, not base64)`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

const toHex = (bytes: unknown): string | undefined =>
  Array.isArray(bytes) || bytes instanceof Uint8Array ? Buffer.from(bytes as number[]).toString('hex') : undefined;

/** The JSON request with ids as bytes, as protobufjs' fromObject reads them. */
function idsToBytes(json: unknown): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new TypeError('the body must be a JSON object (ExportTraceServiceRequest)');
  const request = json as { resourceSpans?: unknown };
  if (request.resourceSpans === undefined) return json;
  if (!Array.isArray(request.resourceSpans)) throw new TypeError('resourceSpans: array expected');
  return {
    ...request,
    resourceSpans: request.resourceSpans.map((rs: unknown, r: number) => {
      const scopeSpans = (rs as { scopeSpans?: unknown })?.scopeSpans;
      if (scopeSpans === undefined) return rs;
      if (!Array.isArray(scopeSpans)) throw new TypeError(`resourceSpans[${r}].scopeSpans: array expected`);
      return {
        ...(rs as object),
        scopeSpans: scopeSpans.map((ss: unknown, s: number) => {
          const spans = (ss as { spans?: unknown })?.spans;
          if (spans === undefined) return ss;
          if (!Array.isArray(spans)) throw new TypeError(`resourceSpans[${r}].scopeSpans[${s}].spans: array expected`);
          return {
            ...(ss as object),
            spans: spans.map((span: unknown, i: number) => {
              const at = `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`;
              if (span === null || typeof span !== 'object') throw new TypeError(`${at}: object expected`);
              const out: Record<string, unknown> = { ...(span as object) };
              for (const key of ['traceId', 'spanId', 'parentSpanId']) {
                const value = out[key];
                if (value === undefined || value === '') delete out[key];
                else if (typeof value !== 'string') throw new TypeError(`${at}.${key}: hex string expected`);
                else out[key] = hexToBytes(value, `${at}.${key}`);
              }
              return out;
            }),
          };
        }),
      };
    }),
  };
}

/** The decoded message as OTLP/JSON (ids as hex). */
function toJson(message: unknown): JsonExportRequest {
  const object = ExportTraceServiceRequestType.toObject(message as never, TO_OBJECT) as JsonExportRequest;
  for (const rs of object.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        const s = span as Record<string, unknown>;
        for (const key of ['traceId', 'spanId', 'parentSpanId']) {
          const hex = toHex(s[key]);
          if (hex === undefined || hex === '') delete s[key];
          else s[key] = hex;
        }
      }
    }
  }
  return object;
}

export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

/**
 * `maxBytes`: the largest uncompressed body accepted (the CloudWatch OTLP endpoint's 5 MB); a bigger
 * one (after gunzip) is answered 413.
 */
export function decodeExportRequest(body: Buffer, contentType: string | undefined, contentEncoding: string | undefined, maxBytes: number): Decoded {
  const encoding = encodingOf(contentType);
  if (encoding === undefined) return { ok: false, status: 415, message: `unsupported Content-Type ${JSON.stringify(contentType ?? '')}: OTLP/HTTP takes application/x-protobuf or application/json` };
  let bytes = body;
  const coding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (coding === 'gzip') {
    try {
      bytes = gunzipSync(body, { maxOutputLength: maxBytes + 1 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || (error as Error).message.includes('Cannot create a Buffer larger')) {
        return { ok: false, status: 413, message: `uncompressed request exceeds ${maxBytes} bytes (the OTLP endpoint's 5 MB limit)` };
      }
      return { ok: false, status: 400, message: `Content-Encoding gzip, but the body is not gzip: ${(error as Error).message}` };
    }
  } else if (coding !== 'identity' && coding !== '') {
    return { ok: false, status: 415, message: `unsupported Content-Encoding ${JSON.stringify(contentEncoding)}: gzip or none` };
  }
  if (bytes.length > maxBytes) return { ok: false, status: 413, message: `uncompressed request is ${bytes.length} bytes, more than ${maxBytes} (the OTLP endpoint's 5 MB limit)` };
  try {
    if (encoding === 'protobuf') return { ok: true, encoding, request: toJson(ExportTraceServiceRequestType.decode(bytes)) };
    const parsed: unknown = bytes.length === 0 ? {} : JSON.parse(bytes.toString('utf8'));
    return { ok: true, encoding, request: toJson(ExportTraceServiceRequestType.fromObject(idsToBytes(parsed) as Record<string, unknown>)) };
  } catch (error) {
    return { ok: false, status: 400, message: `malformed ${encoding === 'protobuf' ? 'protobuf' : 'JSON'} ExportTraceServiceRequest: ${(error as Error).message}` };
  }
}
