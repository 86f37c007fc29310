import { fail, ok, type Result } from '../../../shared/core/result/result.ts';

/**
 * The subset of X-Ray filter expressions xray-local understands, as a tree:
 *   clause (AND clause)*,   clause := ['!'] atom
 *   atom := service("name") | ok | error | fault | throttle [= true|false]
 *         | http.status <cmp> N | http.url|http.method|http.useragent|http.clientip <str-op> "s"
 *         | duration|responsetime <cmp> N | annotation.KEY <cmp> value | annotation[KEY] <cmp> value
 *   cmp := = != < <= > >=   str-op := = != CONTAINS BEGINSWITH ENDSWITH
 */
export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'CONTAINS' | 'BEGINSWITH' | 'ENDSWITH';
export type FilterValue = string | number | boolean;
export type HttpField = 'status' | 'url' | 'method' | 'useragent' | 'clientip';

export type Filter =
  | { readonly kind: 'all' }
  | { readonly kind: 'and'; readonly clauses: readonly Filter[] }
  | { readonly kind: 'not'; readonly inner: Filter }
  | { readonly kind: 'service'; readonly name: string }
  | { readonly kind: 'flag'; readonly flag: 'ok' | 'error' | 'fault' | 'throttle'; readonly value: boolean }
  | { readonly kind: 'http'; readonly field: HttpField; readonly op: Comparator; readonly value: FilterValue }
  | { readonly kind: 'time'; readonly field: 'duration' | 'responsetime'; readonly op: Comparator; readonly value: number }
  | { readonly kind: 'annotation'; readonly key: string; readonly op: Comparator; readonly value: FilterValue };

export const SUPPORTED_FILTERS =
  'service("name"), ok, error, fault, throttle, http.status, http.url, http.method, http.useragent, http.clientip, ' +
  'duration, responsetime, annotation.KEY (or annotation[KEY]), negated with ! and joined with AND';

type Token =
  | { readonly t: 'str'; readonly v: string; readonly at: number }
  | { readonly t: 'num'; readonly v: number; readonly at: number }
  | { readonly t: 'word'; readonly v: string; readonly at: number }
  | { readonly t: 'sym'; readonly v: string; readonly at: number };

const SYMBOLS = ['&&', '||', '!=', '<=', '>=', '=', '<', '>', '(', ')', '[', ']', '!', ','];

function tokenize(input: string): Result<Token[]> {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] ?? '';
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      for (; j < input.length && input[j] !== c; j += 1) {
        if (input[j] === '\\' && j + 1 < input.length) j += 1;
        value += input[j];
      }
      if (j >= input.length) return fail([{ path: 'FilterExpression', message: `unterminated string starting at position ${i}` }]);
      tokens.push({ t: 'str', v: value, at: i });
      i = j + 1;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?/.exec(input.slice(i));
    if (num) {
      tokens.push({ t: 'num', v: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.\-:]*/.exec(input.slice(i));
    if (word) {
      tokens.push({ t: 'word', v: word[0], at: i });
      i += word[0].length;
      continue;
    }
    const symbol = SYMBOLS.find((s) => input.startsWith(s, i));
    if (!symbol) return fail([{ path: 'FilterExpression', message: `unexpected character "${c}" at position ${i}` }]);
    tokens.push({ t: 'sym', v: symbol, at: i });
    i += symbol.length;
  }
  return ok(tokens);
}

const COMPARATORS = new Set<string>(['=', '!=', '<', '<=', '>', '>=']);
const STRING_OPS = new Set<string>(['CONTAINS', 'BEGINSWITH', 'ENDSWITH']);
const FLAGS = new Set(['ok', 'error', 'fault', 'throttle']);
const HTTP_FIELDS = new Set<string>(['status', 'url', 'method', 'useragent', 'clientip']);

class Parser {
  #pos = 0;
  constructor(readonly tokens: readonly Token[], readonly input: string) {}

