// The training pool: piscina worker threads filling the cores, one Wasm core per thread (./pool-worker.ts).
// Runs are pure functions of their configs (counter-based random numbers, DESIGN.md lever 4), so a record
// does not depend on which thread, how many threads or which shard trained it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { TrainJob, TrainJobResult } from './pool-worker.js';

export type { TrainJob, TrainJobResult } from './pool-worker.js';

/** All cores (os.availableParallelism), the default --workers. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/**
 * The worker script: pool-worker.js beside this file when running compiled (dist/) or bundled. When running
 * from the TypeScript sources (vitest, a TS REPL), worker threads cannot load .ts files on Node 20, so the
 * worker is bundled once with esbuild (a dev dependency of vite) into a content-addressed temp file.
 */
export async function resolveWorkerFile(): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'pool-worker.js');
  if (existsSync(js)) return js;
  const ts = join(here, 'pool-worker.ts');
  if (!existsSync(ts)) throw new Error(`quanta: the pool worker script is missing beside ${here}`);
  bundled ??= bundleWorker(ts);
  return bundled;
}

let bundled: Promise<string> | undefined;

async function bundleWorker(entry: string): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'quanta-pool');
  const file = join(dir, `pool-worker-${hash}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  return file;
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
    const filename = options.workerFile ?? (await resolveWorkerFile());
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
