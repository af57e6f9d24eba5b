// The sparse first layer when the trailing `nBits` inputs are dense i.i.d. 0/1 bits (the task bits of sparse
// parity: about half are set), by byte tables ("four Russians"): the bits are cut into groups of 8 and, for
// each group g and byte value c, T[g][c] = sum of the W rows of the bits set in c. A sample's layer output is
// then b + its plain rows (the inputs below bitsFrom, e.g. the control bit) + one table row per group: about
// 1 + n/8 row additions instead of 1 + n/2. The backward accumulates dout into G[g][code] and folds the
// table back into the W rows bit by bit (samples are bucketed by code first, so G is summed in registers). Mathematically the dense product; only the f32 summation order
// differs.
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

const PASS = 32; // outputs per pass: 8 v128 accumulators

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

/** Builds the tables of outputs [o, o + w) (w = 32 or 4) into slab: T[g][c] rows of w floats. */
function buildTables(slab: usize, W: usize, O: i32, bitsFrom: i32, nBits: i32, o: i32, w: i32): void {
  const ro = (<usize>O) << 2;
  const rw = (<usize>w) << 2; // bytes per table row
  const nGroups = (nBits + 7) >> 3;
  for (let g = 0; g < nGroups; g++) {
    const t = slab + <usize>g * 256 * rw;
    for (let k = 0; k < w; k += 4) v128.store(t + ((<usize>k) << 2), f32x4.splat(0));
    const nb = min(8, nBits - 8 * g);
    for (let h = 0; h < nb; h++) {
      const wrow = W + <usize>(bitsFrom + 8 * g + h) * ro + ((<usize>o) << 2);
      const half = 1 << h;
      if (w == PASS) {
        const w0 = v128.load(wrow);
        const w1 = v128.load(wrow, 16);
        const w2 = v128.load(wrow, 32);
        const w3 = v128.load(wrow, 48);
        const w4 = v128.load(wrow, 64);
        const w5 = v128.load(wrow, 80);
        const w6 = v128.load(wrow, 96);
        const w7 = v128.load(wrow, 112);
        for (let c = half; c < 2 * half; c++) {
          const src = t + <usize>(c - half) * rw;
          const dst = t + <usize>c * rw;
          v128.store(dst, f32x4.add(v128.load(src), w0));
          v128.store(dst, f32x4.add(v128.load(src, 16), w1), 16);
          v128.store(dst, f32x4.add(v128.load(src, 32), w2), 32);
          v128.store(dst, f32x4.add(v128.load(src, 48), w3), 48);
          v128.store(dst, f32x4.add(v128.load(src, 64), w4), 64);
          v128.store(dst, f32x4.add(v128.load(src, 80), w5), 80);
          v128.store(dst, f32x4.add(v128.load(src, 96), w6), 96);
          v128.store(dst, f32x4.add(v128.load(src, 112), w7), 112);
        }
      } else {
        const w0 = v128.load(wrow);
        for (let c = half; c < 2 * half; c++) {
          v128.store(t + <usize>c * rw, f32x4.add(v128.load(t + <usize>(c - half) * rw), w0));
        }
      }
    }
  }
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

/**
 * Groups the samples by byte code, per group (a counting sort, stable in s): the samples whose group g has
 * code c are buckets[g * B + bucketOffsets[g * 257 + c] .. g * B + bucketOffsets[g * 257 + c + 1]).
 * codes from sparse_bits_recode; buckets i32[nGroups * B]; bucketOffsets i32[nGroups * 257].
 */
export function sparse_bits_buckets(
  buckets: usize,
  bucketOffsets: usize,
  codes: usize,
  B: i32,
  nBits: i32,
): void {
  const nGroups = (nBits + 7) >> 3;
  const stride = (<usize>(nGroups + 1)) << 2;
  for (let g = 0; g < nGroups; g++) {
    const off = bucketOffsets + <usize>g * 257 * 4;
    for (let c = 0; c <= 256; c++) store<i32>(off + ((<usize>c) << 2), 0);
    const col = codes + ((<usize>(g + 1)) << 2);
    for (let s = 0; s < B; s++) {
      const q = off + ((<usize>(load<i32>(col + <usize>s * stride) + 1)) << 2);
      store<i32>(q, load<i32>(q) + 1);
    }
    for (let c = 0; c < 256; c++) {
      const q = off + ((<usize>(c + 1)) << 2);
      store<i32>(q, load<i32>(q) + load<i32>(q - 4));
    }
    // fill, using offsets[c] as the cursor of bucket c, then shift the cursors back
    const list = buckets + <usize>g * <usize>B * 4;
    for (let s = 0; s < B; s++) {
      const q = off + ((<usize>load<i32>(col + <usize>s * stride)) << 2);
      const pos = load<i32>(q);
      store<i32>(list + ((<usize>pos) << 2), s);
      store<i32>(q, pos + 1);
    }
    for (let c = 256; c > 0; c--)
      store<i32>(off + ((<usize>c) << 2), load<i32>(off + ((<usize>(c - 1)) << 2)));
    store<i32>(off, 0);
  }
}

/** G[g][c] (rows of w floats, outputs [o, o + w)) = sum of dout[s] over the samples of bucket (g, c). */
function gatherTables(
  slab: usize,
  dout: usize,
  buckets: usize,
  bucketOffsets: usize,
  B: i32,
  O: i32,
  nBits: i32,
  o: i32,
  w: i32,
): void {
  const ro = (<usize>O) << 2;
  const rw = (<usize>w) << 2;
  const nGroups = (nBits + 7) >> 3;
  const dcol = dout + ((<usize>o) << 2);
  for (let g = 0; g < nGroups; g++) {
    const off = bucketOffsets + <usize>g * 257 * 4;
    const list = buckets + <usize>g * <usize>B * 4;
    const nc = 1 << min(8, nBits - 8 * g);
    for (let c = 0; c < nc; c++) {
      const p0 = load<i32>(off + ((<usize>c) << 2));
      const p1 = load<i32>(off + ((<usize>c) << 2), 4);
      const t = slab + <usize>(g * 256 + c) * rw;
      if (w == PASS) {
        let a0 = f32x4.splat(0);
        let a1 = a0;
        let a2 = a0;
        let a3 = a0;
        let a4 = a0;
        let a5 = a0;
        let a6 = a0;
        let a7 = a0;
        for (let p = p0; p < p1; p++) {
          const d = dcol + <usize>load<i32>(list + ((<usize>p) << 2)) * ro;
          a0 = f32x4.add(a0, v128.load(d));
          a1 = f32x4.add(a1, v128.load(d, 16));
          a2 = f32x4.add(a2, v128.load(d, 32));
          a3 = f32x4.add(a3, v128.load(d, 48));
          a4 = f32x4.add(a4, v128.load(d, 64));
          a5 = f32x4.add(a5, v128.load(d, 80));
          a6 = f32x4.add(a6, v128.load(d, 96));
          a7 = f32x4.add(a7, v128.load(d, 112));
        }
        v128.store(t, a0);
        v128.store(t, a1, 16);
        v128.store(t, a2, 32);
        v128.store(t, a3, 48);
        v128.store(t, a4, 64);
        v128.store(t, a5, 80);
        v128.store(t, a6, 96);
        v128.store(t, a7, 112);
      } else {
        let a = f32x4.splat(0);
        for (let p = p0; p < p1; p++)
          a = f32x4.add(a, v128.load(dcol + <usize>load<i32>(list + ((<usize>p) << 2)) * ro));
        v128.store(t, a);
      }
    }
  }
}

/**
 * Folds the tables G[g][c] (rows of w floats) into the dW rows of the bits, outputs [o, o + w): for the top
 * bit h, dW[bit h] += sum of the upper half of the table, and the upper half is added onto the lower half
 * (which then holds the sums over codes of h bits); then the same for bit h - 1 on the lower half, and so on.
 * Row-wise, 16 floats (4 v128) at a time.
 */
function foldTables(slab: usize, dW: usize, O: i32, bitsFrom: i32, nBits: i32, o: i32, w: i32): void {
  const ro = (<usize>O) << 2;
  const rw = (<usize>w) << 2;
  const nGroups = (nBits + 7) >> 3;
  for (let g = 0; g < nGroups; g++) {
    const t = slab + <usize>g * 256 * rw;
    const nb = min(8, nBits - 8 * g);
    for (let h = nb - 1; h >= 0; h--) {
      const half = 1 << h;
      const grow = dW + <usize>(bitsFrom + 8 * g + h) * ro + ((<usize>o) << 2);
      const hb = <usize>half * rw;
      let k = 0;
      for (; k + 16 <= w; k += 16) {
        const kb = (<usize>k) << 2;
        let a0 = v128.load(grow + kb);
        let a1 = v128.load(grow + kb, 16);
        let a2 = v128.load(grow + kb, 32);
        let a3 = v128.load(grow + kb, 48);
        let dst = t + kb;
        const end = dst + hb;
        for (; dst < end; dst += rw) {
          const v0 = v128.load(dst + hb);
          const v1 = v128.load(dst + hb, 16);
          const v2 = v128.load(dst + hb, 32);
          const v3 = v128.load(dst + hb, 48);
          a0 = f32x4.add(a0, v0);
          a1 = f32x4.add(a1, v1);
          a2 = f32x4.add(a2, v2);
          a3 = f32x4.add(a3, v3);
          v128.store(dst, f32x4.add(v128.load(dst), v0));
          v128.store(dst, f32x4.add(v128.load(dst, 16), v1), 16);
          v128.store(dst, f32x4.add(v128.load(dst, 32), v2), 32);
          v128.store(dst, f32x4.add(v128.load(dst, 48), v3), 48);
        }
        v128.store(grow + kb, a0);
        v128.store(grow + kb, a1, 16);
        v128.store(grow + kb, a2, 32);
        v128.store(grow + kb, a3, 48);
      }
      for (; k < w; k += 4) {
        const kb = (<usize>k) << 2;
        let acc = v128.load(grow + kb);
        for (let c = 0; c < half; c++) {
          const dst = t + <usize>c * rw + kb;
          const v = v128.load(dst + hb);
          acc = f32x4.add(acc, v);
          v128.store(dst, f32x4.add(v128.load(dst), v));
        }
        v128.store(grow + kb, acc);
      }
    }
  }
}

/**
 * Backward of sparse_bits_forward: dW += input^T . dout and db += sum_s dout (both accumulate), like
 * sparse_linear_backward. Needs the codes of this batch and their buckets (sparse_bits_buckets). The slab is
 * scratch (its contents on entry do not matter).
 */
export function sparse_bits_backward(
  dW: usize,
  db: usize,
  dout: usize,
  offsets: usize,
  indices: usize,
  codes: usize,
  buckets: usize,
  bucketOffsets: usize,
  B: i32,
  O: i32,
  bitsFrom: i32,
  nBits: i32,
  slab: usize,
): void {
  bitsBackwardFrom(
    dW,
    db,
    dout,
    offsets,
    indices,
    codes,
    buckets,
    bucketOffsets,
    B,
    O,
    bitsFrom,
    nBits,
    slab,
    0,
    (<usize>O) << 2,
  );
}

/**
 * sparse_bits_backward for the outputs [o0, O) only; dout[s, o] is read at dout + s * rd + 4 o (rd = 4 O for
 * a row-major dout).
 */
function bitsBackwardFrom(
  dW: usize,
  db: usize,
  dout: usize,
  offsets: usize,
  indices: usize,
  codes: usize,
  buckets: usize,
  bucketOffsets: usize,
  B: i32,
  O: i32,
  bitsFrom: i32,
  nBits: i32,
  slab: usize,
  o0: i32,
  rd: usize,
): void {
  const ro = (<usize>O) << 2;
  const Od = <i32>(rd >> 2);
  const nGroups = (nBits + 7) >> 3;
  const stride = (<usize>(nGroups + 1)) << 2;
  let o = o0;
  for (; o + PASS <= O; o += PASS) {
    const ob = (<usize>o) << 2;
    let c0 = v128.load(db + ob);
    let c1 = v128.load(db + ob, 16);
    let c2 = v128.load(db + ob, 32);
    let c3 = v128.load(db + ob, 48);
    let c4 = v128.load(db + ob, 64);
    let c5 = v128.load(db + ob, 80);
    let c6 = v128.load(db + ob, 96);
    let c7 = v128.load(db + ob, 112);
    for (let s = 0; s < B; s++) {
      const d = dout + <usize>s * rd + ob;
      const d0 = v128.load(d);
      const d1 = v128.load(d, 16);
      const d2 = v128.load(d, 32);
      const d3 = v128.load(d, 48);
      const d4 = v128.load(d, 64);
      const d5 = v128.load(d, 80);
      const d6 = v128.load(d, 96);
      const d7 = v128.load(d, 112);
      c0 = f32x4.add(c0, d0);
      c1 = f32x4.add(c1, d1);
      c2 = f32x4.add(c2, d2);
      c3 = f32x4.add(c3, d3);
      c4 = f32x4.add(c4, d4);
      c5 = f32x4.add(c5, d5);
      c6 = f32x4.add(c6, d6);
      c7 = f32x4.add(c7, d7);
      const p0 = load<i32>(offsets + ((<usize>s) << 2));
      const p1 = p0 + load<i32>(codes + <usize>s * stride);
      for (let p = p0; p < p1; p++) {
        const g = dW + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob;
        v128.store(g, f32x4.add(v128.load(g), d0));
        v128.store(g, f32x4.add(v128.load(g, 16), d1), 16);
        v128.store(g, f32x4.add(v128.load(g, 32), d2), 32);
        v128.store(g, f32x4.add(v128.load(g, 48), d3), 48);
        v128.store(g, f32x4.add(v128.load(g, 64), d4), 64);
        v128.store(g, f32x4.add(v128.load(g, 80), d5), 80);
        v128.store(g, f32x4.add(v128.load(g, 96), d6), 96);
        v128.store(g, f32x4.add(v128.load(g, 112), d7), 112);
      }
    }
    const q = db + ob;
    v128.store(q, c0);
    v128.store(q, c1, 16);
    v128.store(q, c2, 32);
    v128.store(q, c3, 48);
    v128.store(q, c4, 64);
    v128.store(q, c5, 80);
    v128.store(q, c6, 96);
    v128.store(q, c7, 112);
    gatherTables(slab, dout, buckets, bucketOffsets, B, Od, nBits, o, PASS);
    foldTables(slab, dW, O, bitsFrom, nBits, o, PASS);
  }
  for (; o + 4 <= O; o += 4) {
    const ob = (<usize>o) << 2;
    let c = v128.load(db + ob);
    for (let s = 0; s < B; s++) {
      const d = v128.load(dout + <usize>s * rd + ob);
      c = f32x4.add(c, d);
      const p0 = load<i32>(offsets + ((<usize>s) << 2));
      const p1 = p0 + load<i32>(codes + <usize>s * stride);
      for (let p = p0; p < p1; p++) {
        const g = dW + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob;
        v128.store(g, f32x4.add(v128.load(g), d));
      }
    }
    v128.store(db + ob, c);
    gatherTables(slab, dout, buckets, bucketOffsets, B, Od, nBits, o, 4);
    foldTables(slab, dW, O, bitsFrom, nBits, o, 4);
  }
  for (; o < O; o++) {
    const ob = (<usize>o) << 2;
    let c = load<f32>(db + ob);
    for (let s = 0; s < B; s++) {
      const d = load<f32>(dout + <usize>s * rd + ob);
      c += d;
      const p0 = load<i32>(offsets + ((<usize>s) << 2));
      const p1 = load<i32>(offsets + ((<usize>s) << 2), 4);
      for (let p = p0; p < p1; p++) {
        const g = dW + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob;
        store<f32>(g, load<f32>(g) + d);
      }
    }
    store<f32>(db + ob, c);
  }
}

/**
 * Groups the samples by their plain input when each sample has exactly one (the control bit of sparse
 * parity): a counting sort, stable in s. The samples whose plain input is t are
 * plainBuckets[plainOffsets[t] .. plainOffsets[t + 1]). plainBuckets i32[B], plainOffsets i32[bitsFrom + 1];
 * codes from sparse_bits_recode of this batch. Returns 0, or 1 when some sample has not exactly one plain
 * input (plainBuckets is then not usable: call sparse_bits_backward instead of sparse_bits_backward_plain1).
 */
export function sparse_bits_plain_buckets(
  plainBuckets: usize,
  plainOffsets: usize,
  offsets: usize,
  indices: usize,
  codes: usize,
  B: i32,
  bitsFrom: i32,
  nBits: i32,
): i32 {
  const stride = (<usize>(((nBits + 7) >> 3) + 1)) << 2;
  for (let t = 0; t <= bitsFrom; t++) store<i32>(plainOffsets + ((<usize>t) << 2), 0);
  for (let s = 0; s < B; s++) {
    if (load<i32>(codes + <usize>s * stride) != 1) return 1;
    const t = load<i32>(indices + ((<usize>load<i32>(offsets + ((<usize>s) << 2))) << 2));
    const q = plainOffsets + ((<usize>(t + 1)) << 2);
    store<i32>(q, load<i32>(q) + 1);
  }
  for (let t = 0; t < bitsFrom; t++) {
    const q = plainOffsets + ((<usize>(t + 1)) << 2);
    store<i32>(q, load<i32>(q) + load<i32>(q - 4));
  }
  for (let s = 0; s < B; s++) {
    const t = load<i32>(indices + ((<usize>load<i32>(offsets + ((<usize>s) << 2))) << 2));
    const q = plainOffsets + ((<usize>t) << 2);
    const pos = load<i32>(q);
    store<i32>(plainBuckets + ((<usize>pos) << 2), s);
    store<i32>(q, pos + 1);
  }
  for (let t = bitsFrom; t > 0; t--)
    store<i32>(plainOffsets + ((<usize>t) << 2), load<i32>(plainOffsets + ((<usize>(t - 1)) << 2)));
  store<i32>(plainOffsets, 0);
  return 0;
}

/** dW[t, o..o+32) += sum of the dout rows of the samples in plain bucket t, for every t with samples. */
function gatherPlain32(
  dW: usize,
  strip: usize,
  plainBuckets: usize,
  plainOffsets: usize,
  O: i32,
  bitsFrom: i32,
  o: i32,
): void {
  const ro = (<usize>O) << 2;
  const ob = (<usize>o) << 2;
  for (let t = 0; t < bitsFrom; t++) {
    const p0 = load<i32>(plainOffsets + ((<usize>t) << 2));
    const p1 = load<i32>(plainOffsets + ((<usize>t) << 2), 4);
    if (p0 == p1) continue;
    const g = dW + <usize>t * ro + ob;
    let a0 = v128.load(g);
    let a1 = v128.load(g, 16);
    let a2 = v128.load(g, 32);
    let a3 = v128.load(g, 48);
    let a4 = v128.load(g, 64);
    let a5 = v128.load(g, 80);
    let a6 = v128.load(g, 96);
    let a7 = v128.load(g, 112);
    for (let p = p0; p < p1; p++) {
      const d = strip + ((<usize>load<i32>(plainBuckets + ((<usize>p) << 2))) << 7);
      a0 = f32x4.add(a0, v128.load(d));
      a1 = f32x4.add(a1, v128.load(d, 16));
      a2 = f32x4.add(a2, v128.load(d, 32));
      a3 = f32x4.add(a3, v128.load(d, 48));
      a4 = f32x4.add(a4, v128.load(d, 64));
      a5 = f32x4.add(a5, v128.load(d, 80));
      a6 = f32x4.add(a6, v128.load(d, 96));
      a7 = f32x4.add(a7, v128.load(d, 112));
    }
    v128.store(g, a0);
    v128.store(g, a1, 16);
    v128.store(g, a2, 32);
    v128.store(g, a3, 48);
    v128.store(g, a4, 64);
    v128.store(g, a5, 80);
    v128.store(g, a6, 96);
    v128.store(g, a7, 112);
  }
}

/**
 * sparse_bits_backward for batches with exactly one plain input per sample (sparse_bits_plain_buckets
 * returned 0): dW += input^T . dout and db += sum_s dout (both accumulate). Every dout row is only gathered
 * (per byte code of each group, and per plain input), never scattered: db is the sum of group 0's table.
 * Buffers as sparse_bits_backward plus plainBuckets / plainOffsets of this batch, and strip f32[B * 32]
 * (scratch: the dout columns of one pass, copied contiguous so that the gathers touch few pages); nBits >= 1.
 */
export function sparse_bits_backward_plain1(
  dW: usize,
  db: usize,
  dout: usize,
  offsets: usize,
  indices: usize,
  codes: usize,
  buckets: usize,
  bucketOffsets: usize,
  plainBuckets: usize,
  plainOffsets: usize,
  B: i32,
  O: i32,
  bitsFrom: i32,
  nBits: i32,
  slab: usize,
  strip: usize,
): void {
  plain1Backward(
    dW,
    db,
    dout,
    offsets,
    indices,
    codes,
    buckets,
    bucketOffsets,
    plainBuckets,
    plainOffsets,
    B,
    O,
    bitsFrom,
    nBits,
    slab,
    strip,
    false,
  );
}

/**
 * sparse_bits_backward_plain1 with dout in the strip-major layout of sparse_bits_forward_strips: each pass
 * gathers straight from its strip (no copy, no strip scratch). Same arguments otherwise.
 */
export function sparse_bits_backward_plain1_strips(
  dW: usize,
  db: usize,
  dout: usize,
  offsets: usize,
  indices: usize,
  codes: usize,
  buckets: usize,
  bucketOffsets: usize,
  plainBuckets: usize,
  plainOffsets: usize,
  B: i32,
  O: i32,
  bitsFrom: i32,
  nBits: i32,
  slab: usize,
): void {
  plain1Backward(
    dW,
    db,
    dout,
    offsets,
    indices,
    codes,
    buckets,
    bucketOffsets,
    plainBuckets,
    plainOffsets,
    B,
    O,
    bitsFrom,
    nBits,
    slab,
    0,
    true,
  );
}

/** sparse_bits_backward_plain1, dout row-major (copied pass by pass into strip) or (strips) strip-major. */
function plain1Backward(
  dW: usize,
  db: usize,
  dout: usize,
  offsets: usize,
  indices: usize,
  codes: usize,
  buckets: usize,
  bucketOffsets: usize,
  plainBuckets: usize,
  plainOffsets: usize,
  B: i32,
  O: i32,
  bitsFrom: i32,
  nBits: i32,
  slab: usize,
  scratch: usize,
  strips: bool,
): void {
  const O32 = O & ~(PASS - 1);
  const ro = (<usize>O) << 2;
  const rw = (<usize>PASS) << 2;
  const nc = 1 << min(8, nBits);
  for (let o = 0; o < O32; o += PASS) {
    const ob = (<usize>o) << 2;
    const strip = strips ? dout + <usize>o * <usize>B * 4 : scratch;
    for (let s = 0; !strips && s < B; s++) {
      const d = dout + <usize>s * ro + ob;
      const c = strip + ((<usize>s) << 7);
      v128.store(c, v128.load(d));
      v128.store(c, v128.load(d, 16), 16);
      v128.store(c, v128.load(d, 32), 32);
      v128.store(c, v128.load(d, 48), 48);
      v128.store(c, v128.load(d, 64), 64);
      v128.store(c, v128.load(d, 80), 80);
      v128.store(c, v128.load(d, 96), 96);
      v128.store(c, v128.load(d, 112), 112);
    }
    gatherPlain32(dW, strip, plainBuckets, plainOffsets, O, bitsFrom, o);
    gatherTables(slab, strip, buckets, bucketOffsets, B, PASS, nBits, 0, PASS);
    // db = sum over the codes of group 0 (every sample is in exactly one of its buckets)
    const q = db + ((<usize>o) << 2);
    for (let k = 0; k < PASS; k += 4) {
      const kb = (<usize>k) << 2;
      let a = v128.load(q + kb);
      for (let c = 0; c < nc; c++) a = f32x4.add(a, v128.load(slab + <usize>c * rw + kb));
      v128.store(q + kb, a);
    }
    foldTables(slab, dW, O, bitsFrom, nBits, o, PASS);
  }
  if (O32 < O) {
    // the last O % 32 outputs: the general kernel on the column tail (same row stride)
    // (strip-major: the last strip is a row-major B x (O - O32) block at float O32 B)
    bitsBackwardFrom(
      dW,
      db,
      strips ? dout + <usize>O32 * <usize>B * 4 - ((<usize>O32) << 2) : dout,
      offsets,
      indices,
      codes,
      buckets,
      bucketOffsets,
      B,
      O,
      bitsFrom,
      nBits,
      slab,
      O32,
      strips ? (<usize>(O - O32)) << 2 : ro,
    );
  }
}
