import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { ConfigError } from '../../src/core/errors.js';
import { Mlp } from '../../src/train/model.js';
import { AdamW, DEFAULT_ADAMW, type AdamWConfig } from '../../src/train/optimizer.js';
import { refAdamwStep } from '../../src/train/reference.js';
import { mulberry } from '../mulberry.js';

const core = new Core();

describe('AdamW (assembly/adam.ts) against the torch formulas', () => {
  it('has the paper defaults', () => {
    expect(DEFAULT_ADAMW).toEqual({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  });

  it('matches the f64 formulas step by step, with and without weight decay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(0, 0.01, 0.5),
        fc.constantFrom(1e-3, 1e-2),
        fc.nat(1e9),
        (len4, weightDecay, lr, seed) => {
          const mark = core.mark();
          try {
            const rng = mulberry(seed);
            const len = 4 * len4;
            const cfg: AdamWConfig = { ...DEFAULT_ADAMW, lr, weightDecay };
            const pP = core.allocF32(len);
            const pG = core.allocF32(len);
            const pM = core.allocF32(len);
            const pV = core.allocF32(len);
            const p = Float64Array.from({ length: len }, () => rng() * 2 - 1);
            core.f32(pP, len).set(p);
            for (let i = 0; i < len; i++) p[i] = core.f32(pP, len)[i]; // start from the same f32 values
            const state = { t: 0, m: new Float64Array(len), v: new Float64Array(len) };
            const gMax = new Float64Array(len); // f32 rounding of m and v scales with the gradients seen
            for (let t = 1; t <= 6; t++) {
              // gradients of every size, including exact zeros
              const g = Float32Array.from({ length: len }, (_, i) =>
                i % 5 === 0 ? 0 : (rng() * 2 - 1) * 10 ** (rng() * 6 - 4),
              );
              core.f32(pG, len).set(g);
              for (let i = 0; i < len; i++) gMax[i] = Math.max(gMax[i], Math.abs(g[i]));
              core.kernels.adamw_step(pP, pG, pM, pV, len, lr, cfg.beta1, cfg.beta2, cfg.eps, weightDecay, t);
              refAdamwStep(p, g, state, cfg);
              const got = core.f32(pP, len);
              const m = core.f32(pM, len);
              const v = core.f32(pV, len);
              for (let i = 0; i < len; i++) {
                // each step moves a parameter by at most about lr, so f32 rounding of p dominates
                expect(Math.abs(got[i] - p[i])).toBeLessThan(1e-6 + 1e-3 * lr);
                expect(Math.abs(m[i] - state.m[i])).toBeLessThanOrEqual(1e-6 * gMax[i]);
                expect(Math.abs(v[i] - state.v[i])).toBeLessThanOrEqual(1e-6 * gMax[i] * gMax[i]);
              }
            }
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('first step moves every parameter with a non-zero gradient by lr against its sign (wd 0)', () => {
    const mark = core.mark();
    const pP = core.allocF32(4);
    const pG = core.allocF32(4);
    const pM = core.allocF32(4);
    const pV = core.allocF32(4);
    core.f32(pG, 4).set([0.5, -2, 1e-3, 0]);
    core.kernels.adamw_step(pP, pG, pM, pV, 4, 1e-3, 0.9, 0.999, 1e-8, 0, 1);
    const p = core.f32(pP, 4);
    expect(p[0]).toBeCloseTo(-1e-3, 8);
    expect(p[1]).toBeCloseTo(1e-3, 8);
    expect(p[2]).toBeCloseTo(-1e-3, 7);
    expect(p[3]).toBe(0);
    core.release(mark);
  });

  it('the AdamW class steps a model, keeps its padding at zero, and round-trips its state', () => {
    const mark = core.mark();
    const model = new Mlp(core, { inputSize: 5, width: 3, depth: 2, outputs: 2, seed: 1 }, 2);
    const opt = new AdamW(core, model, { weightDecay: 0.1 });
    const grads = core.f32(model.grads, model.paramFloats);
    for (let i = 0; i < grads.length; i++) grads[i] = Math.sin(i);
    // the padding slots of grads are never written by backward: keep them zero here too
    const real = new Set<number>();
    model.getLayers().forEach((L, l) => {
      const off = model.layerOffsets(l);
      for (let j = 0; j < L.W.length; j++) real.add(off.W + j);
      for (let j = 0; j < L.b.length; j++) real.add(off.b + j);
    });
    for (let i = 0; i < grads.length; i++) if (!real.has(i)) grads[i] = 0;
    opt.step();
    opt.step();
    expect(opt.t).toBe(2);
    const params = core.f32(model.params, model.paramFloats);
    for (let i = 0; i < params.length; i++) if (!real.has(i)) expect(params[i]).toBe(0);
    const state = opt.getState();
    const other = new AdamW(core, model);
    other.setState(state);
    expect(other.t).toBe(2);
    expect(Array.from(other.getState().m)).toEqual(Array.from(state.m));
    expect(() => other.setState({ t: 1, m: new Float32Array(3), v: new Float32Array(3) })).toThrow(
      ConfigError,
    );
    expect(() => new AdamW(core, model, { lr: -1 })).toThrow(RangeError);
    expect(() => new AdamW(core, model, { beta2: 1 })).toThrow(RangeError);
    core.release(mark);
  });
});
