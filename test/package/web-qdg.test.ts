// The explorer's QDG, without a browser: the page's source of a trained model (web/src/qdg-model.ts) takes the
// samples `quanta qdg --run` takes from the same weights and gives the same cosine matrix, bit for bit, for
// each gradient choice (both call src/qdg/sources/model.ts, one on weights read from files, one on the model the
// page trained); the orders, the K of the picture and the form's parsing. test/package/web.test.ts drives the same code in Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { DEFAULT_RUN, parseRunConfig, type RunConfig } from '../../src/train/config.js';
import { Trainer } from '../../src/train/trainer.js';
import { saveRunWeights } from '../../src/train/weights.js';
import { runQdg } from '../../src/qdg/run.js';
import { qdgConfig } from '../../src/qdg/config.js';
import { loadRunSource, planRunSource, runSource } from '../../src/qdg/sources/run.js';
import { modelSamplesSource } from '../../web/src/qdg-model.js';
import { truthOrder } from '../../web/src/similarity.js';
import { parseClusterCounts, QDG_DEFAULTS } from '../../web/src/qdg-controls.js';
import { defaultOrderingK } from '../../web/src/qdg-view.js';
import type { QdgResultMessage } from '../../web/src/qdg-protocol.js';

/** A small run that learns its first subtasks in about a second. */
const RUN: RunConfig = {
  ...DEFAULT_RUN,
  nTasks: 6,
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

let dir = '';
let recordPath = '';
let layers: { W: Float32Array; b: Float32Array }[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-web-qdg-'));
  recordPath = join(dir, 'run.json');
  const trainer = new Trainer(parseRunConfig(RUN), new Core());
  const record = trainer.run({});
  record.weights = saveRunWeights(recordPath, trainer.model);
  writeFileSync(recordPath, JSON.stringify(record));
  layers = trainer.model.getLayers().map(({ W, b }) => ({ W, b }));
  trainer.dispose();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The model as the page's QDG worker rebuilds it: the run's Trainer, with the trained weights. */
function pageModel(core: Core): Trainer {
  const trainer = new Trainer(RUN, core);
  trainer.model.setLayers(layers);
  return trainer;
}

describe("the page's QDG source of a trained model", () => {
  it.each([
    ['loss', null],
    ['logit', ['W1', 'b1']],
  ] as const)(
    'takes the samples `quanta qdg --run` takes and gives the same cosine matrix, bit for bit (gradient of the %s, groups %j)',
    (gradientOf, layers) => {
      const S = 120;
      const threshold = 0.05;
      const options = { clusters: [2], gradientOf, layers: layers ? [...layers] : undefined };
      const cli = (() => {
        const core = new Core();
        const plan = planRunSource(recordPath, S, threshold);
        const config = qdgConfig(options, S, undefined, runSource(plan).choices);
        const loaded = loadRunSource(core, plan, {}, () => {}, config);
        return { ...loaded, matrix: core.f32(loaded.matrixPtr, S * S).slice() };
      })();
      const core = new Core();
      const trainer = pageModel(core);
      const source = modelSamplesSource(trainer.model, trainer.task, RUN.seed, S, threshold);
      const timing = {};
      const page = source.load(core, timing, () => {}, qdgConfig(options, S, undefined, source.choices));
      const matrix = core.f32(page.matrixPtr, S * S).slice();
      expect(Array.from(page.trueLabels)).toEqual(Array.from(cli.trueLabels));
      expect(Array.from(page.parityLabels)).toEqual(Array.from(cli.parityLabels));
      expect(Array.from(page.losses)).toEqual(Array.from(cli.losses));
      expect(page.candidates).toBe(cli.candidates);
      expect(Buffer.from(matrix.buffer).equals(Buffer.from(cli.matrix.buffer))).toBe(true);
      expect(Object.keys(timing)).toEqual(['load', 'gram']);
      expect(source.alphaN).toBe(RUN.alpha);
    },
  );

  it('clusters as `quanta qdg --run` does: the same labels, envelope and slope for every K', () => {
    const options = { clusters: [2, 4, 8, 12], nInit: 3 };
    const S = 100;
    const cli = runQdg(runSource(planRunSource(recordPath, S, 0.05)), options, undefined, new Core());
    const core = new Core();
    const trainer = pageModel(core);
    const page = runQdg(
      modelSamplesSource(trainer.model, trainer.task, RUN.seed, S, 0.05),
      options,
      undefined,
      core,
    );
    expect(page.analysis.clusterings.map((c) => Array.from(c.labels))).toEqual(
      cli.analysis.clusterings.map((c) => Array.from(c.labels)),
    );
    expect(page.analysis.clusterings.map((c) => c.ari)).toEqual(cli.analysis.clusterings.map((c) => c.ari));
    expect(page.analysis.envelope).toEqual(cli.analysis.envelope);
    expect(page.analysis.fit.envelopeSlope).toBe(cli.analysis.fit.envelopeSlope);
    expect(page.analysis.predictedSlope).toBeCloseTo(-(1 + RUN.alpha), 12);
  });

  it('refuses, with what to do, when too few samples fall below the threshold', () => {
    const core = new Core();
    const trainer = pageModel(core);
    const source = modelSamplesSource(trainer.model, trainer.task, RUN.seed, 50, 1e-30);
    expect(() => runQdg(source, { clusters: [2], nInit: 1 }, undefined, core)).toThrow(
      /only \d+ of \d+ samples drawn have loss below 1e-30 nats, 50 wanted: train longer/,
    );
    expect(() => modelSamplesSource(trainer.model, trainer.task, 0, 2)).toThrow(
      /samples must be an integer >= 3/,
    );
    expect(() => modelSamplesSource(trainer.model, trainer.task, 0, 10, 0)).toThrow(/threshold must be > 0/);
  });
});

describe("the page's similarity pictures", () => {
  it('orders by true label, largest group first, label 0 before label 1 inside a subtask', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 })), {
          minLength: 1,
          maxLength: 80,
        }),
        (pairs) => {
          const subtasks = Int32Array.from(pairs, (p) => p[0]);
          const parity = Int32Array.from(pairs, (p) => p[1]);
          const order = Array.from(truthOrder(subtasks, parity));
          expect([...order].sort((a, b) => a - b)).toEqual(pairs.map((_, i) => i)); // a permutation
          const count = (t: number) => subtasks.filter((x) => x === t).length;
          for (let p = 1; p < order.length; p++) {
            const [a, b] = [order[p - 1], order[p]];
            if (subtasks[a] === subtasks[b]) {
              expect(parity[a] < parity[b] || (parity[a] === parity[b] && a < b)).toBe(true);
            } else {
              expect(count(subtasks[a])).toBeGreaterThanOrEqual(count(subtasks[b]));
              expect(order.slice(p).some((i) => subtasks[i] === subtasks[a])).toBe(false); // contiguous
            }
          }
        },
      ),
    );
  });
});

