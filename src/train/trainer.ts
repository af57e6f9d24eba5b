// Over 450 lines by choice: one run's whole life (steps, slices, evaluation, multi-epoch order, state).
// The trainer: one multitask-sparse-parity training run on the Wasm core, with the reference's evaluation
// semantics (SPEC.md 1.2): at every log step, BEFORE that step's update, a fresh exact-frequency test batch
// (counts floor(p_i * testPoints)) gives the mean test loss and accuracy, and testPointsPerTask fresh samples of
// every subtask give the per-subtask losses. The first log is step 0 (the untrained net), the last is the
// largest multiple of logEvery below steps.
//
// Data flow of one step:
//   ParityBatch (Philox counters (seed, stream, step, sample) -> CSR active indices + labels)
//     -> Mlp.forward (sparse first layer) -> crossEntropy (dlogits) -> Mlp.backward -> AdamW.step
// Every buffer is planned up front (./config.ts: trainerPlan, whose sum validateRun checks at the edge), so an
// impossible run is refused before work; a Trainer takes a ValidRunConfig (a plain config from a JavaScript caller
// is parsed once, in its constructor) and checks nothing again.
import { Core, MemoryLimitError, getCore } from '../core/arena.js';
import { allocatePlan } from '../core/buffers.js';
import { DISPOSE } from '../core/disposable.js';
import { Stream } from '../core/rng.js';
import { ConfigError } from '../core/errors.js';
import { ParityBatch, exactTestSubtasks, perSubtaskSubtasks } from '../parity/batch.js';
import { SparseParityTask } from '../parity/task.js';
import { VERSION } from '../version.js';
import {
  asValidRunConfig,
  EVAL_CHUNK,
  modelConfigOf,
  stopsAfterMinimum,
  trainBatchSize,
  trainerOwnPlan,
  type RunConfig,
  type ValidRunConfig,
} from './config.js';
import { Mlp } from './model.js';
import { AdamW } from './optimizer.js';
import type { RunLog, RunRecord } from './record.js';
import type { TrainerState } from './checkpoint.js';

// (EVAL_CHUNK, modelConfigOf, trainerBytes and validateRun live in ./config.ts; re-exported for old imports)
export { EVAL_CHUNK, modelConfigOf, trainerBytes, validateRun } from './config.js';

export interface Evaluation {
  meanLoss: number;
  accuracy: number;
  subtaskLoss: number[];
  subtaskAccuracy: number[];
}

export interface TrainerEvents {
  /** Called after each evaluation with the log so far. */
  onLog?: (step: number, evaluation: Evaluation) => void;
  /** Called every few steps with the steps done. */
  onProgress?: (stepsDone: number, steps: number) => void;
}

/** Checkpoints and stopping (the file I/O is the caller's: ./checkpoint.ts in Node). */
export interface RunControl {
  /** Seconds between checkpoints: Infinity never, 0 after every step. */
  checkpointEverySeconds?: number;
  /** Receives the state between two steps; it must be consumed (written) before returning. */
  onCheckpoint?: (state: TrainerState) => void;
  /** Polled after every step; true stops the run after a checkpoint, with a RunInterrupted error. */
  shouldStop?: () => boolean;
}

/**
 * A run whose loss stopped being a finite number (too high a learning rate, usually): it is stopped at once and
 * never recorded, since every later number would be NaN too. The CLI exits 1 with this one line.
 */
export class RunDiverged extends Error {
  override name = 'RunDiverged';
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly where: 'training batch' | 'test set',
  ) {
    super(
      `training diverged: the ${where} loss is ${loss} at step ${step}; no record was written ` +
        `(lower --lr, or check --weight-decay)`,
    );
  }
}

/** A run stopped on request (a signal) after its checkpoint was taken; starting it again resumes it. */
export class RunInterrupted extends Error {
  override name = 'RunInterrupted';
  constructor(readonly stepsDone: number) {
    super(`run stopped at step ${stepsDone} after a checkpoint`);
  }
}

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );

