// The table passes shared by the byte-table layer's kernels (./byte-table.ts: layout and shapes): building
// the tables of one pass of outputs, gathering dout into them by bucket, folding them back into the W rows,
// and the general backward body. Internal helpers: not re-exported by ./index.ts, so not Wasm exports.

/** Outputs per pass: 8 v128 accumulators. */
export const PASS = 32;

/** Builds the tables of outputs [o, o + w) (w = 32 or 4) into slab: T[g][c] rows of w floats. */
export function buildTables(slab: usize, W: usize, O: i32, bitsFrom: i32, nBits: i32, o: i32, w: i32): void {
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

/** G[g][c] (rows of w floats, outputs [o, o + w)) = sum of dout[s] over the samples of bucket (g, c). */
export function gatherTables(
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
export function foldTables(slab: usize, dW: usize, O: i32, bitsFrom: i32, nBits: i32, o: i32, w: i32): void {
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
 * sparse_bits_backward for the outputs [o0, O) only; dout[s, o] is read at dout + s * rd + 4 o (rd = 4 O for
 * a row-major dout).
 */
export function bitsBackwardFrom(
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
