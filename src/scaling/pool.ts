// The training pool: piscina worker threads filling the cores, one Wasm core per thread (./pool-worker.ts).
// Runs are pure functions of their configs (counter-based random numbers, DESIGN.md lever 4), so a record
// does not depend on which thread, how many threads or which shard trained it.
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { workerScript } from '../core/worker-script.js';
import type { TrainJob, TrainJobResult } from './pool-worker.js';

export type { TrainJob, TrainJobResult } from './pool-worker.js';

/** All cores (os.availableParallelism), the default --workers. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** The worker script: pool-worker.js beside this file, or the .ts sources bundled (src/core/worker-script.ts). */
export function resolveWorkerFile(): string {
  return workerScript(import.meta.url, 'pool-worker');
}

export interface PoolOptions {
  /** Worker threads (default: all cores). */
  workers?: number;
  /** The worker script (default: resolveWorkerFile()). */
  workerFile?: string;
}

export class TrainingPool {
  private constructor(
    private readonly piscina: Piscina,
    readonly workers: number,
  ) {}

  static async open(options: PoolOptions = {}): Promise<TrainingPool> {
    const workers = options.workers ?? defaultWorkers();
    const filename = options.workerFile ?? resolveWorkerFile();
    const piscina = new Piscina({
      filename,
      minThreads: workers,
      maxThreads: workers,
      // a thread keeps its Wasm core between runs; they all end with the pool
      idleTimeout: 60_000,
    });
    return new TrainingPool(piscina, workers);
  }

  /** Trains one run in a free thread; `onSteps` hears the steps done while it trains. */
  async train(
    job: Omit<TrainJob, 'progress'>,
    onSteps?: (stepsDone: number) => void,
  ): Promise<TrainJobResult> {
    if (!onSteps) return this.piscina.run(job);
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (done: number) => onSteps(done));
    try {
      return await this.piscina.run({ ...job, progress: port2 }, { transferList: [port2] });
    } finally {
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
