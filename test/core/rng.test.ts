import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { CounterRandom, mulHi32, philox4x32, seedKey, uniform53 } from '../../src/core/rng.js';

const core = new Core();
const hex = (a: Uint32Array) => Array.from(a, (x) => x.toString(16).padStart(8, '0'));

describe('Philox4x32-10', () => {
  it('mulHi32 is the high word of the exact 64-bit product (BigInt twin)', () => {
    const twin = (a: number, b: number) => Number((BigInt(a) * BigInt(b)) >> 32n);
    const u32 = fc.oneof(fc.nat(2 ** 32 - 1), fc.constantFrom(0, 1, 0xffff, 0x10000, 0xffffffff, 0xd2511f53));
    fc.assert(
      fc.property(u32, u32, (a, b) => {
        expect(mulHi32(a, b)).toBe(twin(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches the Random123 known-answer vectors (TS twin)', () => {
    expect(hex(philox4x32(0, 0, 0, 0, 0, 0))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    const f = 0xffffffff;
    expect(hex(philox4x32(f, f, f, f, f, f))).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    expect(hex(philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0))).toEqual([
      'd16cfe09',
      '94fdcceb',
      '5001e420',
      '24126ea1',
    ]);
  });

  it('the Wasm kernel equals the TS twin for any key and counter', () => {
    const out = core.allocI32(4 * 8);
    fc.assert(
      fc.property(
        fc.nat(2 ** 32 - 1),
        fc.nat(2 ** 32 - 1),
        fc.nat(2 ** 32 - 1),
        fc.nat(1000),
        fc.nat(2 ** 32 - 9),
        fc.nat(2 ** 32 - 1),
        (k0, k1, stream, c1, c0, c3) => {
          core.kernels.rng_fill_u32(out, 8, k0, k1, stream, c1, c0, c3);
          const got = core.u32(out, 32);
          for (let j = 0; j < 8; j++) {
            expect(Array.from(got.subarray(4 * j, 4 * j + 4))).toEqual(
              Array.from(philox4x32(c0 + j, c1, stream, c3, k0, k1)),
            );
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('uniform doubles match the twin, lie in [0, 1) and have mean 1/2', () => {
    const count = 20000;
    const out = core.allocF64(count);
    core.kernels.rng_fill_uniform(out, count, 7, 0, 3, 11, 0);
    const u = core.f64(out, count);
    let sum = 0;
    for (let j = 0; j < count; j++) {
      expect(u[j]).toBeGreaterThanOrEqual(0);
      expect(u[j]).toBeLessThan(1);
      sum += u[j];
    }
    const w = philox4x32(5, 11, 3, 0, 7, 0);
    expect(u[5]).toBe(uniform53(w[0], w[1]));
    expect(Math.abs(sum / count - 0.5)).toBeLessThan(0.02); // 7 standard errors
  });

  it('bits are balanced: each of the 32 bit positions is set about half the time', () => {
    const blocks = 4096;
    const out = core.allocI32(4 * blocks);
    core.kernels.rng_fill_u32(out, blocks, 1, 2, 3, 4, 0, 0);
    const w = core.u32(out, 4 * blocks);
    for (let b = 0; b < 32; b++) {
      let ones = 0;
      for (const x of w) ones += (x >>> b) & 1;
      // 16384 draws: sd = 64; allow 6 sd
      expect(Math.abs(ones - w.length / 2)).toBeLessThan(6 * 64);
    }
  });

  it('is reproducible: the same counter gives the same words, another seed others', () => {
    expect(Array.from(philox4x32(1, 2, 3, 4, 5, 6))).toEqual(Array.from(philox4x32(1, 2, 3, 4, 5, 6)));
    expect(Array.from(philox4x32(1, 2, 3, 4, 5, 6))).not.toEqual(Array.from(philox4x32(1, 2, 3, 4, 6, 6)));
    const a = new CounterRandom(9, 1);
    const b = new CounterRandom(9, 1);
    for (let i = 0; i < 10; i++) expect(a.nextU32()).toBe(b.nextU32());
  });

  it('splits a seed into the 64-bit key and rejects bad seeds', () => {
    expect(seedKey(0)).toEqual([0, 0]);
    expect(seedKey(2 ** 32 + 5)).toEqual([5, 1]);
    expect(() => seedKey(-1)).toThrow();
    expect(() => seedKey(1.5)).toThrow();
  });
});
