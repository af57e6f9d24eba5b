// k-means restarts on several threads, behind the synchronous kmeans() (lever 4 of the k-means issue).
// Restarts are independent and each is a function of its index (CounterRandom(seed, Stream.kmeans, r)), so
// helper threads (./worker.ts, each with its own Wasm core) and the calling thread claim restart
// indices from one shared counter, and the caller keeps the lowest inertia, the lowest index on ties: the
// result is the one of the sequential loop, whatever the number of threads. The caller runs restarts too,
// then blocks in Atomics.wait until every helper that started has raised its flag (a helper that has not
// started by then is told it is not needed), and takes their results with receiveMessageOnPort: no event
// loop turn is needed, so kmeans() stays synchronous. On the Gram route each helper keeps its own copy of
// the Gram matrix for the store id in the settings (extended, like the caller's, as the columns grow).
import type { Worker } from 'node:worker_threads';
import type { Core } from '../../core/arena.js';
import { nodeBuiltin } from '../../core/node-builtin.js';
import { workerScript } from '../../core/worker-script.js';
import { kmeansRestarts } from './restarts.js';
import { gramStoreBytes } from './gram.js';
import type { GramStore, KMeansJob, KMeansResult, KMeansSettings, RestartsOutcome } from './types.js';

// Node's modules when running in Node (none in a browser, whose page runs every restart on its own thread):
// loaded through ../../core/node-builtin.ts so that a page can import k-means without bundling Node.
const os = nodeBuiltin('node:os');
const workerThreads = nodeBuiltin('node:worker_threads');

/** All cores (os.availableParallelism), the default of KMeansOptions.workers (1 outside Node). */
export function defaultKMeansWorkers(): number {
  return Math.max(1, os?.availableParallelism() ?? 1);
}

/** Helper threads the free memory holds on the Gram route (each keeps its own F, with a quarter to spare). */
export function gramHelpersAffordable(S: number): number {
  return os ? Math.floor(os.freemem() / (1.25 * gramStoreBytes(S))) : 0;
}

/** Helper threads run only in Node, from the main thread (a pool worker already fills its core). */
export function threadsAvailable(): boolean {
  return workerThreads?.isMainThread ?? false;
}

const helpers: Worker[] = [];

/**
 * The shared copy of the data, kept from call to call (grown when a call needs more): a fresh buffer per call
 * faulted in its pages every time (a QDG sweep's 30 K at S 2000 made 45 MB of them; a page fault costs about
 * 10 microseconds here). Safe to reuse: a helper reads it only between raising its flag and lowering it, and
 * kmeansInThreads returns only after every helper that raised its flag has lowered it.
 */
let sharedData: SharedArrayBuffer | undefined;

function sharedValues(n: number): Float64Array {
  if (!sharedData || sharedData.byteLength < 8 * n) sharedData = new SharedArrayBuffer(8 * n);
  return new Float64Array(sharedData, 0, n);
}

/** Ends the helper threads (unref'd: an exiting process does not wait for them); lets the kept data go. */
export async function closeKMeansThreads(): Promise<void> {
  sharedData = undefined;
  const all = helpers.splice(0);
  await Promise.all(all.map((w) => w.terminate()));
}

/**
 * Starts up to n helper threads ahead of the first kmeans() that will use them (a thread takes a few hundred
 * milliseconds to load its modules and Wasm core; started early, as QDG's sweep does before its eigensolve,
 * that overlaps other work instead of the first K's restarts). Nothing outside Node's main thread.
 */
export function startKMeansThreads(n: number): void {
  if (n > 0 && threadsAvailable()) helperThreads(n);
}

function helperThreads(n: number): Worker[] {
  if (helpers.length < n) {
    const file = workerScript(import.meta.url, 'worker');
    while (helpers.length < n) {
      const w = new workerThreads!.Worker(file);
      w.unref();
      helpers.push(w);
    }
  }
  return helpers.slice(0, n);
}

interface HelperReply extends RestartsOutcome {
  trace?: number[];
  error?: string;
}

/** kmeans() over `threads` threads (this one included); see the file comment. */
export function kmeansInThreads(
  core: Core,
  data: number | Float64Array | Float32Array,
  settings: KMeansSettings,
  threads: number,
  onIteration?: (init: number, iteration: number, inertia: number) => void,
  store?: GramStore,
  onRestart?: (started: number) => void,
): KMeansResult {
  const { S, d } = settings;
  // the data once, shared by every thread
  const values = sharedValues(S * d);
  values.set(typeof data === 'number' ? core.f64(data, S * d) : data);
  const shared = new Int32Array(new SharedArrayBuffer(4 * threads));
  const workers = helperThreads(threads - 1);
  const ports = workers.map((w, h) => {
    const { port1, port2 } = new workerThreads!.MessageChannel();
    const job: KMeansJob = {
      data: values,
      settings,
      shared: shared.buffer as SharedArrayBuffer,
      helper: h,
      port: port2,
      trace: onIteration !== undefined,
    };
    w.postMessage(job, [port2]);
    return port1;
  });
  const claim = () => {
    const r = Atomics.add(shared, 0, 1);
    if (r >= settings.nInit) return -1;
    onRestart?.(r + 1);
    return r;
  };
  let mine: RestartsOutcome;
  const ran: boolean[] = [];
  try {
    mine = kmeansRestarts(core, values, settings, claim, onIteration, store);
  } finally {
    // A helper that has not started yet (a new thread still loading) is told it is not needed: it has
    // claimed nothing. Every running helper finishes its claimed restarts before this call returns.
    for (let h = 0; h < workers.length; h++) {
      ran[h] = Atomics.compareExchange(shared, 1 + h, 0, 3) !== 0;
      while (ran[h] && Atomics.load(shared, 1 + h) === 2) Atomics.wait(shared, 1 + h, 2);
    }
  }
  const outcomes: RestartsOutcome[] = [mine];
  const errors: string[] = [];
  for (let h = 0; h < ports.length; h++) {
    const reply = ran[h]
      ? (workerThreads!.receiveMessageOnPort(ports[h])?.message as HelperReply | undefined)
      : undefined;
    ports[h].close();
    if (!ran[h]) continue;
    if (!reply) errors.push('a k-means helper thread sent no result');
    else if (reply.error) errors.push(reply.error);
    else {
      outcomes.push(reply);
      const t = reply.trace ?? [];
      for (let e = 0; e + 2 < t.length; e += 3) onIteration?.(t[e], t[e + 1], t[e + 2]);
    }
  }
  if (errors.length) throw new Error(`k-means helper thread failed: ${errors[0]}`);
  let best: RestartsOutcome | undefined;
  for (const o of outcomes) {
    if (!o.best) continue;
    if (
      !best ||
      o.best.inertia < best.best!.inertia ||
      (o.best.inertia === best.best!.inertia && o.bestRestart < best.bestRestart)
    ) {
      best = o;
    }
  }
  return { ...best!.best!, restartsPerThread: outcomes.map((o) => o.ran) };
}
