/**
 * Avro schema fingerprints: CRC-64-AVRO (the 64-bit Rabin fingerprint from the Avro
 * specification, "Schema Fingerprints") over a schema's Parsing Canonical Form. Pure computation.
 */

const EMPTY64 = 0xc15d213aa4d7a795n;
const MASK64 = 0xffffffffffffffffn;

const TABLE: readonly bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY64 & -(fp & 1n) & MASK64);
  return fp;
});

/** CRC-64-AVRO of the UTF-8 bytes of `text`, as 16 lowercase hex digits (the unsigned 64-bit value). */
export function fingerprint64(text: string): string {
  let fp = EMPTY64;
  for (const byte of new TextEncoder().encode(text)) {
    fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] ?? 0n);
  }
  return fp.toString(16).padStart(16, '0');
}
