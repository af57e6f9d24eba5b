// The helper thread of Lanczos's cut vector work (./split.ts): for each job it copies the leading rows of the
// matrix into its own Wasm core, raises `ready`, then runs the commands posted in the mailbox until the caller
// posts -1: basis rows (f64, and f32 as the caller rounds them), its shares of products, projections and
// subtractions, each the same kernel call the caller would make on the same numbers, so the same bits. Its
// copies live in a core of its own, kept from job to job: a job's buffers are released at its end and the next
// job's land on the same pages (a fresh page costs a fault, about 10 microseconds here: a new core per job
// faulted in 430 MB at S = 10,000, and was only freed when this thread next collected its garbage, so memory
// grew with every job). A failure raises `failed` (the caller then does every share itself).
import { parentPort } from 'node:worker_threads';
import { alignUp, Core } from '../../core/arena.js';
import { instantiateCore, type SimdMode } from '../../core/wasm.js';
import { RITZ_ROWS } from './plan.js';
import { Control, Op, SPIN, type SplitJob } from './split.js';

/**
 * This thread's core for each SIMD mode its callers used (the caller's core's mode, so that both halves of a
 * product run the same kernels), grown to the largest job so far (its memory cannot shrink).
 */
const kept = new Map<SimdMode, Core>();
function keptCore(simd: SimdMode): Core {
  let co = kept.get(simd);
  if (!co) {
    co = new Core(instantiateCore(simd));
    kept.set(simd, co);
  }
  return co;
}

