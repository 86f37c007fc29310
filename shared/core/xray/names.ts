import { MAX_NAME_CHARS } from './limits.ts';

/** X-Ray's segment name charset (`java_pattern` of the official schema), as a JS unicode regex. */
export const XRAY_NAME_PATTERN = /^[\p{L}\p{N}\p{Z}_.:/%&#=+\-@]{1,200}$/u;
const NAME_CHARS = /^[\p{L}\p{N}\p{Z}_.:/%&#=+\-@]*$/u;
const NAME_DISALLOWED = /[^\p{L}\p{N}\p{Z}_.:/%&#=+\-@]/gu;

export const UNKNOWN_NAME = 'unknown';

/**
 * Makes any string a valid X-Ray segment name: disallowed characters become `_`, the result is cut
 * to 200 code points, an empty result becomes `unknown`.
 */
export function sanitizeName(raw: string | undefined): string {
  if (raw === undefined || raw.length === 0) return UNKNOWN_NAME;
  let name = NAME_CHARS.test(raw) ? raw : raw.replace(NAME_DISALLOWED, '_');
  if (name.length > MAX_NAME_CHARS) name = cutCodePoints(name, MAX_NAME_CHARS);
  return name;
}

function cutCodePoints(value: string, maxCodePoints: number): string {
  let count = 0;
  let i = 0;
  while (i < value.length && count < maxCodePoints) {
    const code = value.charCodeAt(i);
    i += code >= 0xd800 && code <= 0xdbff && i + 1 < value.length ? 2 : 1;
    count += 1;
  }
  return value.slice(0, i);
}
