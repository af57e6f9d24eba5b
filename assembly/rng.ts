// Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11). A block of four u32 words is a pure
// function of a 64-bit key (the seed) and a 128-bit counter (c0, c1, c2, c3), so any worker can produce any
// batch and a run is identical whatever the number of workers. Project convention for the counter:
// c0 = sample index, c1 = step / log index / epoch, c2 = stream id (see src/core/rng.ts), c3 = block index.

const M0: u32 = 0xd2511f53;
const M1: u32 = 0xcd9e8d57;
const W0: u32 = 0x9e3779b9;
const W1: u32 = 0xbb67ae85;

// The four output words of the last philox() call (scratch only: not state between kernel calls).
export let pw0: u32 = 0;
export let pw1: u32 = 0;
export let pw2: u32 = 0;
export let pw3: u32 = 0;

/** One Philox4x32-10 block; the result is left in pw0..pw3. */
export function philox(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  for (let r = 0; r < 10; r++) {
    const p0: u64 = <u64>M0 * <u64>c0;
    const p1: u64 = <u64>M1 * <u64>c2;
    const hi0 = <u32>(p0 >>> 32);
    const lo0 = <u32>p0;
    const hi1 = <u32>(p1 >>> 32);
    const lo1 = <u32>p1;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += W0;
    k1 += W1;
  }
  pw0 = c0;
  pw1 = c1;
  pw2 = c2;
  pw3 = c3;
}

/** A double uniform in [0, 1) with 53 random bits, from two words. */
export function uniform53(a: u32, b: u32): f64 {
  return (<f64>(a >>> 5) * 67108864.0 + <f64>(b >>> 6)) * (1.0 / 9007199254740992.0);
}

/**
 * Fills `nBlocks` Philox blocks (4 u32 words each) at `out` (u32[4 * nBlocks], 4-byte aligned).
 * Block j uses the counter (c0Base + j, c1, stream, c3).
 */
export function rng_fill_u32(
  out: usize,
  nBlocks: i32,
  seedLo: u32,
  seedHi: u32,
  stream: u32,
  c1: u32,
  c0Base: u32,
  c3: u32,
): void {
  for (let j = 0; j < nBlocks; j++) {
    philox(c0Base + <u32>j, c1, stream, c3, seedLo, seedHi);
    const p = out + ((<usize>j) << 4);
    store<u32>(p, pw0);
    store<u32>(p, pw1, 4);
    store<u32>(p, pw2, 8);
    store<u32>(p, pw3, 12);
  }
}

/** Fills `count` doubles uniform in [0, 1) at `out` (f64[count]); value j uses block (c0Base + j, c1, stream, 0). */
export function rng_fill_uniform(
  out: usize,
  count: i32,
  seedLo: u32,
  seedHi: u32,
  stream: u32,
  c1: u32,
  c0Base: u32,
): void {
  for (let j = 0; j < count; j++) {
    philox(c0Base + <u32>j, c1, stream, 0, seedLo, seedHi);
    store<f64>(out + ((<usize>j) << 3), uniform53(pw0, pw1));
  }
}
