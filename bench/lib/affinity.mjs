// A QDG-like affinity for the eigensolver and clustering benchmarks, built with our own kernels (setup, not
// timed): S unit vectors in d dimensions around C cluster centres whose sizes follow a Zipf law (the shape of
// QDG's data), cosines by SYRK, then the angular affinity 1 - arccos(C)/pi (SPEC.md 4.1 item 8). Also the
// symmetric normalised matrix M = D^-1/2 A0 D^-1/2 (A0 = A with a zero diagonal), whose K largest eigenvectors
// are the K smallest of the normalised Laplacian L = I - M. Written to temp files for the Python peers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOurs } from './ours.mjs';

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Loads the kernels this file needs; resolves { mods } or { skipped }. */
export async function loadAffinityKernels() {
  const arena = await loadOurs('core/arena.js', ['Core'], 'src/core/arena.ts');
  const gram = await loadOurs(
    'qdg/gram.js',
    ['syrkAccumulate', 'mirrorGram', 'cosineFromGram'],
    'src/qdg/gram.ts',
  );
  const aff = await loadOurs('qdg/affinity.js', ['angularAffinity'], 'src/qdg/affinity.ts');
  const skipped = arena.skipped ?? gram.skipped ?? aff.skipped;
  return skipped ? { skipped } : { mods: { ...arena.mod, ...gram.mod, ...aff.mod } };
}

/**
 * Allocates on `core` and fills the f32 S x S affinity. Returns { affinityPtr, labels (Int32Array) }.
 * clusters C with sizes proportional to rank^-(1 + alpha); noise sets how far points spread from their centre.
 */
export function qdgLikeAffinity(
  mods,
  core,
  { S, clusters = 50, d = 64, alpha = 0.4, noise = 0.8, seed = 1 },
) {
  const rand = mulberry32(seed);
  const weights = Array.from({ length: clusters }, (_, i) => Math.pow(i + 1, -(1 + alpha)));
  const total = weights.reduce((a, b) => a + b, 0);
  const labels = new Int32Array(S);
  let pos = 0;
  for (let c = 0; c < clusters && pos < S; c++) {
    const n = c === clusters - 1 ? S - pos : Math.max(1, Math.round((S * weights[c]) / total));
    labels.fill(c, pos, Math.min(S, pos + n));
    pos += n;
  }
  const centres = Array.from({ length: clusters * d }, () => gaussian(rand));
  const affinityPtr = core.allocF32(S * S);
  const mark = core.mark();
  const pointsPtr = core.allocF32(S * d);
  const points = core.f32(pointsPtr, S * d);
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < d; j++) points[i * d + j] = centres[labels[i] * d + j] + noise * gaussian(rand);
  }
  mods.syrkAccumulate(core, affinityPtr, S, pointsPtr, d);
  mods.mirrorGram(core, affinityPtr, S);
  mods.cosineFromGram(core, affinityPtr, S);
  mods.angularAffinity(core, affinityPtr, S);
  core.release(mark); // keep the affinity only
  return { affinityPtr, labels };
}

/** In place over an f32 S x S affinity: M = D^-1/2 A0 D^-1/2, A0 = A with a zero diagonal (f64 sums). */
export function normalisedAdjacency(core, ptr, S) {
  const a = core.f32(ptr, S * S);
  const dinv = new Float64Array(S);
  for (let i = 0; i < S; i++) {
    a[i * S + i] = 0;
    let s = 0;
    for (let j = 0; j < S; j++) s += a[i * S + j];
    dinv[i] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) a[i * S + j] *= dinv[i] * dinv[j];
}

/** Writes `count` f32 at `ptr` to a fresh temp file; returns { file, cleanup }. */
export function dumpF32(core, ptr, count, name) {
  const dir = mkdtempSync(join(tmpdir(), 'quanta-bench-'));
  const file = join(dir, name);
  const view = core.f32(ptr, count);
  writeFileSync(file, new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
