/**
 * Adapter: sends OTLP export batches (shared/core/otlp `OtlpExportBatch`) to the CloudWatch OTLP traces
 * endpoint `https://xray.<region>.amazonaws.com/v1/traces` (or xray-local): one request, its retries and
 * the reading of its answer. OtlpHttpSpanSink (otlp-span-sink.ts) packs the pipeline's spans into requests
 * and sends each through here (EXPORT_PROTOCOL=otlp).
 *
 * - Wire: OTLP/HTTP protobuf, `Content-Encoding: gzip` (OTLP specification "OTLP/HTTP"; the endpoint
 *   takes gzip or none: CloudWatch User Guide, "OTLP Endpoints").
 * - Signing: SigV4 for service `xray` with the AWS SDK's own signer (@smithy/signature-v4) and the SDK's
 *   default credential chain (env, profile, IRSA web identity, container/instance metadata), taken from
 *   an XRayClient's resolved config, so nothing credential-related is hand-written.
 * - Answers (OTLP specification "Failures" and "Partial Success"): 200 → accepted, and
 *   `partial_success.rejected_spans` → those spans are refused for good (the spec forbids retrying them):
 *   spans the message names (`…spans[i]` paths or span ids) are returned as rejected; if it names fewer
 *   than it counts, every span it does not name is returned as rejected too, marked
 *   `partial_success_unattributed`, so a refused span is never lost (dead-lettered spans may include
 *   accepted ones; a replay resends them). 429, 502, 503, 504 and network errors are retried, waiting the
 *   `Retry-After` the endpoint gave (seconds or an HTTP date; at most retryMaxMs) or else full-jitter backoff,
 *   up to maxRetries, then returned `unfinished` (nothing committed). Any other 4xx or 5xx (400, 413, 415,
 *   500, ...) → every span rejected with the endpoint's Status message. 401/403 → `unfinished` with XRAY_ACCESS_DENIED (the operator must act).
 *   An answer saying that the OTLP API needs CloudWatch Logs as the trace segment destination (Transaction
 *   Search off; CloudWatch User Guide, "OTLP troubleshooting": AWS documents the message, not the status)
 *   → `unfinished` with TRANSACTION_SEARCH_OFF, whatever its status: the spans stay in Kafka (halt), never
 *   dead-lettered, until the operator enables it.
 */
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { SignatureV4 } from '@smithy/signature-v4';
import { GetTraceSegmentDestinationCommand, type XRayClient } from '@aws-sdk/client-xray';
import type { ErrorCode } from '../../../shared/edge/errors/index.ts';
import { isNoSuchRoute, notAnXRayApiHint } from './endpoint-hint.ts';
import { fullJitterDelayMs } from '../../../shared/edge/resilience/backoff.ts';
import { sleepMs, type NowMs, type Sleep } from '../../../shared/edge/resilience/clock.ts';
import { decodeExportResponse, type OtlpExportBatch } from '../../../shared/core/otlp/index.ts';
import type { BatchControl } from '../consume/span-source.ts';
import type { ExportCallObserver } from './stages/put-trace-segments-sink.ts';
import { retryAfterMsOf } from '../../../shared/edge/http/retry-after.ts';

/** How a request ended, as `meshray_translator_otlp_requests_total{outcome}` counts it. */
export type OtlpRequestOutcome = 'ok' | 'partial' | 'throttled' | 'unavailable' | 'denied' | 'refused';

/** A span the endpoint refused for good; `spanIndex` is the batch's input index (`batch.spanIndexes`). */
export interface RejectedSpan {
  readonly spanIndex: number;
  readonly code: ErrorCode;
  readonly reason: string;
  readonly message: string;
}

export interface OtlpExportOutcome {
  readonly rejected: readonly RejectedSpan[];
  /** Present when the endpoint refused the request as a whole (every span is in `rejected`): its HTTP status. */
  readonly refusedWhole?: { readonly status: number };
  /** Present when the request was not accepted after the retries: the caller commits none of these spans. */
  readonly unfinished?: { readonly code: ErrorCode; readonly message: string; readonly spanIndexes: readonly number[] };
}

type Credentials = XRayClient['config']['credentials'];
type Sha256 = XRayClient['config']['sha256'];