export class Trainer {
  readonly task: SparseParityTask;
  readonly model: Mlp;
  readonly optimizer: AdamW;
  readonly log: RunLog = { steps: [], meanLoss: [], accuracy: [], subtaskLoss: [], subtaskAccuracy: [] };
  /** Optimiser steps taken. */
  stepsDone = 0;
  trainSeconds = 0;
  evalSeconds = 0;
  /** Wall seconds of the run before this process (a resumed run's earlier attempts). */
  private secondsBefore = 0;
  /** The allocator positions before and after this trainer's buffers (dispose() hands them back). */
  private readonly startMark: number;
  private endMark = -1;
  /** The allocator position before the trainer's own buffers (after its model, optimiser and batches). */
  private readonly buffersMark: number = 0;
  private readonly train: ParityBatch;
  private readonly evalBatch: ParityBatch;
  private readonly lossPtr: number;
  private readonly correctPtr: number;
  private readonly testLayout: Int32Array;
  private readonly subtaskLayout: Int32Array;
  private readonly trainBatchSize: number;
  // multi-epoch state
  private readonly permutationPtr: number = 0;
  private readonly shuffleWordsPtr: number = 0;
  private epoch = -1;
  private epochPos = 0;

  readonly config: ValidRunConfig;

  /**
   * A config that did not come through parseRunConfig (a JavaScript caller, a literal) is parsed here, once;
   * an invalid one is a ConfigError before anything is allocated.
   */
  constructor(
    config: RunConfig,
    readonly core: Core = getCore(),
  ) {
    config = this.config = asValidRunConfig(config, core);
    this.startMark = core.mark();
    this.task = new SparseParityTask({
      nTasks: config.nTasks,
      n: config.n,
      k: config.k,
      alpha: config.alpha,
      seed: config.seed,
    });
    this.trainBatchSize = trainBatchSize(config);
    try {
      this.model = new Mlp(core, modelConfigOf(config), Math.max(this.trainBatchSize, EVAL_CHUNK));
      this.optimizer = new AdamW(core, this.model, { lr: config.lr, weightDecay: config.weightDecay });
      this.train = new ParityBatch(core, this.task, this.trainBatchSize, config.seed);
      this.evalBatch = new ParityBatch(core, this.task, EVAL_CHUNK, config.seed);
      this.buffersMark = core.mark();
      const own = allocatePlan(core, trainerOwnPlan(config));
      [this.lossPtr, this.correctPtr] = [own.loss, own.correct];
      [this.permutationPtr, this.shuffleWordsPtr] = [own.permutation ?? 0, own.shuffleWords ?? 0];
    } catch (e) {
      core.release(this.startMark); // nothing of a trainer that could not be built stays allocated
      if (e instanceof MemoryLimitError || e instanceof RangeError) throw new ConfigError(e.message);
      throw e;
    }
    this.endMark = core.mark();
    this.testLayout = exactTestSubtasks(this.task, config.testPoints);
    this.subtaskLayout = perSubtaskSubtasks(config.nTasks, config.testPointsPerTask);
  }

  /** The next training batch: fresh samples (single-epoch) or the next slice of this epoch's permutation. */
  private nextBatch(step: number): void {
    const { data } = this.config;
    if (data === null) {
      this.train.trainBatch(this.trainBatchSize, step);
      return;
    }
    if (this.epoch < 0 || this.epochPos >= data) this.shuffle();
    const size = Math.min(this.trainBatchSize, data - this.epochPos);
    const ids = this.core.u32(this.permutationPtr + 4 * this.epochPos, size);
    this.train.datasetBatch(ids.slice(), data);
    this.epochPos += size;
  }

