export { documentsAtMostOf, traceFactsOf } from './trace-facts.ts';
export type { SpanFacts, TraceFacts } from './trace-facts.ts';
export { parseKeepExpression, matchesKeep, KEEP_NOTHING } from './keep-expression.ts';
export type { KeepExpression } from './keep-expression.ts';
export { keepPolicyOf, traceFraction, AdaptiveRate, MIN_ADAPTIVE_RATE } from './policy.ts';
export type { KeepPolicy, SamplePolicy, PolicySettings } from './policy.ts';
export { DecisionCache } from './decision-cache.ts';
export type { Decision } from './decision-cache.ts';
