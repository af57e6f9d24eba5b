import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { seedKey, Stream } from '../../src/core/rng.js';
import { ConfigError } from '../../src/core/errors.js';
import { ParityBatch, exactTestSubtasks, perSubtaskSubtasks } from '../../src/parity/batch.js';
import { refParityFillInputs, refParitySampleSubtask } from '../../src/parity/reference.js';
import {
  SparseParityTask,
  binomial,
  drawSubsets,
  exactCounts,
  subtaskProbabilities,
  validateTask,
} from '../../src/parity/task.js';

const core = new Core();

describe('subtask distribution (paper alpha convention)', () => {
  it('pins the alpha convention: alpha 0.4 with 500 subtasks gives p_1 = 0.3451 (SPEC 1.1)', () => {
    const p = subtaskProbabilities(500, 0.4);
    expect(p[0]).toBeCloseTo(0.3451, 4);
    expect(p[9]).toBeCloseTo(0.01374, 5);
    expect(p[99]).toBeCloseTo(5.47e-4, 6);
    expect(p[499]).toBeCloseTo(5.75e-5, 7);
    // code alpha 1.1 / 1.8 are paper alpha 0.1 / 0.8
    expect(subtaskProbabilities(500, 0.1)[0]).toBeCloseTo(0.1918, 4);
    expect(subtaskProbabilities(500, 0.8)[0]).toBeCloseTo(0.5337, 4);
  });

  it('sums to 1 and decreases, for any alpha and size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        (nTasks, alpha) => {
          const p = subtaskProbabilities(nTasks, alpha);
          let s = 0;
          for (let i = 0; i < nTasks; i++) {
            s += p[i];
            if (i > 0) expect(p[i]).toBeLessThan(p[i - 1]);
          }
          expect(s).toBeCloseTo(1, 10);
          // p_i / p_1 = i^-(alpha+1)
          if (nTasks > 3) expect(p[3] / p[0]).toBeCloseTo(Math.pow(4, -(alpha + 1)), 10);
        },
      ),
    );
  });

  it('exact test counts are floor(p_i T)', () => {
    const p = subtaskProbabilities(500, 0.4);
    const c = exactCounts(p, 1_000_000);
    expect(c[0]).toBe(Math.floor(p[0] * 1e6));
    let total = 0;
    for (const x of c) total += x;
    expect(total).toBeLessThanOrEqual(1_000_000);
    expect(total).toBeGreaterThan(1_000_000 - 500);
  });
});

describe('subsets', () => {
  it('are sorted, distinct, in range and the same for the same seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 30 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(1000),
        fc.integer({ min: 1, max: 60 }),
        (n, k0, seed, want) => {
          const k = Math.min(k0, n);
          const nTasks = Math.min(want, binomial(n, k));
          const cfg = { nTasks, n, k, alpha: 0.4, seed };
          const s = drawSubsets(cfg);
          const keys = new Set<string>();
          for (let i = 0; i < nTasks; i++) {
            const row = Array.from(s.subarray(i * k, i * k + k));
            for (let m = 0; m < k; m++) {
              expect(row[m]).toBeGreaterThanOrEqual(0);
              expect(row[m]).toBeLessThan(n);
              if (m > 0) expect(row[m]).toBeGreaterThan(row[m - 1]);
            }
            keys.add(row.join(','));
          }
          expect(keys.size).toBe(nTasks);
          expect(Array.from(drawSubsets(cfg))).toEqual(Array.from(s));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects impossible tasks with a ConfigError', () => {
    expect(() => validateTask({ nTasks: 5, n: 3, k: 4, alpha: 0.4, seed: 0 })).toThrow(ConfigError);
    expect(() => validateTask({ nTasks: 11, n: 5, k: 3, alpha: 0.4, seed: 0 })).toThrow(/distinct/);
    expect(() => validateTask({ nTasks: 5, n: 10, k: 3, alpha: 0, seed: 0 })).toThrow(/alpha/);
    expect(() => validateTask({ nTasks: 5, n: 10, k: 3, alpha: -1, seed: 0 })).toThrow(ConfigError);
  });
});

