import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { CounterRandom } from '../../src/core/rng.js';
import {
  factoredGram,
  perSampleGradientGram,
  type CsrInput,
  type FactoredLayer,
} from '../../src/qdg/factored-gram.js';
import { Mlp } from '../../src/train/model.js';
import { cosineFromGram } from '../../src/qdg/gram.js';
import {
  referenceCosine,
  referenceFactoredGram,
  referencePerSampleGradient,
} from '../../src/qdg/reference.js';
import { gramFromNpy } from '../../src/qdg/sources/npy.js';
import { writeNpy } from '../../src/io/npy.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const core = new Core();

/** A random tiny ReLU MLP in f64 (the oracle): widths[0] inputs, ..., widths[L] classes. */
interface TinyMlp {
  widths: number[];
  W: Float64Array[]; // [in x out]
  b: Float64Array[];
}

function tinyMlp(widths: number[], rng: CounterRandom): TinyMlp {
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    W.push(Float64Array.from({ length: widths[l] * widths[l + 1] }, () => rng.nextGaussian() * 0.7));
    b.push(Float64Array.from({ length: widths[l + 1] }, () => rng.nextGaussian() * 0.3));
  }
  return { widths, W, b };
}

/** Per-sample loss and, per layer, the input x_l and delta_l = dL/dz_l of one sample. */
function sampleFactors(net: TinyMlp, x0: Float64Array, label: number) {
  const L = net.W.length;
  const xs: Float64Array[] = [x0];
  const zs: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const I = net.widths[l];
    const O = net.widths[l + 1];
    const z = Float64Array.from(net.b[l]);
    for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) z[o] += xs[l][i] * net.W[l][i * O + o];
    zs.push(z);
    if (l + 1 < L) xs.push(z.map((v) => Math.max(0, v)));
  }
  const logits = zs[L - 1];
  const mx = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - mx));
  const sum = e.reduce((a, c) => a + c, 0);
  const loss = -(logits[label] - mx - Math.log(sum));
  const deltas: Float64Array[] = new Array(L);
  // p_o for o != label, and -(sum of the others) for the label: exact even when p_label rounds to 1
  const last = e.map((v, o) => (o === label ? 0 : v / sum));
  last[label] = -last.reduce((a, c) => a + c, 0);
  deltas[L - 1] = last;
  for (let l = L - 2; l >= 0; l--) {
    const O = net.widths[l + 1];
    const O2 = net.widths[l + 2];
    const d = new Float64Array(O);
    for (let o = 0; o < O; o++) {
      let s = 0;
      for (let p = 0; p < O2; p++) s += net.W[l + 1][o * O2 + p] * deltas[l + 1][p];
      d[o] = zs[l][o] > 0 ? s : 0;
    }
    deltas[l] = d;
  }
  return { loss, xs, deltas };
}

function sparseInputs(
  S: number,
  width: number,
  rng: CounterRandom,
): { csr: CsrInput; dense: Float64Array[] } {
  const offsets = [0];
  const indices: number[] = [];
  const dense: Float64Array[] = [];
  for (let s = 0; s < S; s++) {
    const x = new Float64Array(width);
    for (let i = 0; i < width; i++) {
      if (rng.nextDouble() < 0.4) {
        indices.push(i);
        x[i] = 1;
      }
    }
    offsets.push(indices.length);
    dense.push(x);
  }
  return { csr: { offsets, indices }, dense };
}

function layersOf(
  net: TinyMlp,
  S: number,
  csr: CsrInput,
  dense: Float64Array[],
  labels: number[],
  sparse: boolean,
) {
  const L = net.W.length;
  const layers: FactoredLayer[] = [];
  const per = dense.map((x, s) => sampleFactors(net, x, labels[s]));
  for (let l = 0; l < L; l++) {
    const I = net.widths[l];
    const O = net.widths[l + 1];
    const delta = new Float32Array(S * O);
    const input = new Float32Array(S * I);
    for (let s = 0; s < S; s++) {
      delta.set(per[s].deltas[l], s * O);
      input.set(per[s].xs[l], s * I);
    }
    layers.push({ input: l === 0 && sparse ? csr : input, inWidth: I, delta, outWidth: O });
  }
  return { layers, per };
}

