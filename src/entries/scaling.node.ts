// `quanta/scaling` in Node: ./scaling.ts plus sweeps on a worker pool into a run store, and the fits of a
// sweep folder (`quanta sweep`, `quanta fit`).
export * from './scaling.js';
export { newStopFlag, runSweep, type SweepOptions, type SweepOutcome } from '../scaling/sweep.js';
export { SweepStore } from '../scaling/store.js';
export {
  analyseAlpha,
  analyseFolder,
  exponentTable,
  loadSweepFolder,
  LEARNED_THRESHOLD_NATS,
  type AlphaFits,
  type ExponentFit,
  type FitsJson,
  type SweepFolder,
} from '../scaling/analysis.js';
export { convergenceStudy, type ConvergenceStudy } from '../scaling/convergence.js';