  /** A fresh Fisher-Yates permutation of the dataset's sample ids for the next epoch (torch.randperm's role). */
  private shuffle(): void {
    const data = this.config.data as number;
    this.epoch++;
    this.epochPos = 0;
    const k = this.core.kernels;
    // random words from the Wasm generator (one u32 per sample), then the shuffle in place
    const blocks = Math.ceil(data / 4);
    const words = this.shuffleWordsPtr;
    k.rng_fill_u32(
      words,
      blocks,
      this.config.seed >>> 0,
      Math.floor(this.config.seed / 2 ** 32),
      Stream.shuffle,
      this.epoch,
      0,
      0,
    );
    const r = this.core.u32(words, data);
    const perm = this.core.u32(this.permutationPtr, data);
    for (let i = 0; i < data; i++) perm[i] = i;
    for (let i = data - 1; i > 0; i--) {
      const j = Math.floor((r[i] / 4294967296) * (i + 1));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
  }

  /**
   * One optimiser step on the next batch. A batch larger than Mlp.SLICE (the paper's 20000) goes through the
   * model in slices of Mlp.SLICE samples whose activations stay in cache, each adding its share of the mean
   * gradient (dlogits scaled by 1 / B) into one gradient buffer: the same mean gradient up to f32 summation
   * order, then one AdamW step. Batches up to Mlp.SLICE are one slice, bit for bit as before.
   */
  step(): number {
    const t0 = performance.now();
    this.nextBatch(this.stepsDone);
    const B = this.train.size;
    const meanLoss =
      B > Mlp.SLICE && this.model.sliceable ? this.slicedForwardBackward(B) : this.forwardBackward(B);
    if (!Number.isFinite(meanLoss)) throw new RunDiverged(this.stepsDone, meanLoss, 'training batch');
    this.optimizer.step();
    this.stepsDone++;
    this.trainSeconds += (performance.now() - t0) / 1000;
    return meanLoss;
  }

  /** Forward and backward of the whole batch at once; returns its mean loss. */
  private forwardBackward(B: number): number {
    const input = { kind: 'sparse' as const, offsets: this.train.offsets, indices: this.train.indices };
    this.model.forward(input, B);
    const { meanLoss } = this.model.crossEntropy(this.train.labels, B, { grad: true });
    this.model.backward(input, B);
    return meanLoss;
  }

  /** Forward and backward in slices of Mlp.SLICE samples, accumulating the mean gradient; returns the mean loss. */
  private slicedForwardBackward(B: number): number {
    this.model.zeroGrads();
    let lossSum = 0;
    for (let s0 = 0; s0 < B; s0 += Mlp.SLICE) {
      const b = Math.min(Mlp.SLICE, B - s0);
      // the CSR offsets of samples s0.. index the same indices array: the slice is a pointer offset
      const input = {
        kind: 'sparse' as const,
        offsets: this.train.offsets + 4 * s0,
        indices: this.train.indices,
      };
      this.model.forward(input, b);
      const r = this.model.crossEntropy(this.train.labels + 4 * s0, b, { grad: true, gradScale: 1 / B });
      lossSum += r.meanLoss * b;
      this.model.backward(input, b, { accumulate: true });
    }
    return lossSum / B;
  }

  /** Loss (summed, nats) and correct count per sample of `layout` (subtask per sample), fresh samples of `stream`. */
  private evaluateLayout(layout: Int32Array, stream: number, logIndex: number, perSubtask: boolean) {
    const nTasks = this.config.nTasks;
    const lossBySubtask = new Float64Array(nTasks);
    const correctBySubtask = new Float64Array(nTasks);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < layout.length; start += EVAL_CHUNK) {
      const size = Math.min(EVAL_CHUNK, layout.length - start);
      const subtasks = layout.subarray(start, start + size);
      this.evalBatch.setSubtasks(subtasks);
      this.evalBatch.fill(size, stream, logIndex, start);
      const input = {
        kind: 'sparse' as const,
        offsets: this.evalBatch.offsets,
        indices: this.evalBatch.indices,
      };
      this.model.forward(input, size);
      const r = this.model.crossEntropy(this.evalBatch.labels, size, {
        grad: false,
        perSampleLoss: this.lossPtr,
        correct: this.correctPtr,
      });
      correct += r.correct;
      if (perSubtask) {
        const losses = this.core.f32(this.lossPtr, size);
        const ok = this.core.i32(this.correctPtr, size);
        for (let s = 0; s < size; s++) {
          lossBySubtask[subtasks[s]] += losses[s];
          correctBySubtask[subtasks[s]] += ok[s];
        }
      } else {
        lossSum += r.meanLoss * size;
      }
    }
    return { lossSum, correct, lossBySubtask, correctBySubtask };
  }

