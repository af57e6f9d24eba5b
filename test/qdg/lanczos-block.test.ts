// The block-2 Lanczos kernels (assembly/lanczos-block.ts) against their TypeScript twins, against the one-vector
// kernels they generalise, and cut as src/qdg/eigen/split.ts cuts them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { CounterRandom } from '../../src/core/rng.js';

const core = new Core();

function gaussians(n: number, seed: number): Float64Array {
  const g = new CounterRandom(seed, 97);
  return Float64Array.from({ length: n }, () => g.nextGaussian());
}

// ---- plain TypeScript twins of the kernels (test oracles only); two vectors interleaved: x[2*j + c] ----

/** The share of rows i0..i1-1 of the upper triangle (mirrored) in Y = A [x0 x1]: entries 2*i0.. (the rest 0). */
function rows2Twin(a: Float32Array, S: number, i0: number, i1: number, x: Float64Array): Float64Array {
  const y = new Float64Array(2 * S);
  for (let i = i0; i < i1; i++)
    for (let j = i; j < S; j++)
      for (let c = 0; c < 2; c++) {
        const aij = a[i * S + j];
        y[2 * i + c] += aij * x[2 * j + c];
        if (j !== i) y[2 * j + c] += aij * x[2 * i + c];
      }
  return y;
}
/** h[2*r + c] = <v_r, w_c>. */
function project2Twin(v: Float64Array, m: number, ld: number, S: number, w0: Float64Array, w1: Float64Array) {
  const h = new Float64Array(2 * m);
  for (let r = 0; r < m; r++)
    for (let i = 0; i < S; i++) {
      h[2 * r] += v[r * ld + i] * w0[i];
      h[2 * r + 1] += v[r * ld + i] * w1[i];
    }
  return h;
}
/** w_c - sum_r h[2*r + c] v_r, for c = 0, 1. */
function subtract2Twin(
  v: Float64Array,
  m: number,
  ld: number,
  S: number,
  h: Float64Array,
  w: Float64Array[],
) {
  return w.map((wc, c) => {
    const out = Float64Array.from(wc);
    for (let r = 0; r < m; r++) for (let i = 0; i < S; i++) out[i] -= h[2 * r + c] * v[r * ld + i];
    return out;
  });
}

function toWasm(a: Float32Array): number {
  const p = core.allocF32(a.length);
  core.f32(p, a.length).set(a);
  return p;
}
function f64ToWasm(a: Float64Array): number {
  const p = core.allocF64(a.length);
  core.f64(p, a.length).set(a);
  return p;
}
function expectClose(got: Float64Array, want: Float64Array, tolerance: number) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(tolerance);
}
/** Vector c (0 or 1) of an interleaved pair. */
function component(x: Float64Array, c: number): Float64Array {
  return Float64Array.from({ length: x.length / 2 }, (_, j) => x[2 * j + c]);
}