function run(job: SplitJob): void {
  const { S, r, c, mMax, ld, ld32 } = job;
  const control = new Int32Array(job.control);
  if (Atomics.load(control, Control.posted) < 0) return; // the caller finished before this thread started
  const co = keptCore(job.simd);
  const mark = co.mark();
  const k = co.kernels;
  let seen = 0;
  try {
    const rows = co.allocF32(r * S);
    // the kept shared buffer may be longer than this job's rows
    co.f32(rows, r * S).set(new Float32Array(job.rows, 0, r * S));
    // the basis, planned for mMax rows: pages of rows never made are never touched (Core.alloc)
    const V = co.alloc(8 * mMax * ld);
    const V32 = co.alloc(4 * mMax * ld32);
    const x = co.allocF64(alignUp(S, 8));
    const y = co.allocF64(alignUp(S, 8));
    const w = co.allocF64(alignUp(S, 8));
    const h = co.allocF64(2 * mMax);
    const x2 = co.allocF64(alignUp(2 * S, 8));
    const y2 = co.allocF64(alignUp(2 * S, 8));
    const w2 = co.allocF64(alignUp(S, 8));
    const xs = new Float64Array(job.x);
    const ys = new Float64Array(job.y);
    const rowS = new Float64Array(job.row);
    const ws = new Float64Array(job.w);
    const hs = new Float64Array(job.h);
    const x2s = new Float64Array(job.x2);
    const y2s = new Float64Array(job.y2);
    const row2S = new Float64Array(job.row2);
    const w2s = new Float64Array(job.w2);
    const addRow = (j: number, from = rowS) => {
      co.f64(V + 8 * j * ld, S).set(from);
      co.f32(V32 + 4 * j * ld32, S).set(from);
    };
    Atomics.store(control, Control.ready, 1);
    for (;;) {
      // the next command follows within microseconds while a run is stepping: spin a little before sleeping
      // (a futex wake-up costs tens of microseconds, as much as a share of a product at S 2000)
      for (let spin = 0; spin < SPIN && Atomics.load(control, Control.posted) === seen; spin++);
      Atomics.wait(control, Control.posted, seen);
      const posted = Atomics.load(control, Control.posted);
      if (posted < 0) return;
      seen = posted;
      if (posted === job.failAt) throw new Error(`failing at command ${posted}, as the test asked`);
      const a0 = control[Control.arg0];
      switch (control[Control.op]) {
        case Op.row:
          addRow(a0);
          break;
        case Op.product:
          addRow(a0);
          co.f64(x, S).set(xs);
          k.lanczos_symv_upper_rows(rows, S, S, 0, r, x, y);
          ys.set(co.f64(y, S));
          break;
        case Op.project:
          co.f64(w, S).set(ws);
          if (a0 > 0) k.lanczos_project(V, a0, ld, S, w, h);
          hs.set(co.f64(h, a0));
          break;
        case Op.subtract: {
          co.f64(w + 8 * c, S - c).set(ws.subarray(c, S));
          co.f64(h, a0).set(hs.subarray(0, a0));
          if (control[Control.arg1] === 1) k.lanczos_subtract_f32(V32 + 4 * c, a0, ld32, S - c, h, w + 8 * c);
          else k.lanczos_subtract(V + 8 * c, a0, ld, S - c, h, w + 8 * c);
          ws.set(co.f64(w + 8 * c, S - c), c);
          break;
        }
        case Op.product2:
          addRow(a0);
          addRow(a0 + 1, row2S);
          co.f64(x2, 2 * S).set(x2s);
          k.lanczos_symv2_upper_rows(rows, S, S, 0, r, x2, y2);
          y2s.set(co.f64(y2, 2 * S));
          break;
        case Op.project2:
          co.f64(w, S).set(ws);
          co.f64(w2, S).set(w2s);
          if (a0 > 0) k.lanczos_project2(V, a0, ld, S, w, w2, h);
          hs.set(co.f64(h, 2 * a0));
          break;
        case Op.subtract2: {
          co.f64(w + 8 * c, S - c).set(ws.subarray(c, S));
          co.f64(w2 + 8 * c, S - c).set(w2s.subarray(c, S));
          co.f64(h, 2 * a0).set(hs.subarray(0, 2 * a0));
          if (control[Control.arg1] === 1)
            k.lanczos_subtract2_f32(V32 + 4 * c, a0, ld32, S - c, h, w + 8 * c, w2 + 8 * c);
          else k.lanczos_subtract2(V + 8 * c, a0, ld, S - c, h, w + 8 * c, w2 + 8 * c);
          ws.set(co.f64(w + 8 * c, S - c), c);
          w2s.set(co.f64(w2 + 8 * c, S - c), c);
          break;
        }
        case Op.ritz: {
          // rows ritzCut..S-1 of V Y, on the caller's RITZ_ROWS grid (the same calls, so the same bits), each
          // block into the shared rows as soon as it is made (the caller may be waiting for it: ritzStream)
          const { ritzCut: rc, K } = job;
          const y = co.allocF64(a0 * K);
          const block = co.allocF64(RITZ_ROWS * K);
          co.f64(y, a0 * K).set(new Float64Array(job.ritzY, 0, a0 * K));
          const shared = new Float64Array(job.ritzOut, 0, (S - rc) * K);
          for (let i = rc; i < S; i += RITZ_ROWS) {
            const n = Math.min(RITZ_ROWS, S - i);
            k.lanczos_ritz(V + i * 8, a0, ld, n, y, K, block);
            shared.set(co.f64(block, n * K), (i - rc) * K);
            Atomics.store(control, Control.progress, i + n);
            Atomics.notify(control, Control.progress);
          }
          break;
        }
        default:
          throw new Error(`unknown command ${control[Control.op]}`);
      }
      Atomics.store(control, Control.done, posted);
      Atomics.notify(control, Control.done);
    }
  } catch (e) {
    // the caller does this share and every later one itself
    process.stderr.write(`quanta: Lanczos helper thread failed: ${String((e as Error)?.stack ?? e)}\n`);
    Atomics.store(control, Control.failed, 1);
    Atomics.store(control, Control.done, Atomics.load(control, Control.posted));
    Atomics.notify(control, Control.done);
  } finally {
    co.release(mark);
  }
}

parentPort?.on('message', (job: SplitJob) => run(job));