function expectGramClose(got: Float32Array, want: Float64Array, S: number, tol: number): void {
  for (let a = 0; a < S; a++) {
    for (let b = 0; b < S; b++) {
      const scale = Math.sqrt(want[a * S + a] * want[b * S + b]) + 1e-6;
      expect(Math.abs(got[a * S + b] - want[a * S + b])).toBeLessThanOrEqual(tol * scale);
      expect(got[a * S + b]).toBe(got[b * S + a]);
    }
  }
}

describe('factoredGram', () => {
  it('equals the Gram of explicitly materialised per-sample gradients of random tiny MLPs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 10000 }),
        (S, hidden, inWidth, tileRows, sparse, seed) => {
          const rng = new CounterRandom(seed, 50);
          const widths = [inWidth + (seed % 80), ...hidden.slice(1), 2];
          const net = tinyMlp(widths, rng);
          const { csr, dense } = sparseInputs(S, widths[0], rng);
          const labels = Array.from({ length: S }, () => rng.nextInt(2));
          const { layers } = layersOf(net, S, csr, dense, labels, sparse);
          const mark = core.mark();
          const { gramPtr, samples } = factoredGram(core, S, layers, { tileRows });
          expect(samples).toBe(S);
          expectGramClose(core.f32(gramPtr, S * S), referenceFactoredGram(S, layers), S, 2e-6);
          core.release(mark);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the layer factors are the true per-sample gradients (central finite differences of the loss)', () => {
    const rng = new CounterRandom(3, 51);
    const net = tinyMlp([7, 5, 4, 2], rng);
    const { dense } = sparseInputs(3, 7, rng);
    for (let s = 0; s < 3; s++) {
      const label = s % 2;
      const { deltas, xs } = sampleFactors(net, dense[s], label);
      const h = 1e-6;
      for (let l = 0; l < net.W.length; l++) {
        const O = net.widths[l + 1];
        for (let e = 0; e < net.W[l].length; e++) {
          const w0 = net.W[l][e];
          net.W[l][e] = w0 + h;
          const up = sampleFactors(net, dense[s], label).loss;
          net.W[l][e] = w0 - h;
          const down = sampleFactors(net, dense[s], label).loss;
          net.W[l][e] = w0;
          const i = Math.floor(e / O);
          const o = e % O;
          expect((up - down) / (2 * h)).toBeCloseTo(xs[l][i] * deltas[l][o], 6);
        }
        for (let o = 0; o < O; o++) {
          const b0 = net.b[l][o];
          net.b[l][o] = b0 + h;
          const up = sampleFactors(net, dense[s], label).loss;
          net.b[l][o] = b0 - h;
          const down = sampleFactors(net, dense[s], label).loss;
          net.b[l][o] = b0;
          expect((up - down) / (2 * h)).toBeCloseTo(deltas[l][o], 6);
        }
      }
    }
  });
});

