/**
 * SAMPLING's environment keys (part of translatorEnvSchema) and their cross-checks. X-Ray's quota: 2,600
 * segments per second per Region (https://docs.aws.amazon.com/general/latest/gr/xray.html).
 */
import { z } from 'zod';
import { durationMs, int } from '../../../shared/edge/config/index.ts';
import { formatIssues } from '../../../shared/core/result/result.ts';
import { parseKeepExpression } from '../../../shared/core/sampling/index.ts';

/** Both budgets' default: X-Ray's 2,600 per second less 300 for other senders. */
const DEFAULT_EXPORTS_PER_SECOND = 2_300;

export const samplingEnv = {
  SAMPLING: z.enum(['on', 'off']).default('off')
    .describe('on (requires ASSEMBLY=on): tail sampling of whole traces to XRAY_SEGMENTS_PER_SECOND (OTLP_SPANS_PER_SECOND with EXPORT_PROTOCOL=otlp): traces with a fault, error or throttle, slow traces and SAMPLE_KEEP matches always; the rest adaptively. Sampled-out spans are committed'),
  SAMPLE_SLOW_MS: durationMs().default(10_000)
    .describe('with SAMPLING=on, traces lasting at least this long are always kept; 0: no slow policy'),
  SAMPLE_KEEP: z.string().default('')
    .describe('with SAMPLING=on, traces with a span matching this are always kept: `field op value` tests joined by `and`/`or`; fields service, status, annotation.<tag>; ops = != (value* = prefix) and, for status, >= <= > <. Example: `service=payments or status>=500`'),
  XRAY_SEGMENTS_PER_SECOND: int(1, 1_000_000).default(DEFAULT_EXPORTS_PER_SECOND)
    .describe('with SAMPLING=on, segment documents per second exported by all translators together (Redis shares the budget; without Redis each takes its share). X-Ray\'s quota is 2,600 per Region (see its quota page): the default keeps 300 headroom for other senders'),
  OTLP_SPANS_PER_SECOND: int(1, 1_000_000).default(DEFAULT_EXPORTS_PER_SECOND)
    .describe('with SAMPLING=on and EXPORT_PROTOCOL=otlp, spans per second exported by all translators together (its own budget in Redis)'),
  SAMPLE_DECISION_TTL: durationMs({ min: 1000 }).default(120_000)
    .describe('with SAMPLING=on, how long a trace\'s decision is remembered so that its late spans follow it'),
};

/**
 * SAMPLING=on needs the assembly window; SAMPLE_KEEP must parse; a budget set for the other protocol is
 * refused, since it would be ignored (each problem listed at startup). A budget is taken as set when it is
 * not its default.
 */
export function requireSamplingSettings(
  c: { SAMPLING: string; ASSEMBLY: string; SAMPLE_KEEP: string; EXPORT_PROTOCOL: string; XRAY_SEGMENTS_PER_SECOND: number; OTLP_SPANS_PER_SECOND: number },
  ctx: z.RefinementCtx,
): void {
  if (c.SAMPLING === 'on' && c.ASSEMBLY !== 'on') {
    ctx.addIssue({ code: 'custom', path: ['SAMPLING'], message: 'SAMPLING=on needs ASSEMBLY=on (a trace is sampled whole, after assembly)' });
  }
  if (c.SAMPLING === 'on' && c.EXPORT_PROTOCOL === 'otlp' && c.XRAY_SEGMENTS_PER_SECOND !== DEFAULT_EXPORTS_PER_SECOND) {
    ctx.addIssue({ code: 'custom', path: ['XRAY_SEGMENTS_PER_SECOND'], message: `is not used with EXPORT_PROTOCOL=otlp: that budget is OTLP_SPANS_PER_SECOND (now ${c.OTLP_SPANS_PER_SECOND}); set that instead` });
  }
  if (c.SAMPLING === 'on' && c.EXPORT_PROTOCOL !== 'otlp' && c.OTLP_SPANS_PER_SECOND !== DEFAULT_EXPORTS_PER_SECOND) {
    ctx.addIssue({ code: 'custom', path: ['OTLP_SPANS_PER_SECOND'], message: `is used only with EXPORT_PROTOCOL=otlp: with ${c.EXPORT_PROTOCOL} the budget is XRAY_SEGMENTS_PER_SECOND (now ${c.XRAY_SEGMENTS_PER_SECOND}); set that instead` });
  }
  const keep = parseKeepExpression(c.SAMPLE_KEEP);
  if (!keep.ok) ctx.addIssue({ code: 'custom', path: ['SAMPLE_KEEP'], message: formatIssues(keep.issues).split('\n').join('; ') });
}
