import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from '../../src/core/arena.js';
import { CounterRandom } from '../../src/core/rng.js';
import { ConfigError } from '../../src/core/errors.js';
import { writeNpy } from '../../src/io/npy.js';
import { cosineFromGram } from '../../src/qdg/gram.js';
import { referenceCosine, referenceGram } from '../../src/qdg/reference.js';
import { gramFromNpy } from '../../src/qdg/sources/npy.js';

const core = new Core();
const dir = mkdtempSync(join(tmpdir(), 'quanta-syrk-'));

function gaussians(n: number, seed: number): Float32Array {
  const r = new CounterRandom(seed, 99);
  return Float32Array.from({ length: n }, () => r.nextGaussian());
}

// |x - y| <= tol * scale, with scale the product of the two row norms (the natural size of a dot product)
function expectClose(got: number, want: number, scale: number, tol = 2e-6): void {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(scale, 1e-30));
}

/** gemm_abt_f32 on random m x K and n x K panels with padded strides, against the plain product. */
function checkGemmAbt(m: number, n: number, K: number, pad: number, tri: number, seed: number): void {
  const mark = core.mark();
  const lda = K + pad;
  const ldc = n + pad;
  const a = gaussians(m * lda, seed);
  const b = gaussians(n * lda, seed + 1);
  const c0 = gaussians(m * ldc, seed + 2);
  const A = core.allocF32(m * lda);
  const B = core.allocF32(n * lda);
  const C = core.allocF32(m * ldc);
  core.f32(A, m * lda).set(a);
  core.f32(B, n * lda).set(b);
  core.f32(C, m * ldc).set(c0);
  core.kernels.gemm_abt_f32(C, ldc, A, lda, B, lda, m, n, K, tri);
  const c = core.f32(C, m * ldc);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const got = c[i * ldc + j];
      if (j >= n) {
        expect(got).toBe(c0[i * ldc + j]); // padding untouched
        continue;
      }
      let want = c0[i * ldc + j];
      let na = 0;
      let nb = 0;
      for (let k = 0; k < K; k++) {
        want += a[i * lda + k] * b[j * lda + k];
        na += a[i * lda + k] ** 2;
        nb += b[j * lda + k] ** 2;
      }
      if (tri < 0 || j <= i + tri) expectClose(got, want, Math.sqrt(na * nb) + 1);
      else if (got !== c0[i * ldc + j]) expectClose(got, want, Math.sqrt(na * nb) + 1); // straddling tile
    }
  }
  core.release(mark);
}

describe('gemm_abt_f32 (the SIMD A B^T behind SYRK and the factored Gram)', () => {
  it('equals the plain product for any shape, leading dimensions and triangle offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 13 }),
        fc.integer({ min: 1, max: 75 }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: -1, max: 8 }),
        fc.integer({ min: 0, max: 1000 }),
        checkGemmAbt,
      ),
      { numRuns: 40 },
    );
  });
  it('equals the plain product on the packed 4 x 8 path (>= 128 rows), across every tile and chunk edge', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 128, max: 139 }),
        fc.integer({ min: 1, max: 140 }),
        fc.integer({ min: 0, max: 530 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: -1, max: 140 }),
        fc.integer({ min: 0, max: 1000 }),
        checkGemmAbt,
      ),
      { numRuns: 12 },
    );
  });
});