describe('lanczos_symv2_upper_rows', () => {
  it('equals its twin over (0, S), the lower triangle ignored, and lanczos_symv_upper on each vector', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 41 }), fc.nat(1000), (S, seed) => {
        const mark = core.mark();
        try {
          const a = Float32Array.from(gaussians(S * S, seed)); // asymmetric: the lower triangle must not count
          const x = gaussians(2 * S, seed + 1);
          const ap = toWasm(a);
          const xp = f64ToWasm(x);
          const yp = core.allocF64(2 * S);
          core.f64(yp, 2 * S).fill(7); // overwritten, not accumulated into
          core.kernels.lanczos_symv2_upper_rows(ap, S, S, 0, S, xp, yp);
          const got = core.f64(yp, 2 * S).slice();
          expectClose(got, rows2Twin(a, S, 0, S, x), 1e-12 * (1 + S));
          // each vector alone through the one-vector kernel: the same product up to rounding
          const x1 = core.allocF64(S);
          const y1 = core.allocF64(S);
          for (const c of [0, 1]) {
            core.f64(x1, S).set(component(x, c));
            core.kernels.lanczos_symv_upper(ap, S, x1, y1);
            expectClose(component(got, c), core.f64(y1, S), 1e-12 * (1 + S));
          }
        } finally {
          core.release(mark);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('over a row range: y below 2*i0 untouched, the rest its twin; any row stride; lead + trail make the product', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 41 }),
        fc.nat(1000),
        fc.nat(),
        fc.nat(),
        fc.nat(3),
        (S, seed, u, v, pad) => {
          // i0 and i1 multiples of 4, or i1 = S (the kernel's contract)
          const i0 = 4 * (u % (Math.floor(S / 4) + 1));
          const ends = [S];
          for (let e = i0; e < S; e += 4) ends.push(e);
          const i1 = ends[v % ends.length];
          const mark = core.mark();
          try {
            const a = Float32Array.from(gaussians(S * S, seed));
            const x = gaussians(2 * S, seed + 1);
            const ap = toWasm(a);
            const xp = f64ToWasm(x);
            const yp = core.allocF64(2 * S);
            core.f64(yp, 2 * S).fill(7);
            core.kernels.lanczos_symv2_upper_rows(ap, S, S, i0, i1, xp, yp);
            const got = core.f64(yp, 2 * S).slice();
            for (let i = 0; i < 2 * i0; i++) expect(got[i]).toBe(7);
            expectClose(got.subarray(2 * i0), rows2Twin(a, S, i0, i1, x).subarray(2 * i0), 1e-12 * (1 + S));
            // rows 0..i1-1 in a copy with `pad` unused f32 after each row (lda = S + pad): the same bits
            const lda = S + pad;
            const padded = new Float32Array(Math.max(1, i1) * lda).fill(Number.NaN);
            for (let i = 0; i < i1; i++) padded.set(a.subarray(i * S, (i + 1) * S), i * lda);
            const y2 = core.allocF64(2 * S);
            core.f64(y2, 2 * S).fill(7);
            core.kernels.lanczos_symv2_upper_rows(toWasm(padded), lda, S, i0, i1, xp, y2);
            expect(core.f64(y2, 2 * S)).toEqual(got);

            // split.ts's composition at r = i0: rows (0, r) into a scratch, (r, S) into y, y_i = lead_i (+ trail_i)
            const r = i0;
            const lead = core.allocF64(2 * S);
            core.kernels.lanczos_symv2_upper_rows(ap, S, S, 0, r, xp, lead);
            core.kernels.lanczos_symv2_upper_rows(ap, S, S, r, S, xp, yp);
            const leadV = core.f64(lead, 2 * S);
            const out = core.f64(yp, 2 * S);
            for (let i = 0; i < 2 * S; i++) out[i] = i < 2 * r ? leadV[i] : leadV[i] + out[i];
            expectClose(core.f64(yp, 2 * S), rows2Twin(a, S, 0, S, x), 1e-12 * (1 + S));
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** A random basis of m rows (stride ld, f64) with its f32 rounding (stride ld32), and two vectors w0, w1. */
function basis(S: number, m: number, seed: number, pad: number) {
  const ld = S + pad;
  const ld32 = S + 2 * pad;
  const v = gaussians(m * ld, seed);
  const v32 = new Float32Array(m * ld32);
  for (let r = 0; r < m; r++) v32.set(v.subarray(r * ld, r * ld + S), r * ld32);
  return { ld, ld32, v, v32, w0: gaussians(S, seed + 1), w1: gaussians(S, seed + 2) };
}

describe('lanczos_project2', () => {
  it('equals its twin and lanczos_project on each vector (bit for bit), and cut at a multiple of 4, its own bits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 23 }),
        fc.nat(1000),
        fc.nat(),
        fc.nat(3),
        (S, m, seed, u, pad) => {
          const R = 4 * (u % (Math.floor(m / 4) + 1));
          const mark = core.mark();
          try {
            const { ld, v, w0, w1 } = basis(S, m, seed, pad);
            const vp = f64ToWasm(v);
            const w0p = f64ToWasm(w0);
            const w1p = f64ToWasm(w1);
            const hp = core.allocF64(2 * m);
            core.kernels.lanczos_project2(vp, m, ld, S, w0p, w1p, hp);
            const h = core.f64(hp, 2 * m).slice();
            expectClose(h, project2Twin(v, m, ld, S, w0, w1), 1e-12 * (1 + S));
            const one = core.allocF64(m);
            for (const [c, w] of [w0p, w1p].entries()) {
              core.kernels.lanczos_project(vp, m, ld, S, w, one);
              expect(component(h, c)).toEqual(core.f64(one, m));
            }
            // rows [R, m) then [0, R), as split.ts cuts them
            const cut = core.allocF64(2 * m);
            core.kernels.lanczos_project2(vp + 8 * R * ld, m - R, ld, S, w0p, w1p, cut + 16 * R);
            core.kernels.lanczos_project2(vp, R, ld, S, w0p, w1p, cut);
            expect(core.f64(cut, 2 * m)).toEqual(h);
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('lanczos_subtract2 and lanczos_subtract2_f32', () => {
  it('equal their twins and the one-vector kernels on each vector (bit for bit), and cut at any coordinate, their own bits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 23 }),
        fc.nat(1000),
        fc.nat(),
        fc.nat(3),
        (S, m, seed, u, pad) => {
          const c0 = u % (S + 1); // split.ts cuts at an even one; any gives the same bits
          const mark = core.mark();
          try {
            const { ld, ld32, v, v32, w0, w1 } = basis(S, m, seed, pad);
            const h = gaussians(2 * m, seed + 3);
            const vp = f64ToWasm(v);
            const v32p = toWasm(v32);
            const hp = f64ToWasm(h);
            const h0 = f64ToWasm(component(h, 0));
            const h1 = f64ToWasm(component(h, 1));
            for (const f32 of [false, true]) {
              // the f32 kernel against the twin on the f32-rounded basis
              const want = f32
                ? subtract2Twin(Float64Array.from(v32), m, ld32, S, h, [w0, w1])
                : subtract2Twin(v, m, ld, S, h, [w0, w1]);
              const run = (p: number, first: number, n: number, w0p: number, w1p: number) =>
                f32
                  ? core.kernels.lanczos_subtract2_f32(v32p + 4 * first, m, ld32, n, p, w0p, w1p)
                  : core.kernels.lanczos_subtract2(vp + 8 * first, m, ld, n, p, w0p, w1p);
              const w0p = f64ToWasm(w0);
              const w1p = f64ToWasm(w1);
              run(hp, 0, S, w0p, w1p);
              const got = [core.f64(w0p, S).slice(), core.f64(w1p, S).slice()];
              expectClose(got[0], want[0], 1e-12 * (1 + m));
              expectClose(got[1], want[1], 1e-12 * (1 + m));
              for (const [c, hc] of [h0, h1].entries()) {
                const w = f64ToWasm(c === 0 ? w0 : w1);
                if (f32) core.kernels.lanczos_subtract_f32(v32p, m, ld32, S, hc, w);
                else core.kernels.lanczos_subtract(vp, m, ld, S, hc, w);
                expect(got[c]).toEqual(core.f64(w, S));
              }
              // coordinates [0, c0) then [c0, S)
              const u0 = f64ToWasm(w0);
              const u1 = f64ToWasm(w1);
              run(hp, 0, c0, u0, u1);
              run(hp, c0, S - c0, u0 + 8 * c0, u1 + 8 * c0);
              expect(core.f64(u0, S)).toEqual(got[0]);
              expect(core.f64(u1, S)).toEqual(got[1]);
            }
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});
