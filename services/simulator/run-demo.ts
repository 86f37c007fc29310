/**
 * The demo's orchestration: generates Bookinfo requests at `rate` for `durationMs` (or `requests` of them),
 * buffers each sidecar worker's spans like Envoy does, and posts the batches to the receiver with bounded
 * concurrency. The clock is read here, not in the generator.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { sleepMs as sleep } from '../../shared/edge/resilience/clock.ts';
import type { Span } from '../../shared/core/zipkin/span.ts';
import { createPrng } from './generate/prng.ts';
import { DEFAULT_GENERATE_OPTIONS, generateRequest, type GenerateOptions } from './generate/request.ts';
import { ENVOY_FLUSH_INTERVAL_MS, ENVOY_MIN_FLUSH_SPANS, SidecarBatcher } from './generate/batch.ts';
import { spansUrlOf } from './send/post-spans.ts';
import type { PostTransport } from './send/transport.ts';
import { SpanPoster } from './send/span-poster.ts';
import type { Flavour } from './generate/flavour.ts';

export interface DemoOptions extends Partial<GenerateOptions> {
  /** Receiver base URL (`/api/v2/spans` is appended when it names no path); default http://127.0.0.1:9411. */
  readonly target?: string;
  /** Requests per second; `Infinity` sends as fast as the receiver takes them. Default 10. */
  readonly rate?: number;
  /** Stop generating after this long (default 10 s when `requests` is not given). */
  readonly durationMs?: number;
  /** Stop after this many requests (wins over `durationMs` when both are given: whichever comes first). */
  readonly requests?: number;
  /** PRNG seed; the same seed and options generate the same spans (timestamps aside). Default 1. */
  readonly seed?: number;
  /** Max POSTs in flight. Default 16. */
  readonly concurrency?: number;
  /** Spans per POST (Envoy's min_flush_spans). Default 5. */
  readonly batchSize?: number;
  /** A sidecar worker flushes a partial batch this long after its first span. Default 5000 (Envoy's). */
  readonly flushIntervalMs?: number;
  /** Span buffers per sidecar (Envoy worker threads; Istio's default concurrency is 2). Default 2. */
  readonly workersPerSidecar?: number;
  /** Retries of a 503/429 after its Retry-After. Default 1. */
  readonly maxRetries?: number;
  readonly maxRetryAfterMs?: number;
  /** Called with the spans of each POST the receiver accepted (2xx; 202 from meshray's receiver). */
  readonly onSpansAccepted?: (spans: readonly Span[]) => void;
  /** Called every `progressIntervalMs` (default 5000) with the summary so far. */
  readonly onProgress?: (summary: DemoSummary) => void;
  readonly progressIntervalMs?: number;
  /** Stops generating; what is buffered is still sent and answered. */
  readonly signal?: AbortSignal;
  /** How POSTs go over the wire; default node:http keep-alive (`fetchTransport()` uses the global fetch). */
  readonly transport?: PostTransport;
}

export interface DemoSummary {
  readonly target: string;
  readonly flavour: Flavour;
  readonly seed: number;
  readonly requests: number;
  /** Spans generated (all of them are posted). */
  readonly spans: number;
  readonly posts: number;
  readonly spansSent: number;
  readonly spansAccepted: number;
  readonly spansRefused: number;
  readonly bytesSent: number;
  /** Every receiver answer by HTTP status, retried answers included; `error` = a POST that got no answer. */
  readonly responses: Readonly<Record<string, number>>;
  readonly retries: number;
  /** POSTs finally refused (non-2xx after retries, or no answer). */
  readonly refusedPosts: number;
  readonly errors: readonly string[];
  /** Requests with an injected application error / Envoy fault. */
  readonly injectedErrors: number;
  readonly injectedFaults: number;
  readonly durationMs: number;
  readonly requestsPerSec: number;
  readonly spansAcceptedPerSec: number;
}

/** Where the simulator and `meshray send` post without a target: the receiver's usual address. */
export const DEFAULT_TARGET = 'http://127.0.0.1:9411';

