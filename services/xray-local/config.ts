import { z } from 'zod';
import { int, logEnv, port, type Config } from '../../shared/config/index.ts';

/** xray-local's own keys (the all-in-one process composes them too). */
export const xrayLocalEnv = {
  XRAY_LOCAL_PORT: port().default(2000).describe('port of the X-Ray-compatible API, console, health and metrics'),
  XRAY_LOCAL_HOST: z.string().min(1).default('0.0.0.0').describe('address xray-local listens on'),
  XRAY_LOCAL_MAX_SEGMENTS: int(1).default(200_000)
    .describe('segment documents held in memory; past it the oldest traces (by first arrival) are evicted'),
  XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND: int(0).default(0)
    .describe('emulate X-Ray throttling: segment documents accepted per second (token bucket, 1 s burst); 0 = off'),
};

export const xrayLocalConfigSchema = z.object({ ...logEnv, ...xrayLocalEnv });

export type XRayLocalConfig = Config<typeof xrayLocalConfigSchema>;
