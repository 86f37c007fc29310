export { ERROR_CATALOGUE, isRetryable, type ErrorCode } from './catalogue.ts';
export { MeshrayError, isMeshrayError } from './meshray-error.ts';