export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const generate = generateOptionsOf(options);
  const target = options.target ?? DEFAULT_TARGET;
  const seed = options.seed ?? 1;
  const rate = options.rate ?? 10;
  const maxRequests = options.requests ?? Infinity;
  const durationMs = options.durationMs ?? (options.requests === undefined ? 10_000 : Infinity);
  const workers = Math.max(1, Math.trunc(options.workersPerSidecar ?? 2));
  if (!(rate > 0)) throw new RangeError(`rate must be > 0, got ${rate}`);

  const prng = createPrng(seed);
  const batcher = new SidecarBatcher({ maxSpans: options.batchSize ?? ENVOY_MIN_FLUSH_SPANS, flushIntervalMs: options.flushIntervalMs ?? ENVOY_FLUSH_INTERVAL_MS });
  const poster = new SpanPoster({
    url: spansUrlOf(target),
    concurrency: options.concurrency ?? 16,
    post: {
      maxRetries: options.maxRetries ?? 1,
      ...(options.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: options.maxRetryAfterMs }),
      ...(options.transport === undefined ? {} : { transport: options.transport }),
    },
    ...(options.onSpansAccepted === undefined ? {} : { onSpansAccepted: options.onSpansAccepted }),
  });

  const startMs = Date.now();
  let requests = 0;
  let spans = 0;
  let injectedErrors = 0;
  let injectedFaults = 0;
  const summarize = (): DemoSummary => {
    const t = poster.tally;
    const elapsedMs = Math.max(1, Date.now() - startMs);
    return {
      target, flavour: generate.flavour, seed, requests, spans,
      posts: t.posts, spansSent: t.spansSent, spansAccepted: t.spansAccepted, spansRefused: t.spansRefused, bytesSent: t.bytesSent,
      responses: { ...t.responses }, retries: t.retries, refusedPosts: t.refusedPosts, errors: [...t.errors],
      injectedErrors, injectedFaults, durationMs: elapsedMs,
      requestsPerSec: round1((requests * 1000) / elapsedMs), spansAcceptedPerSec: round1((t.spansAccepted * 1000) / elapsedMs),
    };
  };
  const progressEveryMs = options.progressIntervalMs ?? 5000;
  let nextProgressMs = startMs + progressEveryMs;

  const aborted = (): boolean => options.signal?.aborted === true;
  while (!aborted() && requests < maxRequests) {
    const nowMs = Date.now();
    const elapsedMs = nowMs - startMs;
    if (elapsedMs >= durationMs) break;
    // Requests due by now at `rate`; unbounded rate: a slice, then a turn of the event loop.
    const due = Math.min(maxRequests, Number.isFinite(rate) ? Math.floor((elapsedMs * rate) / 1000) + 1 : requests + 64);
    while (requests < due) {
      const request = generateRequest(prng, Date.now() * 1000, requests, generate);
      if (request.injected?.kind === 'error') injectedErrors++;
      else if (request.injected?.kind === 'fault') injectedFaults++;
      const worker = requests % workers;
      requests++;
      spans += request.spans.length;
      for (const emitted of request.spans) {
        const batch = batcher.add(emitted.workload, worker, emitted.span, nowMs);
        if (batch !== undefined) await poster.submit(batch.spans);
      }
      if (aborted()) break;
    }
    for (const batch of batcher.due(Date.now())) await poster.submit(batch.spans);
    if (options.onProgress !== undefined && Date.now() >= nextProgressMs) {
      nextProgressMs += progressEveryMs;
      options.onProgress(summarize());
    }
    if (requests >= maxRequests) break;
    if (Number.isFinite(rate)) {
      const nextDueMs = startMs + Math.ceil((requests * 1000) / rate);
      await sleep(Math.max(0, Math.min(nextDueMs - Date.now(), 50, durationMs - (Date.now() - startMs))));
    } else {
      await yieldToIo();
    }
  }
  for (const batch of batcher.drain()) await poster.submit(batch.spans);
  await poster.settle();
  return summarize();
}

/** The generator options a demo run uses: the given ones over the defaults. */
export function generateOptionsOf(options: Partial<GenerateOptions>): GenerateOptions {
  const out: Record<string, unknown> = { ...DEFAULT_GENERATE_OPTIONS };
  for (const [key, value] of Object.entries(options)) if (key in DEFAULT_GENERATE_OPTIONS && value !== undefined) out[key] = value;
  return out as unknown as GenerateOptions;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
