// A helper thread of kmeans (./threads.ts): keeps one Wasm core, and for each job claims restarts
// from the shared counter until none is left, then posts the best of them (with the inertia trace of every
// restart it ran) on the job's port and raises its flag, which the waiting thread reads with Atomics.
// On the Gram route it keeps one Gram matrix (./gram.ts) at the bottom of its core for the store id
// of the latest job, extended by the columns of later jobs of that id, replaced for a new id.
import { parentPort } from 'node:worker_threads';
import { Core } from '../../core/arena.js';
import { kmeansRestarts } from './restarts.js';
import { createGramStore } from './gram.js';
import type { GramStore, KMeansJob, KMeansSettings } from './types.js';

// the core at start-up, while the caller does other work (threads.ts starts helpers ahead of their jobs)
const core = new Core();
/** The core's allocator position below any Gram matrix. */
const base = core.mark();
let store: GramStore | undefined;

/**
 * This thread's Gram matrix for the job's store id: a new one replaces the old at the core's base, and a
 * bounded-route job frees it (so that a helper holds no F it will not use).
 */
function gramStoreFor(c: Core, settings: KMeansSettings): GramStore | undefined {
  if (store && (settings.route !== 'gram' || store.id !== settings.gramId || store.S !== settings.S)) {
    store = undefined;
    c.release(base);
  }
  if (settings.route !== 'gram') return undefined;
  if (store) return store;
  store = createGramStore(c, settings.S, 0, settings.gramId);
  return store;
}

parentPort?.on('message', (job: KMeansJob) => {
  const shared = new Int32Array(job.shared);
  const flag = 1 + job.helper;
  // 0 -> 2: started. The caller sets 3 instead when it finished first (then this helper had no share).
  if (Atomics.compareExchange(shared, flag, 0, 2) !== 0) {
    job.port.close();
    return;
  }
  const trace: number[] = [];
  try {
    const { nInit } = job.settings;
    const claim = () => {
      const r = Atomics.add(shared, 0, 1);
      return r < nInit ? r : -1;
    };
    const onIteration = job.trace
      ? (init: number, iteration: number, inertia: number) => trace.push(init, iteration, inertia)
      : undefined;
    // every restart already taken: no F to build for nothing
    const gram = Atomics.load(shared, 0) >= nInit ? undefined : gramStoreFor(core, job.settings);
    const outcome = kmeansRestarts(core, job.data, job.settings, claim, onIteration, gram);
    job.port.postMessage({ ...outcome, trace });
  } catch (e) {
    job.port.postMessage({ error: String((e as Error)?.stack ?? e) });
  } finally {
    job.port.close();
    Atomics.store(shared, flag, 1);
    Atomics.notify(shared, flag);
  }
});
