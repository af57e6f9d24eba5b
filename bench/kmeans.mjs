// The k-means step of QDG's spectral clustering on a QDG-like spectral embedding (bench/lib/affinity.mjs, then
// one spectralEmbedding): our kmeans() on its Gram route (src/qdg/kmeans/gram.ts) against our bounded route
// (the same bits, so the ratio is the Gram route's own gain) and sklearn KMeans(init='k-means++', n_init,
// algorithm='lloyd'), one thread each. The Gram route's matrix is built inside each timed call (no store
// kept between calls), so its one-off cost is in the figure. Reports whether the two routes gave the same bits
// and the inertias beside sklearn's.
import { alternate, measurement, round } from './lib/harness.mjs';
import { loadOurs } from './lib/ours.mjs';
import { PythonPeer } from './lib/python.mjs';
import { loadAffinityKernels, qdgLikeAffinity } from './lib/affinity.mjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const description =
  'k-means on a spectral embedding: ours Gram route vs ours bounded route vs sklearn KMeans (1 thread)';

export async function run(ctx) {
  const kernels = await loadAffinityKernels();
  const km = await loadOurs('qdg/kmeans/kmeans.js', ['kmeans'], 'src/qdg/kmeans/kmeans.ts');
  const emb = await loadOurs('qdg/embedding.js', ['spectralEmbedding'], 'src/qdg/embedding.ts');
  // --full: the paper's S 10,000 and n_init 30 (long: the bounded route and sklearn take minutes per call);
  // default S 4000, n_init 10
  const S = ctx.full ? 10000 : 4000;
  const Ks = ctx.full ? [400, 1500] : [100, 400];
  const nInit = ctx.full ? 30 : 10;
  const skipped = kernels.skipped ?? km.skipped ?? emb.skipped;
  if (skipped) {
    ctx.emit({ bench: 'kmeans', config: { S, Ks, nInit }, skipped });
    return;
  }
  const D = Ks[Ks.length - 1];
  ctx.note(`kmeans S ${S}: embedding of ${D} columns (setup, not timed)`);
  const core = new kernels.mods.Core();
  const { affinityPtr } = qdgLikeAffinity(kernels.mods, core, { S, clusters: Math.round(S / 20) });
  const embedding = emb.mod.spectralEmbedding(core, affinityPtr, S, D, { seed: 0 }).embedding;
  const dir = mkdtempSync(join(tmpdir(), 'quanta-bench-'));
  const file = join(dir, 'embedding.f64');
  writeFileSync(file, new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength));
  try {
    for (const K of Ks) {
      const x = new Float64Array(S * K);
      for (let i = 0; i < S; i++) x.set(embedding.subarray(i * D, i * D + K), i * K);
      const config = { S, K, d: K, nInit, data: 'spectral embedding of a QDG-like affinity' };
      const results = {};
      const ours = (route) => () => {
        const t0 = performance.now();
        results[route] = km.mod.kmeans(core, x, S, K, K, { nInit, seed: 0, workers: 1, route });
        return (performance.now() - t0) / 1000;
      };
      const peer = new PythonPeer('kmeans_sklearn.py', { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' });
      try {
        const r = await peer.setup({ file, S, D, K, nInit });
        const contenders = { gram: ours('gram'), bounded: ours('bounded') };
        if (!r.skipped) contenders.sklearn = () => peer.run();
        const { medians, errors } = await alternate(contenders, { warmup: 0, reps: Math.min(ctx.reps, 3) });
        const sameBits =
          results.gram && results.bounded
            ? Object.is(results.gram.inertia, results.bounded.inertia) &&
              results.gram.labels.every((l, i) => l === results.bounded.labels[i])
            : null;
        const extra = {
          sameBitsAsBoundedRoute: sameBits,
          oursInertia: round(results.gram?.inertia ?? null, 8),
          sklearnInertia: round(peer.lastReply?.inertia ?? null, 8),
          oursIterations: results.gram?.iterations ?? null,
          sklearnIterations: peer.lastReply?.iterations ?? null,
        };
        ctx.emit(
          measurement(ctx, {
            bench: 'kmeans',
            config: { ...config, contender: 'ours gram route vs sklearn' },
            ours: medians.gram ?? null,
            peer: medians.sklearn ?? null,
            peerName: "sklearn KMeans(init='k-means++', algorithm='lloyd') (1 thread)",
            unit: 's',
            threads: 1,
            extra: {
              ...extra,
              ...(r.skipped || errors.sklearn ? { skipped: r.skipped ?? errors.sklearn } : {}),
            },
          }),
        );
        ctx.emit(
          measurement(ctx, {
            bench: 'kmeans',
            config: { ...config, contender: 'ours gram route vs ours bounded route' },
            ours: medians.gram ?? null,
            peer: medians.bounded ?? null,
            peerName: 'ours, bounded route (Elkan bounds, f32 products)',
            unit: 's',
            threads: 1,
            extra,
          }),
        );
      } finally {
        await peer.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
