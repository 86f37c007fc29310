import { sleepMs } from '../../../shared/edge/resilience/clock.ts';
import { httpTransport, type PostTransport } from './transport.ts';
import { retryAfterMsOf } from '../../../shared/edge/http/retry-after.ts';

/**
 * One `POST /api/v2/spans` over a keep-alive connection (see transport.ts).
 * A 503 or 429 is retried up to `maxRetries` times after the receiver's `Retry-After` (seconds or an HTTP date,
 * capped), or after `defaultRetryAfterMs` when it sends none.
 */
export interface PostOptions {
  /** Retries of a 503/429 answer (the demo uses 1, `meshray send` 3). */
  readonly maxRetries: number;
  readonly defaultRetryAfterMs: number;
  readonly maxRetryAfterMs: number;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Default: node:http(s) with a keep-alive agent. */
  readonly transport?: PostTransport;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

export const DEFAULT_POST_OPTIONS: PostOptions = Object.freeze({ maxRetries: 1, defaultRetryAfterMs: 1000, maxRetryAfterMs: 30_000, timeoutMs: 10_000 });

export interface PostResult {
  /** The final HTTP status; 0 when no answer came (connection refused, timeout). */
  readonly status: number;
  /** Every answer's status, in order (a retried 503 then 202 → [503, 202]). */
  readonly answers: readonly number[];
  /** POSTs made: 1 + retries. */
  readonly attempts: number;
  /** For a refused or failed post: the receiver's message (first 300 characters) or the network error. */
  readonly error?: string;
}

const RETRYABLE = new Set([429, 503]);

export const isAccepted = (status: number): boolean => status >= 200 && status <= 299;

/** `http://host:9411` → `http://host:9411/api/v2/spans`; a target that already names a path is kept. */
export function spansUrlOf(target: string): string {
  const url = new URL(target);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api/v2/spans';
  return url.toString();
}

export async function postSpans(url: string, body: string, options: PostOptions = DEFAULT_POST_OPTIONS): Promise<PostResult> {
  const transport = options.transport ?? httpTransport;
  const sleep = options.sleep ?? sleepMs;
  const answers: number[] = [];
  for (let attempt = 0; ; attempt++) {
    let answer;
    try {
      answer = await transport(url, body, options.timeoutMs, options.signal);
    } catch (e) {
      const error = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
      return { status: 0, answers, attempts: attempt + 1, error: error.cause?.code ?? error.code ?? error.cause?.message ?? error.message ?? String(e) };
    }
    answers.push(answer.status);
    if (isAccepted(answer.status)) return { status: answer.status, answers, attempts: attempt + 1 };
    if (!RETRYABLE.has(answer.status) || attempt >= options.maxRetries || options.signal?.aborted === true) {
      return { status: answer.status, answers, attempts: attempt + 1, error: answer.text.slice(0, 300) };
    }
    const askedMs = retryAfterMsOf(answer.retryAfter, Date.now()) ?? options.defaultRetryAfterMs;
    await sleep(Math.min(askedMs, options.maxRetryAfterMs));
  }
}
