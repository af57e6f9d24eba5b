// Data of the k-means tests (test/qdg/kmeans.test.ts, test/qdg/kmeans-gram.test.ts): seeded Gaussians and blobs.
import { CounterRandom } from '../../src/core/rng.js';

/** n independent N(0, 1) values. */
export function gaussians(n: number, seed: number): Float64Array {
  const r = new CounterRandom(seed, 77);
  return Float64Array.from({ length: n }, () => r.nextGaussian());
}

/**
 * S points in d dimensions around `clusters` N(0, I) means with Zipf-like sizes (cluster floor(C^u) - 1 for
 * uniform u) and spread `noise`: the shape of QDG embeddings.
 */
export function blobs(S: number, d: number, clusters: number, noise: number, seed: number): Float64Array {
  const r = new CounterRandom(seed, 79);
  const means = Float64Array.from({ length: clusters * d }, () => r.nextGaussian());
  const x = new Float64Array(S * d);
  for (let i = 0; i < S; i++) {
    const c = Math.min(clusters - 1, Math.floor(clusters ** r.nextDouble()) - 1);
    for (let j = 0; j < d; j++) x[i * d + j] = means[c * d + j] + noise * r.nextGaussian();
  }
  return x;
}
