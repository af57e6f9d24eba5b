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
  const ro = (<usize>O) << 2;
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
      const q = out + <usize>s * ro + ob;
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
      v128.store(out + <usize>s * ro + ob, a);
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
      store<f32>(out + <usize>s * ro + ob, a);
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

/** Folds the tables G[g][c] (rows of w floats) into the dW rows of the bits, outputs [o, o + w). */
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
      for (let k = 0; k < w; k += 4) {
        const kb = (<usize>k) << 2;
        let acc = v128.load(grow + kb);
        for (let c = half; c < 2 * half; c++) {
          const src = t + <usize>c * rw + kb;
          const dst = t + <usize>(c - half) * rw + kb;
          const v = v128.load(src);
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
  const ro = (<usize>O) << 2;
  const nGroups = (nBits + 7) >> 3;
  const stride = (<usize>(nGroups + 1)) << 2;
  let o = 0;
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
      const d = dout + <usize>s * ro + ob;
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
    gatherTables(slab, dout, buckets, bucketOffsets, B, O, nBits, o, PASS);
    foldTables(slab, dW, O, bitsFrom, nBits, o, PASS);
  }
  for (; o + 4 <= O; o += 4) {
    const ob = (<usize>o) << 2;
    let c = v128.load(db + ob);
    for (let s = 0; s < B; s++) {
      const d = v128.load(dout + <usize>s * ro + ob);
      c = f32x4.add(c, d);
      const p0 = load<i32>(offsets + ((<usize>s) << 2));
      const p1 = p0 + load<i32>(codes + <usize>s * stride);
      for (let p = p0; p < p1; p++) {
        const g = dW + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob;
        v128.store(g, f32x4.add(v128.load(g), d));
      }
    }
    v128.store(db + ob, c);
    gatherTables(slab, dout, buckets, bucketOffsets, B, O, nBits, o, 4);
    foldTables(slab, dW, O, bitsFrom, nBits, o, 4);
  }
  for (; o < O; o++) {
    const ob = (<usize>o) << 2;
    let c = load<f32>(db + ob);
    for (let s = 0; s < B; s++) {
      const d = load<f32>(dout + <usize>s * ro + ob);
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
