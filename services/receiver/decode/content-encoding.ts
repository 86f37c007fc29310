import { gunzip, inflate, inflateRaw, constants, type ZlibOptions } from 'node:zlib';
import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import { accept, refuse, type Outcome } from './outcome.ts';

type Inflater = (body: Buffer, options: ZlibOptions, cb: (err: Error | null, out: Buffer) => void) => void;

const run = (fn: Inflater, body: Buffer, maxOutputBytes: number): Promise<Buffer> =>
  new Promise((resolve, reject) => fn(body, { maxOutputLength: maxOutputBytes }, (err, out) => (err ? reject(err) : resolve(out))));

const isTooLarge = (e: unknown): boolean =>
  (e as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;

const tooLarge = (maxBytes: number) =>
  new MeshrayError('BODY_TOO_LARGE', `decoded body exceeds the ${maxBytes}-byte limit (MAX_BODY_BYTES): send fewer spans per request, or raise MAX_BODY_BYTES`);

/** zlib's Z_DATA_ERROR for a stream whose header is not zlib (some clients send raw deflate as "deflate"). */
const isHeaderError = (e: unknown): boolean =>
  (e as { errno?: unknown } | null)?.errno === constants.Z_DATA_ERROR && /header/i.test(String((e as Error).message));

async function decodeOne(body: Buffer, coding: string, maxBytes: number): Promise<Buffer> {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return run(gunzip, body, maxBytes);
    case 'deflate':
      try {
        return await run(inflate, body, maxBytes);
      } catch (e) {
        if (isHeaderError(e)) return run(inflateRaw, body, maxBytes);
        throw e;
      }
    default:
      throw new Error(`unreachable coding ${coding}`);
  }
}

const SUPPORTED = new Set(['identity', 'gzip', 'x-gzip', 'deflate']);

/**
 * What to do when a body said to be compressed is plain JSON: `: it is uncompressed JSON (…); send it without
 * Content-Encoding: gzip`; '' for anything else (a corrupt or cut-short stream). zlib's own words ("incorrect header
 * check") said nothing of the cause (newcomer trial).
 */
function plainBodyHint(body: Buffer, coding: string): string {
  const gzip = coding !== 'deflate';
  if (gzip && body[0] === 0x1f && body[1] === 0x8b) return ''; // gzip, but corrupt or cut short
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  const first = body[i];
  if (first !== 0x5b && first !== 0x7b) return '';
  return `: it is uncompressed JSON (it starts with "${String.fromCharCode(first)}"); send it without Content-Encoding: ${coding}`;
}

/**
 * The body as is when Content-Encoding is absent, empty or `identity` (most senders: Envoy posts
 * uncompressed), else undefined: decodeContentEncoding must undo it. Synchronous, so the common request
 * skips a promise and the coding list parsing.
 */
export function identityBody(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Outcome<Buffer> | undefined {
  if (contentEncoding !== undefined && contentEncoding !== '' && contentEncoding.toLowerCase() !== 'identity') return undefined;
  return body.length > maxBytes ? refuse(tooLarge(maxBytes)) : accept(body);
}

/**
 * Undoes the Content-Encoding (identity, gzip, deflate; a list is undone last-applied first) with a
 * hard cap on the decoded size: zlib stops inflating once `maxBytes` is passed, so a zip bomb costs
 * at most `maxBytes` of memory and is refused with BODY_TOO_LARGE. Unknown codings and corrupt
 * streams are UNSUPPORTED_ENCODING.
 */
export async function decodeContentEncoding(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<Outcome<Buffer>> {
  const codings = (contentEncoding ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c.length > 0);
  const unknown = codings.filter((c) => !SUPPORTED.has(c));
  if (unknown.length > 0) {
    return refuse(new MeshrayError('UNSUPPORTED_ENCODING', `unsupported Content-Encoding "${unknown.join(', ')}": use gzip, deflate or identity`));
  }
  let out = body;
  for (const coding of codings.reverse()) {
    if (coding === 'identity') continue;
    try {
      out = await decodeOne(out, coding, maxBytes);
    } catch (e) {
      if (isTooLarge(e)) return refuse(tooLarge(maxBytes));
      return refuse(new MeshrayError('UNSUPPORTED_ENCODING', `body is not valid ${coding} data${plainBodyHint(out, coding)} (zlib: ${(e as Error).message})`, { cause: e }));
    }
  }
  if (out.length > maxBytes) return refuse(tooLarge(maxBytes));
  return accept(out);
}
