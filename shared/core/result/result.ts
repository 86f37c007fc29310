/**
 * What kind of problem an issue is, where a caller decides by it (a refusal's metric `reason`): `missing`, a
 * required field is absent; `wrong_version`, a Zipkin span of the other API version. Most issues carry none.
 */
export type IssueCode = 'missing' | 'wrong_version';

/** One problem found in an input, named by where it is (e.g. `spans[3].traceId`). */
export interface Issue {
  readonly path: string;
  readonly message: string;
  readonly code?: IssueCode;
}

/** What decoders and validators return: they never throw for bad input, only for bugs. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly Issue[] };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(issues: readonly Issue[]): Result<T> => ({ ok: false, issues });

/** Renders issues as one line each, for logs, CLI errors and HTTP 400 bodies. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n');
}
