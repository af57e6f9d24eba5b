// AdamW over a model's flat parameter buffer (assembly/adam.ts), exactly torch.optim.AdamW. The paper uses
// AdamW(lr 1e-3, weight_decay 0), i.e. Adam with PyTorch's defaults (SPEC.md section 2).
import type { Core } from '../core/arena.js';
import { allocatePlan, type BufferSpec } from '../core/buffers.js';
import { ConfigError } from '../core/errors.js';
import { Allocation, DISPOSE } from '../core/disposable.js';
import type { Mlp } from './model.js';

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** torch.optim.AdamW's defaults with the paper's weight decay 0 (SPEC.md section 2). */
export const DEFAULT_ADAMW: AdamWConfig = Object.freeze({
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
});

/**
 * Throws a RangeError (a caller's bug: --lr and --weight-decay are validated where they enter, by validateRun
 * or the LM family's config) unless the hyperparameters are usable.
 */
export function assertAdamW(c: AdamWConfig): void {
  const ok = (x: number, lo: number, hi: number, loOpen: boolean) =>
    Number.isFinite(x) && (loOpen ? x > lo : x >= lo) && x < hi;
  if (!ok(c.lr, 0, Infinity, true) || !ok(c.eps, 0, Infinity, true) || !ok(c.weightDecay, 0, Infinity, false))
    throw new RangeError(`quanta: AdamW needs lr > 0, eps > 0, weight decay >= 0, got ${JSON.stringify(c)}`);
  if (!ok(c.beta1, 0, 1, false) || !ok(c.beta2, 0, 1, false))
    throw new RangeError(`quanta: AdamW needs betas in [0, 1), got ${c.beta1}, ${c.beta2}`);
}

/** The optimiser's buffers: the first and second moments, f32[paramFloats] each. */
export function adamwPlan(paramFloats: number): BufferSpec<'m' | 'v'>[] {
  return [
    { name: 'm', bytes: 4 * paramFloats },
    { name: 'v', bytes: 4 * paramFloats },
  ];
}

export interface AdamWState {
  t: number;
  m: Float32Array;
  v: Float32Array;
}

export class AdamW {
  readonly cfg: AdamWConfig;
  /** f32[paramFloats] first and second moments, in Wasm memory. */
  readonly m: number;
  readonly v: number;
  private steps = 0;
  private readonly allocation: Allocation;

  constructor(
    readonly core: Core,
    readonly model: Mlp,
    cfg: Partial<AdamWConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_ADAMW, ...cfg };
    assertAdamW(this.cfg);
    const start = core.mark();
    ({ m: this.m, v: this.v } = allocatePlan(core, adamwPlan(model.paramFloats)));
    this.allocation = new Allocation(core, start);
  }

  /**
   * Hands this optimiser state's Wasm memory back to its core (newest object first: it refuses while newer allocations
   * sit above it). Unusable afterwards; a second call does nothing.
   */
  dispose(): void {
    this.allocation.release('AdamW');
  }

  [DISPOSE](): void {
    this.dispose();
  }

  /** Steps taken so far (torch's `step`). */
  get t(): number {
    return this.steps;
  }

  /** One update from the model's current grads. */
  step(): void {
    this.steps += 1;
    const c = this.cfg;
    this.core.kernels.adamw_step(
      this.model.params,
      this.model.grads,
      this.m,
      this.v,
      this.model.paramFloats,
      c.lr,
      c.beta1,
      c.beta2,
      c.eps,
      c.weightDecay,
      this.steps,
    );
  }

  /** Copies of the state, for checkpoints. */
  getState(): AdamWState {
    const n = this.model.paramFloats;
    return { t: this.steps, m: this.core.f32(this.m, n).slice(), v: this.core.f32(this.v, n).slice() };
  }

  setState(state: AdamWState): void {
    const n = this.model.paramFloats;
    if (state.m.length !== n || state.v.length !== n)
      throw new ConfigError(`optimiser state has ${state.m.length} floats, the model needs ${n}`);
    if (!Number.isInteger(state.t) || state.t < 0) throw new ConfigError(`bad optimiser step ${state.t}`);
    this.steps = state.t;
    this.core.f32(this.m, n).set(state.m);
    this.core.f32(this.v, n).set(state.v);
  }
}
