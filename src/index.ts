// The public API of quanta, for Node and browsers (no Node-only module is imported from here).
export { Core, getCore, MemoryLimitError } from './core/arena.js';
export { relaxedFused, setSimdMode, simdMode, type SimdMode } from './core/wasm.js';
export { ConfigError } from './core/errors.js';
export { CoreScope } from './core/disposable.js';
export { CounterRandom, Stream, philox4x32 } from './core/rng.js';
export { SparseParityTask, subtaskProbabilities, PAPER_TASK, type TaskConfig } from './parity/task.js';
export { ParityBatch } from './parity/batch.js';
export {
  DEFAULT_RUN,
  parseRunConfig,
  validateRunConfig,
  type RunConfig,
  type ValidRunConfig,
} from './train/config.js';
export type { RunRecord, RunLog } from './train/record.js';
export { Trainer, trainRun, validateRun, type Evaluation } from './train/trainer.js';
export { Mlp, parameterCount, type MlpConfig } from './train/model.js';
export { AdamW, DEFAULT_ADAMW } from './train/optimizer.js';
export { VERSION } from './version.js';
