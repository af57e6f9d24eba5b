// QDG's similarity matrix for a model trained here: the cosine Gram of per-sample gradients of every weight
// and bias of the paper's MLP (nTasks 500, n 100, k 3). Ours: src/qdg/factored-gram.ts perSampleGradientGram
// (the Gram as a sum over layers of Hadamard products of small Grams, no gradient ever formed) then
// cosineFromGram. Peer: PyTorch per-sample gradients with functorch vmap(grad), normalised, then G @ G.T.
// Goal >= 50x. The model is at its initialisation on both sides (the work does not depend on the weights).
import { alternate, measurement, round } from './lib/harness.mjs';
import { loadOurs } from './lib/ours.mjs';
import { PythonPeer } from './lib/python.mjs';

export const description =
  'per-sample-gradient Gram for QDG: ours (factored) vs PyTorch vmap(grad) + G @ G.T';

const TASK = { nTasks: 500, n: 100, k: 3, alpha: 0.4 };

export async function run(ctx) {
  // The peer is slow (about 90 s at S 2000, width 500 on one thread): routine runs use S 1000; --full runs the
  // paper's S 10,000 at width 500 once (the peer holds all 12 GB of gradients and does one 6e13-flop G @ G.T).
  const sizes = ctx.full
    ? [
        { S: 2000, width: 500 },
        { S: 10000, width: 500 },
      ]
    : [
        { S: 1000, width: 100 },
        { S: 1000, width: 500 },
      ];
  const arena = await loadOurs('core/arena.js', ['Core'], 'src/core/arena.ts');
  const fg = await loadOurs('qdg/factored-gram.js', ['perSampleGradientGram'], 'src/qdg/factored-gram.ts');
  const gram = await loadOurs('qdg/gram.js', ['cosineFromGram'], 'src/qdg/gram.ts');
  const model = await loadOurs('train/model.js', ['Mlp'], 'src/train/model.ts');
  const task = await loadOurs('parity/task.js', ['SparseParityTask'], 'src/parity/task.ts');
  const batch = await loadOurs('parity/batch.js', ['ParityBatch'], 'src/parity/batch.ts');
  for (const { S, width } of sizes) {
    const P = (TASK.nTasks + TASK.n + 3) * width + 2;
    const config = { ...TASK, width, S, P };
    ctx.note(`gram S ${S} width ${width}`);
    const contenders = {};
    const skipped = [arena, fg, gram, model, task, batch].find((m) => m.skipped)?.skipped;
    if (!skipped) {
      const core = new arena.mod.Core();
      const t = new task.mod.SparseParityTask({ ...TASK, seed: 0 });
      const b = new batch.mod.ParityBatch(core, t, S, 0);
      b.trainBatch(S, 0);
      const mlp = new model.mod.Mlp(
        core,
        {
          inputSize: TASK.nTasks + TASK.n,
          width,
          depth: 2,
          outputs: 2,
          activation: 'relu',
          seed: 0,
          denseBits: TASK.n,
        },
        Math.min(S, 8192),
      );
      const input = { kind: 'sparse', offsets: b.offsets, indices: b.indices };
      contenders.ours = () => {
        const mark = core.mark();
        const t0 = performance.now();
        const { gramPtr } = fg.mod.perSampleGradientGram(core, mlp, input, b.labels, S);
        gram.mod.cosineFromGram(core, gramPtr, S);
        const s = (performance.now() - t0) / 1000;
        core.release(mark);
        return s;
      };
    }
    const peer = new PythonPeer('gram_torch.py', { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' });
    const r = await peer.setup({ ...config, threads: 1, seed: 0, block: 500, maxBytes: 14e9 });
    if (!r.skipped) contenders.pytorch = () => peer.run();
    // warm our side up once here; the peer's repetitions are too long to repeat a warm-up round
    if (contenders.ours) contenders.ours();
    const reps = S >= 10000 ? 1 : Math.min(ctx.reps, 3);
    const { medians, errors } = await alternate(contenders, { warmup: 0, reps });
    const route = peer.lastReply?.route;
    await peer.close();
    const rec = measurement(ctx, {
      bench: 'gram',
      config,
      ours: medians.ours ?? null,
      peer: medians.pytorch ?? null,
      peerName: 'PyTorch functorch vmap(grad) + normalise + G @ G.T (1 thread)',
      unit: 's',
      threads: 1,
      extra: {
        goal: '>= 50x',
        ...(route ? { peerRoute: route } : {}),
        ...(skipped || r.skipped || errors.pytorch || errors.ours
          ? { skipped: skipped ?? r.skipped ?? errors.ours ?? errors.pytorch }
          : {}),
      },
    });
    if (rec.ratio !== null) rec.goalMet = rec.ratio >= 50;
    if (medians.ours) rec.oursPairsPerSec = round((S * (S + 1)) / 2 / medians.ours);
    ctx.emit(rec);
  }
}
