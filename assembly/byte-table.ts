// The sparse first layer when the trailing `nBits` inputs are dense i.i.d. 0/1 bits (the task bits of sparse
// parity: about half are set), by byte tables ("four Russians"): the bits are cut into groups of 8 and, for
// each group g and byte value c, T[g][c] = sum of the W rows of the bits set in c. A sample's layer output is
// then b + its plain rows (the inputs below bitsFrom, e.g. the control bit) + one table row per group: about
// 1 + n/8 row additions instead of 1 + n/2. The backward accumulates dout into G[g][code] and folds the
// table back into the W rows bit by bit (samples are bucketed by code first, so G is summed in registers).
// Mathematically the dense product; only the f32 summation order differs.
//
// Shapes and buffers (f32 row-major unless said otherwise):
//   offsets i32[B+1], indices i32[offsets[B]]   CSR of 0/1 inputs; in each sample the indices < bitsFrom come
//                                               first, every index is < bitsFrom + nBits and none repeats
//   codes i32[B x (nGroups+1)]                  from sparse_bits_recode: per sample the number of plain
//                                               (index < bitsFrom) entries, then the byte code of each group
//   slab f32[nGroups * 256 * 32]                scratch for the tables of one 32-output pass (nGroups*32 KiB)
//   buckets i32[nGroups * B], bucketOffsets i32[nGroups * 257]   the samples of each (group, code), for the
//                                               backward (sparse_bits_buckets): tables are gathered, not scattered
//   W [I x O], b [O], out / dout [B x O],       with I = bitsFrom + nBits and nGroups = ceil(nBits / 8)
//
// This file: the recode and the forward. The backward: ./byte-table-backward.ts (any batch) and
// ./byte-table-plain1.ts (one plain input a sample); the table passes they share: ./byte-table-passes.ts.
import { buildTables, PASS } from './byte-table-passes';

/**
 * Writes codes (see above) for B samples. Returns 0, or 1 when an index >= bitsFrom comes before an
 * index < bitsFrom in some sample (the caller must then use sparse_linear_forward/backward instead).
 */
export function sparse_bits_recode(
  codes: usize,
  offsets: usize,
  indices: usize,
  B: i32,
  bitsFrom: i32,
  nBits: i32,
): i32 {
  const nGroups = (nBits + 7) >> 3;
  const stride = (<usize>(nGroups + 1)) << 2;
  let bad = 0;
  for (let s = 0; s < B; s++) {
    const row = codes + <usize>s * stride;
    for (let g = 0; g <= nGroups; g++) store<i32>(row + ((<usize>g) << 2), 0);
    const p0 = load<i32>(offsets + ((<usize>s) << 2));
    const p1 = load<i32>(offsets + ((<usize>s) << 2), 4);
    let plain = 0;
    for (let p = p0; p < p1; p++) {
      const j = load<i32>(indices + ((<usize>p) << 2)) - bitsFrom;
      if (j < 0) {
        if (plain != p - p0) bad = 1;
        plain++;
      } else {
        const q = row + ((<usize>(1 + (j >> 3))) << 2);
        store<i32>(q, load<i32>(q) | (1 << (j & 7)));
      }
    }
    store<i32>(row, plain);
  }
  return bad;
}

/**
 * out = b + (0/1 CSR input) . W, like sparse_linear_forward, through byte tables (see the top of this file).
 * Needs codes from sparse_bits_recode (returning 0) for this batch. out [B x O] is overwritten.
 */
export function sparse_bits_forward(
  out: usize,
  offsets: usize,
  indices: usize,
  codes: usize,
  W: usize,
  b: usize,
  B: i32,
  O: i32,
  bitsFrom: i32,
  nBits: i32,
  slab: usize,
): void {
  bitsForward(out, offsets, indices, codes, W, b, B, O, bitsFrom, nBits, slab, false);
}

/**
 * sparse_bits_forward writing out in STRIP-MAJOR layout (f32[B * O]): strip j holds the outputs
 * [32 j, min(32 j + 32, O)) of every sample as a row-major B x w_j block starting at float 32 j B, so a full
 * strip is B rows of 32 floats and the last strip (when O % 32 != 0) is B rows of O % 32 floats. Every pass
 * then writes its outputs sequentially. Same arguments otherwise.
 */
export function sparse_bits_forward_strips(
  out: usize,
  offsets: usize,
  indices: usize,
  codes: usize,
  W: usize,
  b: usize,
  B: i32,
  O: i32,
  bitsFrom: i32,
  nBits: i32,
  slab: usize,
): void {
  bitsForward(out, offsets, indices, codes, W, b, B, O, bitsFrom, nBits, slab, true);
}

