// One worker thread of the training pool (./pool.ts). Each thread has its own Wasm core (getCore() is per
// thread). A job trains one run, resuming from its checkpoint when one exists, writes checkpoints as it goes
// and its record atomically itself (so a large record never crosses threads and a killed sweep loses at most
// the work since the last checkpoint), then removes the checkpoint. The main thread asks every job to stop
// through a shared flag (a signal reached it); the job then checkpoints and reports itself interrupted.
// Progress (steps done) goes back on a MessagePort.
import { rmSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { writeFileAtomic } from '../io/atomic.js';
import { findCheckpoint, writeCheckpoint } from '../train/checkpoint.js';
import type { ValidRunConfig } from '../train/config.js';
import { serializeRecord } from '../train/record.js';
import { RunInterrupted, trainRun } from '../train/trainer.js';
import { getCore } from '../core/arena.js';

export interface TrainJob {
  id: string;
  /** Validated where the sweep was planned (planSweep); structured cloning keeps every field. */
  config: ValidRunConfig;
  /** Where the record goes (DIR/runs/<id>.json). */
  recordPath: string;
  /** Where the run's checkpoint goes (DIR/runs/<id>.ckpt); omitted: no checkpoints. */
  checkpointPath?: string;
  /** Seconds between checkpoints (Infinity: only when stopped). */
  checkpointEverySeconds?: number;
  /** Int32Array over a SharedArrayBuffer: element 0 non-zero asks the run to checkpoint and stop. */
  stop?: Int32Array;
  /** Receives the number of steps done, every few hundred milliseconds. */
  progress?: MessagePort;
}

export interface TrainJobResult {
  id: string;
  /** True when the run stopped on request after a checkpoint (it resumes from there). */
  interrupted?: boolean;
  /** Steps the run had done when it started here (0, or where its checkpoint stood). */
  resumedFrom: number;
  stepsDone: number;
  seconds: number;
  trainSeconds: number;
  evalSeconds: number;
  samplesPerSecond: number;
  /** Mean test loss (nats) at the last log step (NaN for an interrupted run). */
  finalLoss: number;
}

export default function runTrainJob(job: TrainJob): TrainJobResult {
  try {
    const resume = job.checkpointPath ? findCheckpoint(job.checkpointPath, job.config) : null;
    const resumedFrom = resume?.state.stepsDone ?? 0;
    const control = job.checkpointPath
      ? {
          checkpointEverySeconds: job.checkpointEverySeconds ?? Infinity,
          onCheckpoint: (state: Parameters<typeof writeCheckpoint>[2]) =>
            writeCheckpoint(job.checkpointPath as string, job.config, state),
          shouldStop: () => (job.stop ? Atomics.load(job.stop, 0) !== 0 : false),
        }
      : {};
    let record;
    try {
      record = trainRun(
        job.config,
        { onProgress: (done) => job.progress?.postMessage(done) },
        getCore(),
        control,
        resume?.state,
      );
    } catch (e) {
      if (!(e instanceof RunInterrupted)) throw e;
      return {
        id: job.id,
        interrupted: true,
        resumedFrom,
        stepsDone: e.stepsDone,
        seconds: 0,
        trainSeconds: 0,
        evalSeconds: 0,
        samplesPerSecond: 0,
        finalLoss: NaN,
      };
    }
    writeFileAtomic(job.recordPath, serializeRecord(record));
    if (job.checkpointPath) rmSync(job.checkpointPath, { force: true });
    return {
      id: job.id,
      resumedFrom,
      stepsDone: record.stoppedEarly?.step ?? job.config.steps,
      seconds: record.timing.seconds,
      trainSeconds: record.timing.trainSeconds,
      evalSeconds: record.timing.evalSeconds,
      samplesPerSecond: record.timing.samplesPerSecond,
      finalLoss: record.log.meanLoss[record.log.meanLoss.length - 1],
    };
  } finally {
    job.progress?.close();
  }
}
