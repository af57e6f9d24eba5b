// The browser build's ../qdg/kmeans/threads.ts (substituted by scripts/browser-build.mjs and the explorer's
// Vite config): no helper threads, so k-means restarts run on the calling thread, with the same result.
import type { Core } from '../../core/arena.js';
import type { GramStore, KMeansResult, KMeansSettings } from '../../qdg/kmeans/types.js';

export function defaultKMeansWorkers(): number {
  return 1;
}

export function gramHelpersAffordable(_S: number): number {
  return 0;
}

export function threadsAvailable(): boolean {
  return false;
}

export function startKMeansThreads(_n: number): void {}

export async function closeKMeansThreads(): Promise<void> {}

export function kmeansInThreads(
  _core: Core,
  _data: number | Float64Array | Float32Array,
  _settings: KMeansSettings,
  _threads: number,
  _onIteration?: unknown,
  _store?: GramStore,
): KMeansResult {
  throw new Error('quanta: k-means helper threads are Node-only (threadsAvailable() is false here)');
}