describe('parity batches (Wasm kernel against the TS twin)', () => {
  it('training batches equal the reference sample by sample', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 3, max: 200 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(10_000),
        fc.nat(100),
        fc.integer({ min: 1, max: 40 }),
        (nTasks0, n, k, seed, step, size) => {
          const nTasks = Math.min(nTasks0, binomial(n, k));
          const task = new SparseParityTask({ nTasks, n, k, alpha: 0.4, seed });
          const mark = core.mark();
          const batch = new ParityBatch(core, task, 64, seed);
          batch.trainBatch(size, step);
          const off = batch.offsetsView();
          const idx = batch.indicesView();
          const labels = batch.labelsView();
          const subtasks = batch.subtasksView();
          const key = seedKey(seed);
          for (let s = 0; s < size; s++) {
            const t = refParitySampleSubtask(task.cdf, key, Stream.trainBatch, step, s);
            expect(subtasks[s]).toBe(t);
            const ref = refParityFillInputs(t, nTasks, n, k, task.subsets, key, Stream.trainBatch, step, s);
            expect(Array.from(idx.subarray(off[s], off[s + 1]))).toEqual(ref.active);
            expect(labels[s]).toBe(ref.label);
          }
          core.release(mark);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('labels are the parity of the subtask bits, read back from the active indices', () => {
    const task = new SparseParityTask({ nTasks: 50, n: 40, k: 3, alpha: 0.4, seed: 3 });
    const mark = core.mark();
    const batch = new ParityBatch(core, task, 2000, 3);
    batch.trainBatch(2000, 0);
    const off = batch.offsetsView();
    const idx = batch.indicesView();
    const labels = batch.labelsView();
    let ones = 0;
    for (let s = 0; s < 2000; s++) {
      const act = new Set(Array.from(idx.subarray(off[s], off[s + 1])));
      const t = idx[off[s]];
      expect(t).toBeLessThan(50);
      let parity = 0;
      for (let m = 0; m < 3; m++) parity ^= act.has(50 + task.subsets[t * 3 + m]) ? 1 : 0;
      expect(labels[s]).toBe(parity);
      ones += labels[s];
    }
    expect(Math.abs(ones / 2000 - 0.5)).toBeLessThan(0.06);
    core.release(mark);
  });

  it('subtask frequencies follow p_i (multinomial draw)', () => {
    const task = new SparseParityTask({ nTasks: 10, n: 20, k: 3, alpha: 0.4, seed: 1 });
    const mark = core.mark();
    const batch = new ParityBatch(core, task, 50_000, 1);
    batch.trainBatch(50_000, 7);
    const counts = new Array(10).fill(0);
    for (const t of batch.subtasksView()) counts[t]++;
    for (let i = 0; i < 10; i++) {
      const e = task.probabilities[i] * 50_000;
      expect(Math.abs(counts[i] - e)).toBeLessThan(5 * Math.sqrt(e) + 1);
    }
    core.release(mark);
  });

  it('dataset samples depend only on their index: the same id gives the same sample in any batch', () => {
    const task = new SparseParityTask({ nTasks: 20, n: 30, k: 3, alpha: 0.4, seed: 5 });
    const mark = core.mark();
    const a = new ParityBatch(core, task, 16, 5);
    const b = new ParityBatch(core, task, 16, 5);
    a.datasetBatch(Uint32Array.of(3, 9, 1000));
    b.datasetBatch(Uint32Array.of(1000, 3));
    const rowOf = (x: ParityBatch, s: number) => {
      const off = x.offsetsView();
      return Array.from(x.indicesView().subarray(off[s], off[s + 1]));
    };
    expect(rowOf(a, 0)).toEqual(rowOf(b, 1));
    expect(rowOf(a, 2)).toEqual(rowOf(b, 0));
    expect(a.labelsView()[2]).toBe(b.labelsView()[0]);
    // another dataset (the trainer uses D as its id) is drawn independently, not a prefix of this one
    const c = new ParityBatch(core, task, 16, 5);
    c.datasetBatch(Uint32Array.of(3, 9, 1000), 12345);
    expect([0, 1, 2].some((s) => rowOf(c, s).join() !== rowOf(a, s).join())).toBe(true);
    core.release(mark);
  });

  it('builds exact-count test layouts and per-subtask layouts', () => {
    const task = new SparseParityTask({ nTasks: 5, n: 10, k: 3, alpha: 1, seed: 0 });
    const t = exactTestSubtasks(task, 100);
    const c = exactCounts(task.probabilities, 100);
    expect(t.length).toBe(c.reduce((x, y) => x + y, 0));
    expect(t.filter((x) => x === 0).length).toBe(c[0]);
    expect(Array.from(perSubtaskSubtasks(3, 2))).toEqual([0, 0, 1, 1, 2, 2]);
  });
});
