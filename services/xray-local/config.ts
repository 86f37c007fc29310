import { z } from 'zod';
import { int, logEnv, port, type Config } from '../../shared/edge/config/index.ts';

/** xray-local's own keys (the all-in-one process composes them too). */
export const xrayLocalEnv = {
  XRAY_LOCAL_PORT: port().default(2000).describe('port of the X-Ray-compatible API, console, health and metrics'),
  XRAY_LOCAL_HOST: z.string().min(1).default('127.0.0.1')
    .describe('address xray-local listens on; loopback by default because it has no authentication (0.0.0.0: every interface, e.g. in a container)'),
  XRAY_LOCAL_MAX_SEGMENTS: int(1).default(200_000)
    .describe('segment documents held in memory; past it the oldest traces (by first arrival) are evicted'),
  XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND: int(0).default(0)
    .describe('emulate X-Ray throttling: segment documents accepted per second (token bucket, 1 s burst); 0 = off'),
};

/** The standalone xray-local's TLS keys (the all-in-one's embedded xray-local stays plain HTTP on its host). */
export const xrayLocalTlsEnv = {
  XRAY_LOCAL_TLS_CERT: z.string().min(1).optional()
    .describe('PEM certificate chain file: serve HTTPS (with XRAY_LOCAL_TLS_KEY); a rotated pair is picked up within 10 s'),
  XRAY_LOCAL_TLS_KEY: z.string().min(1).optional().describe('PEM private key file of XRAY_LOCAL_TLS_CERT'),
};

/**
 * The standalone xray-local's account setting (the all-in-one's embedded xray-local follows EXPORT_PROTOCOL:
 * Transaction Search on for otlp).
 */
export const xrayLocalAccountEnv = {
  XRAY_LOCAL_TRACE_SEGMENT_DESTINATION: z.enum(['XRay', 'CloudWatchLogs']).default('XRay')
    .describe('the trace segment destination it starts with: XRay (the AWS default: /v1/traces refuses spans, Transaction Search off) or CloudWatchLogs (Transaction Search on); UpdateTraceSegmentDestination changes it'),
};

/** Both TLS files or neither: apply to a schema composed with `xrayLocalEnv`. */
export function requireTlsPair(c: { XRAY_LOCAL_TLS_CERT?: string | undefined; XRAY_LOCAL_TLS_KEY?: string | undefined }, ctx: z.RefinementCtx): void {
  if ((c.XRAY_LOCAL_TLS_CERT === undefined) === (c.XRAY_LOCAL_TLS_KEY === undefined)) return;
  const [missing, other] = c.XRAY_LOCAL_TLS_CERT === undefined ? ['XRAY_LOCAL_TLS_CERT', 'XRAY_LOCAL_TLS_KEY'] : ['XRAY_LOCAL_TLS_KEY', 'XRAY_LOCAL_TLS_CERT'];
  ctx.addIssue({ code: 'custom', path: [missing], message: `is required with ${other}` });
}

/** Whether `host` only accepts connections from this machine. */
export const isLoopbackHost = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);

export const xrayLocalConfigSchema = z.object({ ...logEnv, ...xrayLocalEnv, ...xrayLocalAccountEnv, ...xrayLocalTlsEnv }).superRefine(requireTlsPair);

export type XRayLocalConfig = Config<typeof xrayLocalConfigSchema>;
