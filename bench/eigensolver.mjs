// The QDG eigensolve: the K smallest eigenvectors of the normalised Laplacian L = I - M of a QDG-like affinity
// (bench/lib/affinity.mjs), i.e. the K largest of M = D^-1/2 A0 D^-1/2. Ours: src/qdg/eigen/lanczos.ts
// largestEigenpairs (f64 Lanczos, full reorthogonalisation, over the f32 matrix). Peer: scipy eigsh (ARPACK)
// on the same M in f64, which='LA' (and, with --full, also sklearn's own route: shift-invert sigma=1 on -L).
// Both report explicit relative residuals ||M v - mu v|| / |mu|, so speed is compared at stated accuracy.
import { alternate, measurement, round } from './lib/harness.mjs';
import { loadOurs } from './lib/ours.mjs';
import { PythonPeer } from './lib/python.mjs';
import { dumpF32, loadAffinityKernels, normalisedAdjacency, qdgLikeAffinity } from './lib/affinity.mjs';

export const description =
  'K smallest Laplacian eigenvectors: ours (Lanczos) vs scipy eigsh (ARPACK), with residuals';

const TOL = 1e-10;

const PEER_NAMES = {
  LA: "scipy eigsh(M, which='LA') (ARPACK",
  sklearn: "scipy eigsh(-L, sigma=1) (ARPACK shift-invert, sklearn's route",
  eigh: 'scipy.linalg.eigh(M, subset_by_index) (LAPACK dense',
};
const threadWords = (n) => `${n} thread${n > 1 ? 's' : ''}`;

// Both sides get `--threads` (default 1): ours for the matrix-vector products (src/qdg/eigen/split.ts, at
// most 2), scipy through OpenBLAS (its products and its basis operations).
export async function run(ctx) {
  const threads = ctx.threads ?? 1;
  const grid = ctx.sizes
    ? ctx.sizes
    : ctx.full
      ? [2000, 5000, 10000].flatMap((S) => [100, 500].map((K) => ({ S, K })))
      : [
          { S: 2000, K: 100 },
          { S: 5000, K: 100 },
        ];
  const kernels = await loadAffinityKernels();
  const lanczos = await loadOurs('qdg/eigen/lanczos.js', ['largestEigenpairs'], 'src/qdg/eigen/lanczos.ts');
  const modes = ctx.modes ?? (ctx.full ? ['LA', 'sklearn', 'eigh'] : ['LA']);
  const bySize = new Map();
  for (const g of grid) bySize.set(g.S, [...(bySize.get(g.S) ?? []), g.K]);
  for (const [S, Ks] of bySize) {
    const skipped = kernels.skipped ?? lanczos.skipped;
    if (skipped) {
      for (const K of Ks) ctx.emit({ bench: 'eigensolver', config: { S, K }, skipped });
      continue;
    }
    ctx.note(`eigensolver S ${S}: building the affinity`);
    const core = new kernels.mods.Core();
    const { affinityPtr } = qdgLikeAffinity(kernels.mods, core, { S, clusters: Math.round(S / 40) });
    normalisedAdjacency(core, affinityPtr, S);
    const dump = dumpF32(core, affinityPtr, S * S, 'm.f32');
    try {
      for (const K of Ks) {
        for (const mode of modes) {
          ctx.note(`eigensolver S ${S} K ${K} (peer ${mode})`);
          const config = { S, K, tol: TOL, peerMode: mode, simd: core.simd };
          let ours = null;
          const contenders = {
            ours: () => {
              const t0 = performance.now();
              ours = lanczos.mod.largestEigenpairs(core, affinityPtr, S, K, { tol: TOL, seed: 0, threads });
              return (performance.now() - t0) / 1000;
            },
          };
          const peer = new PythonPeer('eigsh_scipy.py', {
            OPENBLAS_NUM_THREADS: String(threads),
            OMP_NUM_THREADS: String(threads),
          });
          const r = await peer.setup({ file: dump.file, S, K, mode, tol: TOL });
          if (!r.skipped) contenders.peer = () => peer.run();
          // the eigensolves are long: one warm-up round at most, and reps as asked
          const { medians, errors } = await alternate(contenders, {
            warmup: Math.min(ctx.warmup, 1),
            reps: ctx.reps,
          });
          const peerReply = peer.lastReply;
          await peer.close();
          const oursResidual = ours ? Math.max(...ours.residuals) : null;
          ctx.emit(
            measurement(ctx, {
              bench: 'eigensolver',
              config,
              ours: medians.ours ?? null,
              peer: medians.peer ?? null,
              peerName: `${PEER_NAMES[mode]}, ${threadWords(threads)})`,
              unit: 's',
              threads,
              extra: {
                oursMaxResidual: round(oursResidual, 3),
                peerMaxResidual: round(peerReply?.maxResidual ?? null, 3),
                oursIterations: ours?.iterations ?? null,
                oursConverged: ours?.converged ?? null,
                oursHelperShares: ours?.helperShares ?? null,
                goal: 'faster at equal accuracy',
                ...(r.skipped || errors.peer || errors.ours
                  ? { skipped: r.skipped ?? errors.peer ?? errors.ours }
                  : {}),
              },
            }),
          );
        }
      }
    } finally {
      dump.cleanup();
    }
  }
}
