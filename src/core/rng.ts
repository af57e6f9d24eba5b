// The counter-based generator's TypeScript side: stream ids, seed splitting, and the Philox4x32-10 twin used
// as a test oracle and for the few non-hot draws (subsets, initial weights, epoch shuffles).

/** Stream ids (the counter word c2): one per independent use of randomness. */
export const Stream = {
  subsets: 1,
  init: 2,
  trainBatch: 3,
  testBatch: 4,
  subtaskBatch: 5,
  dataset: 6,
  shuffle: 7,
  qdgSamples: 8,
  kmeans: 9,
  toy: 10,
  lanczos: 11,
  lm: 12,
  bootstrap: 13,
} as const;

/** The 64-bit Philox key of a seed (a non-negative integer below 2^53). */
export function seedKey(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`quanta: seed must be an integer >= 0, got ${seed}`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/**
 * The high 32 bits of the 64-bit product of two 32-bit words, exactly, in plain number arithmetic: 16-bit
 * halves, every partial sum below 2^53 (a BigInt product per call made the JS generator about 20 times slower).
 * The low word is Math.imul(a, b) >>> 0.
 */
export function mulHi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const m1 = ah * bl;
  const m2 = al * bh;
  const mid = ((al * bl) >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
  return (ah * bh + (m1 >>> 16) + (m2 >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/** One Philox4x32-10 block, the plain twin of assembly/rng.ts philox(). */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
): Uint32Array {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulHi32(0xd2511f53, x0);
    const lo0 = Math.imul(0xd2511f53, x0) >>> 0;
    const hi1 = mulHi32(0xcd9e8d57, x2);
    const lo1 = Math.imul(0xcd9e8d57, x2) >>> 0;
    const n0 = (hi1 ^ x1 ^ key0) >>> 0;
    const n2 = (hi0 ^ x3 ^ key1) >>> 0;
    x0 = n0;
    x1 = lo1;
    x2 = n2;
    x3 = lo0;
    key0 = (key0 + 0x9e3779b9) >>> 0;
    key1 = (key1 + 0xbb67ae85) >>> 0;
  }
  return Uint32Array.of(x0, x1, x2, x3);
}

/** A double in [0, 1) from two words, as assembly/rng.ts uniform53(). */
export function uniform53(a: number, b: number): number {
  return ((a >>> 5) * 67108864 + (b >>> 6)) / 9007199254740992;
}

/** A small sequential generator on top of Philox for non-hot draws: block i of (seed, stream, c1). */
export class CounterRandom {
  private readonly k0: number;
  private readonly k1: number;
  private counter = 0;
  private words: Uint32Array = new Uint32Array(4);
  private used = 4;

  constructor(
    seed: number,
    private readonly stream: number,
    private readonly c1 = 0,
  ) {
    [this.k0, this.k1] = seedKey(seed);
  }

  nextU32(): number {
    if (this.used === 4) {
      this.words = philox4x32(this.counter++, this.c1, this.stream, 0, this.k0, this.k1);
      this.used = 0;
    }
    return this.words[this.used++];
  }

  /** Uniform in [0, 1) with 53 bits. */
  nextDouble(): number {
    return uniform53(this.nextU32(), this.nextU32());
  }

  /** Uniform integer in [0, bound), bound <= 2^32, without modulo bias. */
  nextInt(bound: number): number {
    if (bound <= 0 || bound > 2 ** 32) throw new RangeError(`nextInt bound ${bound}`);
    const limit = Math.floor(2 ** 32 / bound) * bound;
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % bound;
    }
  }

  /** A standard normal (Box-Muller). */
  nextGaussian(): number {
    const u1 = 1 - this.nextDouble();
    const u2 = this.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
