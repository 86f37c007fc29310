import type { Issue } from '../../core/result/result.ts';
import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.ts';

/** The one base class for meshray's expected failures. Anything else thrown is a bug. */
export class MeshrayError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly issues: readonly Issue[];

  constructor(code: ErrorCode, message?: string, options?: { issues?: readonly Issue[]; cause?: unknown }) {
    super(message ?? ERROR_CATALOGUE[code].summary, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeshrayError';
    this.code = code;
    this.retryable = ERROR_CATALOGUE[code].retryable;
    this.issues = options?.issues ?? [];
  }
}

export const isMeshrayError = (e: unknown): e is MeshrayError => e instanceof MeshrayError;
