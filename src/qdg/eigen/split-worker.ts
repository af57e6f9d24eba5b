// The helper thread of Lanczos's cut matrix-vector product (./split.ts): for each job it copies the leading
// rows into its own Wasm core, then, until the caller posts -1, claims each posted step whose leading block
// the caller has not taken, computes that block's share of y = A x (lanczos_symv_upper_rows, the same call the
// caller would make, so the same bits) and raises DONE. It frees the rows when the job ends.
import { parentPort } from 'node:worker_threads';
import { Core } from '../../core/arena.js';
import { CLAIMED, DONE, POSTED, type SplitJob } from './split.js';

let core: Core | undefined;

function run(job: SplitJob): void {
  const { S, r } = job;
  const control = new Int32Array(job.control);
  if (Atomics.load(control, POSTED) < 0) return; // the caller finished before this thread started
  core ??= new Core();
  const c = core;
  const mark = c.mark();
  try {
    const rows = c.allocF32(r * S);
    c.f32(rows, r * S).set(new Float32Array(job.rows));
    const x = c.allocF64(S);
    const y = c.allocF64(S);
    const xs = new Float64Array(job.x);
    const ys = new Float64Array(job.y);
    let seen = 0;
    for (;;) {
      Atomics.wait(control, POSTED, seen);
      const step = Atomics.load(control, POSTED);
      if (step < 0) return;
      seen = step;
      if (Atomics.compareExchange(control, CLAIMED, step - 1, step) !== step - 1) continue;
      let done = -step; // a failed share: the caller computes it, and every later step (this thread is gone)
      try {
        c.f64(x, S).set(xs);
        c.kernels.lanczos_symv_upper_rows(rows, S, S, 0, r, x, y);
        ys.set(c.f64(y, S));
        done = step;
      } finally {
        Atomics.store(control, DONE, done);
        Atomics.notify(control, DONE);
      }
    }
  } finally {
    c.release(mark);
  }
}

parentPort?.on('message', (job: SplitJob) => {
  try {
    run(job);
  } catch (e) {
    // The caller computes every step the helper does not claim; a failure here only costs speed.
    process.stderr.write(`quanta: Lanczos helper thread failed: ${String((e as Error)?.stack ?? e)}\n`);
  }
});
