// Wasm memory is handed back: every object that allocates from a Core (Mlp, AdamW, ParityBatch, LmBatch,
// Trainer) has dispose() and [Symbol.dispose]; objects are disposed newest first; a loop of runs, as the README's
// library example writes it, keeps the core's allocator where it started.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { CoreScope } from '../../src/core/disposable.js';
import { DEFAULT_RUN, parseRunConfig, type RunConfig } from '../../src/train/config.js';
import { Trainer, trainerBytes } from '../../src/train/trainer.js';
import { Mlp } from '../../src/train/model.js';
import { AdamW } from '../../src/train/optimizer.js';
import { ParityBatch } from '../../src/parity/batch.js';
import { SparseParityTask } from '../../src/parity/task.js';
import { LmBatch } from '../../src/lm/data.js';

/** The issue's loop: width 512, batch 20000 (about 91 MiB a trainer: 45 of them exceed wasm32's 4 GiB). */
const BIG: RunConfig = { ...DEFAULT_RUN, nTasks: 20, n: 16, width: 512, batch: 20000, steps: 1, logEvery: 1 };
const ITERATIONS = 45;

describe('dispose', () => {
  it(`${ITERATIONS} runs of new Trainer(width 512, batch 20000) + dispose() fit in one core, allocator back at its start each time`, () => {
    expect(ITERATIONS * trainerBytes(BIG)).toBeGreaterThan(4 * 2 ** 30 - 64 * 2 ** 20); // would not fit without dispose
    const core = new Core();
    const start = core.used;
    for (let i = 0; i < ITERATIONS; i++) {
      const trainer = new Trainer(
        parseRunConfig({ ...BIG, testPoints: 500, testPointsPerTask: 5, seed: i }),
        core,
      );
      expect(core.used - start).toBeGreaterThan(trainerBytes(BIG) * 0.9);
      const record = trainer.run();
      expect(record.log.steps).toEqual([0]);
      trainer.dispose();
      expect(core.used).toBe(start);
    }
  });

  it('without dispose() the same loop grows the allocator by a trainer each time (what the check above catches)', () => {
    const core = new Core();
    const small = { ...BIG, width: 16, batch: 500 };
    const start = core.used;
    new Trainer(parseRunConfig(small), core).run();
    const one = core.used - start;
    expect(one).toBeGreaterThan(0);
    for (let i = 2; i <= 4; i++) {
      new Trainer(parseRunConfig(small), core).run();
      expect(core.used - start).toBe(i * one);
    }
  });

  it('`using` disposes a trainer at the end of its block', () => {
    const core = new Core();
    const start = core.used;
    {
      using trainer = new Trainer(parseRunConfig({ ...BIG, width: 16, batch: 200, steps: 2 }), core);
      trainer.run();
      expect(core.used).toBeGreaterThan(start);
    }
    expect(core.used).toBe(start);
  });

  it('any interleaving of objects disposed newest first restores the allocator; older-first is refused', () => {
    const task = new SparseParityTask({ nTasks: 5, n: 8, k: 2, alpha: 0.4, seed: 1 });
    type Made = { dispose(): void };
    const makers: Array<(core: Core, prev: Made[]) => Made> = [
      (core) => new Mlp(core, { inputSize: 13, width: 8, depth: 2, outputs: 2, seed: 0 }, 64),
      (core) => new ParityBatch(core, task, 32, 0),
      (core) => new LmBatch(core, 16, 3, 50),
      (core) => {
        const mlp = new Mlp(core, { inputSize: 13, width: 4, depth: 2, outputs: 2, seed: 0 }, 8);
        const adam = new AdamW(core, mlp);
        return {
          dispose() {
            adam.dispose();
            mlp.dispose();
          },
        };
      },
    ];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: makers.length - 1 }), { minLength: 2, maxLength: 8 }),
        (kinds) => {
          const core = new Core();
          const marks: number[] = [];
          const made: Made[] = [];
          for (const k of kinds) {
            marks.push(core.used);
            made.push(makers[k](core, made));
          }
          // the oldest cannot go while newer ones sit above it
          expect(() => made[0].dispose()).toThrow(/newer allocations/);
          for (let i = made.length - 1; i >= 0; i--) {
            made[i].dispose();
            expect(core.used).toBe(marks[i]);
            made[i].dispose(); // a second call does nothing
            expect(core.used).toBe(marks[i]);
          }
        },
      ),
      { seed: 14, numRuns: 40 },
    );
  });

  it("a trainer's dispose() disposes its parts; disposing them again does nothing; a part alone is refused", () => {
    const core = new Core();
    const start = core.used;
    const trainer = new Trainer(parseRunConfig({ ...BIG, width: 16, batch: 200, steps: 1 }), core);
    expect(() => trainer.model.dispose()).toThrow(/Mlp\.dispose\(\): newer allocations/);
    trainer.dispose();
    expect(core.used).toBe(start);
    trainer.model.dispose();
    trainer.optimizer.dispose();
    expect(core.used).toBe(start);
  });

  it('a CoreScope releases everything allocated in it, pointer-level QDG results included', () => {
    const core = new Core();
    const start = core.used;
    {
      using _scope = new CoreScope(core);
      core.allocF32(1000);
      new Mlp(core, { inputSize: 13, width: 8, depth: 2, outputs: 2, seed: 0 }, 64);
    }
    expect(core.used).toBe(start);
  });
});
