// A batch larger than Mlp.SLICE is trained in slices through the strip-major path, accumulating the mean
// gradient: the gradient equals the whole-batch gradient up to f32 summation order (property), the mean loss
// equals the whole batch's, and a run of such batches follows the unsliced run closely.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { parseRunConfig, DEFAULT_RUN, type RunConfig } from '../../src/train/config.js';
import { Mlp } from '../../src/train/model.js';
import { Trainer } from '../../src/train/trainer.js';

type Internals = {
  nextBatch(step: number): void;
  forwardBackward(B: number): number;
  slicedForwardBackward(B: number): number;
  train: { size: number };
};

describe('sliced batches', () => {
  it('give the whole batch mean gradient and loss up to summation order (property)', () => {
    const core = new Core();
    fc.assert(
      fc.property(
        fc.record({
          nTasks: fc.integer({ min: 3, max: 40 }),
          n: fc.integer({ min: 8, max: 24 }),
          width: fc.integer({ min: 1, max: 70 }),
          batch: fc.integer({ min: Mlp.SLICE + 1, max: 3 * Mlp.SLICE + 100 }),
          seed: fc.nat(1000),
          step: fc.nat(50),
        }),
        ({ nTasks, n, width, batch, seed, step }) => {
          const config: RunConfig = { ...DEFAULT_RUN, nTasks, n, width, batch, seed };
          const mark = core.mark();
          try {
            const t = new Trainer(parseRunConfig(config), core);
            const inner = t as unknown as Internals;
            expect(t.model.sliceable).toBe(true);
            inner.nextBatch(step);
            const B = inner.train.size;
            const whole = inner.forwardBackward(B);
            const g = core.f32(t.model.grads, t.model.paramFloats).slice();
            const sliced = inner.slicedForwardBackward(B);
            const h = core.f32(t.model.grads, t.model.paramFloats);
            let scale = 0;
            for (const x of g) scale = Math.max(scale, Math.abs(x));
            for (let i = 0; i < g.length; i++)
              expect(Math.abs(h[i] - g[i])).toBeLessThanOrEqual(1e-5 * scale + 1e-9);
            expect(Math.abs(sliced - whole)).toBeLessThanOrEqual(1e-6 * whole);
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 25, seed: 3 },
    );
  });

  it('a short run with sliced batches follows the run of whole batches', () => {
    const config: RunConfig = {
      ...DEFAULT_RUN,
      nTasks: 20,
      n: 16,
      width: 48,
      batch: 5000,
      steps: 60,
      logEvery: 20,
    };
    const core = new Core();
    const sliced = new Trainer(parseRunConfig(config), core).run();
    // the same run, every batch whole (the general path)
    const whole = new Trainer(parseRunConfig(config), core);
    (whole as unknown as { slicedForwardBackward: (B: number) => number }).slicedForwardBackward = (
      B: number,
    ) => (whole as unknown as Internals).forwardBackward(B);
    const reference = whole.run();
    for (let i = 0; i < reference.log.meanLoss.length; i++)
      expect(sliced.log.meanLoss[i]).toBeCloseTo(reference.log.meanLoss[i], 4);
  });
});
