// Gram matrices in f32: the SIMD "A B^T" product behind the dense SYRK (C += A A^T over column blocks of
// per-sample gradients), the 0/1 bitset Gram of sparse inputs, the Hadamard combination of the factored
// per-sample-gradient Gram, the lower-to-upper mirror and the cosine normalisation.
//
// Every matrix is row-major f32 with a leading dimension (ld, in elements) >= its column count. Pointers are
// byte offsets; no alignment is required (v128.load is unaligned in Wasm), 16 bytes is faster.
// Accumulation is f32 over K chunks whose sums are added into C (packed path: one sequential sum per entry
// inside a chunk; unpacked path for few rows: four-lane partial sums inside a chunk). C in f64
// would double the S x S matrix (3.2 GB at S = 20,000) and not fit Wasm's 4 GiB with working space.

/** Columns of A and B per pass of the packed path (the static packing buffer below is KC x JB f32). */
const KC: i32 = 256;
/** Rows of B per tile (JB x KC x 4 bytes = 64 KiB, an L2-resident packed panel reused by every row quad of A). */
const JB: i32 = 64;

/** Width of a packed panel of B (two f32x4 lanes of a register tile row). */
const NR: i32 = 8;
/** Packed panels of JB rows of B over a K chunk of KC columns: panel p holds kc groups of NR floats. */
const PACK: usize = memory.data(KC * JB * 4, 64);

// Packs rows [j0, j1) of B (columns k0 .. k0 + kc) into panels of NR rows, k-major: panel p, column k holds
// B[j0 + NR p + r][k0 + k] for r in 0..NR at PACK + 4 (NR (p kc + k) + r); rows past j1 are zero.
function packB(B: usize, ldbB: usize, j0: i32, j1: i32, kOff: usize, kc: i32): void {
  const rows = j1 - j0;
  const panels = (rows + NR - 1) / NR;
  for (let p = 0; p < panels; p++) {
    const dst = PACK + ((<usize>(p * kc * NR)) << 2);
    for (let r = 0; r < NR; r++) {
      const j = j0 + p * NR + r;
      const d = dst + ((<usize>r) << 2);
      if (j < j1) {
        const src = B + <usize>j * ldbB + kOff;
        for (let k = 0; k < kc; k++) {
          store<f32>(d + ((<usize>(k * NR)) << 2), load<f32>(src + ((<usize>k) << 2)));
        }
      } else {
        for (let k = 0; k < kc; k++) store<f32>(d + ((<usize>(k * NR)) << 2), 0);
      }
    }
  }
}

function lane(v: v128, l: i32): f32 {
  if (l == 0) return f32x4.extract_lane(v, 0);
  if (l == 1) return f32x4.extract_lane(v, 1);
  if (l == 2) return f32x4.extract_lane(v, 2);
  return f32x4.extract_lane(v, 3);
}

// Adds one tile row (two f32x4 sums, columns 0..7) into C at c, of which `cols` columns are valid.
function addRow(c: usize, lo: v128, hi: v128, cols: i32): void {
  if (cols == NR) {
    v128.store(c, f32x4.add(v128.load(c), lo));
    v128.store(c + 16, f32x4.add(v128.load(c + 16), hi));
    return;
  }
  // a partial tile at the right edge of C: lane by lane
  for (let j = 0; j < cols; j++) {
    const v = lane(j < 4 ? lo : hi, j & 3);
    const p = c + ((<usize>j) << 2);
    store<f32>(p, load<f32>(p) + v);
  }
}

// C[r][c] += A[r] . B[c] for r < rows (<= 4), c < cols (<= NR), over kc columns: rows a0..a3 of A (already
// offset to the chunk; unused rows alias a0), p the packed panel. Each entry is one sequential f32 sum over k.
function micro4x8(
  C: usize,
  ldcB: usize,
  a0: usize,
  a1: usize,
  a2: usize,
  a3: usize,
  p: usize,
  kc: i32,
  rows: i32,
  cols: i32,
): void {
  let s00 = f32x4.splat(0);
  let s01 = f32x4.splat(0);
  let s10 = f32x4.splat(0);
  let s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0);
  let s21 = f32x4.splat(0);
  let s30 = f32x4.splat(0);
  let s31 = f32x4.splat(0);
  const end = a0 + ((<usize>kc) << 2);
  let q = p;
  let x0 = a0;
  let x1 = a1;
  let x2 = a2;
  let x3 = a3;
  while (x0 < end) {
    const b0 = v128.load(q);
    const b1 = v128.load(q, 16);
    let x = v128.load32_splat(x0);
    s00 = f32x4.add(s00, f32x4.mul(x, b0));
    s01 = f32x4.add(s01, f32x4.mul(x, b1));
    x = v128.load32_splat(x1);
    s10 = f32x4.add(s10, f32x4.mul(x, b0));
    s11 = f32x4.add(s11, f32x4.mul(x, b1));
    x = v128.load32_splat(x2);
    s20 = f32x4.add(s20, f32x4.mul(x, b0));
    s21 = f32x4.add(s21, f32x4.mul(x, b1));
    x = v128.load32_splat(x3);
    s30 = f32x4.add(s30, f32x4.mul(x, b0));
    s31 = f32x4.add(s31, f32x4.mul(x, b1));
    q += 32;
    x0 += 4;
    x1 += 4;
    x2 += 4;
    x3 += 4;
  }
  addRow(C, s00, s01, cols);
  if (rows > 1) addRow(C + ldcB, s10, s11, cols);
  if (rows > 2) addRow(C + 2 * ldcB, s20, s21, cols);
  if (rows > 3) addRow(C + 3 * ldcB, s30, s31, cols);
}

