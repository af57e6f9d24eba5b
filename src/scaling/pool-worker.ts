// One worker thread of the training pool (./pool.ts). Each thread has its own Wasm core (getCore() is per
// thread). A job trains one run and writes its record atomically itself, so a large record never crosses
// threads and a killed sweep loses only the runs in flight. Progress (steps done) goes back on a MessagePort.
import type { MessagePort } from 'node:worker_threads';
import { writeJsonAtomic } from '../io/atomic.js';
import type { RunConfig } from '../train/config.js';
import { compactRecord } from '../train/summary.js';
import { trainRun } from '../train/trainer.js';

export interface TrainJob {
  id: string;
  config: RunConfig;
  /** Where the record goes (DIR/runs/<id>.json). */
  recordPath: string;
  /** Receives the number of steps done, every few hundred milliseconds. */
  progress?: MessagePort;
}

export interface TrainJobResult {
  id: string;
  seconds: number;
  trainSeconds: number;
  evalSeconds: number;
  samplesPerSecond: number;
  /** Mean test loss (nats) at the last log step. */
  finalLoss: number;
}

export default function runTrainJob(job: TrainJob): TrainJobResult {
  try {
    const record = trainRun(job.config, {
      onProgress: (done) => job.progress?.postMessage(done),
    });
    writeJsonAtomic(job.recordPath, compactRecord(record));
    return {
      id: job.id,
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
