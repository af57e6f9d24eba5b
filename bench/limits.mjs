// The machine's limits for the Wasm core: SIMD arithmetic peak (f32x4, f64x2 multiply + add over 12
// independent chains, assembly/limits.ts) and memory bandwidth (streaming read, write, v128 copy and
// memory.copy) from L1-sized to DRAM-sized buffers. Other benchmarks state their figures as fractions of these.
import { loadOurs } from './lib/ours.mjs';
import { calibrate, round } from './lib/harness.mjs';

export const description =
  'Wasm SIMD f32x4/f64x2 peak and memory bandwidth (the limits every kernel is held to)';

/** Bytes: L1-, L2- and DRAM-sized streaming buffers. */
const SIZES = [
  { name: 'L1', bytes: 16 << 10 },
  { name: 'L2', bytes: 256 << 10 },
  { name: 'DRAM', bytes: 256 << 20 },
];

/** Best (shortest) seconds per call over `reps` repetitions: a limit is a capacity, so the fastest
 * repetition, the one least disturbed by other work on a shared machine, is the estimate (not the median). */
async function timeBest(fn, reps) {
  const calls = await calibrate(fn, 0.1, 1 << 20);
  let best = Infinity;
  for (let r = 0; r < Math.max(reps, 5); r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, (performance.now() - t0) / 1000 / calls);
  }
  return best;
}

/**
 * Measures the limits on a fresh core. Resolves { f32Gflops, f64Gflops, bandwidth: { L1|L2|DRAM: { read,
 * write, copy, bulkCopy } } } (GB/s, copy counted as bytes read + bytes written), or { skipped }.
 */
export async function measureLimits({ reps = 5 } = {}) {
  const arena = await loadOurs('core/arena.js', ['Core'], 'src/core/arena.ts');
  if (arena.skipped) return arena;
  const core = new arena.mod.Core();
  const k = core.kernels;
  if (typeof k.limits_f32x4_muladd !== 'function')
    return { skipped: 'ours: the built core lacks assembly/limits.ts' };
  const state = core.allocF64(48);
  const iters = 1 << 16;
  core.f32(state, 48).fill(0.5);
  const f32s = await timeBest(() => k.limits_f32x4_muladd(state, iters, 0.999, 0.001), reps);
  core.f64(state, 24).fill(0.5);
  const f64s = await timeBest(() => k.limits_f64x2_muladd(state, iters, 0.999, 0.001), reps);
  const bandwidth = {};
  for (const { name, bytes } of SIZES) {
    const mark = core.mark();
    const src = core.alloc(bytes);
    const dst = core.alloc(bytes);
    k.limits_write(src, bytes, 1); // touch every page: untouched pages read as a shared zero page
    k.limits_write(dst, bytes, 2);
    const read = await timeBest(() => k.limits_read(src, bytes), reps);
    const write = await timeBest(() => k.limits_write(dst, bytes, 3), reps);
    const copy = await timeBest(() => k.limits_copy(dst, src, bytes), reps);
    const bulk = await timeBest(() => k.limits_bulk_copy(dst, src, bytes), reps);
    bandwidth[name] = {
      bytes,
      read: round(bytes / read / 1e9),
      write: round(bytes / write / 1e9),
      copy: round((2 * bytes) / copy / 1e9),
      bulkCopy: round((2 * bytes) / bulk / 1e9),
    };
    core.release(mark);
  }
  return {
    f32Gflops: round((iters * 48 * 2) / f32s / 1e9),
    f64Gflops: round((iters * 24 * 2) / f64s / 1e9),
    bandwidth,
  };
}

export async function run(ctx) {
  const limits = await ctx.getLimits();
  if (limits.skipped) {
    ctx.emit({ bench: 'limits', config: {}, skipped: limits.skipped });
    return;
  }
  const base = { bench: 'limits', peer: null, peerName: null, ratio: null, threads: 1 };
  ctx.emit({
    ...base,
    config: { kernel: 'f32x4 mul+add, 12 chains' },
    ours: limits.f32Gflops,
    unit: 'GFLOP/s',
  });
  ctx.emit({
    ...base,
    config: { kernel: 'f64x2 mul+add, 12 chains' },
    ours: limits.f64Gflops,
    unit: 'GFLOP/s',
  });
  for (const [level, b] of Object.entries(limits.bandwidth)) {
    for (const op of ['read', 'write', 'copy', 'bulkCopy']) {
      ctx.emit({
        ...base,
        config: { kernel: `stream ${op}`, level, bytes: b.bytes },
        ours: b[op],
        unit: 'GB/s',
      });
    }
  }
}
