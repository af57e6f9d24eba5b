// `quanta` in Node: the training core of ../index.ts plus what needs a file system (checkpoints, weights).
export * from '../index.js';
export {
  checkpointPathOf,
  findCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  DEFAULT_CHECKPOINT_EVERY,
  type Checkpoint,
  type TrainerState,
} from '../train/checkpoint.js';
export { loadRunWeights, saveRunWeights } from '../train/weights.js';
