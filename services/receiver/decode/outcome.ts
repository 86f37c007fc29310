import type { MeshrayError } from '../../../shared/edge/errors/index.ts';

/**
 * What the receiver's decode and validate steps return: like `Result<T>`, but a refusal carries the
 * catalogue code that decides the HTTP answer (BODY_TOO_LARGE, UNSUPPORTED_ENCODING, ...), with its issues.
 */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: MeshrayError };

export const accept = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const refuse = <T = never>(error: MeshrayError): Outcome<T> => ({ ok: false, error });
