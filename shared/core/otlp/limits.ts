/**
 * Limits of the CloudWatch OTLP traces endpoint (`https://xray.<region>.amazonaws.com/v1/traces`), from
 * Amazon CloudWatch User Guide, "OTLP Endpoints", table "Endpoint limits and restrictions":
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-OTLPEndpoint.html
 *   - Maximum uncompressed bytes / request: 5 MB ("will reject requests larger than 5MB when payload is uncompressed");
 *   - Maximum events / request: 10,000 spans ("Exceeding this limit will cause rejection of the API call");
 *   - Single span maximum size: 200 KB ("Spans more than 200KB will rejected by the endpoint");
 *   - Span created timestamps: 2 hours in the future and 14 days in the past ("None of the spans in the
 *     batch can be more than two hours in the future or more than 14 days in the past");
 *   - Maximum time gap in events / request: 24 hours.
 * The stored span document is at most 204,800 characters (X-Ray API Reference, data type `Span`,
 * `Document` "Maximum length of 204800": https://docs.aws.amazon.com/xray/latest/api/API_Span.html), so a
 * span is measured by its OTLP/JSON encoding, which is never smaller than its protobuf encoding.
 */
export interface OtlpLimits {
  readonly maxSpansPerRequest: number;
  /** Uncompressed protobuf body bytes. */
  readonly maxRequestBytes: number;
  /** UTF-8 bytes of the span's OTLP/JSON encoding. */
  readonly maxSpanBytes: number;
  readonly maxAgeMs: number;
  readonly maxAheadMs: number;
  /** Largest distance between the earliest and the latest span start in one request. */
  readonly maxRequestSpreadMs: number;
}

const HOUR_MS = 3_600_000;

export const OTLP_ENDPOINT_LIMITS: OtlpLimits = Object.freeze({
  maxSpansPerRequest: 10_000,
  maxRequestBytes: 5 * 1024 * 1024,
  maxSpanBytes: 200 * 1024,
  maxAgeMs: 14 * 24 * HOUR_MS,
  maxAheadMs: 2 * HOUR_MS,
  maxRequestSpreadMs: 24 * HOUR_MS,
});
