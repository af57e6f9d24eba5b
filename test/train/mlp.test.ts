import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { Stream } from '../../src/core/rng.js';
import { ParityBatch, perSubtaskSubtasks } from '../../src/parity/batch.js';
import { SparseParityTask } from '../../src/parity/task.js';
import {
  Mlp,
  mlpBytes,
  parameterCount,
  stripsToRows,
  type Activation,
  type MlpConfig,
  type ModelInput,
} from '../../src/train/model.js';
import { AdamW } from '../../src/train/optimizer.js';
import {
  refActivationForward,
  refActivationBackward,
  refCrossEntropyForward,
  refDenseFromSparse,
  refLinearBackward,
  refLinearForward,
  refMlpLossAndGrads,
  type RefLayer,
} from '../../src/train/reference.js';
import { mulberry } from '../mulberry.js';

const core = new Core();

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i]))))
      throw new Error(`${what}[${i}]: got ${a[i]}, expected ${b[i]}`);
  }
}

function putF32(data: ArrayLike<number>): number {
  const p = core.allocF32(data.length);
  core.f32(p, data.length).set(data);
  return p;
}
function putI32(data: ArrayLike<number>): number {
  const p = core.allocI32(Math.max(1, data.length));
  core.i32(p, data.length).set(data);
  return p;
}

/** A random CSR batch of 0/1 inputs: each sample has a random sorted set of distinct active indices. */
function randomCsr(rng: () => number, B: number, I: number): { offsets: number[]; indices: number[] } {
  const offsets = [0];
  const indices: number[] = [];
  for (let s = 0; s < B; s++) {
    for (let i = 0; i < I; i++) if (rng() < 0.4) indices.push(i);
    offsets.push(indices.length);
  }
  return { offsets, indices };
}

function withMark<T>(f: () => T): T {
  const mark = core.mark();
  try {
    return f();
  } finally {
    core.release(mark);
  }
}

describe('sparse first layer (assembly/sparse-linear.ts) equals the dense product', () => {
  it('forward and backward match the f64 twin on random CSR batches', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 40 }),
        fc.oneof(fc.constant(2), fc.integer({ min: 1, max: 70 })),
        fc.nat(1e9),
        (B, I, O, seed) =>
          withMark(() => {
            const rng = mulberry(seed);
            const { offsets, indices } = randomCsr(rng, B, I);
            const W = Float32Array.from({ length: I * O }, () => rng() * 2 - 1);
            const b = Float32Array.from({ length: O }, () => rng() * 2 - 1);
            const dout = Float32Array.from({ length: B * O }, () => rng() * 2 - 1);
            const x = refDenseFromSparse(offsets, indices, B, I);
            const pOff = putI32(offsets);
            const pIdx = putI32(indices);
            const pOut = core.allocF32(B * O);
            core.kernels.sparse_linear_forward(pOut, pOff, pIdx, putF32(W), putF32(b), B, O);
            expectClose(core.f32(pOut, B * O), refLinearForward(x, W, b, B, I, O), 1e-5, 'out');
            const pdW = core.allocF32(I * O);
            const pdb = core.allocF32(O);
            core.kernels.sparse_linear_backward(pdW, pdb, putF32(dout), pOff, pIdx, B, O);
            const ref = refLinearBackward(dout, x, W, B, I, O);
            expectClose(core.f32(pdW, I * O), ref.dW, 1e-5, 'dW');
            expectClose(core.f32(pdb, O), ref.db, 1e-5, 'db');
          }),
      ),
      { numRuns: 200 },
    );
  });
});

