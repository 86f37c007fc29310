import { type ApiOutcome, answer, invalidRequest } from './api-outcome.ts';

/** Request bodies arrive as parsed JSON of unknown shape; these read one member or say what is wrong. */
export type Body = Record<string, unknown>;

export function readBody(raw: unknown): ApiOutcome<Body> {
  if (raw === undefined || raw === null) return answer({});
  if (typeof raw !== 'object' || Array.isArray(raw)) return invalidRequest('request body must be a JSON object');
  return answer(raw as Body);
}

/** A required timestamp in epoch seconds (restJson1 sends them as numbers). */
export function readEpochSeconds(body: Body, member: string): ApiOutcome<number> {
  const value = body[member];
  if (value === undefined || value === null) return invalidRequest(`${member} is required`);
  if (typeof value !== 'number' || !Number.isFinite(value)) return invalidRequest(`${member} must be a timestamp in epoch seconds`);
  return answer(value);
}

export function readOptionalString(body: Body, member: string): ApiOutcome<string | undefined> {
  const value = body[member];
  if (value === undefined || value === null) return answer(undefined);
  if (typeof value !== 'string') return invalidRequest(`${member} must be a string`);
  return answer(value);
}

export function readStringList(body: Body, member: string, limits: { min: number; max: number }): ApiOutcome<string[]> {
  const value = body[member];
  if (value === undefined || value === null) {
    return limits.min > 0 ? invalidRequest(`${member} is required`) : answer([]);
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return invalidRequest(`${member} must be a list of strings`);
  if (value.length < limits.min) return invalidRequest(`${member} must hold at least ${limits.min} item(s)`);
  if (value.length > limits.max) return invalidRequest(`${member} holds ${value.length} items, at most ${limits.max} allowed`);
  return answer(value as string[]);
}

/** A request whose body holds only `TraceIds` (BatchGetTraces, GetTraceGraph): 1 to `max` trace ids. */
export function readTraceIds(raw: unknown, max: number): ApiOutcome<string[]> {
  const body = readBody(raw);
  if (!body.ok) return body;
  return readStringList(body.body, 'TraceIds', { min: 1, max });
}

/** StartTime/EndTime pair, EndTime not before StartTime. */
export function readTimeRange(body: Body): ApiOutcome<{ startSec: number; endSec: number }> {
  const start = readEpochSeconds(body, 'StartTime');
  if (!start.ok) return start;
  const end = readEpochSeconds(body, 'EndTime');
  if (!end.ok) return end;
  if (end.body < start.body) return invalidRequest('EndTime must not be before StartTime');
  return answer({ startSec: start.body, endSec: end.body });
}

/** Where a page of a newest-first listing ended: the last item's start (epoch seconds) and trace id. */
export interface PageCursor {
  readonly startSec: number;
  readonly traceId: string;
}

/**
 * A keyset token: the next page starts strictly after `cursor` in the listing's order, so traces arriving
 * between two calls neither shift a listed trace onto the next page nor push one off it (an offset did both).
 */
export const encodeCursorToken = (cursor: PageCursor): string => Buffer.from(JSON.stringify({ after: cursor }), 'utf8').toString('base64');

export function decodeCursorToken(token: string | undefined): ApiOutcome<PageCursor | undefined> {
  if (token === undefined || token === '') return answer(undefined);
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after?: { startSec?: unknown; traceId?: unknown } };
    const after = parsed.after;
    if (after !== undefined && typeof after.startSec === 'number' && Number.isFinite(after.startSec) && typeof after.traceId === 'string') {
      return answer({ startSec: after.startSec, traceId: after.traceId });
    }
  } catch {
    // fall through
  }
  return invalidRequest('NextToken is not a token this service issued');
}

/** Pagination tokens are opaque to clients: base64 of the offset into a stable ordering. */
export const encodeNextToken = (offset: number): string => Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64');

export function decodeNextToken(token: string | undefined): ApiOutcome<number> {
  if (token === undefined || token === '') return answer(0);
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) return answer(parsed.offset);
  } catch {
    // fall through
  }
  return invalidRequest('NextToken is not a token this service issued');
}
