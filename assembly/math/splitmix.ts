// SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number generators",
// OOPSLA 2014; constants as in Vigna's splitmix64.c). Counter-based use: mix(seed + i * GAMMA)
// gives the i-th value directly, so any range of a sequence can be computed on its own
// (by any thread) and agree with a single pass.

/** The golden-ratio increment 0x9E3779B97F4A7C15. */
// @ts-ignore: decorator
@inline export const GAMMA: u64 = 0x9E3779B97F4A7C15;

/** The SplitMix64 output function applied to z. */
// @ts-ignore: decorator
@inline export function mix64(z: u64): u64 {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

/** The i-th value of the SplitMix64 sequence started at `seed`. */
// @ts-ignore: decorator
@inline export function splitmixAt(seed: u64, i: u64): u64 {
  return mix64(seed + (i + 1) * GAMMA);
}