describe('byte-table first layer (assembly/byte-table*.ts) equals the dense product', () => {
  it('forward and backward match the f64 twin, for any split of plain inputs and bits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 1, max: 30 }),
        fc.oneof(fc.constant(2), fc.constant(35), fc.integer({ min: 1, max: 70 })),
        fc.nat(1e9),
        (B, bitsFrom, nBits, O, seed) =>
          withMark(() => {
            const rng = mulberry(seed);
            const I = bitsFrom + nBits;
            const offsets = [0];
            const indices: number[] = [];
            for (let s = 0; s < B; s++) {
              for (let i = 0; i < bitsFrom; i++) if (rng() < 0.2) indices.push(i);
              for (let i = bitsFrom; i < I; i++) if (rng() < 0.5) indices.push(i);
              offsets.push(indices.length);
            }
            const W = Float32Array.from({ length: I * O }, () => rng() * 2 - 1);
            const b = Float32Array.from({ length: O }, () => rng() * 2 - 1);
            const dout = Float32Array.from({ length: B * O }, () => rng() * 2 - 1);
            const x = refDenseFromSparse(offsets, indices, B, I);
            const nGroups = Math.ceil(nBits / 8);
            const pOff = putI32(offsets);
            const pIdx = putI32(indices);
            const codes = core.allocI32(B * (nGroups + 1));
            const slab = core.allocF32(nGroups * 256 * 32);
            const k = core.kernels;
            expect(k.sparse_bits_recode(codes, pOff, pIdx, B, bitsFrom, nBits)).toBe(0);
            const pOut = core.allocF32(B * O);
            k.sparse_bits_forward(pOut, pOff, pIdx, codes, putF32(W), putF32(b), B, O, bitsFrom, nBits, slab);
            expectClose(core.f32(pOut, B * O), refLinearForward(x, W, b, B, I, O), 1e-5, 'out');
            const pdW = core.allocF32(I * O);
            const pdb = core.allocF32(O);
            const buckets = core.allocI32(nGroups * B);
            const bucketOffsets = core.allocI32(nGroups * 257);
            k.sparse_bits_buckets(buckets, bucketOffsets, codes, B, nBits);
            const pDout = putF32(dout);
            k.sparse_bits_backward(
              pdW,
              pdb,
              pDout,
              pOff,
              pIdx,
              codes,
              buckets,
              bucketOffsets,
              B,
              O,
              bitsFrom,
              nBits,
              slab,
            );
            const ref = refLinearBackward(dout, x, W, B, I, O);
            expectClose(core.f32(pdW, I * O), ref.dW, 1e-5, 'dW');
            expectClose(core.f32(pdb, O), ref.db, 1e-5, 'db');
          }),
      ),
      { numRuns: 150 },
    );
  });

  it('the backward with one plain input a sample (gathered, not scattered) matches the f64 twin', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 20 }),
        fc.oneof(fc.constant(2), fc.constant(32), fc.constant(67), fc.integer({ min: 1, max: 100 })),
        fc.nat(1e9),
        (B, bitsFrom, nBits, O, seed) =>
          withMark(() => {
            const rng = mulberry(seed);
            const I = bitsFrom + nBits;
            const offsets = [0];
            const indices: number[] = [];
            for (let s = 0; s < B; s++) {
              indices.push(Math.floor(rng() * bitsFrom));
              for (let i = bitsFrom; i < I; i++) if (rng() < 0.5) indices.push(i);
              offsets.push(indices.length);
            }
            const dout = Float32Array.from({ length: B * O }, () => rng() * 2 - 1);
            const dW0 = Float32Array.from({ length: I * O }, () => rng() * 2 - 1);
            const db0 = Float32Array.from({ length: O }, () => rng() * 2 - 1);
            const x = refDenseFromSparse(offsets, indices, B, I);
            const nGroups = Math.ceil(nBits / 8);
            const pOff = putI32(offsets);
            const pIdx = putI32(indices);
            const k = core.kernels;
            const codes = core.allocI32(B * (nGroups + 1));
            expect(k.sparse_bits_recode(codes, pOff, pIdx, B, bitsFrom, nBits)).toBe(0);
            const buckets = core.allocI32(nGroups * B);
            const bucketOffsets = core.allocI32(nGroups * 257);
            k.sparse_bits_buckets(buckets, bucketOffsets, codes, B, nBits);
            const plain = core.allocI32(B);
            const plainOffsets = core.allocI32(bitsFrom + 1);
            expect(
              k.sparse_bits_plain_buckets(plain, plainOffsets, pOff, pIdx, codes, B, bitsFrom, nBits),
            ).toBe(0);
            // the plain buckets list every sample once, grouped by its plain input
            const po = Array.from(core.i32(plainOffsets, bitsFrom + 1));
            const pl = Array.from(core.i32(plain, B));
            expect(po[bitsFrom]).toBe(B);
            for (let t = 0; t < bitsFrom; t++)
              for (let p = po[t]; p < po[t + 1]; p++) expect(indices[offsets[pl[p]]]).toBe(t);
            const pdW = putF32(dW0);
            const pdb = putF32(db0);
            k.sparse_bits_backward_plain1(
              pdW,
              pdb,
              putF32(dout),
              pOff,
              pIdx,
              codes,
              buckets,
              bucketOffsets,
              plain,
              plainOffsets,
              B,
              O,
              bitsFrom,
              nBits,
              core.allocF32(nGroups * 256 * 32),
              core.allocF32(B * 32),
            );
            const ref = refLinearBackward(dout, x, new Float32Array(I * O), B, I, O);
            expectClose(
              core.f32(pdW, I * O),
              ref.dW.map((v, j) => v + dW0[j]),
              1e-5,
              'dW (accumulated)',
            );
            expectClose(
              core.f32(pdb, O),
              ref.db.map((v, j) => v + db0[j]),
              1e-5,
              'db (accumulated)',
            );
          }),
      ),
      { numRuns: 150 },
    );
  });

  it('the strip-major forward and one-plain-input backward match the f64 twin (any O, 32-column strips)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 20 }),
        fc.oneof(fc.constant(2), fc.constant(32), fc.constant(84), fc.integer({ min: 1, max: 100 })),
        fc.nat(1e9),
        (B, bitsFrom, nBits, O, seed) =>
          withMark(() => {
            const rng = mulberry(seed);
            const I = bitsFrom + nBits;
            const offsets = [0];
            const indices: number[] = [];
            for (let s = 0; s < B; s++) {
              indices.push(Math.floor(rng() * bitsFrom));
              for (let i = bitsFrom; i < I; i++) if (rng() < 0.5) indices.push(i);
              offsets.push(indices.length);
            }
            const W = Float32Array.from({ length: I * O }, () => rng() * 2 - 1);
            const b = Float32Array.from({ length: O }, () => rng() * 2 - 1);
            const dout = Float32Array.from({ length: B * O }, () => rng() * 2 - 1);
            const dW0 = Float32Array.from({ length: I * O }, () => rng() * 2 - 1);
            const db0 = Float32Array.from({ length: O }, () => rng() * 2 - 1);
            const x = refDenseFromSparse(offsets, indices, B, I);
            const nGroups = Math.ceil(nBits / 8);
            const pOff = putI32(offsets);
            const pIdx = putI32(indices);
            const k = core.kernels as unknown as Record<string, (...a: number[]) => number>;
            const codes = core.allocI32(B * (nGroups + 1));
            expect(k.sparse_bits_recode(codes, pOff, pIdx, B, bitsFrom, nBits)).toBe(0);
            const slab = core.allocF32(nGroups * 256 * 32);
            const out = core.allocF32(B * O);
            k.sparse_bits_forward_strips(
              out,
              pOff,
              pIdx,
              codes,
              putF32(W),
              putF32(b),
              B,
              O,
              bitsFrom,
              nBits,
              slab,
            );
            const rows = new Float32Array(B * O);
            stripsToRows(rows, core.f32(out, B * O), B, O);
            expectClose(rows, refLinearForward(x, W, b, B, I, O), 1e-5, 'strip-major forward');
            // dout in strip-major layout (the inverse of stripsToRows, written out plainly)
            const doutStrips = new Float32Array(B * O);
            for (let s = 0; s < B; s++)
              for (let o = 0; o < O; o++) {
                const o0 = o - (o % 32);
                doutStrips[o0 * B + s * Math.min(32, O - o0) + (o - o0)] = dout[s * O + o];
              }
            const check = new Float32Array(B * O);
            stripsToRows(check, doutStrips, B, O);
            expect(Array.from(check)).toEqual(Array.from(dout));
            const buckets = core.allocI32(nGroups * B);
            const bucketOffsets = core.allocI32(nGroups * 257);
            k.sparse_bits_buckets(buckets, bucketOffsets, codes, B, nBits);
            const plain = core.allocI32(B);
            const plainOffsets = core.allocI32(bitsFrom + 1);
            expect(
              k.sparse_bits_plain_buckets(plain, plainOffsets, pOff, pIdx, codes, B, bitsFrom, nBits),
            ).toBe(0);
            const pdW = putF32(dW0);
            const pdb = putF32(db0);
            k.sparse_bits_backward_plain1_strips(
              pdW,
              pdb,
              putF32(doutStrips),
              pOff,
              pIdx,
              codes,
              buckets,
              bucketOffsets,
              plain,
              plainOffsets,
              B,
              O,
              bitsFrom,
              nBits,
              slab,
            );
            const ref = refLinearBackward(dout, x, new Float32Array(I * O), B, I, O);
            expectClose(
              core.f32(pdW, I * O),
              ref.dW.map((v, j) => v + dW0[j]),
              1e-5,
              'dW (accumulated)',
            );
            expectClose(
              core.f32(pdb, O),
              ref.db.map((v, j) => v + db0[j]),
              1e-5,
              'db (accumulated)',
            );
          }),
      ),
      { numRuns: 150 },
    );
  });

  it('plain buckets refuse a batch without exactly one plain input a sample', () =>
    withMark(() => {
      const k = core.kernels;
      const codes = core.allocI32(8);
      const off = putI32([0, 2, 3]);
      const idx = putI32([0, 1, 4]); // sample 0 has two plain inputs (bitsFrom 3)
      expect(k.sparse_bits_recode(codes, off, idx, 2, 3, 4)).toBe(0);
      expect(k.sparse_bits_plain_buckets(core.allocI32(2), core.allocI32(4), off, idx, codes, 2, 3, 4)).toBe(
        1,
      );
    }));

  it('recode reports inputs whose plain indices do not come first', () =>
    withMark(() => {
      const codes = core.allocI32(8);
      expect(core.kernels.sparse_bits_recode(codes, putI32([0, 2]), putI32([5, 1]), 1, 3, 4)).toBe(1);
      expect(core.kernels.sparse_bits_recode(codes, putI32([0, 3]), putI32([1, 3, 6]), 1, 3, 4)).toBe(0);
      expect(Array.from(core.i32(codes, 2))).toEqual([1, 0b1001]);
    }));
});

