/**
 * What an X-Ray API handler answers: a body, or an AWS-style error. The SDK reads the error type from
 * the `x-amzn-errortype` header (or body `__type`) and the text from `message`.
 */
export type XRayErrorType = 'InvalidRequestException' | 'ThrottledException';

export interface XRayApiError {
  readonly type: XRayErrorType;
  readonly status: 400 | 429;
  readonly message: string;
}

export type ApiOutcome<T> = { readonly ok: true; readonly body: T } | { readonly ok: false; readonly error: XRayApiError };

export const answer = <T>(body: T): ApiOutcome<T> => ({ ok: true, body });

export const invalidRequest = (message: string): ApiOutcome<never> => ({
  ok: false,
  error: { type: 'InvalidRequestException', status: 400, message },
});

export const throttled = (message: string): ApiOutcome<never> => ({
  ok: false,
  error: { type: 'ThrottledException', status: 429, message },
});

/** The JSON body of an error answer. */
export const errorBody = (error: XRayApiError): Record<string, string> => ({ __type: error.type, message: error.message });
