// Multitask sparse parity batches (SPEC.md 1.1), stored as active input indices in CSR form.
//
// Input layout of one sample: index t in [0, nTasks) is the control bit of subtask t; index nTasks + b is
// task bit b in [0, n). All active values are 1, so a batch is (offsets i32[B+1], indices i32[B*(1+n)]):
// the active inputs of sample s are indices[offsets[s] .. offsets[s+1]), the control index first, then the
// set task bits in increasing order. Labels are i32 in {0, 1}: the parity of the subtask's k task bits.
//
// Randomness (see assembly/rng.ts): sample s uses c0 = ids ? ids[s] : c0Base + s. The subtask draw uses
// block c3 = 0 (a 53-bit uniform from words 0 and 1, searched in the CDF); task bits use blocks c3 = 1, 2, ..
// (block j holds bits 128 (j-1) .. 128 j - 1, word w bit i = task bit 32 w + i).

import { philox, pw0, pw1, pw2, pw3, uniform53 } from './rng';

function counterOf(ids: usize, c0Base: u32, s: i32): u32 {
  return ids != 0 ? load<u32>(ids + ((<usize>s) << 2)) : c0Base + <u32>s;
}

/**
 * Draws the subtask of each of B samples from the distribution whose CDF is `cdf` (f64[nTasks], last
 * entry exactly 1): subtask = the first i with cdf[i] >= u (numpy's searchsorted, side 'left').
 * Writes i32[B] at `subtasks`. `ids` is 0 or a u32[B] of sample counters.
 */
export function parity_sample_subtasks(
  subtasks: usize,
  B: i32,
  cdf: usize,
  nTasks: i32,
  seedLo: u32,
  seedHi: u32,
  stream: u32,
  c1: u32,
  c0Base: u32,
  ids: usize,
): void {
  for (let s = 0; s < B; s++) {
    philox(counterOf(ids, c0Base, s), c1, stream, 0, seedLo, seedHi);
    const u = uniform53(pw0, pw1);
    let lo = 0;
    let hi = nTasks - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (load<f64>(cdf + ((<usize>mid) << 3)) >= u) hi = mid;
      else lo = mid + 1;
    }
    store<i32>(subtasks + ((<usize>s) << 2), lo);
  }
}

function emitWord(w: u32, bitBase: i32, n: i32, nTasks: i32, indices: usize, pos: i32): i32 {
  while (w != 0) {
    const b = bitBase + <i32>ctz(w);
    if (b >= n) break;
    store<i32>(indices + ((<usize>pos) << 2), nTasks + b);
    pos++;
    w &= w - 1;
  }
  return pos;
}

function wordAt(i: i32): u32 {
  return i == 0 ? pw0 : i == 1 ? pw1 : i == 2 ? pw2 : pw3;
}

/**
 * Fills the inputs and labels of B samples whose subtasks are given (i32[B] at `subtasks`).
 * `offsets` i32[B+1], `indices` i32[B*(1+n)], `labels` i32[B]; `subsets` i32[nTasks*k], each row sorted,
 * entries in [0, n). `ids` is 0 or a u32[B] of sample counters. Returns the total number of active indices.
 */
export function parity_fill_inputs(
  offsets: usize,
  indices: usize,
  labels: usize,
  subtasks: usize,
  B: i32,
  nTasks: i32,
  n: i32,
  k: i32,
  subsets: usize,
  seedLo: u32,
  seedHi: u32,
  stream: u32,
  c1: u32,
  c0Base: u32,
  ids: usize,
): i32 {
  let pos = 0;
  store<i32>(offsets, 0);
  const nBlocks = (n + 127) >> 7;
  for (let s = 0; s < B; s++) {
    const c0 = counterOf(ids, c0Base, s);
    const t = load<i32>(subtasks + ((<usize>s) << 2));
    store<i32>(indices + ((<usize>pos) << 2), t);
    pos++;
    const row = subsets + ((<usize>(t * k)) << 2);
    let parity: u32 = 0;
    for (let j = 0; j < nBlocks; j++) {
      philox(c0, c1, stream, 1 + <u32>j, seedLo, seedHi);
      const base = j << 7;
      for (let m = 0; m < k; m++) {
        const q = load<i32>(row + ((<usize>m) << 2)) - base;
        if (q >= 0 && q < 128) parity ^= (wordAt(q >> 5) >>> ((<u32>q) & 31)) & 1;
      }
      pos = emitWord(pw0, base, n, nTasks, indices, pos);
      pos = emitWord(pw1, base + 32, n, nTasks, indices, pos);
      pos = emitWord(pw2, base + 64, n, nTasks, indices, pos);
      pos = emitWord(pw3, base + 96, n, nTasks, indices, pos);
    }
    store<i32>(labels + ((<usize>s) << 2), <i32>parity);
    store<i32>(offsets + ((<usize>(s + 1)) << 2), pos);
  }
  return pos;
}
