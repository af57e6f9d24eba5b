import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { refLinearBackward, refLinearForward } from '../../src/train/reference.js';
import { mulberry } from '../mulberry.js';

const core = new Core();

function randomArray(rng: () => number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng() * 2 - 1;
  return a;
}

/** |a - b| <= tol * (1 + |b|) elementwise, with a helpful message. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i]))))
      throw new Error(`${what}[${i}]: got ${a[i]}, expected ${b[i]}`);
  }
}

function put(data: Float32Array): number {
  const p = core.allocF32(data.length);
  core.f32(p, data.length).set(data);
  return p;
}

function checkShape(B: number, I: number, O: number, seed: number): void {
  const rng = mulberry(seed);
  const inp = randomArray(rng, B * I);
  const W = randomArray(rng, I * O);
  const b = randomArray(rng, O);
  const dout = randomArray(rng, B * O);
  const dW0 = randomArray(rng, I * O);
  const db0 = randomArray(rng, O);
  const mark = core.mark();
  try {
    const pInp = put(inp);
    const pW = put(W);
    const pb = put(b);
    const pOut = core.allocF32(B * O);
    core.kernels.linear_forward(pOut, pInp, pW, pb, B, I, O);
    const tol = 1e-5 * Math.sqrt(I + B);
    expectClose(core.f32(pOut, B * O), refLinearForward(inp, W, b, B, I, O), tol, 'out');

    const pDout = put(dout);
    const pdW = put(dW0);
    const pdb = put(db0);
    const pdInp = core.allocF32(B * I);
    core.f32(pdInp, B * I).fill(NaN); // dinp is overwritten, never read
    core.kernels.linear_backward(pdInp, pdW, pdb, pDout, pInp, pW, B, I, O);
    const ref = refLinearBackward(dout, inp, W, B, I, O);
    expectClose(core.f32(pdInp, B * I), ref.dinp, tol, 'dinp');
    expectClose(
      core.f32(pdW, I * O),
      ref.dW.map((x, j) => x + dW0[j]),
      tol,
      'dW (accumulated)',
    );
    expectClose(
      core.f32(pdb, O),
      ref.db.map((x, j) => x + db0[j]),
      tol,
      'db (accumulated)',
    );
    // dinp = 0 skips the input gradient
    core.kernels.linear_backward(0, pdW, pdb, pDout, pInp, pW, B, I, O);

    // relu_linear_forward: the input (a pre-activation) replaced by its ReLU in place, then the product
    const relu = inp.map((v) => Math.max(v, 0));
    const pPre = put(inp);
    core.f32(pOut, B * O).fill(NaN);
    core.kernels.relu_linear_forward(pOut, pPre, pW, pb, B, I, O);
    expectClose(core.f32(pPre, B * I), relu, 0, 'relu(inp) in place');
    expectClose(core.f32(pOut, B * O), refLinearForward(relu, W, b, B, I, O), tol, 'out of relu(inp)');

    // linear_backward_relu: the same dW, db; dinp masked where the input (a ReLU output) is not positive
    const pRelu = put(relu);
    const pdW2 = put(dW0);
    const pdb2 = put(db0);
    core.f32(pdInp, B * I).fill(NaN);
    core.kernels.linear_backward_relu(pdInp, pdW2, pdb2, pDout, pRelu, pW, B, I, O);
    const refRelu = refLinearBackward(dout, relu, W, B, I, O);
    expectClose(
      core.f32(pdInp, B * I),
      refRelu.dinp.map((x, j) => (relu[j] > 0 ? x : 0)),
      tol,
      'dinp (ReLU-masked)',
    );
    expectClose(
      core.f32(pdW2, I * O),
      refRelu.dW.map((x, j) => x + dW0[j]),
      tol,
      'dW (relu variant)',
    );
    expectClose(
      core.f32(pdb2, O),
      refRelu.db.map((x, j) => x + db0[j]),
      tol,
      'db (relu variant)',
    );
  } finally {
    core.release(mark);
  }
}

describe('dense linear layer (assembly/linear.ts) against the f64 twin', () => {
  it('matches for random small shapes, including non-multiples of 4 and the O = 2 head', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 19 }),
        fc.oneof(fc.constant(2), fc.integer({ min: 1, max: 19 })),
        fc.nat(1e9),
        (B, I, O, seed) => checkShape(B, I, O, seed),
      ),
      { numRuns: 300 },
    );
  });

  it('matches on larger shapes that cross the sample blocking and the register blocks', () => {
    checkShape(37, 70, 45, 1);
    checkShape(300, 9, 2, 2);
    checkShape(261, 33, 17, 3);
    checkShape(130, 64, 64, 4);
    checkShape(5, 501, 2, 5);
    checkShape(45, 26, 2, 7); // O = 2 head: ReLU-fused blocks of 16 samples, a partial block and an input tail
  });

  it('handles B = 0 as a no-op', () => {
    checkShape(1, 1, 1, 6);
    const mark = core.mark();
    const p = core.allocF32(16);
    core.kernels.linear_forward(p, p, p, p, 0, 3, 2);
    core.kernels.linear_backward(0, p, p, p, p, p, 0, 3, 5);
    core.release(mark);
  });
});

/** Row-major [B x I] to the strip-major layout (strip j = columns [32 j, min(32 j + 32, I)), B x w_j at 32 j B). */
function toStrips(x: ArrayLike<number>, B: number, I: number): Float32Array {
  const out = new Float32Array(B * I);
  for (let s = 0; s < B; s++)
    for (let i = 0; i < I; i++) {
      const i0 = i - (i % 32);
      out[i0 * B + s * Math.min(32, I - i0) + (i - i0)] = x[s * I + i];
    }
  return out;
}

