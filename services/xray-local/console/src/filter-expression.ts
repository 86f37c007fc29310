/**
 * Builds the X-Ray FilterExpression the trace list sends to GetTraceSummaries from the console's filter
 * form, in the subset xray-local parses (services/xray-local/filter/parse-filter.ts): clauses joined by
 * AND, no OR or parentheses.
 */
export type StatusFilter = '' | 'ok' | 'error' | 'fault' | 'throttle';

export interface TraceFilter {
  readonly service?: string;
  readonly status?: StatusFilter;
  readonly httpStatus?: number;
  readonly minDurationMs?: number;
  readonly annotationKey?: string;
  /** Typed as written: a number, true/false, else text; wrap in double quotes to force text ("0"). */
  readonly annotationValue?: string;
  /** Extra clauses in X-Ray filter syntax, ANDed with the rest. */
  readonly advanced?: string;
}

/** A double-quoted filter string; the parser honours backslash escapes. */
export const quote = (value: string): string => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An annotation value as the user typed it: number, boolean, or string (quotes force a string). */
export function annotationLiteral(raw: string): string {
  const text = raw.trim();
  if (/^-?\d+(?:\.\d+)?$/.test(text)) return text;
  if (/^(?:true|false)$/i.test(text)) return text.toLowerCase();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return quote(text.slice(1, -1));
  return quote(text);
}

export function buildFilterExpression(filter: TraceFilter): string {
  const clauses: string[] = [];
  const service = filter.service?.trim();
  if (service) clauses.push(`service(${quote(service)})`);
  if (filter.status) clauses.push(filter.status);
  if (filter.httpStatus !== undefined && Number.isInteger(filter.httpStatus)) clauses.push(`http.status = ${filter.httpStatus}`);
  if (filter.minDurationMs !== undefined && Number.isFinite(filter.minDurationMs) && filter.minDurationMs > 0) {
    clauses.push(`duration >= ${Number((filter.minDurationMs / 1000).toFixed(6))}`);
  }
  const key = filter.annotationKey?.trim();
  if (key) {
    const target = SIMPLE_KEY.test(key) ? `annotation.${key}` : `annotation[${quote(key)}]`;
    clauses.push(`${target} = ${annotationLiteral(filter.annotationValue ?? '')}`);
  }
  const advanced = filter.advanced?.trim();
  if (advanced) clauses.push(advanced);
  return clauses.join(' AND ');
}
