// The SIMD mode of a core (src/core/wasm.ts): QUANTA_SIMD or setSimdMode choose between the core's own kernels and
// the relaxed-SIMD module's fused multiply-adds for the Lanczos products and Ritz vectors. This file runs in both
// vitest projects (vitest.config.ts): under QUANTA_SIMD=relaxed every new Core must be a relaxed one.
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { ConfigError } from '../../src/core/errors.js';
import { CounterRandom } from '../../src/core/rng.js';
import { instantiateCore, relaxedFused, setSimdMode, simdMode } from '../../src/core/wasm.js';

function gaussians(n: number, seed: number): Float64Array {
  const g = new CounterRandom(seed, 99);
  return Float64Array.from({ length: n }, () => g.nextGaussian());
}

afterEach(() => setSimdMode(undefined));

describe('the SIMD mode', () => {
  it('follows QUANTA_SIMD (baseline by default), and setSimdMode overrides it', () => {
    const env = process.env.QUANTA_SIMD;
    expect(simdMode()).toBe(env === 'relaxed' ? 'relaxed' : 'baseline');
    expect(new Core().simd).toBe(simdMode());
    setSimdMode('relaxed');
    expect(new Core().simd).toBe('relaxed');
    setSimdMode('baseline');
    expect(new Core().simd).toBe('baseline');
    setSimdMode(undefined);
    expect(simdMode()).toBe(env === 'relaxed' ? 'relaxed' : 'baseline');
  });

  it('refuses an unknown mode, from the environment or from the caller', () => {
    const env = process.env.QUANTA_SIMD;
    try {
      process.env.QUANTA_SIMD = 'fast';
      expect(() => simdMode()).toThrow(/QUANTA_SIMD must be 'baseline' or 'relaxed', not 'fast'/);
      expect(() => simdMode()).toThrow(ConfigError); // the CLI's bad-input error: one line, exit code 2
      expect(() => new Core()).toThrow(/QUANTA_SIMD/);
    } finally {
      if (env === undefined) delete process.env.QUANTA_SIMD;
      else process.env.QUANTA_SIMD = env;
    }
    expect(() => setSimdMode('fast' as never)).toThrow(/SIMD mode must be/);
  });

  it('says which runtimes have relaxed SIMD where this one lacks it', async () => {
    vi.resetModules(); // a fresh wasm.ts, with no relaxed module compiled yet
    const validate = WebAssembly.validate.bind(WebAssembly);
    const relaxedBytes = 10_000; // the relaxed module is 3 kB, the core 60 kB: only the first is refused
    const spy = vi
      .spyOn(WebAssembly, 'validate')
      .mockImplementation((bytes) =>
        bytes.byteLength > 8 && bytes.byteLength < relaxedBytes ? false : validate(bytes),
      );
    try {
      const fresh = await import('../../src/core/wasm.js');
      const freshErrors = await import('../../src/core/errors.js'); // the fresh wasm.ts's own ConfigError
      expect(() => fresh.instantiateCore('relaxed')).toThrow(
        /relaxed SIMD was asked for \(QUANTA_SIMD=relaxed or setSimdMode\), but this runtime lacks WebAssembly relaxed SIMD/,
      );
      expect(() => fresh.instantiateCore('relaxed')).toThrow(freshErrors.ConfigError);
      expect(fresh.instantiateCore('baseline').simd).toBe('baseline');
    } finally {
      spy.mockRestore();
    }
  });

  it("relaxed replaces exactly the four Lanczos kernels; where the CPU fuses, their bits differ from baseline's, within rounding", () => {
    const base = new Core(instantiateCore('baseline'));
    const relaxed = new Core(instantiateCore('relaxed'));
    const fused = relaxedFused();
    const replaced = [
      'lanczos_symv_upper',
      'lanczos_symv_upper_rows',
      'lanczos_symv2_upper_rows',
      'lanczos_ritz',
    ];
    for (const name of Object.keys(base.kernels) as (keyof Core['kernels'])[]) {
      if (typeof base.kernels[name] !== 'function') continue;
      if (replaced.includes(name)) expect(relaxed.kernels[name]).not.toBe(base.kernels[name]);
      else expect(String(relaxed.kernels[name])).toBe(String(base.kernels[name]));
    }
    let differs = 0;
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 70 }), fc.nat(1000), (S, seed) => {
        const run = (core: Core) => {
          const mark = core.mark();
          try {
            const a = core.allocF32(S * S);
            core.f32(a, S * S).set(Float32Array.from(gaussians(S * S, seed)));
            const x = core.allocF64(2 * S);
            core.f64(x, 2 * S).set(gaussians(2 * S, seed + 1));
            const y = core.allocF64(2 * S);
            const y1 = core.allocF64(S);
            core.kernels.lanczos_symv2_upper_rows(a, S, S, 0, S, x, y);
            core.kernels.lanczos_symv_upper(a, S, x, y1);
            // the Ritz step: out (S x 9) = V^T Y for V: 5 x S (stride S), Y: 5 x 9
            const v = core.allocF64(5 * S);
            core.f64(v, 5 * S).set(gaussians(5 * S, seed + 2));
            const yk = core.allocF64(5 * 9);
            core.f64(yk, 45).set(gaussians(45, seed + 3));
            const out = core.allocF64(S * 9);
            core.kernels.lanczos_ritz(v, 5, S, S, yk, 9, out);
            return [core.f64(y, 2 * S).slice(), core.f64(y1, S).slice(), core.f64(out, S * 9).slice()];
          } finally {
            core.release(mark);
          }
        };
        const want = run(base);
        const got = run(relaxed);
        for (let k = 0; k < want.length; k++) {
          let scale = 0;
          for (const w of want[k]) scale = Math.max(scale, Math.abs(w));
          for (let i = 0; i < want[k].length; i++)
            expect(Math.abs(got[k][i] - want[k][i])).toBeLessThanOrEqual(1e-13 * S * scale);
          if (!fused) expect(got[k]).toEqual(want[k]);
          else if (got[k].some((g, i) => g !== want[k][i])) differs++;
        }
      }),
      { numRuns: 30 },
    );
    // 90 results of sums of products: a fused multiply-add rounds differently in many of them
    if (fused) expect(differs).toBeGreaterThan(45);
  });
});