describe('gramFromNpy and cosineFromGram', () => {
  it('equal the plain Gram and cosine for any S x P file and block size (f4, f8 and f2 files)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 19 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom('f4', 'f8', 'f2'),
        fc.integer({ min: 0, max: 1000 }),
        (S, P, blockCols, kind, seed) => {
          let a = gaussians(S * P, seed);
          const path = join(dir, `g${seed}-${S}-${P}.npy`);
          if (kind === 'f4') writeNpy(path, a, [S, P]);
          else if (kind === 'f8') writeNpy(path, Float64Array.from(a), [S, P]);
          else {
            // small integers times 1/8 are exact in binary16
            const h = new Uint16Array(S * P);
            a = new Float32Array(S * P);
            for (let i = 0; i < S * P; i++) {
              const v = (((seed + i * 7) % 17) - 8) / 8;
              a[i] = v;
              h[i] = halfBits(v);
            }
            writeNpy(path, h, [S, P]);
          }
          if (seed % 5 === 0) a.fill(0, 0, P); // a zero-gradient sample
          if (seed % 5 === 0 && kind === 'f4') writeNpy(path, a, [S, P]);
          else if (seed % 5 === 0) return; // keep the zero row case to f4
          const mark = core.mark();
          const progress: number[] = [];
          const { samples, gramPtr } = gramFromNpy(core, path, {
            blockBytes: 4 * S * blockCols,
            onProgress: (done) => progress.push(done),
          });
          expect(samples).toBe(S);
          expect(progress[progress.length - 1]).toBe(P);
          const g = Float64Array.from(core.f32(gramPtr, S * S));
          const want = referenceGram(a, S, P);
          for (let i = 0; i < S; i++) {
            for (let j = 0; j < S; j++) {
              const scale = Math.sqrt(want[i * S + i] * want[j * S + j]) + 1e-12;
              expectClose(g[i * S + j], want[i * S + j], scale, 3e-6);
              expect(g[i * S + j]).toBe(g[j * S + i]); // mirrored exactly
            }
          }
          cosineFromGram(core, gramPtr, S);
          const c = core.f32(gramPtr, S * S);
          const wc = referenceCosine(want, S);
          for (let i = 0; i < S * S; i++) expect(Math.abs(c[i] - wc[i])).toBeLessThan(1e-5);
          for (let i = 0; i < S; i++) expect(c[i * S + i]).toBe(want[i * S + i] > 0 ? 1 : 0);
          core.release(mark);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('fills every row block of a larger Gram (S = 1100: mirror and cosine run in several calls)', () => {
    const S = 1100;
    const P = 6;
    const a = gaussians(S * P, 5);
    const path = join(dir, 'large.npy');
    writeNpy(path, a, [S, P]);
    const mark = core.mark();
    const { gramPtr } = gramFromNpy(core, path);
    const want = referenceGram(a, S, P);
    let g = core.f32(gramPtr, S * S);
    for (let i = 0; i < S; i += 37) {
      for (let j = 0; j < S; j += 41)
        expectClose(g[i * S + j], want[i * S + j], Math.sqrt(want[i * S + i] * want[j * S + j]));
    }
    for (let i = 0; i < S; i++)
      for (let j = 0; j < i; j++) if (g[i * S + j] !== g[j * S + i]) expect.fail(`${i},${j}`);
    cosineFromGram(core, gramPtr, S);
    g = core.f32(gramPtr, S * S);
    const wc = referenceCosine(want, S);
    for (let i = 0; i < S; i++) {
      expect(g[i * S + i]).toBe(1);
      for (let j = 0; j < S; j += 13) expect(Math.abs(g[i * S + j] - wc[i * S + j])).toBeLessThan(1e-5);
    }
    core.release(mark);
  });

  it('rejects a 1-D or empty gradient file with a ConfigError', () => {
    const p = join(dir, 'oned.npy');
    writeNpy(p, new Float32Array(5));
    expect(() => gramFromNpy(core, p)).toThrow(ConfigError);
    writeNpy(p, new Float32Array(0), [0, 3]);
    expect(() => gramFromNpy(core, p)).toThrow(/empty/);
  });
});

function halfBits(v: number): number {
  // exact for the values used above: 0 and +-m/8 with m <= 8
  if (v === 0) return 0;
  const sign = v < 0 ? 0x8000 : 0;
  const x = Math.abs(v);
  const e = Math.floor(Math.log2(x));
  const frac = Math.round((x / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | frac;
}
