/**
 * SAMPLE_KEEP: a tiny filter on a trace's spans. A trace matches when one of its spans matches.
 *
 *   expression := clause ( ' or ' clause )*
 *   clause     := test ( ' and ' test )*          (every test true of the same span)
 *   test       := field op value
 *   field      := service | status | annotation.<tag>   (<tag>: a Zipkin tag key, e.g. http.method)
 *   op         := = | != | >= | <= | > | <          (>, <, >=, <= only with status, numeric)
 *   value      := text without spaces ('*' at the end: prefix match with = and !=), bare or in quotes
 *                 ("payments" and 'payments' are payments); it does not start with = (`==` is refused)
 *
 * Examples: `service=reviews`, `status>=500`, `service=ratings and status=404`,
 * `annotation.http.url=/api/v1/products* or service=payments`.
 */
import { fail, ok, type Issue, type Result } from '../result/result.ts';
import type { SpanFacts } from './trace-facts.ts';

type Op = '=' | '!=' | '>=' | '<=' | '>' | '<';

interface Test {
  readonly field: 'service' | 'status' | { readonly tag: string };
  readonly op: Op;
  readonly value: string;
}

/** Clauses (or) of tests (and). An empty expression matches nothing. */
export interface KeepExpression {
  readonly clauses: readonly (readonly Test[])[];
}

/** The empty expression (SAMPLE_KEEP unset): it matches no trace. */
export const KEEP_NOTHING: KeepExpression = { clauses: [] };

const TEST = /^(service|status|annotation\.[^\s=!<>]+)(=|!=|>=|<=|>|<)(\S+)$/;

/**
 * Parses SAMPLE_KEEP by the grammar above. Blank text is KEEP_NOTHING. A bad expression fails with one issue per
 * bad test, each at `clause N, test M` and naming the fix (an unknown field or operator, an empty or `=`-led
 * value, a status that is not three digits, an order operator on a text field).
 */
export function parseKeepExpression(text: string): Result<KeepExpression> {
  const trimmed = text.trim();
  if (trimmed === '') return ok(KEEP_NOTHING);
  const issues: Issue[] = [];
  const clauses = trimmed.split(/\s+or\s+/).map((clause, c) => clause.split(/\s+and\s+/).flatMap((raw, t): Test[] => {
    const path = `clause ${c + 1}, test ${t + 1}`;
    const m = TEST.exec(raw.trim());
    if (m === null) {
      issues.push({ path, message: `"${raw.trim()}" is not <service|status|annotation.TAG><op><value> (ops: = != >= <= > <)` });
      return [];
    }
    const [, name = '', op = '=', given = ''] = m;
    const quoted = /^(["'])(.*)\1$/.exec(given);
    const value = quoted ? quoted[2] ?? '' : given;
    if (value === '' || /^[=<>!]/.test(value) || /["']/.test(value)) {
      issues.push({ path, message: `"${raw.trim()}": the value after ${op} ${value === '' ? 'is empty' : `is ${given}`}: write ${name}${op}VALUE (one operator; quotes around the whole value only)` });
      return [];
    }
    const field = name === 'service' || name === 'status' ? name : { tag: name.slice('annotation.'.length) };
    if (field === 'status' && !/^\d{3}$/.test(value)) issues.push({ path, message: `status needs a three-digit number, got "${value}"` });
    else if (field !== 'status' && op !== '=' && op !== '!=') issues.push({ path, message: `${name} takes = or != only, got ${op}` });
    return [{ field, op: op as Op, value }];
  }));
  return issues.length > 0 ? fail(issues) : ok({ clauses });
}

/** Whether some clause has every test true of one same span of the trace (`spans`: its spans' facts). */
export function matchesKeep(expression: KeepExpression, spans: readonly SpanFacts[]): boolean {
  return expression.clauses.some((tests) => spans.some((span) => tests.every((test) => holds(test, span))));
}

function holds(test: Test, span: SpanFacts): boolean {
  if (test.field === 'status') {
    if (span.status === undefined) return test.op === '!=';
    const want = Number(test.value);
    switch (test.op) {
      case '=': return span.status === want;
      case '!=': return span.status !== want;
      case '>=': return span.status >= want;
      case '<=': return span.status <= want;
      case '>': return span.status > want;
      case '<': return span.status < want;
    }
  }
  const actual = test.field === 'service' ? span.service : span.tags[test.field.tag];
  const equal = actual !== undefined && (test.value.endsWith('*') ? actual.startsWith(test.value.slice(0, -1)) : actual === test.value);
  return test.op === '=' ? equal : !equal;
}
