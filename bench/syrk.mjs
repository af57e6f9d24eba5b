// Dense SYRK, G = A A^T of an S x P f32 gradient matrix (the QDG route for gradients users bring as .npy):
// our SIMD kernel (src/qdg/gram.ts syrkAccumulate over column blocks, then mirrorGram) against numpy's
// A @ A.T (OpenBLAS syrk, AVX-512 where the CPU has it), one thread each, and against the Wasm f32x4 peak.
import { alternate, measurement, round } from './lib/harness.mjs';
import { loadOurs } from './lib/ours.mjs';
import { PythonPeer } from './lib/python.mjs';

export const description =
  'dense Gram A A^T: ours (SIMD SYRK) vs numpy A @ A.T (OpenBLAS), and vs the Wasm peak';

/** Bytes of one column block of A in Wasm memory (as gramFromNpy's default). */
const BLOCK_BYTES = 64 * 2 ** 20;

export async function run(ctx) {
  const sizes = ctx.full ? [{ S: 4000, P: 100_000 }] : [{ S: 2000, P: 10_000 }];
  const gram = await loadOurs('qdg/gram.js', ['syrkAccumulate', 'mirrorGram'], 'src/qdg/gram.ts');
  const arena = await loadOurs('core/arena.js', ['Core'], 'src/core/arena.ts');
  const limits = await ctx.getLimits();
  for (const { S, P } of sizes) {
    const config = { S, P, dtype: 'f32' };
    ctx.note(`syrk S ${S} P ${P}`);
    const contenders = {};
    const skips = {};
    let core;
    if (gram.skipped || arena.skipped) skips.ours = gram.skipped ?? arena.skipped;
    else {
      core = new arena.mod.Core();
      const cols = Math.max(1, Math.min(P, Math.floor(BLOCK_BYTES / (4 * S))));
      const gramPtr = core.allocF32(S * S);
      const blockPtr = core.allocF32(S * cols);
      const block = core.f32(blockPtr, S * cols);
      for (let i = 0; i < block.length; i++) block[i] = Math.random() * 2 - 1;
      // The same block stands for every column block of A: the work (S^2 P multiply-adds) is that of the
      // full matrix, without holding S x P floats (which the .npy route never does either).
      contenders.ours = () => {
        core.f32(gramPtr, S * S).fill(0);
        const t0 = performance.now();
        for (let c0 = 0; c0 < P; c0 += cols)
          gram.mod.syrkAccumulate(core, gramPtr, S, blockPtr, Math.min(cols, P - c0), cols);
        gram.mod.mirrorGram(core, gramPtr, S);
        return (performance.now() - t0) / 1000;
      };
    }
    const peer = new PythonPeer('syrk_numpy.py', { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' });
    const r = await peer.setup({ S, P, seed: 0 });
    if (r.skipped) skips.numpy = r.skipped;
    else contenders.numpy = () => peer.run();
    const { medians, errors } = await alternate(contenders, { warmup: ctx.warmup, reps: ctx.reps });
    await peer.close();
    // multiply-adds of a SYRK: the lower triangle, S (S + 1) / 2 dot products of length P, 2 flops each
    const flops = S * (S + 1) * P;
    const gflops = (name) => (medians[name] ? flops / medians[name] / 1e9 : null);
    const rec = measurement(ctx, {
      bench: 'syrk',
      config,
      ours: medians.ours ?? null,
      peer: medians.numpy ?? null,
      peerName: 'numpy A @ A.T (OpenBLAS, 1 thread)',
      unit: 's',
      threads: 1,
      extra: {
        oursGflops: round(gflops('ours')),
        peerGflops: round(gflops('numpy')),
        ...(r.ok ? { peerInfo: r } : {}),
        ...(limits.skipped ? {} : { wasmF32PeakGflops: limits.f32Gflops }),
        ...(skips.ours || skips.numpy || errors.ours || errors.numpy
          ? { skipped: skips.ours ?? skips.numpy ?? errors.ours ?? errors.numpy }
          : {}),
      },
    });
    if (!limits.skipped && gflops('ours'))
      rec.oursFractionOfF32Peak = round(gflops('ours') / limits.f32Gflops, 3);
    if (!limits.skipped && gflops('numpy'))
      rec.peerOverWasmPeak = round(gflops('numpy') / limits.f32Gflops, 3);
    ctx.emit(rec);
  }
}