describe('strip-major O = 2 head (relu_linear_forward_strips, linear_backward_relu_strips)', () => {
  it('matches the f64 twin on the ReLU of a strip-major input', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 23 }),
        fc.oneof(fc.constant(500), fc.integer({ min: 1, max: 100 })),
        fc.nat(1e9),
        (B, I, seed) => {
          const rng = mulberry(seed);
          const pre = randomArray(rng, B * I);
          const W = randomArray(rng, I * 2);
          const b = randomArray(rng, 2);
          const dout = randomArray(rng, B * 2);
          const dW0 = randomArray(rng, I * 2);
          const db0 = randomArray(rng, 2);
          const h = pre.map((v) => (v > 0 ? v : 0));
          const mark = core.mark();
          try {
            const k = core.kernels as unknown as Record<string, (...a: number[]) => void>;
            const pInp = put(toStrips(pre, B, I));
            const pOut = core.allocF32(B * 2);
            const pW = put(W);
            k.relu_linear_forward_strips(pOut, pInp, pW, put(b), B, I, 2);
            const tol = 1e-5 * Math.sqrt(I + B);
            expectClose(core.f32(pOut, B * 2), refLinearForward(h, W, b, B, I, 2), tol, 'out');
            expectClose(core.f32(pInp, B * I), toStrips(h, B, I), 0, 'ReLU in place');
            const pdW = put(dW0);
            const pdb = put(db0);
            const pDinp = core.allocF32(B * I);
            k.linear_backward_relu_strips(pDinp, pdW, pdb, put(dout), pInp, pW, B, I, 2);
            const ref = refLinearBackward(dout, h, W, B, I, 2);
            const dinp = ref.dinp.map((v, j) => (h[j] > 0 ? v : 0));
            expectClose(
              core.f32(pdW, I * 2),
              ref.dW.map((v, j) => v + dW0[j]),
              tol,
              'dW',
            );
            expectClose(
              core.f32(pdb, 2),
              ref.db.map((v, j) => v + db0[j]),
              tol,
              'db',
            );
            expectClose(core.f32(pDinp, B * I), toStrips(dinp, B, I), tol, 'dinp');
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