describe("the page's QDG controls", () => {
  it('parses cluster counts strictly and has valid defaults', () => {
    expect(parseClusterCounts('8, 2 4,4')).toEqual([2, 4, 8]);
    expect(() => parseClusterCounts(' ')).toThrow(/at least one cluster count/);
    expect(() => parseClusterCounts('2, 1')).toThrow(/"1" is not an integer >= 2/);
    expect(() => parseClusterCounts('2, x')).toThrow(/"x" is not an integer >= 2/);
    expect(QDG_DEFAULTS.clusters.every((K) => K >= 2 && K < QDG_DEFAULTS.samples)).toBe(true);
    // the envelope of the default K list reaches the end of the default fit window (ranks S/100 + 1 .. S/10)
    expect(Math.max(...QDG_DEFAULTS.clusters)).toBeGreaterThanOrEqual(QDG_DEFAULTS.samples / 10);
  });

  it('orders the picture by the best-ARI K, or without labels by the K nearest S/25 as the CLI', () => {
    const result = (aris: (number | undefined)[], Ks: number[], samples: number) =>
      ({
        samples,
        clusterings: Ks.map((K, i) => ({ K, ari: aris[i] })),
      }) as unknown as QdgResultMessage;
    expect(defaultOrderingK(result([0.1, 0.5, 0.2], [2, 4, 8], 100))).toBe(4);
    expect(defaultOrderingK(result([undefined, undefined, undefined], [2, 20, 40], 500))).toBe(20);
  });
});