  /** Evaluates the current model (no update): mean test loss and per-subtask losses, in nats. */
  evaluate(logIndex: number): Evaluation {
    const t0 = performance.now();
    const test = this.evaluateLayout(this.testLayout, Stream.testBatch, logIndex, false);
    const per = this.evaluateLayout(this.subtaskLayout, Stream.subtaskBatch, logIndex, true);
    const m = this.config.testPointsPerTask;
    const evaluation: Evaluation = {
      meanLoss: test.lossSum / this.testLayout.length,
      accuracy: test.correct / this.testLayout.length,
      subtaskLoss: Array.from(per.lossBySubtask, (x) => x / m),
      subtaskAccuracy: Array.from(per.correctBySubtask, (x) => x / m),
    };
    this.evalSeconds += (performance.now() - t0) / 1000;
    return evaluation;
  }

  /** Set when config.stopAfterMinimum ended the run: the log step it stopped at and its minimum's step. */
  private stoppedEarly?: { step: number; minimumStep: number };

  /** The log step of the lowest mean test loss logged so far (the first on ties). */
  private minimumStep(): number {
    const { meanLoss, steps } = this.log;
    let best = 0;
    for (let i = 1; i < meanLoss.length; i++) if (meanLoss[i] < meanLoss[best]) best = i;
    return steps[best];
  }

  private record(step: number, e: Evaluation): void {
    this.log.steps.push(step);
    this.log.meanLoss.push(e.meanLoss);
    this.log.accuracy.push(e.accuracy);
    this.log.subtaskLoss.push(e.subtaskLoss);
    this.log.subtaskAccuracy.push(e.subtaskAccuracy);
  }

  /**
   * Frees this trainer's Wasm memory (its core's allocator is a stack: dispose trainers in the reverse order of
   * their creation; a trainer with newer allocations above it refuses). The trainer is unusable afterwards;
   * a second call does nothing. Its model, optimiser and batches are disposed with it (newest first).
   * trainRun() does this itself. `using trainer = new Trainer(config)` calls it at the end of the block.
   */
  dispose(): void {
    if (this.endMark < 0) return;
    if (this.core.mark() !== this.endMark)
      throw new Error(
        'quanta: Trainer.dispose(): newer allocations sit above this trainer on its core; dispose those first',
      );
    this.core.release(this.buffersMark);
    this.evalBatch.dispose();
    this.train.dispose();
    this.optimizer.dispose();
    this.model.dispose();
    this.core.release(this.startMark);
    this.endMark = -1;
  }

  [DISPOSE](): void {
    this.dispose();
  }

  /** The run's state between two steps (copies of the Wasm buffers; the log is shared, not copied). */
  getState(seconds = this.secondsBefore): TrainerState {
    const adam = this.optimizer.getState();
    return {
      stepsDone: this.stepsDone,
      adamT: adam.t,
      epoch: this.epoch,
      epochPos: this.epochPos,
      trainSeconds: this.trainSeconds,
      evalSeconds: this.evalSeconds,
      seconds,
      params: this.core.f32(this.model.params, this.model.paramFloats).slice(),
      adamM: adam.m,
      adamV: adam.v,
      log: this.log,
    };
  }

  /** Puts the run back where getState() took it (a checkpoint of this config); the next step() continues it. */
  setState(state: TrainerState): void {
    const { steps, logEvery, data } = this.config;
    const logs = Math.ceil(state.stepsDone / logEvery);
    if (
      !Number.isInteger(state.stepsDone) ||
      state.stepsDone < 0 ||
      state.stepsDone > steps ||
      state.params.length !== this.model.paramFloats ||
      state.log.steps.length !== logs ||
      state.log.subtaskLoss.some((row) => row.length !== this.config.nTasks) ||
      (data === null) !== state.epoch < 0
    )
      throw new ConfigError(
        `the checkpoint does not fit this run (step ${state.stepsDone} of ${steps}, ${state.log.steps.length} logs)`,
      );
    this.core.f32(this.model.params, this.model.paramFloats).set(state.params);
    this.optimizer.setState({ t: state.adamT, m: state.adamM, v: state.adamV });
    this.stepsDone = state.stepsDone;
    this.trainSeconds = state.trainSeconds;
    this.evalSeconds = state.evalSeconds;
    this.secondsBefore = state.seconds;
    for (const key of ['steps', 'meanLoss', 'accuracy', 'subtaskLoss', 'subtaskAccuracy'] as const)
      (this.log[key] as unknown[]).splice(0, Infinity, ...state.log[key]);
    if (state.epoch >= 0) {
      // the permutation of an epoch is a function of its number: regenerate it, then stand where we were
      this.epoch = state.epoch - 1;
      this.shuffle();
      this.epochPos = state.epochPos;
    }
  }