describe('activations', () => {
  it('forward and backward match the twin', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Activation>('relu', 'tanh', 'sigmoid'),
        fc.integer({ min: 1, max: 23 }),
        fc.nat(1e9),
        (act, n, seed) =>
          withMark(() => {
            const rng = mulberry(seed);
            const x = Float32Array.from({ length: n }, () => (rng() * 2 - 1) * 5);
            const d = Float32Array.from({ length: n }, () => rng() * 2 - 1);
            const px = putF32(x);
            const pd = putF32(d);
            const k = core.kernels;
            const fwd = { relu: k.relu_forward, tanh: k.tanh_forward, sigmoid: k.sigmoid_forward }[act];
            const bwd = { relu: k.relu_backward, tanh: k.tanh_backward, sigmoid: k.sigmoid_backward }[act];
            fwd(px, px, n); // in place
            const y = core.f32(px, n).slice();
            expectClose(
              y,
              Array.from(x, (v) => refActivationForward(act, v)),
              1e-6,
              `${act} forward`,
            );
            bwd(pd, pd, px, n); // in place
            expectClose(
              core.f32(pd, n),
              Array.from(d, (v, i) => v * refActivationBackward(act, y[i])),
              1e-6,
              `${act} backward`,
            );
          }),
      ),
      { numRuns: 100 },
    );
  });
});