describe('perSampleGradientGram on the Mlp', () => {
  it('equals the Gram of the model gradients taken one sample at a time (sparse and dense input, chunks)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 2, max: 3 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 10000 }),
        (S, width, depth, maxBatch, sparse, seed) => {
          const rng = new CounterRandom(seed, 52);
          const inputSize = 5 + (seed % 70);
          const mark = core.mark();
          const mlp = new Mlp(core, { inputSize, width, depth, outputs: 2, seed }, maxBatch);
          const { csr, dense } = sparseInputs(S, inputSize, rng);
          const offsets = core.allocI32(S + 1);
          const indices = core.allocI32(Math.max(1, csr.indices.length));
          core.i32(offsets, S + 1).set(csr.offsets as number[]);
          core.i32(indices, Math.max(1, csr.indices.length)).set(csr.indices as number[]);
          const data = core.allocF32(S * inputSize);
          for (let s = 0; s < S; s++) core.f32(data + 4 * s * inputSize, inputSize).set(dense[s]);
          const labels = core.allocI32(S);
          core.i32(labels, S).set(Array.from({ length: S }, () => rng.nextInt(2)));
          const input = sparse
            ? ({ kind: 'sparse', offsets, indices } as const)
            : ({ kind: 'dense', data } as const);

          // explicit per-sample gradients: the model's backward on one sample at a time
          const grads: Float64Array[] = [];
          for (let s = 0; s < S; s++) {
            const one =
              input.kind === 'sparse'
                ? ({ kind: 'sparse', offsets: offsets + 4 * s, indices } as const)
                : ({ kind: 'dense', data: data + 4 * s * inputSize } as const);
            mlp.forward(one, 1);
            mlp.crossEntropy(labels + 4 * s, 1, { grad: true });
            mlp.backward(one, 1);
            grads.push(Float64Array.from(core.f32(mlp.grads, mlp.paramFloats)));
          }
          const want = new Float64Array(S * S);
          for (let a = 0; a < S; a++) {
            for (let b = 0; b < S; b++) {
              let t = 0;
              for (let e = 0; e < grads[a].length; e++) t += grads[a][e] * grads[b][e];
              want[a * S + b] = t;
            }
          }
          const rescale = seed % 3 !== 0;
          const { gramPtr, sampleScales } = perSampleGradientGram(core, mlp, input, labels, S, {
            tileRows: 1 + (seed % 5),
            rescale,
          });
          if (!rescale) expect(Array.from(sampleScales)).toEqual(new Array(S).fill(1));
          for (let a = 0; a < S; a++)
            for (let b = 0; b < S; b++) want[a * S + b] *= sampleScales[a] * sampleScales[b];
          expectGramClose(core.f32(gramPtr, S * S), want, S, 1e-5);
          core.release(mark);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps the cosine exact for near-zero-loss samples (p_wrong down to 1e-30 and below: f64 logit gradients, rescaling)', () => {
    const S = 12;
    const inputSize = 9;
    const mark = core.mark();
    const mlp = new Mlp(core, { inputSize, width: 6, depth: 3, outputs: 2, seed: 7 }, 5);
    const layers = mlp.getLayers();
    // a large last layer: margins of tens to hundreds of nats
    mlp.setLayers(
      layers.map((l, i) => (i === layers.length - 1 ? { W: l.W.map((w) => w * 1500), b: l.b } : l)),
    );
    const net: TinyMlp = {
      widths: [inputSize, 6, 6, 2],
      W: mlp.getLayers().map((l) => Float64Array.from(l.W)),
      b: mlp.getLayers().map((l) => Float64Array.from(l.b)),
    };
    const rng = new CounterRandom(8, 53);
    const { csr, dense } = sparseInputs(S, inputSize, rng);
    const offsets = core.allocI32(S + 1);
    const indices = core.allocI32(Math.max(1, csr.indices.length));
    core.i32(offsets, S + 1).set(csr.offsets as number[]);
    core.i32(indices, Math.max(1, csr.indices.length)).set(csr.indices as number[]);
    // label = the model's own prediction, so every loss is tiny
    const labelsArr = dense.map((x) => {
      const f = sampleFactors(net, x, 0);
      const g = sampleFactors(net, x, 1);
      return f.loss < g.loss ? 0 : 1;
    });
    // -ln p_wrong of the twin (about the margin): spans tens to hundreds of nats, p_wrong stays > 0 in f64
    const margins = dense.map((x, s) => {
      const d = sampleFactors(net, x, labelsArr[s]).deltas;
      return -Math.log(d[d.length - 1][1 - labelsArr[s]]);
    });
    expect(Math.max(...margins)).toBeGreaterThan(70);
    expect(Math.max(...margins)).toBeLessThan(700);
    const labels = core.allocI32(S);
    core.i32(labels, S).set(labelsArr);
    // the f64 oracle: explicit gradients, each scaled to unit max |dL/dlogit| before the Gram (cosine-neutral)
    const per = dense.map((x, s) => sampleFactors(net, x, labelsArr[s]).deltas);
    const want = new Float64Array(S * S);
    {
      const grads = per.map((deltas, a) => {
        const c = 1 / Math.max(...Array.from(deltas[deltas.length - 1], Math.abs));
        const parts: number[] = [];
        const xs = sampleFactors(net, dense[a], labelsArr[a]).xs;
        deltas.forEach((d, l) => {
          for (const xi of xs[l]) for (const dv of d) parts.push(xi * dv * c);
          for (const dv of d) parts.push(dv * c);
        });
        return parts;
      });
      for (let a = 0; a < S; a++) {
        for (let b = 0; b < S; b++) want[a * S + b] = grads[a].reduce((t, v, e) => t + v * grads[b][e], 0);
      }
    }
    const { gramPtr } = perSampleGradientGram(core, mlp, { kind: 'sparse', offsets, indices }, labels, S);
    cosineFromGram(core, gramPtr, S);
    const got = core.f32(gramPtr, S * S);
    const wc = referenceCosine(want, S);
    for (let e = 0; e < S * S; e++) expect(Math.abs(got[e] - wc[e])).toBeLessThan(1e-4);
    core.release(mark);
  });

  it('agrees with the dense route: per-sample gradients saved as .npy, gramFromNpy, cosine', () => {
    const S = 30;
    const inputSize = 40;
    const mark = core.mark();
    const mlp = new Mlp(core, { inputSize, width: 16, depth: 2, outputs: 2, seed: 11 }, 8);
    const rng = new CounterRandom(12, 54);
    const { csr } = sparseInputs(S, inputSize, rng);
    const offsets = core.allocI32(S + 1);
    const indices = core.allocI32(csr.indices.length);
    core.i32(offsets, S + 1).set(csr.offsets as number[]);
    core.i32(indices, csr.indices.length).set(csr.indices as number[]);
    const labels = core.allocI32(S);
    core.i32(labels, S).set(Array.from({ length: S }, () => rng.nextInt(2)));
    const P = mlp.paramFloats;
    const grads = new Float32Array(S * P);
    for (let s = 0; s < S; s++) {
      const one = { kind: 'sparse', offsets: offsets + 4 * s, indices } as const;
      mlp.forward(one, 1);
      mlp.crossEntropy(labels + 4 * s, 1, { grad: true });
      mlp.backward(one, 1);
      grads.set(core.f32(mlp.grads, P), s * P);
    }
    const path = join(mkdtempSync(join(tmpdir(), 'quanta-fg-')), 'grads.npy');
    writeNpy(path, grads, [S, P]);
    const dense = gramFromNpy(core, path, { blockBytes: 4 * S * 100 });
    cosineFromGram(core, dense.gramPtr, S);
    const factored = perSampleGradientGram(core, mlp, { kind: 'sparse', offsets, indices }, labels, S);
    cosineFromGram(core, factored.gramPtr, S);
    const a = core.f32(dense.gramPtr, S * S);
    const b = core.f32(factored.gramPtr, S * S);
    for (let e = 0; e < S * S; e++) expect(Math.abs(a[e] - b[e])).toBeLessThan(2e-5);
    core.release(mark);
  });
});