/** K chunk of the unpacked path (a row chunk of 2 KiB stays in L1 while it is reused). */
const KC_SMALL: i32 = 512;
/** Below this many rows of A, packing B costs more than it saves: the unpacked 4 x 2 lane-sum tiles. */
const PACK_MIN_ROWS: i32 = 128;

function hsum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) +
    f32x4.extract_lane(v, 1) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
  );
}

// C[r][c] += A[r] . B[c] for r in 0..4, c in 0..2, over kc columns (a, b already offset to the chunk).
function micro4x2(C: usize, ldcB: usize, a: usize, ldaB: usize, b: usize, ldbB: usize, kc: i32): void {
  let s00 = f32x4.splat(0);
  let s01 = f32x4.splat(0);
  let s10 = f32x4.splat(0);
  let s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0);
  let s21 = f32x4.splat(0);
  let s30 = f32x4.splat(0);
  let s31 = f32x4.splat(0);
  const a1 = a + ldaB;
  const a2 = a1 + ldaB;
  const a3 = a2 + ldaB;
  const b1 = b + ldbB;
  let k = 0;
  for (; k + 4 <= kc; k += 4) {
    const off = (<usize>k) << 2;
    const v0 = v128.load(b + off);
    const v1 = v128.load(b1 + off);
    let x = v128.load(a + off);
    s00 = f32x4.add(s00, f32x4.mul(x, v0));
    s01 = f32x4.add(s01, f32x4.mul(x, v1));
    x = v128.load(a1 + off);
    s10 = f32x4.add(s10, f32x4.mul(x, v0));
    s11 = f32x4.add(s11, f32x4.mul(x, v1));
    x = v128.load(a2 + off);
    s20 = f32x4.add(s20, f32x4.mul(x, v0));
    s21 = f32x4.add(s21, f32x4.mul(x, v1));
    x = v128.load(a3 + off);
    s30 = f32x4.add(s30, f32x4.mul(x, v0));
    s31 = f32x4.add(s31, f32x4.mul(x, v1));
  }
  let t00 = hsum(s00);
  let t01 = hsum(s01);
  let t10 = hsum(s10);
  let t11 = hsum(s11);
  let t20 = hsum(s20);
  let t21 = hsum(s21);
  let t30 = hsum(s30);
  let t31 = hsum(s31);
  for (; k < kc; k++) {
    const off = (<usize>k) << 2;
    const v0 = load<f32>(b + off);
    const v1 = load<f32>(b1 + off);
    let x = load<f32>(a + off);
    t00 += x * v0;
    t01 += x * v1;
    x = load<f32>(a1 + off);
    t10 += x * v0;
    t11 += x * v1;
    x = load<f32>(a2 + off);
    t20 += x * v0;
    t21 += x * v1;
    x = load<f32>(a3 + off);
    t30 += x * v0;
    t31 += x * v1;
  }
  store<f32>(C, load<f32>(C) + t00);
  store<f32>(C + 4, load<f32>(C + 4) + t01);
  const C1 = C + ldcB;
  store<f32>(C1, load<f32>(C1) + t10);
  store<f32>(C1 + 4, load<f32>(C1 + 4) + t11);
  const C2 = C1 + ldcB;
  store<f32>(C2, load<f32>(C2) + t20);
  store<f32>(C2 + 4, load<f32>(C2 + 4) + t21);
  const C3 = C2 + ldcB;
  store<f32>(C3, load<f32>(C3) + t30);
  store<f32>(C3 + 4, load<f32>(C3 + 4) + t31);
}

// The dot product of two rows of kc f32.
function dot1(a: usize, b: usize, kc: i32): f32 {
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let k = 0;
  for (; k + 8 <= kc; k += 8) {
    const off = (<usize>k) << 2;
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a + off), v128.load(b + off)));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(a + off + 16), v128.load(b + off + 16)));
  }
  for (; k + 4 <= kc; k += 4) {
    const off = (<usize>k) << 2;
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a + off), v128.load(b + off)));
  }
  let t = hsum(f32x4.add(s0, s1));
  for (; k < kc; k++) {
    const off = (<usize>k) << 2;
    t += load<f32>(a + off) * load<f32>(b + off);
  }
  return t;
}