describe('softmax cross-entropy', () => {
  it('matches the twin (loss, per-sample loss, dlogits, argmax with ties to the lower class)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(1, 30, 1e4),
        fc.boolean(),
        fc.nat(1e9),
        (B, C, scale, inPlace, seed) =>
          withMark(() => {
            const rng = mulberry(seed);
            // integer-valued logits make exact ties common; large scales test stability
            const logits = Float32Array.from(
              { length: B * C },
              () => Math.round((rng() * 2 - 1) * 3) * scale,
            );
            const labels = Int32Array.from({ length: B }, () => Math.floor(rng() * C));
            const pz = putF32(logits);
            const py = putI32(labels);
            const pd = inPlace ? pz : core.allocF32(B * C);
            const pl = core.allocF32(B);
            const pc = core.allocI32(B);
            const pn = core.allocI32(1);
            const sum = core.kernels.cross_entropy_forward(pz, py, B, C, pd, 1 / B, pl, pc, pn);
            const ref = refCrossEntropyForward(logits, labels, B, C);
            expect(Number.isFinite(sum)).toBe(true);
            expect(Math.abs(sum - ref.sum)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ref.sum)));
            expectClose(core.f32(pl, B), ref.losses, 1e-5, 'perSampleLoss');
            expectClose(core.f32(pd, B * C), ref.dlogits, 1e-6, 'dlogits');
            expect(Array.from(core.i32(pc, B))).toEqual(Array.from(ref.correct));
            expect(core.i32(pn, 1)[0]).toBe(ref.correct.reduce((a, b) => a + b, 0));
          }),
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the gradient and loss exact for near-zero losses (the samples QDG selects)', () =>
    withMark(() => {
      // margin 40 nats: p_other = e^-40 / (1 + e^-40) ~ 4.25e-18; p_y - 1 would round to 0 in f32
      const pz = putF32([40, 0, 0, 25]);
      const py = putI32([0, 1]);
      const pd = core.allocF32(4);
      const pl = core.allocF32(2);
      core.kernels.cross_entropy_forward(pz, py, 2, 2, pd, 1, pl, 0, 0);
      const d = core.f32(pd, 4);
      const q40 = Math.exp(-40) / (1 + Math.exp(-40));
      const q25 = Math.exp(-25) / (1 + Math.exp(-25));
      expect(d[0] / -q40).toBeCloseTo(1, 5);
      expect(d[1] / q40).toBeCloseTo(1, 5);
      expect(d[3] / -q25).toBeCloseTo(1, 5);
      expect(d[2] / q25).toBeCloseTo(1, 5);
      expect(core.f32(pl, 2)[0] / Math.log1p(Math.exp(-40))).toBeCloseTo(1, 5);
    }));

  it('is exact for two equal logits: ln 2 and correct only for label 0', () =>
    withMark(() => {
      const pz = putF32([5, 5, 5, 5]);
      const py = putI32([0, 1]);
      const pc = core.allocI32(2);
      const sum = core.kernels.cross_entropy_forward(pz, py, 2, 2, 0, 0.5, 0, pc, 0);
      expect(sum / 2).toBeCloseTo(Math.LN2, 7);
      expect(Array.from(core.i32(pc, 2))).toEqual([1, 0]);
    }));
});

