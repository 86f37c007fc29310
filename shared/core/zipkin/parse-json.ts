/** First decoding step of both JSON formats: bytes → text → a JSON array. */
import { fail, ok, type Result } from '../result/result.ts';
import { describe } from './validate.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a body that must be a JSON array (of spans). The BOM, if any, is skipped. */
export function parseJsonArray(body: Uint8Array | string): Result<unknown[]> {
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else {
    try {
      text = utf8.decode(body);
    } catch {
      return fail([{ path: '', message: 'body is not valid UTF-8' }]);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail([{ path: '', message: `body is not valid JSON: ${reason}` }]);
  }
  if (!Array.isArray(parsed)) {
    return fail([{ path: 'spans', message: `must be a JSON array of spans, got ${describe(parsed)}` }]);
  }
  return ok(parsed);
}
