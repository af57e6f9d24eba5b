// One worker thread of the language-model family pool (./train-family.ts): trains one member and writes its
// folder itself; steps done go back on a MessagePort.
import type { MessagePort } from 'node:worker_threads';
import type { LmFamilyConfig } from './family.js';
import { trainLanguageModel } from './train-model.js';

export interface LmTrainJob {
  config: LmFamilyConfig;
  width: number;
  /** Model seed (default: the family's first). */
  seed?: number;
  dir: string;
  corpusDir?: string;
  progress?: MessagePort;
}

export interface LmTrainJobResult {
  width: number;
  parameters: number;
  seconds: number;
  finalTestLoss: number;
}

export default function runLmTrainJob(job: LmTrainJob): LmTrainJobResult {
  try {
    const r = trainLanguageModel(job.config, job.width, job.dir, {
      corpusDir: job.corpusDir,
      seed: job.seed,
      onProgress: (steps) => job.progress?.postMessage(steps),
    });
    return {
      width: r.width,
      parameters: r.parameters,
      seconds: r.seconds,
      finalTestLoss: r.meanTestLoss[r.meanTestLoss.length - 1],
    };
  } finally {
    job.progress?.close();
  }
}
