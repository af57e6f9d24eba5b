// The byte-table layer's backward when every sample has exactly one plain input (the control bit of sparse
// parity): every dout row is gathered, none scattered (layout and shapes: ./byte-table.ts).
import { bitsBackwardFrom, foldTables, gatherTables, PASS } from './byte-table-passes';

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