  /** Trains for config.steps steps, evaluating before the update at every log step. */
  run(events: TrainerEvents = {}, control: RunControl = {}): RunRecord {
    const loop = this.loop(events, control);
    for (;;) {
      const next = loop.next();
      if (next.done) return next.value;
    }
  }

  /** run(), yielding to the event loop about every 100 ms so that signal handlers and timers can run. */
  async runAsync(events: TrainerEvents = {}, control: RunControl = {}): Promise<RunRecord> {
    const loop = this.loop(events, control);
    for (;;) {
      const next = loop.next();
      if (next.done) return next.value;
      await yieldToEventLoop();
    }
  }

  private *loop(events: TrainerEvents, control: RunControl): Generator<void, RunRecord> {
    const { steps, logEvery } = this.config;
    const start = performance.now();
    const elapsed = () => this.secondsBefore + (performance.now() - start) / 1000;
    const every = control.checkpointEverySeconds ?? Infinity;
    let lastProgress = 0;
    let lastYield = start;
    let lastCheckpoint = start;
    while (this.stepsDone < steps) {
      if (this.stepsDone % logEvery === 0) {
        const e = this.evaluate(this.stepsDone / logEvery);
        if (!Number.isFinite(e.meanLoss) || e.subtaskLoss.some((l) => !Number.isFinite(l)))
          throw new RunDiverged(
            this.stepsDone,
            Number.isFinite(e.meanLoss)
              ? (e.subtaskLoss.find((l) => !Number.isFinite(l)) as number)
              : e.meanLoss,
            'test set',
          );
        this.record(this.stepsDone, e);
        events.onLog?.(this.stepsDone, e);
        const rule = this.config.stopAfterMinimum;
        if (rule && stopsAfterMinimum(rule, this.stepsDone, this.minimumStep())) {
          this.stoppedEarly = { step: this.stepsDone, minimumStep: this.minimumStep() };
          break;
        }
      }
      this.step();
      const now = performance.now();
      if (events.onProgress && now - lastProgress > 200) {
        lastProgress = now;
        events.onProgress(this.stepsDone, steps);
      }
      if (this.stepsDone < steps && control.onCheckpoint) {
        if (control.shouldStop?.()) {
          control.onCheckpoint(this.getState(elapsed()));
          throw new RunInterrupted(this.stepsDone);
        }
        if ((now - lastCheckpoint) / 1000 >= every) {
          control.onCheckpoint(this.getState(elapsed()));
          lastCheckpoint = performance.now();
        }
      }
      if (now - lastYield > 100) {
        lastYield = now;
        yield;
      }
    }
    events.onProgress?.(steps, steps);
    return this.toRecord(elapsed());
  }

  toRecord(seconds: number): RunRecord {
    const c = this.config;
    const samples = this.stepsDone * this.trainBatchSize;
    return {
      kind: 'quanta-run',
      schema: 1,
      config: { ...c },
      parameters: this.model.parameterCount,
      version: VERSION,
      seed: c.seed,
      trainingSamples: c.data === null ? samples : c.data,
      log: this.log,
      timing: {
        seconds,
        trainSeconds: this.trainSeconds,
        evalSeconds: this.evalSeconds,
        samplesPerSecond: this.trainSeconds > 0 ? samples / this.trainSeconds : 0,
        stepsPerSecond: this.trainSeconds > 0 ? this.stepsDone / this.trainSeconds : 0,
      },
      ...(this.stoppedEarly ? { stoppedEarly: { ...this.stoppedEarly } } : {}),
      createdAt: new Date().toISOString(),
    };
  }
}

/**
 * Trains one run to completion in a core of its own (released afterwards) and returns its record; `resume`
 * continues it from a checkpoint's state.
 */
export function trainRun(
  config: RunConfig,
  events: TrainerEvents = {},
  core: Core = getCore(),
  control: RunControl = {},
  resume?: TrainerState,
): RunRecord {
  const mark = core.mark();
  try {
    const trainer = new Trainer(config, core);
    if (resume) trainer.setState(resume);
    return trainer.run(events, control);
  } finally {
    core.release(mark);
  }
}