export interface OtlpTraceSinkOptions {
  /** Full URL of the traces endpoint, e.g. `https://xray.eu-west-1.amazonaws.com/v1/traces`. */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: Credentials;
  readonly sha256: Sha256;
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly random?: () => number;
  readonly sleep?: Sleep;
  /** For `Retry-After` given as an HTTP date. */
  readonly nowMs?: NowMs;
  readonly fetch?: typeof fetch;
  /** Told the outcome of every request (readiness: health.ts ExportHealth), as PutTraceSegments calls tell it. */
  readonly health?: ExportCallObserver;
  /** Counts every request by outcome. */
  readonly onRequest?: (outcome: OtlpRequestOutcome) => void;
}

/** `https://xray.<region>.amazonaws.com/v1/traces` */
export const otlpTracesEndpointOf = (region: string): string => `https://xray.${region}.amazonaws.com/v1/traces`;

/** Credentials and hash from the AWS SDK: an XRayClient's resolved config carries the default chain. */
export function sdkSigningOf(client: Pick<XRayClient, 'config'>): { credentials: Credentials; sha256: Sha256 } {
  return { credentials: client.config.credentials, sha256: client.config.sha256 };
}

const RpcStatus = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(RpcStatus);

function statusMessageOf(body: Uint8Array, contentType: string | null): string {
  try {
    if ((contentType ?? '').includes('json')) {
      const parsed = JSON.parse(new TextDecoder().decode(body)) as { message?: unknown; Message?: unknown };
      return String(parsed.message ?? parsed.Message ?? ''); // OTLP's Status JSON, or an AWS error shape
    }
    return String((RpcStatus.toObject(RpcStatus.decode(body)) as { message?: unknown }).message ?? '');
  } catch {
    return new TextDecoder().decode(body).slice(0, 500);
  }
}

/** Longest an OTLP export call may take, answer included (ms): a call of a few hundred spans takes well under a second. */
export const OTLP_CALL_TIMEOUT_MS = 15_000;

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** The endpoint's answer while Transaction Search is off ("The OTLP API is supported with CloudWatch Logs as a Trace Segment Destination."). */
const TRANSACTION_SEARCH_OFF_ANSWER = /supported with CloudWatch Logs as a Trace Segment Destination/i;

type Attempt =
  | { readonly kind: 'accepted'; readonly rejectedSpans: number; readonly errorMessage: string }
  | { readonly kind: 'retry'; readonly code: ErrorCode; readonly message: string; readonly retryAfterMs: number | undefined; readonly misdirected?: true }
  | { readonly kind: 'refused'; readonly status: number; readonly message: string }
  | { readonly kind: 'denied'; readonly message: string }
  | { readonly kind: 'destination'; readonly message: string };

export class OtlpTraceSink {
  readonly #o: OtlpTraceSinkOptions;
  readonly #url: URL;
  readonly #signer: SignatureV4;
  readonly #sleep: Sleep;
  readonly #random: () => number;
  readonly #nowMs: NowMs;
  readonly #fetch: typeof fetch;

  constructor(options: OtlpTraceSinkOptions) {
    this.#o = options;
    this.#url = new URL(options.endpoint);
    this.#signer = new SignatureV4({ service: 'xray', region: options.region, credentials: options.credentials, sha256: options.sha256 });
    this.#sleep = options.sleep ?? sleepMs;
    this.#random = options.random ?? Math.random;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#fetch = options.fetch ?? fetch;
  }

