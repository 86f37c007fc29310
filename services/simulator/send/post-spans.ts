/**
 * One `POST /api/v2/spans` with Node's global fetch (undici: keep-alive connections are pooled and reused).
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
  readonly fetch?: typeof fetch;
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

/** Milliseconds a `Retry-After` value asks for (delta-seconds or an HTTP date); undefined when unusable. */
export function retryAfterMsOf(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function postSpans(url: string, body: string, options: PostOptions = DEFAULT_POST_OPTIONS): Promise<PostResult> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const answers: number[] = [];
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      const signal = options.signal === undefined
        ? AbortSignal.timeout(options.timeoutMs)
        : AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
      response = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return { status: 0, answers, attempts: attempt + 1, error: cause?.code ?? cause?.message ?? (e as Error).message };
    }
    answers.push(response.status);
    const text = await response.text().catch(() => '');
    if (isAccepted(response.status)) return { status: response.status, answers, attempts: attempt + 1 };
    if (!RETRYABLE.has(response.status) || attempt >= options.maxRetries || options.signal?.aborted === true) {
      return { status: response.status, answers, attempts: attempt + 1, error: text.slice(0, 300) };
    }
    const askedMs = retryAfterMsOf(response.headers.get('retry-after'), Date.now()) ?? options.defaultRetryAfterMs;
    await sleep(Math.min(askedMs, options.maxRetryAfterMs));
  }
}
