import type { AnnotationValue } from '../../../shared/core/xray/segment-document.ts';
import type { TraceFacts } from '../summary/trace-facts.ts';
import type { Comparator, Filter, FilterValue, HttpField } from './parse-filter.ts';

function compare(actual: AnnotationValue | undefined, op: Comparator, expected: FilterValue): boolean {
  if (actual === undefined) return false;
  switch (op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return typeof actual === 'number' && actual < (expected as number);
    case '<=':
      return typeof actual === 'number' && actual <= (expected as number);
    case '>':
      return typeof actual === 'number' && actual > (expected as number);
    case '>=':
      return typeof actual === 'number' && actual >= (expected as number);
    case 'CONTAINS':
      return typeof actual === 'string' && actual.includes(expected as string);
    case 'BEGINSWITH':
      return typeof actual === 'string' && actual.startsWith(expected as string);
    case 'ENDSWITH':
      return typeof actual === 'string' && actual.endsWith(expected as string);
  }
}

function httpValue(facts: TraceFacts, field: HttpField): AnnotationValue | undefined {
  const http = facts.root?.http;
  switch (field) {
    case 'status':
      return http?.response?.status;
    case 'url':
      return http?.request?.url;
    case 'method':
      return http?.request?.method;
    case 'useragent':
      return http?.request?.user_agent;
    case 'clientip':
      return http?.request?.client_ip;
  }
}

/**
 * Whether a trace matches. `http.*` reads the entry (root) segment, as X-Ray does; flags and annotations
 * look at every segment and subsegment; `service("n")` matches a segment named n.
 */
export function matchesFilter(filter: Filter, facts: TraceFacts): boolean {
  switch (filter.kind) {
    case 'all':
      return true;
    case 'and':
      return filter.clauses.every((c) => matchesFilter(c, facts));
    case 'not':
      return !matchesFilter(filter.inner, facts);
    case 'service':
      return facts.entities.some((e) => e.kind === 'segment' && e.doc.name === filter.name);
    case 'flag': {
      const present =
        filter.flag === 'ok' ? !facts.hasFault && !facts.hasError && !facts.hasThrottle
          : filter.flag === 'fault' ? facts.hasFault
            : filter.flag === 'error' ? facts.hasError
              : facts.hasThrottle;
      return present === filter.value;
    }
    case 'http':
      return compare(httpValue(facts, filter.field), filter.op, filter.value);
    case 'time':
      return compare(filter.field === 'duration' ? facts.durationSec : facts.responseTimeSec, filter.op, filter.value);
    case 'annotation':
      return facts.entities.some((e) => {
        const annotations = e.doc.annotations;
        return annotations !== undefined && Object.hasOwn(annotations, filter.key) && compare(annotations[filter.key], filter.op, filter.value);
      });
  }
}
