/**
 * Parsing of the flags several commands share. Each returns the value, or undefined when the flag is
 * absent or invalid; an invalid one also adds its error line to `errors` (commands list every problem).
 */
import { durationMs, parseDurationMs } from '../../shared/edge/config/types.ts';
import { defaultTargetOf, runningReceivers, runtimeDirOf } from './running-receivers.ts';
import { plural } from './plural.ts';

/** An integer ≥ `min`. */
export function intFlag(name: string, value: string | undefined, min: number, errors: string[]): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() !== '' && Number.isInteger(n) && n >= min) return n;
  errors.push(`--${name}: expected an integer ≥ ${min}, got "${value}"`);
  return undefined;
}

/**
 * A duration such as `30s`, `250ms`, `2m`, `1m30s` or milliseconds (shared/edge/config's `durationMs`), in
 * milliseconds; `min` (ms) refuses shorter ones, and for a bare number says it is milliseconds.
 */
export function durationFlag(name: string, value: string | undefined, errors: string[], min?: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = durationMs(min === undefined ? {} : { min }).safeParse(value);
  if (parsed.success) return parsed.data;
  errors.push(parseDurationMs(value.trim()) === undefined
    ? `--${name}: expected a duration like 30s, 250ms, 2m, 1m30s, got "${value}"`
    : `--${name}: ${parsed.error.issues[0]?.message ?? 'too short'}`);
  return undefined;
}

/**
 * The bearer token for a receiver with RECEIVER_AUTH_TOKENS set: `--token` if given, else MESHRAY_TOKEN from
 * the environment (which keeps it out of the process list). Returns the `authorization` header to send,
 * or none.
 */
export function tokenHeaders(flag: string | undefined, env: Readonly<Record<string, string | undefined>>, errors: string[]): Record<string, string> {
  const token = flag ?? env['MESHRAY_TOKEN'];
  if (token === undefined || token === '') return {};
  if (/\s/.test(token)) {
    errors.push(`--token${flag === undefined ? ' (MESHRAY_TOKEN)' : ''}: a bearer token has no spaces`);
    return {};
  }
  return { authorization: `Bearer ${token}` };
}

/**
 * What to do about the receiver's `401 UNAUTHORIZED` answers (`responses`: status → POSTs), or undefined when
 * there were none: a receiver with RECEIVER_AUTH_TOKENS wants a bearer token, and a 401 said only "unauthorized".
 */
export function unauthorizedHint(responses: Readonly<Record<string, number>>, headers: Readonly<Record<string, string>>): string | undefined {
  const refused = responses['401'] ?? 0;
  if (refused === 0) return undefined;
  return headers['authorization'] === undefined
    ? `${plural(refused, 'POST')} answered 401: the receiver requires a bearer token (RECEIVER_AUTH_TOKENS); give --token TOKEN or set MESHRAY_TOKEN`
    : `${plural(refused, 'POST')} answered 401: the receiver refused the token given (--token or MESHRAY_TOKEN); it takes the tokens of its RECEIVER_AUTH_TOKENS`;
}

/**
 * What to do about POSTs that got no answer (`responses["error"]`: connection refused, timeout), or undefined when
 * there were none (newcomer trial: "no answer: ECONNREFUSED" and exit 2, as for invalid spans, with no word of why).
 * `closedMidBody`: single-span POSTs whose connection closed while the body was written (span-poster.ts closedMidBody).
 */
export function unansweredHint(responses: Readonly<Record<string, number>>, target: string, closedMidBody = 0): string | undefined {
  const unanswered = responses['error'] ?? 0;
  // a receiver answers a body over its MAX_BODY_BYTES 413 and closes the connection while the body is still being
  // written: the sender sees EPIPE, and "is a receiver running there?" misled (newcomer trial)
  const closed = closedMidBody === 0 ? undefined
    : `${plural(closedMidBody, 'POST')} of one span lost ${closedMidBody === 1 ? 'its' : 'their'} connection while the body was sent (EPIPE): a receiver answers a body over its MAX_BODY_BYTES (5mb by default) 413 and closes the connection before reading it, so ${closedMidBody === 1 ? 'that span is' : 'those spans are'} likely too large alone for ${target}: raise its MAX_BODY_BYTES to send ${closedMidBody === 1 ? 'it' : 'them'}`;
  if (unanswered === 0) return closed;
  const answered = Object.entries(responses).some(([status, n]) => status !== 'error' && n > 0);
  // some POSTs answered: a receiver is there, and the others timed out or lost their connection (found by the diff review)
  const none = answered
    ? `${plural(unanswered, 'POST')} got no answer from ${target} while others did (timeouts or dropped connections): the receiver may be overloaded or restarting`
    : `${plural(unanswered, 'POST')} got no answer from ${target}: is a receiver running there? (npm start runs one on :9411; meshray stack prints its receiver's address; --target URL names another)`;
  return closed === undefined ? none : `${closed}; ${none}`;
}

/** `--target`: a receiver's http(s) base URL. */
export function targetFlag(value: string | undefined, errors: string[]): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (url === undefined || !/^https?:$/.test(url.protocol)) {
    errors.push(`--target: expected an http(s) URL like http://127.0.0.1:9411, got "${value}"`);
    return undefined;
  }
  // meshray's senders post Zipkin v2 JSON: at the v1 route each span was refused (400, "is a Zipkin v2 span").
  if (/^\/api\/v1\/spans\/?$/.test(url.pathname)) {
    errors.push(`--target: ${value} is the Zipkin v1 route, and meshray sends v2 JSON: give the receiver's address (http://HOST:9411) or its /api/v2/spans`);
    return undefined;
  }
  return value;
}

/**
 * Where `send` and `demo` post: `--target` when given; else the receiver of the one `meshray stack` or
 * `meshray start` running on this machine (running-receivers.ts; `note` says so when it is not :9411); else
 * http://127.0.0.1:9411. Several running: an error naming them.
 */
export function senderTarget(value: string | undefined, env: Readonly<Record<string, string | undefined>>, errors: string[], note: (line: string) => void): string | undefined {
  if (value !== undefined) return targetFlag(value, errors);
  const found = defaultTargetOf(runningReceivers(runtimeDirOf(env)), errors);
  if (found.note !== undefined) note(found.note);
  return found.url;
}