/** The Wasm copies of a sparse 0/1 batch and its labels; the dense rows for the twin. */
function batchInWasm(S: number, inputSize: number, rng: CounterRandom, classes = 2) {
  const { csr, dense } = sparseInputs(S, inputSize, rng);
  const offsets = core.allocI32(S + 1);
  const indices = core.allocI32(Math.max(1, csr.indices.length));
  core.i32(offsets, S + 1).set(csr.offsets as number[]);
  core.i32(indices, Math.max(1, csr.indices.length)).set(csr.indices as number[]);
  const data = core.allocF32(S * inputSize);
  for (let s = 0; s < S; s++) core.f32(data + 4 * s * inputSize, inputSize).set(dense[s]);
  const labelsArr = Array.from({ length: S }, () => rng.nextInt(classes));
  const labels = core.allocI32(S);
  core.i32(labels, S).set(labelsArr);
  return { offsets, indices, data, labels, labelsArr, dense };
}

/** The Gram of the twin's materialised per-sample gradients, in f64. */
function twinGram(grads: Float64Array[]): Float64Array {
  const S = grads.length;
  const g = new Float64Array(S * S);
  for (let a = 0; a < S; a++)
    for (let b = 0; b < S; b++) {
      let t = 0;
      for (let e = 0; e < grads[a].length; e++) t += grads[a][e] * grads[b][e];
      g[a * S + b] = t;
    }
  return g;
}

