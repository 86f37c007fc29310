/**
 * Posts span batches with at most `concurrency` POSTs in flight and keeps the tally: what was sent, every
 * answer by status, what was finally accepted or refused. `submit` waits for a free slot (back-pressure).
 */
import { ConcurrencyGate } from '../../../shared/edge/resilience/concurrency-gate.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { encodeSpansJsonV2 } from '../encode/encode-json-v2.ts';
import { DEFAULT_POST_OPTIONS, isAccepted, postSpans, type PostOptions, type PostResult } from './post-spans.ts';

export interface SpanPosterOptions {
  /** Full URL of the spans endpoint (see `spansUrlOf`). */
  readonly url: string;
  readonly concurrency: number;
  readonly post?: Partial<PostOptions>;
  /** Called with the spans of each POST the receiver finally accepted (2xx; a receiver answers 202). */
  readonly onSpansAccepted?: (spans: readonly Span[]) => void;
  /** Called with each POST that was finally refused or failed. */
  readonly onRefused?: (spans: readonly Span[], result: PostResult) => void;
}

export interface PostTally {
  posts: number;
  spansSent: number;
  bytesSent: number;
  spansAccepted: number;
  spansRefused: number;
  /**
   * Every HTTP answer by status (`"202"`, `"503"`), retried ones included; `"error"` counts posts with no answer,
   * `"closed"` those whose connection closed while their large body was written (closedMidBody).
   */
  responses: Record<string, number>;
  retries: number;
  /** POSTs whose final answer was not 2xx (or that got no answer). */
  refusedPosts: number;
  /** The first few distinct refusal messages (`503: …`, `no answer: …ECONNREFUSED`), each with `(× n POSTs)` when repeated. */
  errors: string[];
  /** POSTs of one span finally unanswered because the connection closed while the body was written (see closedMidBody). */
  closedMidBody: number;
}

/** Bodies below this are written whole at once: a receiver's 413 for them is read, never lost to EPIPE. */
export const CLOSED_MID_BODY_MIN_BYTES = 64 * 1024;

/**
 * No answer because the receiver closed the connection while a large body was still being written (EPIPE). A
 * receiver answers a body over its MAX_BODY_BYTES 413 as soon as it reads the Content-Length and closes the
 * connection (fastify), and a sender in another process is then usually still writing: it gets EPIPE and never
 * reads the 413 (a newcomer's two 3 MB spans and a small one: "no answer", all three kept back on every resend).
 * EPIPE means the receiver never read the whole body, so it took none of its spans: sending them again in halves
 * duplicates nothing. A reset (ECONNRESET) may come after the receiver read the body and published it: not this.
 */
export function closedMidBody(result: PostResult, bodyBytes: number): boolean {
  return result.status === 0 && result.error === 'EPIPE' && bodyBytes >= CLOSED_MID_BODY_MIN_BYTES;
}

const MAX_ERRORS_KEPT = 5;

export class SpanPoster {
  readonly tally: PostTally = { posts: 0, spansSent: 0, bytesSent: 0, spansAccepted: 0, spansRefused: 0, responses: {}, retries: 0, refusedPosts: 0, errors: [], closedMidBody: 0 };
  private readonly posts: ConcurrencyGate;
  /** Refusal message → POSTs refused with it (the first MAX_ERRORS_KEPT distinct ones). */
  private readonly errorCounts = new Map<string, number>();
  private readonly postOptions: PostOptions;

  constructor(private readonly options: SpanPosterOptions) {
    if (!(options.concurrency >= 1)) throw new Error(`concurrency must be ≥ 1, got ${options.concurrency}`);
    this.postOptions = { ...DEFAULT_POST_OPTIONS, ...options.post };
    this.posts = new ConcurrencyGate(options.concurrency);
  }

  get pending(): number {
    return this.posts.active;
  }

  /** Starts posting `spans` once a slot is free; resolves when it has started (not when it is answered). */
  async submit(spans: readonly Span[]): Promise<void> {
    const release = await this.posts.acquire();
    this.tally.spansSent += spans.length;
    void this.post(spans).finally(release);
  }

  /**
   * One POST of `spans`; a 413 (the body over the receiver's MAX_BODY_BYTES, or more spans than its
   * MAX_SPANS_PER_REQUEST) is posted again in halves, in the same slot, down to single spans: only a span
   * too large alone is refused (found by the newcomer trial: a batch of three 2 MB spans was refused whole).
   * So is a POST whose connection closed while its body was written (closedMidBody: the 413 unread).
   */
  private async post(spans: readonly Span[]): Promise<void> {
    const body = encodeSpansJsonV2(spans);
    const bodyBytes = Buffer.byteLength(body);
    this.tally.posts++;
    this.tally.bytesSent += bodyBytes;
    let result: PostResult;
    try {
      result = await postSpans(this.options.url, body, this.postOptions);
    } catch (e) {
      result = { status: 0, answers: [], attempts: 1, error: String(e) };
    }
    const closed = closedMidBody(result, bodyBytes);
    if ((result.status === 413 || closed) && spans.length > 1) {
      this.count(result, closed);
      const half = Math.ceil(spans.length / 2);
      await this.post(spans.slice(0, half));
      await this.post(spans.slice(half));
      return;
    }
    this.record(spans, result, closed);
  }

  /**
   * Tallies a POST's answers and retries; a connection closed mid-body counts as `closed` (the receiver answered,
   * unread: an unanswered `error` made "is a receiver running there?" of it).
   */
  private count(result: PostResult, closed: boolean): void {
    const t = this.tally;
    for (const status of result.answers) t.responses[String(status)] = (t.responses[String(status)] ?? 0) + 1;
    const unanswered = closed ? 'closed' : 'error';
    if (result.attempts > result.answers.length) t.responses[unanswered] = (t.responses[unanswered] ?? 0) + 1;
    t.retries += Math.max(0, result.attempts - 1);
  }

  /** Resolves when no POST is in flight. */
  async settle(): Promise<void> {
    await this.posts.whenIdle();
  }

  private record(spans: readonly Span[], result: PostResult, closed: boolean): void {
    const t = this.tally;
    this.count(result, closed);
    if (isAccepted(result.status)) {
      t.spansAccepted += spans.length;
      this.options.onSpansAccepted?.(spans);
      return;
    }
    t.refusedPosts++;
    t.spansRefused += spans.length;
    if (closed) t.closedMidBody++;
    const message = result.status === 0 ? `no answer: ${result.error ?? 'unknown error'}` : `${result.status}: ${result.error ?? ''}`.trim();
    const seen = this.errorCounts.get(message);
    if (seen !== undefined || this.errorCounts.size < MAX_ERRORS_KEPT) {
      this.errorCounts.set(message, (seen ?? 0) + 1);
      t.errors = [...this.errorCounts].map(([m, n]) => (n > 1 ? `${m} (× ${n} POSTs)` : m));
    }
    this.options.onRefused?.(spans, result);
  }
}
