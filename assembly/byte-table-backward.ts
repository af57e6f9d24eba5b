// The byte-table layer's backward for any batch (layout and shapes: ./byte-table.ts): samples bucketed by
// byte code, dout gathered into the tables and folded back into the W rows.
import { bitsBackwardFrom } from './byte-table-passes';

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
