/** xray-local as a library: the all-in-one process embeds it through buildXRayLocal (its app and an in-process client). */
export { buildApp, buildXRayLocal, BODY_LIMIT_BYTES, type EmbeddedXRayLocal, type XRayLocalDeps } from './app.ts';
export { xrayLocalConfigSchema, xrayLocalEnv, type XRayLocalConfig } from './config.ts';
export { SegmentStore, type StoredSegment, type StoredTrace } from './store/segment-store.ts';
export { main, type RunningXRayLocal } from './main.ts';