  peek(): Token | undefined {
    return this.tokens[this.#pos];
  }

  next(): Token | undefined {
    const token = this.tokens[this.#pos];
    this.#pos += 1;
    return token;
  }

  unsupported(token: Token | undefined, what: string): Result<never> {
    const near = token === undefined ? 'the end' : `"${this.input.slice(token.at, token.at + 30)}"`;
    return fail([{ path: 'FilterExpression', message: `${what} near ${near}; xray-local supports ${SUPPORTED_FILTERS}` }]);
  }

  isAnd(token: Token | undefined): boolean {
    return token !== undefined && ((token.t === 'word' && token.v.toUpperCase() === 'AND') || (token.t === 'sym' && token.v === '&&'));
  }

  expression(): Result<Filter> {
    const clauses: Filter[] = [];
    for (;;) {
      const clause = this.clause();
      if (!clause.ok) return clause;
      clauses.push(clause.value);
      const token = this.peek();
      if (token === undefined) break;
      if (this.isAnd(token)) {
        this.next();
        continue;
      }
      if ((token.t === 'word' && token.v.toUpperCase() === 'OR') || (token.t === 'sym' && token.v === '||')) {
        return this.unsupported(token, 'OR is not supported (only AND)');
      }
      return this.unsupported(token, 'expected AND');
    }
    return ok(clauses.length === 1 && clauses[0] ? clauses[0] : { kind: 'and', clauses });
  }

  clause(): Result<Filter> {
    const token = this.peek();
    if (token?.t === 'sym' && token.v === '!') {
      this.next();
      const inner = this.atom();
      return inner.ok ? ok({ kind: 'not', inner: inner.value }) : inner;
    }
    return this.atom();
  }

  atom(): Result<Filter> {
    const token = this.next();
    if (token?.t !== 'word') return this.unsupported(token, 'expected a keyword');
    const word = token.v;
    const lower = word.toLowerCase();
    if (lower === 'service') return this.service(token);
    if (FLAGS.has(lower)) return this.flag(lower as 'ok' | 'error' | 'fault' | 'throttle');
    if (lower.startsWith('http.') && HTTP_FIELDS.has(lower.slice(5))) {
      const field = lower.slice(5) as HttpField;
      const cmp = this.comparison(field === 'status' ? 'number' : 'string');
      return cmp.ok ? ok({ kind: 'http', field, op: cmp.value.op, value: cmp.value.value }) : cmp;
    }
    if (lower === 'duration' || lower === 'responsetime') {
      const cmp = this.comparison('number');
      return cmp.ok ? ok({ kind: 'time', field: lower, op: cmp.value.op, value: cmp.value.value as number }) : cmp;
    }
    if (lower.startsWith('annotation.') && word.length > 'annotation.'.length) return this.annotation(word.slice('annotation.'.length));
    if (lower === 'annotation' && this.peek()?.t === 'sym' && this.peek()?.v === '[') {
      this.next();
      const key = this.next();
      const close = this.next();
      if (key === undefined || key.t === 'sym' || close?.t !== 'sym' || close.v !== ']') return this.unsupported(key, 'expected annotation[KEY]');
      return this.annotation(String(key.v));
    }
    return this.unsupported(token, `unknown keyword "${word}"`);
  }

  service(token: Token): Result<Filter> {
    const open = this.next();
    const name = this.next();
    const close = this.next();
    if (open?.t !== 'sym' || open.v !== '(' || name?.t !== 'str' || close?.t !== 'sym' || close.v !== ')') {
      return this.unsupported(token, 'expected service("name")');
    }
    return ok({ kind: 'service', name: name.v });
  }

  flag(flag: 'ok' | 'error' | 'fault' | 'throttle'): Result<Filter> {
    const token = this.peek();
    if (token?.t === 'sym' && (token.v === '=' || token.v === '!=')) {
      this.next();
      const value = this.next();
      if (value?.t !== 'word' || !/^(true|false)$/i.test(value.v)) return this.unsupported(value, `expected ${flag} = true|false`);
      const isTrue = value.v.toLowerCase() === 'true';
      return ok({ kind: 'flag', flag, value: token.v === '=' ? isTrue : !isTrue });
    }
    return ok({ kind: 'flag', flag, value: true });
  }

  annotation(key: string): Result<Filter> {
    const cmp = this.comparison('any');
    return cmp.ok ? ok({ kind: 'annotation', key, op: cmp.value.op, value: cmp.value.value }) : cmp;
  }

  comparison(type: 'number' | 'string' | 'any'): Result<{ op: Comparator; value: FilterValue }> {
    const opToken = this.next();
    const isCmp = opToken?.t === 'sym' && COMPARATORS.has(opToken.v);
    const isStrOp = opToken?.t === 'word' && STRING_OPS.has(opToken.v.toUpperCase());
    if (!opToken || (!isCmp && !isStrOp)) return this.unsupported(opToken, 'expected a comparison (= != < <= > >= CONTAINS BEGINSWITH ENDSWITH)');
    const op = (isStrOp ? opToken.v.toUpperCase() : opToken.v) as Comparator;
    const valueToken = this.next();
    let value: FilterValue;
    if (valueToken?.t === 'num' || valueToken?.t === 'str') value = valueToken.v;
    else if (valueToken?.t === 'word' && /^(true|false)$/i.test(valueToken.v)) value = valueToken.v.toLowerCase() === 'true';
    else return this.unsupported(valueToken, 'expected a number, "string", true or false');
    if (type === 'number' && typeof value !== 'number') return this.unsupported(valueToken, 'expected a number');
    if (type === 'string' && typeof value !== 'string') return this.unsupported(valueToken, 'expected a "string"');
    if (isStrOp && typeof value !== 'string') return this.unsupported(valueToken, `${op} takes a "string"`);
    if (typeof value !== 'number' && (op === '<' || op === '<=' || op === '>' || op === '>=')) {
      return this.unsupported(valueToken, `${op} takes a number`);
    }
    return ok({ op, value });
  }
}

/** Parses a FilterExpression; an absent or blank one matches every trace. */
export function parseFilter(expression: string | undefined): Result<Filter> {
  if (expression === undefined || expression.trim() === '') return ok({ kind: 'all' });
  const tokens = tokenize(expression);
  if (!tokens.ok) return tokens;
  return new Parser(tokens.value, expression).expression();
}