function layersOf(rng: () => number, cfg: MlpConfig): RefLayer[] {
  const dims = [cfg.inputSize, ...Array(cfg.depth - 1).fill(cfg.width), cfg.outputs];
  return Array.from({ length: cfg.depth }, (_, l) => ({
    W: Float64Array.from({ length: dims[l] * dims[l + 1] }, () => rng() * 2 - 1),
    b: Float64Array.from({ length: dims[l + 1] }, () => rng() * 2 - 1),
    inputs: dims[l],
    outputs: dims[l + 1],
  }));
}

describe('f64 twin: analytic gradients equal central finite differences', () => {
  it('holds for random small nets of depth 2 and 3', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Activation>('relu', 'tanh', 'sigmoid'),
        fc.integer({ min: 2, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.nat(1e9),
        (act, depth, B, seed) => {
          const rng = mulberry(seed);
          const cfg = { inputSize: 4, width: 5, depth, outputs: 3, seed: 0 };
          const layers = layersOf(rng, cfg);
          const x = Float64Array.from({ length: B * 4 }, () => rng() * 2 - 1);
          const labels = Int32Array.from({ length: B }, () => Math.floor(rng() * 3));
          const g = refMlpLossAndGrads(layers, act, x, labels, B);
          const h = 1e-6;
          for (let l = 0; l < depth; l++) {
            for (const [arr, grad] of [
              [layers[l].W, g.dW[l]],
              [layers[l].b, g.db[l]],
            ] as const) {
              for (let j = 0; j < arr.length; j++) {
                const keep = arr[j];
                arr[j] = keep + h;
                const up = refMlpLossAndGrads(layers, act, x, labels, B).loss;
                arr[j] = keep - h;
                const down = refMlpLossAndGrads(layers, act, x, labels, B).loss;
                arr[j] = keep;
                const fd = (up - down) / (2 * h);
                // ReLU kinks are measure-zero; a tolerance of 1e-5 absorbs the rest
                expect(Math.abs(fd - grad[j])).toBeLessThan(1e-5 + 1e-4 * Math.abs(fd));
              }
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

function labelsOf(ptr: number, B: number): Int32Array {
  return core.i32(ptr, B).slice();
}

/** Runs the Wasm model on one batch and returns its loss, logits and per-layer grads. */
function wasmStep(model: Mlp, input: ModelInput, labels: number, B: number) {
  model.forward(input, B);
  const logits = core.f32(model.logits, B * model.cfg.outputs).slice();
  const { meanLoss } = model.crossEntropy(labels, B, { grad: true });
  model.backward(input, B);
  const grads = core.f32(model.grads, model.paramFloats).slice();
  const layers = model.getLayers().map((L, l) => {
    const off = model.layerOffsets(l);
    return { dW: grads.slice(off.W, off.W + L.W.length), db: grads.slice(off.b, off.b + L.b.length) };
  });
  return { meanLoss, logits, layers, grads };
}

describe('Mlp (Wasm) against the f64 twin', () => {
  it('loss, logits and gradients agree, sparse and dense input agree', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Activation>('relu', 'tanh', 'sigmoid'),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 13 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        fc.nat(1e9),
        (activation, depth, inputSize, width, outputs, B, seed) =>
          withMark(() => {
            const rng = mulberry(seed);
            const cfg: MlpConfig = { inputSize, width, depth, outputs, activation, seed };
            const model = new Mlp(core, cfg, B + 3);
            const { offsets, indices } = randomCsr(rng, B, inputSize);
            const x = refDenseFromSparse(offsets, indices, B, inputSize);
            const labels = Int32Array.from({ length: B }, () => Math.floor(rng() * outputs));
            const pLabels = putI32(labels);
            const sparse: ModelInput = { kind: 'sparse', offsets: putI32(offsets), indices: putI32(indices) };
            const dense: ModelInput = { kind: 'dense', data: putF32(x) };
            const ref = refMlpLossAndGrads(model.getLayers(), activation, x, labels, B);
            const a = wasmStep(model, sparse, pLabels, B);
            const d = wasmStep(model, dense, pLabels, B);
            expect(Math.abs(a.meanLoss - ref.loss)).toBeLessThan(1e-5 * (1 + ref.loss));
            expectClose(a.logits, ref.logits, 1e-5, 'logits');
            for (let l = 0; l < depth; l++) {
              expectClose(a.layers[l].dW, ref.dW[l], 1e-5, `sparse dW${l}`);
              expectClose(a.layers[l].db, ref.db[l], 1e-5, `sparse db${l}`);
            }
            expectClose(d.logits, a.logits, 1e-5, 'dense vs sparse logits');
            expectClose(d.grads, a.grads, 1e-5, 'dense vs sparse grads');
            // the byte-table path (denseBits) gives the same logits and gradients
            const nb = Math.floor(rng() * (inputSize + 1));
            const bits = new Mlp(core, { ...cfg, denseBits: nb }, B);
            const offs = [0];
            const idx: number[] = [];
            for (let s = 0; s < B; s++) {
              for (let i = 0; i < inputSize; i++) if (x[s * inputSize + i]) idx.push(i);
              offs.push(idx.length);
            }
            const t = wasmStep(
              bits,
              { kind: 'sparse', offsets: putI32(offs), indices: putI32(idx) },
              pLabels,
              B,
            );
            expectClose(t.logits, a.logits, 1e-5, 'byte-table logits');
            expectClose(t.grads, a.grads, 1e-5, 'byte-table grads');
            // backward overwrites (does not accumulate)
            const again = wasmStep(model, sparse, pLabels, B);
            expect(Array.from(again.grads)).toEqual(Array.from(a.grads));
          }),
      ),
      { numRuns: 120 },
    );
  });

  it('agrees across the sparse, byte-table and dense paths for batches larger than one chunk', () =>
    withMark(() => {
      const rng = mulberry(11);
      const B = 4500; // more than two chunks of 2048 samples
      const cfg: MlpConfig = { inputSize: 21, width: 6, depth: 2, outputs: 2, seed: 5 };
      const { offsets, indices } = randomCsr(rng, B, 21);
      const x = refDenseFromSparse(offsets, indices, B, 21);
      const pLabels = putI32(Int32Array.from({ length: B }, () => (rng() < 0.5 ? 0 : 1)));
      const sparse: ModelInput = { kind: 'sparse', offsets: putI32(offsets), indices: putI32(indices) };
      const plain = wasmStep(new Mlp(core, cfg, B), sparse, pLabels, B);
      const bits = wasmStep(new Mlp(core, { ...cfg, denseBits: 13 }, B), sparse, pLabels, B);
      const dense = wasmStep(new Mlp(core, cfg, B), { kind: 'dense', data: putF32(x) }, pLabels, B);
      const ref = refMlpLossAndGrads(new Mlp(core, cfg, 1).getLayers(), 'relu', x, labelsOf(pLabels, B), B);
      expect(Math.abs(plain.meanLoss - ref.loss)).toBeLessThan(1e-5);
      for (const run of [plain, bits, dense]) {
        expectClose(run.logits, ref.logits, 1e-5, 'logits');
        ref.dW.forEach((dW, l) => expectClose(run.layers[l].dW, dW, 1e-5, `dW${l}`));
        ref.db.forEach((db, l) => expectClose(run.layers[l].db, db, 1e-5, `db${l}`));
      }
    }));

  it('the depth-2 strip-major path (one plain input a sample) matches the twin and exposes row-major views', () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(1e9),
        (B, width, nBits, seed) =>
          withMark(() => {
            const rng = mulberry(seed);
            const bitsFrom = 3;
            const I = bitsFrom + nBits;
            const offsets = [0];
            const indices: number[] = [];
            for (let s = 0; s < B; s++) {
              indices.push(Math.floor(rng() * bitsFrom));
              for (let i = bitsFrom; i < I; i++) if (rng() < 0.5) indices.push(i);
              offsets.push(indices.length);
            }
            const x = refDenseFromSparse(offsets, indices, B, I);
            const cfg: MlpConfig = {
              inputSize: I,
              width,
              depth: 2,
              outputs: 2,
              seed: seed % 1000,
              denseBits: nBits,
            };
            const model = new Mlp(core, cfg, B);
            const labels = Int32Array.from({ length: B }, () => (rng() < 0.5 ? 0 : 1));
            const pLabels = putI32(labels);
            const input: ModelInput = { kind: 'sparse', offsets: putI32(offsets), indices: putI32(indices) };
            const run = wasmStep(model, input, pLabels, B);
            expect(model.stripBatch).toBe(B); // the strip path was taken
            const ref = refMlpLossAndGrads(model.getLayers(), 'relu', x, labels, B);
            expect(Math.abs(run.meanLoss - ref.loss)).toBeLessThan(1e-5);
            expectClose(run.logits, ref.logits, 1e-5, 'logits');
            ref.dW.forEach((dW, l) => expectClose(run.layers[l].dW, dW, 1e-5, `dW${l}`));
            ref.db.forEach((db, l) => expectClose(run.layers[l].db, db, 1e-5, `db${l}`));
            for (let l = 0; l < 2; l++) {
              const L = model.getLayers()[l];
              const inp = l === 0 ? x : core.f32(model.layerInputPtr(l), B * L.inputs);
              const dz = core.f32(model.layerOutputGradPtr(l), B * L.outputs);
              const g = refLinearBackward(dz, inp, L.W, B, L.inputs, L.outputs);
              expectClose(run.layers[l].dW, g.dW, 1e-5, `dW${l} from exposed views`);
            }
          }),
      ),
      { numRuns: 80 },
    ));

  it('exposes layer inputs and output gradients whose outer products give the weight gradients', () =>
    withMark(() => {
      const rng = mulberry(7);
      const B = 6;
      const cfg: MlpConfig = { inputSize: 7, width: 5, depth: 3, outputs: 2, seed: 3 };
      const model = new Mlp(core, cfg, B);
      const x = Float32Array.from({ length: B * 7 }, () => rng());
      const input: ModelInput = { kind: 'dense', data: putF32(x) };
      const pLabels = putI32([0, 1, 1, 0, 1, 0]);
      const { layers } = wasmStep(model, input, pLabels, B);
      for (let l = 0; l < 3; l++) {
        const L = model.getLayers()[l];
        const inp = core.f32(model.layerInputPtr(l), B * L.inputs);
        const dz = core.f32(model.layerOutputGradPtr(l), B * L.outputs);
        const g = refLinearBackward(dz, inp, L.W, B, L.inputs, L.outputs);
        expectClose(layers[l].dW, g.dW, 1e-6, `dW${l} from exposed views`);
      }
      expect(model.layerInputPtr(0)).toBe((input as { data: number }).data);
      model.forward({ kind: 'sparse', offsets: putI32([0, 1]), indices: putI32([2]) }, 1);
      expect(() => model.layerInputPtr(0)).toThrow(/sparse/);
    }));
});

describe('initialisation, sizes and validation', () => {
  it('parameterCount matches the paper: 5429 for width 9, 301502 for width 500 (nTasks 500, n 100)', () => {
    const cfg = (width: number): MlpConfig => ({ inputSize: 600, width, depth: 2, outputs: 2, seed: 0 });
    expect(parameterCount(cfg(9))).toBe(5429);
    expect(parameterCount(cfg(500))).toBe(301502);
    expect(parameterCount({ ...cfg(10), depth: 3 })).toBe(601 * 10 + 11 * 10 + 11 * 2);
  });

  it('init is PyTorch nn.Linear: within +-1/sqrt(fan_in), reproducible per seed, padding zero', () =>
    withMark(() => {
      const cfg: MlpConfig = { inputSize: 13, width: 7, depth: 3, outputs: 3, seed: 42 };
      const a = new Mlp(core, cfg, 4);
      const b = new Mlp(core, cfg, 4);
      const c = new Mlp(core, { ...cfg, seed: 43 }, 4);
      expect(a.parameterCount).toBe(parameterCount(cfg));
      let nonZero = 0;
      a.getLayers().forEach((L) => {
        const bound = Math.fround(1 / Math.sqrt(L.inputs));
        for (const v of [...L.W, ...L.b]) {
          expect(Math.abs(v)).toBeLessThanOrEqual(bound);
          if (v !== 0) nonZero++;
        }
      });
      expect(nonZero).toBe(a.parameterCount);
      expect(Array.from(core.f32(a.params, a.paramFloats))).toEqual(
        Array.from(core.f32(b.params, b.paramFloats)),
      );
      expect(core.f32(a.params, a.paramFloats)).not.toEqual(core.f32(c.params, c.paramFloats));
      expect(a.paramFloats % 4).toBe(0);
      expect(a.params % 16).toBe(0);
      let sumAbs = 0;
      for (const v of core.f32(a.params, a.paramFloats)) sumAbs += Math.abs(v);
      let layerAbs = 0;
      for (const L of a.getLayers()) for (const v of [...L.W, ...L.b]) layerAbs += Math.abs(v);
      expect(sumAbs).toBeCloseTo(layerAbs, 4); // padding holds zeros
    }));

  it('mlpBytes covers what the model allocates', () =>
    withMark(() => {
      const cfg: MlpConfig = { inputSize: 33, width: 17, depth: 3, outputs: 2, seed: 0 };
      const before = core.mark();
      new Mlp(core, cfg, 50);
      expect(core.mark() - before).toBeLessThanOrEqual(mlpBytes(cfg, 50));
    }));

  it('refuses configs it cannot be built from with a RangeError (user input is validated at the edge)', () => {
    const ok: MlpConfig = { inputSize: 3, width: 2, depth: 2, outputs: 2, seed: 0 };
    expect(() => new Mlp(core, { ...ok, width: 0 }, 4)).toThrow(RangeError);
    expect(() => new Mlp(core, { ...ok, depth: 1.5 }, 4)).toThrow(RangeError);
    expect(() => new Mlp(core, { ...ok, activation: 'gelu' as Activation }, 4)).toThrow(RangeError);
    expect(() => new Mlp(core, ok, 0)).toThrow(RangeError);
  });
});

describe('learning multitask sparse parity', () => {
  it('drives the loss well below ln 2 and learns subtask 0 before subtask 4', () => {
    const task = new SparseParityTask({ nTasks: 5, n: 10, k: 3, alpha: 0.4, seed: 0 });
    const B = 256;
    const model = new Mlp(
      core,
      { inputSize: task.inputSize, width: 64, depth: 2, outputs: 2, seed: 0, denseBits: 10 },
      1000,
    );
    const opt = new AdamW(core, model);
    const batch = new ParityBatch(core, task, 1000, 0);
    const input: ModelInput = { kind: 'sparse', offsets: batch.offsets, indices: batch.indices };
    const perTask = 200;
    const subtaskLosses = (): number[] => {
      batch.setSubtasks(perSubtaskSubtasks(5, perTask));
      batch.fill(5 * perTask, Stream.testBatch, 0);
      model.forward(input, 5 * perTask);
      const per = core.allocF32(5 * perTask);
      model.crossEntropy(batch.labels, 5 * perTask, { grad: false, perSampleLoss: per });
      const l = core.f32(per, 5 * perTask);
      return [0, 1, 2, 3, 4].map(
        (t) => l.slice(t * perTask, (t + 1) * perTask).reduce((a, b) => a + b) / perTask,
      );
    };
    let firstBelow: number[] = [Infinity, Infinity, Infinity, Infinity, Infinity];
    let meanLoss = Infinity;
    for (let step = 0; step < 10000; step++) {
      batch.trainBatch(B, step);
      model.forward(input, B);
      meanLoss = model.crossEntropy(batch.labels, B, { grad: true }).meanLoss;
      model.backward(input, B);
      opt.step();
      if (step % 100 === 99) {
        const mark = core.mark();
        const losses = subtaskLosses();
        core.release(mark);
        firstBelow = firstBelow.map((f, t) => (f === Infinity && losses[t] < 0.1 ? step : f));
      }
    }
    expect(meanLoss).toBeLessThan(0.2);
    // seen with this seed: subtasks fall below 0.1 nats at steps 1099, 2199, 4199, 6299, 9499 (frequency order)
    expect(firstBelow[4]).toBeLessThan(Infinity);
    expect(firstBelow[0]).toBeLessThan(firstBelow[4]);
  });
});
