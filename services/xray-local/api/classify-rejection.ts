import type { Issue } from '../../../shared/core/result/result.ts';
import { formatIssues } from '../../../shared/core/result/result.ts';
import { MAX_DOCUMENT_BYTES } from '../../../shared/core/xray/limits.ts';

/**
 * AWS-like ErrorCodes for UnprocessedTraceSegments. X-Ray answers e.g. `MissingId`, `InvalidTraceId`,
 * `InvalidName` with Message `Invalid segment. ErrorCode: <code>, Cause: ...`; xray-local names the field
 * the first (by priority) issue is about, and falls back to `InvalidSegment`.
 */
export const SEGMENT_TOO_LARGE = 'SegmentTooLarge';
export const INVALID_JSON = 'InvalidJson';
export const INVALID_SEGMENT = 'InvalidSegment';
export const THROTTLED = 'ThrottledException';
/**
 * X-Ray's code for a trace id whose date is too far in the past (AWS X-Ray Developer Guide, "Sending trace
 * data to AWS X-Ray", Using PutTraceSegments: `"ErrorCode": "InvalidTraceId"`).
 */
export const INVALID_TRACE_ID = 'InvalidTraceId';

const FIELD_CODES: ReadonlyArray<readonly [string, string]> = [
  ['id', 'Id'],
  ['trace_id', 'TraceId'],
  ['name', 'Name'],
  ['parent_id', 'ParentId'],
  ['start_time', 'StartTime'],
  ['end_time', 'EndTime'],
  ['annotations', 'Annotations'],
];

export interface Rejection {
  readonly errorCode: string;
  readonly message: string;
}

const topField = (path: string): string => path.split(/[.[]/)[0] ?? '';

const describe = (kind: string, code: string, cause: string): Rejection => ({
  errorCode: code,
  message: `Invalid ${kind}. ErrorCode: ${code}, Cause: ${cause}`,
});

export function rejectTooLarge(bytes: number, kind: string): Rejection {
  return describe(kind, SEGMENT_TOO_LARGE, `document is ${bytes} bytes, at most ${MAX_DOCUMENT_BYTES} allowed`);
}

export function rejectUnparsable(reason: string): Rejection {
  return describe('segment', INVALID_JSON, `document is not JSON: ${reason}`);
}

/** Turns validator issues into one ErrorCode and a Message listing every issue. */
export function rejectInvalid(issues: readonly Issue[], kind: string): Rejection {
  const cause = formatIssues(issues).replace(/\n/g, '; ');
  for (const [field, suffix] of FIELD_CODES) {
    const issue = issues.find((i) => topField(i.path) === field);
    if (issue) return describe(kind, `${/required/i.test(issue.message) ? 'Missing' : 'Invalid'}${suffix}`, cause);
  }
  return describe(kind, INVALID_SEGMENT, cause);
}

/** A trace id whose epoch (first 8 hex digits) X-Ray does not take at `nowMs`. */
export function rejectTraceIdEpoch(traceId: string, nowMs: number, kind: string): Rejection {
  const epochSeconds = Number.parseInt(traceId.slice(2, 10), 16);
  const when = new Date(epochSeconds * 1000).toISOString();
  return describe(kind, INVALID_TRACE_ID,
    `trace_id ${traceId} is dated ${when}, outside 30 days back to 5 minutes ahead of ${new Date(nowMs).toISOString()}`);
}