// The unpacked path (few rows of A): K in chunks of KC_SMALL, B in groups of JB rows, a 4 x 2 register tile
// whose entries are four-lane partial sums over k, reduced at the end of each chunk and added into C.
function gemmSmall(
  C: usize,
  ldc: i32,
  A: usize,
  lda: i32,
  B: usize,
  ldb: i32,
  m: i32,
  n: i32,
  K: i32,
  tri: i32,
): void {
  const ldcB = (<usize>ldc) << 2;
  const ldaB = (<usize>lda) << 2;
  const ldbB = (<usize>ldb) << 2;
  for (let k0 = 0; k0 < K; k0 += KC_SMALL) {
    const kc = min(KC_SMALL, K - k0);
    const kOff = (<usize>k0) << 2;
    for (let j0 = 0; j0 < n; j0 += JB) {
      const j1 = min(n, j0 + JB);
      const iStart = tri >= 0 ? max(0, j0 - tri) : 0;
      let i = iStart;
      for (; i + 4 <= m; i += 4) {
        const jEnd = tri >= 0 ? min(j1, i + 3 + tri + 1) : j1;
        const a = A + <usize>i * ldaB + kOff;
        const crow = C + <usize>i * ldcB;
        let j = j0;
        for (; j + 2 <= jEnd; j += 2) {
          micro4x2(crow + ((<usize>j) << 2), ldcB, a, ldaB, B + <usize>j * ldbB + kOff, ldbB, kc);
        }
        if (j < jEnd) {
          const b = B + <usize>j * ldbB + kOff;
          for (let r = 0; r < 4; r++) {
            const p = crow + <usize>r * ldcB + ((<usize>j) << 2);
            store<f32>(p, load<f32>(p) + dot1(a + <usize>r * ldaB, b, kc));
          }
        }
      }
      for (; i < m; i++) {
        const jEnd = tri >= 0 ? min(j1, i + tri + 1) : j1;
        const a = A + <usize>i * ldaB + kOff;
        for (let j = j0; j < jEnd; j++) {
          const p = C + <usize>i * ldcB + ((<usize>j) << 2);
          store<f32>(p, load<f32>(p) + dot1(a, B + <usize>j * ldbB + kOff, kc));
        }
      }
    }
  }
}

/**
 * C += A B^T (f32). A is m x K (leading dimension lda), B is n x K (ldb), C is m x n (ldc); all row-major.
 * With tri >= 0 only the entries with j <= i + tri are required (a triangle: A = B and tri = 0 is a SYRK of
 * the lower triangle; a row tile starting at row r0 of a SYRK uses tri = r0); entries a little above that
 * line (within the 4 x 8 tiles that straddle it) are also updated, with their true value. tri < 0: all.
 * Cache-blocked: K in chunks of KC, B in panels of JB rows packed k-major (8 rows interleaved, a static
 * 128 KiB buffer), A in quads of rows against one packed 8-row panel (a 4 x 8 register tile).
 * Summation: each entry is a sequential f32 sum over the columns of a chunk, added into C chunk by chunk
 * (a summation of the K products and C's old value in some order: the usual bound gamma_K sum |a_k b_k|).
 * The caller guarantees the buffers do not overlap C and C holds m x n valid entries.
 */
export function gemm_abt_f32(
  C: usize,
  ldc: i32,
  A: usize,
  lda: i32,
  B: usize,
  ldb: i32,
  m: i32,
  n: i32,
  K: i32,
  tri: i32,
): void {
  if (m < PACK_MIN_ROWS) {
    gemmSmall(C, ldc, A, lda, B, ldb, m, n, K, tri);
    return;
  }
  const ldcB = (<usize>ldc) << 2;
  const ldaB = (<usize>lda) << 2;
  const ldbB = (<usize>ldb) << 2;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const kOff = (<usize>k0) << 2;
    for (let j0 = 0; j0 < n; j0 += JB) {
      const j1 = min(n, j0 + JB);
      const iStart = tri >= 0 ? max(0, j0 - tri) : 0;
      if (iStart >= m) continue;
      packB(B, ldbB, j0, j1, kOff, kc);
      for (let i = iStart; i < m; i += 4) {
        const rows = min(4, m - i);
        const jEnd = tri >= 0 ? min(j1, i + rows - 1 + tri + 1) : j1;
        const a0 = A + <usize>i * ldaB + kOff;
        const a1 = rows > 1 ? a0 + ldaB : a0;
        const a2 = rows > 2 ? a0 + 2 * ldaB : a0;
        const a3 = rows > 3 ? a0 + 3 * ldaB : a0;
        const crow = C + <usize>i * ldcB;
        for (let j = j0; j < jEnd; j += NR) {
          const p = PACK + ((<usize>((j - j0) * kc)) << 2);
          micro4x8(crow + ((<usize>j) << 2), ldcB, a0, a1, a2, a3, p, kc, rows, min(NR, j1 - j));
        }
      }
    }
  }
}

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
