import type { Type } from 'avsc';
import type { Issue } from '../result/result.ts';

/**
 * Walks Avro binary `bytes` against the writer `type` without building values, checking every
 * length, block count, union branch, enum index and long before avsc decodes anything.
 *
 * Why: avsc trusts block counts, so garbage such as a map block count of 2^40 makes it loop for
 * minutes (it reads past the end "silently" and only complains at the end). Here a block count
 * larger than the remaining bytes could possibly hold fails immediately, so the work is bounded by
 * the input size. Returns the first problem with its path (`annotations[2].value`), or undefined.
 */
export function scanDatum(type: Type, bytes: Uint8Array): Issue | undefined {
  const cursor: Cursor = { bytes, pos: 0 };
  try {
    scan(type as unknown as AvscType, cursor, '');
  } catch (e) {
    if (e instanceof ScanError) return { path: e.path, message: e.message };
    throw e;
  }
  if (cursor.pos !== bytes.length) {
    return { path: '', message: `${bytes.length - cursor.pos} trailing byte(s) after the record` };
  }
  return undefined;
}

/** The parts of avsc's (untyped) Type instances that the walk reads. */
interface AvscType {
  readonly typeName: string;
  readonly fields?: readonly { readonly name: string; readonly type: AvscType }[];
  readonly types?: readonly AvscType[];
  readonly itemsType?: AvscType;
  readonly valuesType?: AvscType;
  readonly symbols?: readonly string[];
  readonly size?: number;
  readonly underlyingType?: AvscType;
}

interface Cursor {
  readonly bytes: Uint8Array;
  pos: number;
}

class ScanError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

/** Largest |long| avsc's long type reads or writes (2^53 - 2); beyond, a JS number loses precision. */
const MAX_SAFE_LONG = 9_007_199_254_740_990;

/** Zigzag varint, at most `maxBytes` bytes; a long beyond ±MAX_SAFE_LONG is refused. */
function readLong(c: Cursor, path: string, maxBytes = 10): number {
  let magnitude = 0;
  let scale = 1;
  for (let i = 0; i < maxBytes; i++) {
    const byte = c.bytes[c.pos];
    if (byte === undefined) throw new ScanError(path, 'truncated: input ends inside a number');
    c.pos++;
    magnitude += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) {
      if (magnitude > 2 * MAX_SAFE_LONG) {
        throw new ScanError(path, 'long beyond ±(2^53 - 2) cannot be represented exactly');
      }
      return magnitude % 2 === 0 ? magnitude / 2 : -(magnitude + 1) / 2;
    }
  }
  throw new ScanError(path, `malformed varint (more than ${maxBytes} bytes)`);
}

function skipBytes(c: Cursor, n: number, path: string): void {
  if (n > c.bytes.length - c.pos) throw new ScanError(path, `truncated: needs ${n} byte(s), ${c.bytes.length - c.pos} left`);
  c.pos += n;
}

/** Fewest bytes one value of `t` can occupy (0 only for null and empty records). */
function minBytes(t: AvscType): number {
  switch (t.typeName) {
    case 'null': return 0;
    case 'float': return 4;
    case 'double': return 8;
    case 'fixed': return t.size ?? 0;
    case 'record':
    case 'error': return (t.fields ?? []).reduce((sum, f) => sum + minBytes(f.type), 0);
    default:
      if (t.typeName.startsWith('logical:') && t.underlyingType) return minBytes(t.underlyingType);
      return 1; // boolean, int, long, string, bytes, enum, union, array, map
  }
}

/** Cap for block counts of zero-width items (arrays of null): keeps the walk bounded anyway. */
const MAX_ZERO_WIDTH_ITEMS = 1_000_000;

function readBlocks(c: Cursor, path: string, itemMinBytes: number, scanItem: (index: number) => void): void {
  let index = 0;
  for (;;) {
    let count = readLong(c, path);
    if (count === 0) return;
    if (count < 0) {
      count = -count;
      const size = readLong(c, path);
      if (size < 0) throw new ScanError(path, `negative block size ${size}`);
    }
    const left = c.bytes.length - c.pos;
    if (itemMinBytes > 0 ? count > left / itemMinBytes : count > MAX_ZERO_WIDTH_ITEMS) {
      throw new ScanError(path, `block of ${count} item(s) cannot fit in the ${left} byte(s) left`);
    }
    for (let i = 0; i < count; i++) scanItem(index++);
  }
}

function scan(t: AvscType, c: Cursor, path: string): void {
  switch (t.typeName) {
    case 'null':
      return;
    case 'boolean': {
      const b = c.bytes[c.pos];
      if (b === undefined) throw new ScanError(path, 'truncated: input ends before a boolean');
      if (b > 1) throw new ScanError(path, `invalid boolean byte ${b}`);
      c.pos++;
      return;
    }
    case 'int':
      readLong(c, path, 5);
      return;
    case 'long':
      readLong(c, path);
      return;
    case 'float':
      skipBytes(c, 4, path);
      return;
    case 'double':
      skipBytes(c, 8, path);
      return;
    case 'string':
    case 'bytes': {
      const length = readLong(c, path);
      if (length < 0) throw new ScanError(path, `negative length ${length}`);
      skipBytes(c, length, path);
      return;
    }
    case 'fixed':
      skipBytes(c, t.size ?? 0, path);
      return;
    case 'enum': {
      const index = readLong(c, path);
      const count = t.symbols?.length ?? 0;
      if (index < 0 || index >= count) throw new ScanError(path, `enum index ${index} out of range 0..${count - 1}`);
      return;
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = t.types ?? [];
      const index = readLong(c, path);
      const branch = branches[index];
      if (index < 0 || branch === undefined) {
        throw new ScanError(path, `union branch ${index} out of range 0..${branches.length - 1}`);
      }
      scan(branch, c, path);
      return;
    }
    case 'array': {
      const items = t.itemsType;
      if (!items) throw new Error('avsc array type without itemsType');
      readBlocks(c, path, minBytes(items), (i) => scan(items, c, `${path}[${i}]`));
      return;
    }
    case 'map': {
      const values = t.valuesType;
      if (!values) throw new Error('avsc map type without valuesType');
      readBlocks(c, path, 1 + minBytes(values), (i) => {
        scan({ typeName: 'string' }, c, `${path}{key ${i}}`);
        scan(values, c, `${path}{${i}}`);
      });
      return;
    }
    case 'record':
    case 'error':
      for (const field of t.fields ?? []) scan(field.type, c, path ? `${path}.${field.name}` : field.name);
      return;
    default:
      if (t.typeName.startsWith('logical:') && t.underlyingType) {
        scan(t.underlyingType, c, path);
        return;
      }
      throw new Error(`scanDatum: unsupported Avro type ${t.typeName}`);
  }
}
