/** xray-local as a library: the all-in-one process embeds it through buildApp. */
export { buildApp, BODY_LIMIT_BYTES, type XRayLocalDeps } from './app.ts';
export { xrayLocalConfigSchema, xrayLocalEnv, type XRayLocalConfig } from './config.ts';
export { SegmentStore, type StoredSegment, type StoredTrace } from './store/segment-store.ts';
export { main, type RunningXRayLocal } from './main.ts';
