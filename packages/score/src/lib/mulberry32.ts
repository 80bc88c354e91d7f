/**
 * mulberry32: a tiny, fast 32-bit seedable PRNG (Tommy Ettinger's public-domain design).
 * Good enough for simulation, not for anything secret. Returns floats in [0, 1) with 32 bits of
 * resolution, which is ample for the generator's 0.0001 threshold.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return function random(): number {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