  async export(batch: OtlpExportBatch, control?: BatchControl): Promise<OtlpExportOutcome> {
    const body = gzipSync(batch.body);
    let last: { code: ErrorCode; message: string } = { code: 'XRAY_UNAVAILABLE', message: 'not sent' };
    for (let attempt = 0; attempt <= this.#o.maxRetries; attempt += 1) {
      if (control !== undefined && !control.isActive()) return this.#unfinished(batch, 'NOT_READY', 'export stopped: the consumer is stopping or lost the partition');
      const result = await this.#send(body);
      this.#observe(result);
      switch (result.kind) {
        case 'accepted':
          return { rejected: attributeRejections(batch, result.rejectedSpans, result.errorMessage) };
        case 'refused':
          return {
            rejected: batch.spanIndexes.map((spanIndex) => ({ spanIndex, code: 'SEGMENT_REJECTED', reason: `http_${result.status}`, message: result.message })),
            refusedWhole: { status: result.status },
          };
        case 'denied':
          return this.#unfinished(batch, 'XRAY_ACCESS_DENIED', result.message);
        case 'destination':
          return this.#unfinished(batch, 'TRANSACTION_SEARCH_OFF', result.message);
        case 'retry': {
          last = { code: result.code, message: result.message };
          if (attempt === this.#o.maxRetries) break;
          // Retry-After is held to XRAY_RETRY_MAX like the backoff: an hour (or an HTTP date far ahead, past
          // setTimeout's range: then no wait at all) held the consumer beyond its session timeout.
          const waitMs = Math.min(result.retryAfterMs ?? fullJitterDelayMs(attempt + 1, { baseMs: this.#o.retryBaseMs, maxMs: this.#o.retryMaxMs }, this.#random), this.#o.retryMaxMs);
          await control?.heartbeat();
          await this.#sleep(waitMs);
        }
      }
    }
    return this.#unfinished(batch, last.code, `gave up after ${this.#o.maxRetries} retries: ${last.message}`);
  }

  #observe(result: Attempt): void {
    const { health, onRequest } = this.#o;
    switch (result.kind) {
      case 'accepted':
        onRequest?.(result.rejectedSpans > 0 ? 'partial' : 'ok');
        health?.succeeded();
        return;
      case 'refused':
        onRequest?.('refused');
        health?.succeeded(); // the endpoint answered: the request, not the export, is at fault
        return;
      case 'denied':
        onRequest?.('denied');
        health?.failed('XRAY_ACCESS_DENIED', result.message);
        return;
      case 'destination':
        onRequest?.('denied');
        health?.failed('TRANSACTION_SEARCH_OFF', result.message);
        return;
      case 'retry':
        onRequest?.(result.code === 'XRAY_THROTTLED' ? 'throttled' : 'unavailable');
        if (result.code !== 'XRAY_THROTTLED') health?.failed(result.code, result.message, result.misdirected === true);
        else health?.throttled?.();
    }
  }

  #unfinished(batch: OtlpExportBatch, code: ErrorCode, message: string): OtlpExportOutcome {
    return { rejected: [], unfinished: { code, message, spanIndexes: [...batch.spanIndexes] } };
  }

  async #send(body: ReturnType<typeof gzipSync>): Promise<Attempt> {
    let response: Response;
    let bytes: Uint8Array;
    try {
      const signed = await this.#signer.sign({
        method: 'POST',
        protocol: this.#url.protocol,
        hostname: this.#url.hostname,
        ...(this.#url.port !== '' ? { port: Number(this.#url.port) } : {}),
        path: this.#url.pathname,
        query: {},
        headers: { host: this.#url.host, 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
        body,
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(signed.headers)) if (name.toLowerCase() !== 'host') headers[name] = String(value);
      // fetch sets no timeout of its own: an endpoint that never answers held the call (and the window's timer) for good
      response = await this.#fetch(this.#url, { method: 'POST', headers, body, signal: AbortSignal.timeout(OTLP_CALL_TIMEOUT_MS) });
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'CredentialsProviderError') return { kind: 'denied', message: `no AWS credentials for SigV4: ${(error as Error).message}` };
      return { kind: 'retry', code: 'XRAY_UNAVAILABLE', message: `${this.#url.href} unreachable: ${(error as Error).message}${causeOf(error)}`, retryAfterMs: undefined };
    }
    const contentType = response.headers.get('content-type');
    if (response.status === 200) {
      const partial = decodeExportResponse(bytes, (contentType ?? '').includes('json'));
      return partial === undefined ? { kind: 'accepted', rejectedSpans: 0, errorMessage: '' } : { kind: 'accepted', ...partial };
    }
    const said = statusMessageOf(bytes, contentType);
    const message = `HTTP ${response.status} from ${this.#url.href}: ${said}`;
    // Matched on the whole body too: AWS documents the message, not the shape it comes in.
    if (TRANSACTION_SEARCH_OFF_ANSWER.test(said) || TRANSACTION_SEARCH_OFF_ANSWER.test(new TextDecoder().decode(bytes))) {
      return { kind: 'destination', message: `${message}; enable Transaction Search (UpdateTraceSegmentDestination Destination=CloudWatchLogs) or use EXPORT_PROTOCOL=segments` };
    }
    if (RETRYABLE_STATUS.has(response.status)) {
      return { kind: 'retry', code: response.status === 429 ? 'XRAY_THROTTLED' : 'XRAY_UNAVAILABLE', message, retryAfterMs: retryAfterMsOf(response.headers.get('retry-after'), this.#nowMs()) };
    }
    if (response.status === 401 || response.status === 403) return { kind: 'denied', message };
    // No route for POST /v1/traces: the endpoint is not an OTLP traces endpoint (XRAY_ENDPOINT set to the receiver,
    // a wrong path), which says nothing of the spans. Dead-lettering every span for it (the rule below) moved a whole
    // backlog to the DLQ over a typo; kept in Kafka and retried instead, and readiness carries the message (found by
    // the newcomer trial of 2026-12-04 on the segments path, where the same 404 now says the same).
    if (isNoSuchRoute(response.status)) {
      return { kind: 'retry', code: 'XRAY_UNAVAILABLE', message: `${message} (${notAnXRayApiHint('OTLP traces route, POST /v1/traces')})`, retryAfterMs: undefined, misdirected: true };
    }
    // Any other 4xx or 5xx is not retried (OTLP specification, "Failures": "MUST NOT be retried"); a 500
    // retried ended unfinished and was redelivered for good instead of dead-lettered.
    return { kind: 'refused', status: response.status, message };
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  return cause?.message !== undefined ? ` (${cause.message})` : '';
}

/**
 * Which spans a partial success refused: `spans[i]` paths (`resourceSpans[r].scopeSpans[s].spans[i]`) and
 * span ids (16 hex, as a whole token) the message names; when it names fewer than `rejectedSpans`, the unnamed
 * spans too.
 */
export function attributeRejections(batch: OtlpExportBatch, rejectedSpans: number, errorMessage: string): RejectedSpan[] {
  if (rejectedSpans <= 0) return [];
  const positions: { path: string; spanId: string }[] = [];
  batch.request.resourceSpans.forEach((rs, r) => rs.scopeSpans.forEach((ss, s) => ss.spans.forEach((span, i) => positions.push({ path: `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`, spanId: span.spanId }))));
  const named = new Set<number>();
  // a span id as a whole token: not inside a longer hex string (a 64-bit trace id, zero-padded, ends with the id
  // of its B3 root span, so a message quoting the trace id would otherwise name the root)
  const tokens = new Set(errorMessage.toLowerCase().match(/[0-9a-f]+/g) ?? []);
  positions.forEach((p, at) => {
    if (errorMessage.includes(`${p.path}:`) || errorMessage.includes(`${p.path} `) || (p.spanId !== '' && tokens.has(p.spanId.toLowerCase()))) named.add(at);
  });
  const out: RejectedSpan[] = [];
  const everyUnnamed = named.size < rejectedSpans;
  positions.forEach((_, at) => {
    const spanIndex = batch.spanIndexes[at];
    if (spanIndex === undefined) return;
    if (named.has(at)) out.push({ spanIndex, code: 'SEGMENT_REJECTED', reason: 'partial_success', message: errorMessage });
    else if (everyUnnamed) out.push({ spanIndex, code: 'SEGMENT_REJECTED', reason: 'partial_success_unattributed', message: `the endpoint refused ${rejectedSpans} span(s) without naming all of them: ${errorMessage}` });
  });
  return out;
}

/** What the account's trace segment destination means for the OTLP path. */
export interface TransactionSearchState {
  /** True when spans land in CloudWatch Logs (`aws/spans`): Transaction Search is on and ACTIVE. */
  readonly ready: boolean;
  readonly destination: string;
  readonly status: string;
  /** One plain sentence for the log and readiness. */
  readonly message: string;
}

/**
 * Reads GetTraceSegmentDestination (X-Ray API Reference) once: the OTLP path needs Transaction Search
 * (destination `CloudWatchLogs`, status `ACTIVE`); with `XRay` the account has not enabled it and the
 * exporter must say so rather than fail silently (issue 12). Call errors (and no answer within `timeoutMs`)
 * propagate to the caller.
 */
export async function readTransactionSearch(client: Pick<XRayClient, 'send'>, timeoutMs = 10_000): Promise<TransactionSearchState> {
  const answer = await client.send(new GetTraceSegmentDestinationCommand({}), { abortSignal: AbortSignal.timeout(timeoutMs) });
  const destination = answer.Destination ?? 'unknown';
  const status = answer.Status ?? 'unknown';
  if (destination === 'CloudWatchLogs' && status === 'ACTIVE') {
    return { ready: true, destination, status, message: 'Transaction Search is on: spans sent to /v1/traces land in CloudWatch Logs (aws/spans)' };
  }
  if (destination === 'CloudWatchLogs') {
    return { ready: false, destination, status, message: `Transaction Search is being enabled (status ${status}); spans sent now may not be searchable yet` };
  }
  return {
    ready: false,
    destination,
    status,
    message: `the account's trace segment destination is ${destination}: Transaction Search is not enabled, so the OTLP endpoint will not store spans; enable it (UpdateTraceSegmentDestination Destination=CloudWatchLogs) or use EXPORT_PROTOCOL=segments`,
  };
}
