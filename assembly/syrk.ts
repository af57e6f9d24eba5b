// Gram matrices in f32: the dense SYRK of per-sample gradients runs gemm_abt_f32 (./gemm.ts) over column
// blocks (C += A A^T); here are the 0/1 bitset Gram of sparse inputs, the Hadamard combination of the factored
// per-sample-gradient Gram, the lower-to-upper mirror and the cosine normalisation.
//
// Every matrix is row-major f32 with a leading dimension (ld, in elements) >= its column count. Pointers are
// byte offsets; no alignment is required (v128.load is unaligned in Wasm), 16 bytes is faster.
// C in f64 would double the S x S matrix (3.2 GB at S = 20,000) and not fit Wasm's 4 GiB with working space.

/**
 * Bitset Gram: C[i][j] = popcount(A_i & B_j) as f32 (written, not added), the dot product of two 0/1
 * vectors stored as bits. A is m x words u64 (row stride `words`), B is n x words, C is m x n (ldc).
 * tri as in gemm_abt_f32 (tri >= 0: only j <= i + tri is written).
 */
export function bits_gram(
  C: usize,
  ldc: i32,
  A: usize,
  B: usize,
  words: i32,
  m: i32,
  n: i32,
  tri: i32,
): void {
  const rowB = (<usize>words) << 3;
  for (let i = 0; i < m; i++) {
    const a = A + <usize>i * rowB;
    const jEnd = tri >= 0 ? min(n, i + tri + 1) : n;
    const crow = C + <usize>i * ((<usize>ldc) << 2);
    let j = 0;
    // four rows of B per pass: each word of A is loaded once for four popcounts
    for (; j + 4 <= jEnd; j += 4) {
      const b0 = B + <usize>j * rowB;
      const b1 = b0 + rowB;
      const b2 = b1 + rowB;
      const b3 = b2 + rowB;
      let c0: i64 = 0;
      let c1: i64 = 0;
      let c2: i64 = 0;
      let c3: i64 = 0;
      for (let w = 0; w < words; w++) {
        const off = (<usize>w) << 3;
        const x = load<i64>(a + off);
        c0 += popcnt<i64>(x & load<i64>(b0 + off));
        c1 += popcnt<i64>(x & load<i64>(b1 + off));
        c2 += popcnt<i64>(x & load<i64>(b2 + off));
        c3 += popcnt<i64>(x & load<i64>(b3 + off));
      }
      const p = crow + ((<usize>j) << 2);
      store<f32>(p, <f32>c0);
      store<f32>(p + 4, <f32>c1);
      store<f32>(p + 8, <f32>c2);
      store<f32>(p + 12, <f32>c3);
    }
    for (; j < jEnd; j++) {
      const b = B + <usize>j * rowB;
      let c: i64 = 0;
      for (let w = 0; w < words; w++) {
        const off = (<usize>w) << 3;
        c += popcnt<i64>(load<i64>(a + off) & load<i64>(b + off));
      }
      store<f32>(crow + ((<usize>j) << 2), <f32>c);
    }
  }
}

/**
 * G += D o (X + shift), elementwise over an m x n block; all three matrices share the leading dimension ld.
 * This is one layer's term of the factored per-sample-gradient Gram: D = delta Gram, X = input Gram,
 * shift = 1 for a layer with a bias (its input is extended by a constant 1), 0 without.
 */
export function gram_hadamard_add(G: usize, D: usize, X: usize, ld: i32, m: i32, n: i32, shift: f32): void {
  const vs = f32x4.splat(shift);
  for (let i = 0; i < m; i++) {
    const row = <usize>i * ((<usize>ld) << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const off = row + ((<usize>j) << 2);
      const prod = f32x4.mul(v128.load(D + off), f32x4.add(v128.load(X + off), vs));
      v128.store(G + off, f32x4.add(v128.load(G + off), prod));
    }
    for (; j < n; j++) {
      const off = row + ((<usize>j) << 2);
      store<f32>(G + off, load<f32>(G + off) + load<f32>(D + off) * (load<f32>(X + off) + shift));
    }
  }
}

/**
 * Copies the strict lower triangle of rows [row0, row0 + rows) of the S x S matrix C (row-major, ld = S)
 * onto the upper triangle (C[j][i] = C[i][j] for j < i), in 64 x 64 tiles.
 */
export function gram_mirror_lower(C: usize, S: i32, row0: i32, rows: i32): void {
  const T: i32 = 64;
  const rowB = (<usize>S) << 2;
  const rowEnd = row0 + rows;
  for (let i0 = row0; i0 < rowEnd; i0 += T) {
    const i1 = min(rowEnd, i0 + T);
    for (let j0 = 0; j0 < i1; j0 += T) {
      const j1 = min(S, j0 + T);
      for (let i = i0; i < i1; i++) {
        const jEnd = min(j1, i);
        for (let j = j0; j < jEnd; j++) {
          store<f32>(
            C + <usize>j * rowB + ((<usize>i) << 2),
            load<f32>(C + <usize>i * rowB + ((<usize>j) << 2)),
          );
        }
      }
    }
  }
}

/**
 * First step of the cosine normalisation of a symmetric S x S Gram G (ld = S): scratch f32[S] gets
 * 1 / sqrt(G_ii) (computed in f64), or 0 where G_ii <= 0.
 */
export function gram_inv_norms(G: usize, S: i32, scratch: usize): void {
  const rowB = (<usize>S) << 2;
  for (let i = 0; i < S; i++) {
    const g = <f64>load<f32>(G + <usize>i * rowB + ((<usize>i) << 2));
    store<f32>(scratch + ((<usize>i) << 2), g > 0 ? <f32>(1.0 / Math.sqrt(g)) : 0);
  }
}

/**
 * Cosine normalisation in place of rows [row0, row0 + rows) of the full symmetric S x S Gram G (ld = S),
 * given scratch from gram_inv_norms: C_ij = G_ij / sqrt(G_ii G_jj), the diagonal set to exactly 1. A sample
 * with G_ii <= 0 (a zero gradient) gets cosine 0 with every sample and 0 on the diagonal, as torch's
 * F.normalize gives a zero vector.
 */
export function gram_cosine_rows(G: usize, S: i32, scratch: usize, row0: i32, rows: i32): void {
  const rowB = (<usize>S) << 2;
  for (let i = row0; i < row0 + rows; i++) {
    const row = G + <usize>i * rowB;
    const si = load<f32>(scratch + ((<usize>i) << 2));
    const vi = f32x4.splat(si);
    let j = 0;
    for (; j + 4 <= S; j += 4) {
      const off = (<usize>j) << 2;
      v128.store(row + off, f32x4.mul(f32x4.mul(v128.load(row + off), vi), v128.load(scratch + off)));
    }
    for (; j < S; j++) {
      const off = (<usize>j) << 2;
      store<f32>(row + off, load<f32>(row + off) * si * load<f32>(scratch + off));
    }
    store<f32>(row + ((<usize>i) << 2), si > 0 ? 1 : 0);
  }
}
