/**
 * A tiny seeded PRNG (mulberry32) so that generation is deterministic: the same seed gives the same
 * spans, ids and choices. Not cryptographic; Envoy's ids are random, ours only need to look random.
 */
export interface Prng {
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform float in [0, 1). */
  next(): number;
  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** Float in [min, max). */
  between(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** 16 lowercase hex characters, never all zeros (Zipkin refuses a zero id). */
  hex64(): string;
}

const HEX8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** mulberry32 seeded with a 32-bit integer (any number is folded to 32 bits). */
export function createPrng(seed: number): Prng {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => uint32() / 4294967296;
  return {
    uint32,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    between: (min, max) => min + next() * (max - min),
    chance: (p) => p > 0 && next() < p,
    hex64: () => {
      const high = uint32();
      const low = uint32();
      return high === 0 && low === 0 ? '0000000000000001' : HEX8(high) + HEX8(low);
    },
  };
}
