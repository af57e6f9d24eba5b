import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inflateSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCore } from '../../src/core/arena.js';
import { loadRunSource, planRunSource } from '../../src/qdg/sources/run.js';
import { parseRunConfig, DEFAULT_RUN, type RunConfig } from '../../src/train/config.js';
import { Trainer } from '../../src/train/trainer.js';
import { saveRunWeights } from '../../src/train/weights.js';
import { blockMeans, cmrmap, crc32, encodePng, similarityPng } from '../../src/qdg/similarity-image.js';
import { Core } from '../../src/core/arena.js';
import { ConfigError } from '../../src/core/errors.js';
import { orderByCluster, spectralClusterings } from '../../src/qdg/pipeline.js';
import {
  mlpParameterGroups,
  qdgConfig,
  type CosineKind,
  type GradientOf,
  type QdgOptions,
  type SourceChoices,
} from '../../src/qdg/config.js';
import { matrixSource, planQdg, runQdg } from '../../src/qdg/run.js';
import { PAPER_ALPHA_N, PAPER_CLUSTER_COUNTS } from '../../src/qdg/rank-frequency.js';
import { toyAffinity, toyPoints } from '../../src/qdg/toy.js';
import { plantedAffinity } from './planted.js';

describe('similarity picture', () => {
  it('CRC-32 of "123456789" is the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('encodes a PNG whose IDAT inflates back to the filtered rows', () => {
    const w = 3;
    const h = 2;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
    const png = encodePng(w, h, rgb);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe('IHDR');
    expect(view.getUint32(16)).toBe(w);
    expect(view.getUint32(20)).toBe(h);
    const idatLen = view.getUint32(33);
    expect(String.fromCharCode(...png.subarray(37, 41))).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(view.getUint32(41 + idatLen)).toBe(crc32(png.subarray(37, 41 + idatLen)));
    expect(raw.length).toBe(h * (1 + 3 * w));
    expect(raw[0]).toBe(0);
    expect(Array.from(raw.subarray(1, 1 + 3 * w))).toEqual(Array.from(rgb.subarray(0, 3 * w)));
    expect(String.fromCharCode(...png.subarray(png.length - 8, png.length - 4))).toBe('IEND');
  });

  it('block means equal the plain mean over each block of the permuted matrix', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(),
        (S, size, seed) => {
          const M = Float32Array.from({ length: S * S }, (_, i) => ((i * 7919 + seed) % 101) / 100);
          const order = Array.from({ length: S }, (_, i) => (i * 13 + seed) % S);
          if (new Set(order).size !== S) order.sort((a, b) => a - b);
          const { n, pixels } = blockMeans(M, S, order, size);
          expect(n).toBe(Math.min(S, size));
          for (let u = 0; u < n; u++) {
            for (let v = 0; v < n; v++) {
              let sum = 0;
              let count = 0;
              for (let i = 0; i < S; i++) {
                for (let j = 0; j < S; j++) {
                  if (Math.floor((i * n) / S) === u && Math.floor((j * n) / S) === v) {
                    sum += M[order[i] * S + order[j]];
                    count++;
                  }
                }
              }
              expect(pixels[u * n + v]).toBeCloseTo(sum / count, 10);
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('CMRmap runs from black to white; the picture has the block-mean size', () => {
    expect(cmrmap(0)).toEqual([0, 0, 0]);
    expect(cmrmap(1)).toEqual([255, 255, 255]);
    expect(cmrmap(0.5)).toEqual([255, 64, 38]);
    const S = 30;
    const M = Float32Array.from({ length: S * S }, (_, i) => (i % S === Math.floor(i / S) ? 1 : 0.2));
    const { n, min, max, png } = similarityPng(
      M,
      S,
      Array.from({ length: S }, (_, i) => i),
      10,
    );
    expect(n).toBe(10);
    expect(min).toBeCloseTo(0.2, 6);
    expect(max).toBeCloseTo(0.2 + 0.8 / 3, 6);
    expect(png.length).toBeGreaterThan(50);
  });
});

describe('spectral clustering pipeline', () => {
  const core = new Core();

  it('recovers planted clusters (ARI 1) and their sizes; the envelope fit runs over the S-scaled window', () => {
    const sizes = [60, 40, 30, 24, 20, 16, 10];
    const { A, labels } = plantedAffinity(sizes, 7);
    const S = labels.length;
    const mark = core.mark();
    const stages: string[] = [];
    // the one entry, runQdg, over a matrix held by the caller (as a page would)
    const { analysis: result } = runQdg(
      matrixSource(Float32Array.from(A), S, 'affinity', labels),
      { clusters: [7, 3, 7, 12], nInit: 5, seed: 1 },
      (stage) => stages.push(stage),
      core,
    );
    expect(core.mark()).toBe(mark); // every Wasm byte released
    expect(result.clusterings.map((c) => c.K)).toEqual([3, 7, 12]);
    const k7 = result.clusterings[1];
    expect(k7.sizes).toEqual(sizes);
    expect(k7.ari).toBeGreaterThan(0.999);
    expect(k7.nmi).toBeGreaterThan(0.999);
    expect(result.eigenvalues.length).toBe(12);
    for (let i = 1; i < 12; i++)
      expect(result.eigenvalues[i]).toBeGreaterThanOrEqual(result.eigenvalues[i - 1] - 1e-9);
    expect(result.eigenvalues[0]).toBeCloseTo(0, 4);
    // the eigensolver's record: converged, on the one-vector route below S 4096
    expect(result.eigensolver).toMatchObject({ converged: true, block: 1 });
    expect(result.envelope.length).toBe(12);
    expect(result.envelope.slice(0, 7).every((v, i) => v >= sizes[i])).toBe(true);
    expect(result.fit.window).toEqual({ first: 1, last: 8 }); // [3, 20] for S = 200, capped to K = 12
    expect(Number.isFinite(result.fit.envelopeSlope)).toBe(true);
    expect(result.predictedSlope).toBeCloseTo(-1.083, 12);
    expect(stages).toContain('embedding');
    expect(stages).toContain('kmeans');
    expect(result.timing.embedding).toBeGreaterThanOrEqual(0);
    expect(result.timing.total).toBeGreaterThanOrEqual(result.timing.kmeans ?? 0);
  });

  it('is deterministic for a seed', () => {
    const { A, labels } = plantedAffinity([30, 20, 15, 10, 5], 3);
    const S = labels.length;
    const run = () => {
      const mark = core.mark();
      const ptr = core.allocF32(S * S);
      core.f32(ptr, S * S).set(A);
      const r = spectralClusterings(core, ptr, qdgConfig({ clusters: [4, 8], nInit: 3, seed: 9 }, S));
      core.release(mark);
      return r.clusterings.map((c) => Array.from(c.labels));
    };
    expect(run()).toEqual(run());
  });

  it('qdgConfig: one check of the cluster counts, one wording, and the defaults worked out once', () => {
    const bad = /^--clusters values must be integers in \[2, 9\] for 10 samples, got /;
    expect(() => qdgConfig({ clusters: [] }, 10)).toThrow(ConfigError);
    for (const K of [1, 10, 11, 2.5]) {
      expect(() => qdgConfig({ clusters: [5, K] }, 10)).toThrow(ConfigError);
      expect(() => qdgConfig({ clusters: [5, K] }, 10)).toThrow(bad);
    }
    const c = qdgConfig({ clusters: [5, 2, 5] }, 10);
    expect(c.clusters).toEqual([2, 5]);
    expect(c.maxClusters).toBe(5);
    expect(c.nInit).toBe(30);
    expect(c.seed).toBe(0);
    expect(c.alphaN).toBe(PAPER_ALPHA_N);
    expect(qdgConfig({}, 10, 0.4).alphaN).toBe(0.4); // the source's alpha_N
    expect(qdgConfig({ alphaN: 0.2 }, 10, 0.4).alphaN).toBe(0.2); // the user's wins
    // the paper's window for S = 10,000 and the paper's cluster counts
    const paper = qdgConfig({ clusters: 'paper' }, 10_000);
    expect(paper.clusters).toEqual(PAPER_CLUSTER_COUNTS);
    expect(paper.window).toEqual({ first: 101, last: 1000 });
    // the window shrinks to the largest K; defaults span 10..S/7
    expect(qdgConfig({ clusters: [12] }, 200).window).toEqual({ first: 1, last: 8 });
    expect(qdgConfig({}, 700).clusters.at(-1)).toBe(100);
    expect(() => qdgConfig({ window: { first: 5, last: 5 } }, 100)).toThrow(/--window/);
  });

  it('qdgConfig: --gradient-of, --layers and --cosine checked once against what the source offers', () => {
    const model: SourceChoices = {
      cosine: true,
      gradient: { outputs: ['loss', 'logit'], groups: mlpParameterGroups(3) },
    };
    // defaults: the paper's loss gradient of every parameter, signed cosine; any source
    for (const c of [qdgConfig({}, 10), qdgConfig({}, 10, undefined, model)]) {
      expect([c.gradientOf, c.layers, c.cosine]).toEqual(['loss', null, 'signed']);
    }
    const c = qdgConfig(
      { gradientOf: 'logit', layers: ['b3', '1', 'W1', 'W3'], cosine: 'abs' },
      10,
      0,
      model,
    );
    expect([c.gradientOf, c.cosine]).toEqual(['logit', 'abs']);
    expect(c.layers).toEqual(['W1', 'b1', 'W3', 'b3']); // a number is both groups; model order, no duplicates
    const bad: [QdgOptions, SourceChoices, RegExp][] = [
      [
        { layers: ['W4'] },
        model,
        /^--layers: unknown parameter group 'W4': this model has W1, b1, W2, b2, W3, b3/,
      ],
      [{ layers: ['0'] }, model, /unknown parameter group '0'/],
      [{ layers: [] }, model, /--layers must name at least one parameter group/],
      [{ layers: ['W1'] }, { cosine: true }, /--layers needs a model/],
      [{ gradientOf: 'logit' }, { cosine: true }, /--gradient-of needs a model/],
      [{ gradientOf: 'margin' as GradientOf }, model, /--gradient-of must be loss or logit, got 'margin'/],
      [
        { gradientOf: 'logit' },
        { cosine: true, gradient: { outputs: ['loss'], groups: mlpParameterGroups(2) } },
        /--gradient-of logit needs a two-class model/,
      ],
      [{ cosine: 'abs' }, { cosine: false }, /--cosine abs needs cosine similarities/],
      [{ cosine: 'squared' as CosineKind }, model, /--cosine must be signed or abs, got 'squared'/],
    ];
    for (const [options, choices, message] of bad) {
      expect(() => qdgConfig(options, 10, undefined, choices)).toThrow(ConfigError);
      expect(() => qdgConfig(options, 10, undefined, choices)).toThrow(message);
    }
    // an affinity source refuses --cosine abs before any work
    const affinity = matrixSource(new Float32Array(9).fill(0.5), 3, 'affinity');
    expect(() => planQdg(affinity, { clusters: [2], cosine: 'abs' }, core)).toThrow(/--cosine abs/);
  });

  it('--cosine abs: the pipeline clusters the affinity of |cos| (a planted sign flip within each cluster is ignored)', () => {
    // two planted clusters whose members' vectors point either way: signed cosines split each cluster in two
    const S = 40;
    const cosine = new Float32Array(S * S);
    const cluster = (i: number) => i % 2;
    const sign = (i: number) => (Math.floor(i / 2) % 2 === 0 ? 1 : -1);
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++)
        cosine[i * S + j] = i === j ? 1 : cluster(i) === cluster(j) ? 0.9 * sign(i) * sign(j) : 0.05;
    const labels = Array.from({ length: S }, (_, i) => cluster(i));
    const ari = (c: CosineKind) =>
      runQdg(
        matrixSource(cosine, S, 'cosine', labels),
        { clusters: [2], nInit: 3, cosine: c },
        () => {},
        core,
      ).analysis.clusterings[0].ari;
    expect(ari('abs')).toBe(1);
    expect(ari('signed')!).toBeLessThan(0.5);
  });

  it('planQdg refuses K >= S before any work, with the same line for every source', () => {
    const S = 12;
    const source = matrixSource(new Float32Array(S * S).fill(0.5), S, 'affinity');
    expect(() => planQdg(source, { clusters: [3, 12] }, core)).toThrow(
      '--clusters values must be integers in [2, 11] for 12 samples, got 12',
    );
  });

  it('orders samples by cluster size, largest first, then by index', () => {
    expect(Array.from(orderByCluster([2, 0, 2, 1, 2, 1]))).toEqual([0, 2, 4, 3, 5, 1]);
  });

  it('the toy with small d and sigma is recovered by spectral clustering (ARI high)', () => {
    const mark = core.mark();
    const pts = toyPoints(core, { subtasks: 8, alpha: 1, d: 20, sigma: 0.1, seed: 5, scale: 100 });
    const S = pts.samples;
    expect(S).toBeLessThanOrEqual(400);
    expect(pts.counts.filter((n) => n > 0).length).toBe(8);
    const ptr = toyAffinity(core, pts);
    const r = spectralClusterings(core, ptr, qdgConfig({ clusters: [8], nInit: 5, seed: 0 }, S), {
      trueLabels: pts.labels,
    });
    core.release(mark);
    expect(r.clusterings[0].ari).toBeGreaterThan(0.95);
  });
});

describe('--run source: low-loss samples of a trained model', () => {
  it('keeps only samples below the threshold and gives a cosine matrix where same (subtask, label) pairs align', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quanta-run-'));
    try {
      const config: RunConfig = {
        ...DEFAULT_RUN,
        nTasks: 4,
        n: 10,
        k: 2,
        width: 64,
        batch: 256,
        steps: 1500,
        lr: 3e-3,
        logEvery: 500,
        testPoints: 2000,
        testPointsPerTask: 50,
      };
      const trainer = new Trainer(parseRunConfig(config));
      const record = trainer.run({});
      const path = join(dir, 'run.json');
      record.weights = saveRunWeights(path, trainer.model);
      writeFileSync(path, JSON.stringify(record));
      const plan = planRunSource(path, 150, 0.1);
      const c = getCore();
      const mark = c.mark();
      const timing = {};
      const run = loadRunSource(c, plan, timing);
      const S = run.samples;
      const C = c.f32(run.matrixPtr, S * S).slice();
      c.release(mark);
      expect(S).toBe(150);
      expect(run.alpha).toBe(0.4);
      expect(Math.max(...run.trueLabels)).toBeLessThan(4);
      let same = 0;
      let nSame = 0;
      let other = 0;
      let nOther = 0;
      for (let i = 0; i < S; i++) {
        expect(C[i * S + i]).toBeCloseTo(1, 5);
        for (let j = 0; j < i; j++) {
          expect(C[i * S + j]).toBeCloseTo(C[j * S + i], 5);
          expect(Math.abs(C[i * S + j])).toBeLessThanOrEqual(1 + 1e-5);
          if (run.trueLabels[i] === run.trueLabels[j] && run.parityLabels[i] === run.parityLabels[j]) {
            same += C[i * S + j];
            nSame++;
          } else if (run.trueLabels[i] !== run.trueLabels[j]) {
            other += C[i * S + j];
            nOther++;
          }
        }
      }
      expect(same / nSame).toBeGreaterThan(other / nOther + 0.1);
      expect(Object.keys(timing)).toEqual(['load', 'gram']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
