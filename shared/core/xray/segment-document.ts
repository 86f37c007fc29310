/**
 * X-Ray segment documents, as PutTraceSegments takes them (one JSON document per string).
 * Fields follow the official segment document schema v1.0.0.
 */
export type AnnotationValue = string | number | boolean;

export interface HttpRequest {
  method?: string;
  url?: string;
  user_agent?: string;
  client_ip?: string;
  x_forwarded_for?: boolean;
  traced?: boolean;
}

export interface HttpResponse {
  status?: number;
  content_length?: number;
}

export interface Http {
  request?: HttpRequest;
  response?: HttpResponse;
}

export interface CauseException {
  id: string;
  message?: string;
  type?: string;
  remote?: boolean;
}

export interface Cause {
  exceptions: CauseException[];
}

export interface SegmentDocument {
  name: string;
  id: string;
  trace_id: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  /** Set on independent subsegments and on segments with a caller. */
  parent_id?: string;
  type?: 'subsegment';
  namespace?: 'remote' | 'aws';
  origin?: string;
  http?: Http;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  cause?: Cause;
  annotations?: Record<string, AnnotationValue>;
  metadata?: Record<string, Record<string, unknown>>;
  aws?: Record<string, unknown>;
  service?: { version?: string };
}