describe('gradient choices: --gradient-of and --layers keep the factored Gram exact', () => {
  it('factoredGram with weights or biases left out equals the Gram of the materialised chosen parts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 2, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 10000 }),
        (S, hidden, flags, sparse, seed) => {
          const rng = new CounterRandom(seed, 55);
          const widths = [3 + (seed % 40), ...hidden.slice(1), 2];
          const net = tinyMlp(widths, rng);
          const { csr, dense } = sparseInputs(S, widths[0], rng);
          const labels = Array.from({ length: S }, () => rng.nextInt(2));
          const { layers } = layersOf(net, S, csr, dense, labels, sparse);
          // per layer: 0 = both, 1 = weights only, 2 = bias only, 3 = left out
          const chosen = layers.map((l, i) => ({
            ...l,
            weights: flags[i] === 0 || flags[i] === 1,
            bias: flags[i] === 0 || flags[i] === 2,
          }));
          const mark = core.mark();
          const { gramPtr } = factoredGram(core, S, chosen, { tileRows: 1 + (seed % 4) });
          expectGramClose(core.f32(gramPtr, S * S), referenceFactoredGram(S, chosen), S, 2e-6);
          core.release(mark);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('perSampleGradientGram equals the twin: gradients of the loss or of z_1 - z_0, any groups, any activation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 2, max: 3 }),
        fc.constantFrom('relu', 'tanh', 'sigmoid'),
        fc.constantFrom('loss', 'logit'),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 10000 }),
        (S, width, depth, activation, gradientOf, flags, sparse, seed) => {
          const rng = new CounterRandom(seed, 56);
          const inputSize = 4 + (seed % 50);
          const mark = core.mark();
          const mlp = new Mlp(
            core,
            { inputSize, width, depth, outputs: 2, activation, seed },
            1 + (seed % 6),
          );
          const b = batchInWasm(S, inputSize, rng);
          // at least one group: flags 3 (left out) on every layer falls back to the last layer's bias
          let groups = flags.slice(0, depth).map((f) => ({ weights: f <= 1, bias: f === 0 || f === 2 }));
          if (groups.every((g) => !g.weights && !g.bias))
            groups = groups.map((g, l) => ({ ...g, bias: l === depth - 1 }));
          const rescale = seed % 3 !== 0;
          const { gramPtr, sampleScales } = perSampleGradientGram(
            core,
            mlp,
            sparse
              ? { kind: 'sparse', offsets: b.offsets, indices: b.indices }
              : { kind: 'dense', data: b.data },
            b.labels,
            S,
            { gradientOf, groups, rescale, tileRows: 1 + (seed % 5) },
          );
          if (gradientOf === 'logit') expect(Array.from(sampleScales)).toEqual(new Array(S).fill(1));
          const layers = mlp.getLayers();
          const grads = b.dense.map((x, s) =>
            referencePerSampleGradient(layers, activation, x, b.labelsArr[s], gradientOf, groups),
          );
          const want = twinGram(grads);
          for (let a = 0; a < S; a++)
            for (let c = 0; c < S; c++) want[a * S + c] *= sampleScales[a] * sampleScales[c];
          expectGramClose(core.f32(gramPtr, S * S), want, S, 1e-5);
          core.release(mark);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('two classes: the logit-difference Gram is the loss Gram (rescaled) with each sample signed by its label, to the bit; with one ReLU hidden layer every entry is >= 0', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 10000 }),
        (S, width, seed) => {
          const rng = new CounterRandom(seed, 57);
          const inputSize = 5 + (seed % 40);
          const mark = core.mark();
          const mlp = new Mlp(core, { inputSize, width, depth: 2, outputs: 2, seed }, 8);
          const b = batchInWasm(S, inputSize, rng);
          const input = { kind: 'sparse', offsets: b.offsets, indices: b.indices } as const;
          const loss = perSampleGradientGram(core, mlp, input, b.labels, S);
          const lossGram = core.f32(loss.gramPtr, S * S).slice();
          const logit = perSampleGradientGram(core, mlp, input, b.labels, S, { gradientOf: 'logit' });
          const logitGram = core.f32(logit.gramPtr, S * S);
          // dL/dz = p_wrong (-1, 1) for label 0 and -p_wrong (-1, 1) for label 1: rescaled, exactly -+(-1, 1)
          const sign = b.labelsArr.map((y) => (y === 0 ? 1 : -1));
          for (let i = 0; i < S; i++)
            for (let j = 0; j < S; j++) {
              expect(logitGram[i * S + j]).toBe(sign[i] * sign[j] * lossGram[i * S + j]);
              // (delta . delta)(x . x + 1) per layer, each factor a sum of non-negative terms for ReLU
              expect(logitGram[i * S + j]).toBeGreaterThanOrEqual(0);
            }
          core.release(mark);
        },
      ),
      { numRuns: 30 },
    );
  });
});
