// `quanta/scaling` (browser-safe): power-law fits with bootstrap intervals, sweep plans and presets.
export {
  bootstrapPowerLaw,
  linearFit,
  powerLawAt,
  powerLawFit,
  spearman,
  type BootstrapInterval,
  type BootstrapOptions,
  type PowerLawFit,
} from '../scaling/fit.js';
export {
  parseShard,
  planSweep,
  runId,
  shardRuns,
  SWEEP_KINDS,
  type PlannedRun,
  type Shard,
  type SweepKind,
  type SweepOverrides,
  type SweepPlan,
} from '../scaling/plan.js';
export { presetSettings, PRESETS, type PresetName, type SweepSettings } from '../scaling/presets.js';