/** sparse_bits_forward, out row-major or (strips) strip-major. */
function bitsForward(
  out: usize,
  offsets: usize,
  indices: usize,
  codes: usize,
  W: usize,
  b: usize,
  B: i32,
  O: i32,
  bitsFrom: i32,
  nBits: i32,
  slab: usize,
  strips: bool,
): void {
  const ro = (<usize>O) << 2;
  const O32 = O & ~(PASS - 1);
  const tailBase = out + <usize>O32 * <usize>B * 4; // strip-major: the last, narrower strip
  const tailRow = (<usize>(O - O32)) << 2;
  const nGroups = (nBits + 7) >> 3;
  const stride = (<usize>(nGroups + 1)) << 2;
  const groupBytes32 = <usize>256 * (PASS << 2);
  let o = 0;
  for (; o + PASS <= O; o += PASS) {
    buildTables(slab, W, O, bitsFrom, nBits, o, PASS);
    const ob = (<usize>o) << 2;
    for (let s = 0; s < B; s++) {
      let a0 = v128.load(b + ob);
      let a1 = v128.load(b + ob, 16);
      let a2 = v128.load(b + ob, 32);
      let a3 = v128.load(b + ob, 48);
      let a4 = v128.load(b + ob, 64);
      let a5 = v128.load(b + ob, 80);
      let a6 = v128.load(b + ob, 96);
      let a7 = v128.load(b + ob, 112);
      const row = codes + <usize>s * stride;
      const p0 = load<i32>(offsets + ((<usize>s) << 2));
      const p1 = p0 + load<i32>(row);
      for (let p = p0; p < p1; p++) {
        const w = W + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob;
        a0 = f32x4.add(a0, v128.load(w));
        a1 = f32x4.add(a1, v128.load(w, 16));
        a2 = f32x4.add(a2, v128.load(w, 32));
        a3 = f32x4.add(a3, v128.load(w, 48));
        a4 = f32x4.add(a4, v128.load(w, 64));
        a5 = f32x4.add(a5, v128.load(w, 80));
        a6 = f32x4.add(a6, v128.load(w, 96));
        a7 = f32x4.add(a7, v128.load(w, 112));
      }
      let t = slab;
      for (let g = 0; g < nGroups; g++) {
        const w = t + ((<usize>load<i32>(row + ((<usize>(g + 1)) << 2))) << 7);
        a0 = f32x4.add(a0, v128.load(w));
        a1 = f32x4.add(a1, v128.load(w, 16));
        a2 = f32x4.add(a2, v128.load(w, 32));
        a3 = f32x4.add(a3, v128.load(w, 48));
        a4 = f32x4.add(a4, v128.load(w, 64));
        a5 = f32x4.add(a5, v128.load(w, 80));
        a6 = f32x4.add(a6, v128.load(w, 96));
        a7 = f32x4.add(a7, v128.load(w, 112));
        t += groupBytes32;
      }
      const q = strips ? out + <usize>o * <usize>B * 4 + ((<usize>s) << 7) : out + <usize>s * ro + ob;
      v128.store(q, a0);
      v128.store(q, a1, 16);
      v128.store(q, a2, 32);
      v128.store(q, a3, 48);
      v128.store(q, a4, 64);
      v128.store(q, a5, 80);
      v128.store(q, a6, 96);
      v128.store(q, a7, 112);
    }
  }
  for (; o + 4 <= O; o += 4) {
    buildTables(slab, W, O, bitsFrom, nBits, o, 4);
    const ob = (<usize>o) << 2;
    for (let s = 0; s < B; s++) {
      let a = v128.load(b + ob);
      const row = codes + <usize>s * stride;
      const p0 = load<i32>(offsets + ((<usize>s) << 2));
      const p1 = p0 + load<i32>(row);
      for (let p = p0; p < p1; p++) {
        a = f32x4.add(a, v128.load(W + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob));
      }
      for (let g = 0; g < nGroups; g++) {
        const c = load<i32>(row + ((<usize>(g + 1)) << 2));
        a = f32x4.add(a, v128.load(slab + ((<usize>(g * 256 + c)) << 4)));
      }
      v128.store(
        strips ? tailBase + <usize>s * tailRow + ((<usize>(o - O32)) << 2) : out + <usize>s * ro + ob,
        a,
      );
    }
  }
  for (; o < O; o++) {
    const ob = (<usize>o) << 2;
    for (let s = 0; s < B; s++) {
      let a = load<f32>(b + ob);
      const p0 = load<i32>(offsets + ((<usize>s) << 2));
      const p1 = load<i32>(offsets + ((<usize>s) << 2), 4);
      for (let p = p0; p < p1; p++)
        a += load<f32>(W + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob);
      store<f32>(
        strips ? tailBase + <usize>s * tailRow + ((<usize>(o - O32)) << 2) : out + <usize>s * ro + ob,
        a,
      );
    }
  }
}
