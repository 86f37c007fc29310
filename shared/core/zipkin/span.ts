/**
 * meshray's one internal span model. Zipkin v2 JSON, v2 protobuf and v1 JSON all decode into it,
 * the Avro record on the span topic mirrors it, and the X-Ray translator reads only this.
 */
export type SpanKind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';

/**
 * The largest microseconds value (`timestampMicros`, `durationMicros`, an annotation's) a span carries:
 * 2^53 − 2, the largest |long| the Avro span record's writer takes (avsc's long type; shared/core/avro/
 * span-writer.ts), so that every span a decoder accepts can be published. Zipkin's own limit is Java's
 * long; a value beyond this one is refused by the decoders, never passed on to fail at encoding.
 */
export const MAX_SPAN_MICROS = 9_007_199_254_740_990;

export interface Endpoint {
  readonly serviceName?: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly port?: number;
}

export interface Annotation {
  readonly timestampMicros: number;
  readonly value: string;
}

export interface Span {
  /** Lowercase hex, 16 (64-bit) or 32 (128-bit) characters. */
  readonly traceId: string;
  /** Lowercase hex, 16 characters. */
  readonly id: string;
  /** Lowercase hex, 16 characters; absent for a root span (a parentId equal to id is dropped). */
  readonly parentId?: string;
  readonly kind?: SpanKind;
  /** Lowercase operation name, as Zipkin stores it. */
  readonly name?: string;
  /** Epoch microseconds. */
  readonly timestampMicros?: number;
  readonly durationMicros?: number;
  readonly localEndpoint?: Endpoint;
  readonly remoteEndpoint?: Endpoint;
  readonly annotations: readonly Annotation[];
  /** Tag values are always strings (numbers and booleans sent by Envoy are stringified). */
  readonly tags: Readonly<Record<string, string>>;
  readonly debug?: boolean;
  /** True when this SERVER span shares its id with the CLIENT span that called it. */
  readonly shared?: boolean;
}
