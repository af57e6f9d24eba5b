// Over 450 lines by choice: both A B^T products (f32 and f64) in the one file their name points to.
// The two dense "A B^T" products (C += A B^T, row-major, leading dimensions in elements), SIMD, cache-blocked:
//   gemm_abt_f32  behind the dense SYRK of per-sample gradients (./syrk.ts) and the bounded k-means
//                 distances (./kmeans-bounded.ts); optional triangle, packed B panels, 4 x 8 register tile
//   gemm_abt_f64  behind k-means' exact distances (./kmeans.ts) and the Gram route (./kmeans-gram.ts);
//                 4 x 2 register tile; kmeans-common's dotTile reproduces its operation order
// Pointers are byte offsets; no alignment is required (v128.load is unaligned in Wasm), 16 bytes is faster.
// Accumulation of the f32 product is f32 over K chunks whose sums are added into C (packed path: one
// sequential sum per entry inside a chunk; unpacked path for few rows: four-lane partial sums inside a chunk).
// ./index.ts re-exports only the two kernels: dot1d and KC_F64 are helpers of the k-means files.
import { hsumF32x4Pairs, hsumF64x2 } from './simd';

// ---------------------------------------------------------------------------------------------------------
// f32

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
  let t00 = hsumF32x4Pairs(s00);
  let t01 = hsumF32x4Pairs(s01);
  let t10 = hsumF32x4Pairs(s10);
  let t11 = hsumF32x4Pairs(s11);
  let t20 = hsumF32x4Pairs(s20);
  let t21 = hsumF32x4Pairs(s21);
  let t30 = hsumF32x4Pairs(s30);
  let t31 = hsumF32x4Pairs(s31);
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
  let t = hsumF32x4Pairs(f32x4.add(s0, s1));
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

// ---------------------------------------------------------------------------------------------------------
// f64

/** Columns per pass of the f64 product (2 KiB of a row in L1); kmeans-common's dotTile reproduces its order. */
export const KC_F64: i32 = 256;
/** Rows of B per panel of the f64 product. */
const JB_F64: i32 = 64;

function micro4x2d(C: usize, ldcB: usize, a: usize, ldaB: usize, b: usize, ldbB: usize, kc: i32): void {
  let s00 = f64x2.splat(0);
  let s01 = f64x2.splat(0);
  let s10 = f64x2.splat(0);
  let s11 = f64x2.splat(0);
  let s20 = f64x2.splat(0);
  let s21 = f64x2.splat(0);
  let s30 = f64x2.splat(0);
  let s31 = f64x2.splat(0);
  const a1 = a + ldaB;
  const a2 = a1 + ldaB;
  const a3 = a2 + ldaB;
  const b1 = b + ldbB;
  let k = 0;
  for (; k + 2 <= kc; k += 2) {
    const off = (<usize>k) << 3;
    const v0 = v128.load(b + off);
    const v1 = v128.load(b1 + off);
    let x = v128.load(a + off);
    s00 = f64x2.add(s00, f64x2.mul(x, v0));
    s01 = f64x2.add(s01, f64x2.mul(x, v1));
    x = v128.load(a1 + off);
    s10 = f64x2.add(s10, f64x2.mul(x, v0));
    s11 = f64x2.add(s11, f64x2.mul(x, v1));
    x = v128.load(a2 + off);
    s20 = f64x2.add(s20, f64x2.mul(x, v0));
    s21 = f64x2.add(s21, f64x2.mul(x, v1));
    x = v128.load(a3 + off);
    s30 = f64x2.add(s30, f64x2.mul(x, v0));
    s31 = f64x2.add(s31, f64x2.mul(x, v1));
  }
  let t00 = hsumF64x2(s00);
  let t01 = hsumF64x2(s01);
  let t10 = hsumF64x2(s10);
  let t11 = hsumF64x2(s11);
  let t20 = hsumF64x2(s20);
  let t21 = hsumF64x2(s21);
  let t30 = hsumF64x2(s30);
  let t31 = hsumF64x2(s31);
  if (k < kc) {
    const off = (<usize>k) << 3;
    const v0 = load<f64>(b + off);
    const v1 = load<f64>(b1 + off);
    let x = load<f64>(a + off);
    t00 += x * v0;
    t01 += x * v1;
    x = load<f64>(a1 + off);
    t10 += x * v0;
    t11 += x * v1;
    x = load<f64>(a2 + off);
    t20 += x * v0;
    t21 += x * v1;
    x = load<f64>(a3 + off);
    t30 += x * v0;
    t31 += x * v1;
  }
  store<f64>(C, load<f64>(C) + t00);
  store<f64>(C + 8, load<f64>(C + 8) + t01);
  const C1 = C + ldcB;
  store<f64>(C1, load<f64>(C1) + t10);
  store<f64>(C1 + 8, load<f64>(C1 + 8) + t11);
  const C2 = C1 + ldcB;
  store<f64>(C2, load<f64>(C2) + t20);
  store<f64>(C2 + 8, load<f64>(C2 + 8) + t21);
  const C3 = C2 + ldcB;
  store<f64>(C3, load<f64>(C3) + t30);
  store<f64>(C3 + 8, load<f64>(C3 + 8) + t31);
}

// C[r][0] += A[r] . B[0] for r in 0..4 (the odd last column of a panel), sharing each load of B.
function micro4x1d(C: usize, ldcB: usize, a: usize, ldaB: usize, b: usize, kc: i32): void {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let s2 = f64x2.splat(0);
  let s3 = f64x2.splat(0);
  const a1 = a + ldaB;
  const a2 = a1 + ldaB;
  const a3 = a2 + ldaB;
  let k = 0;
  for (; k + 2 <= kc; k += 2) {
    const off = (<usize>k) << 3;
    const v = v128.load(b + off);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(a + off), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(a1 + off), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(a2 + off), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(a3 + off), v));
  }
  let t0 = hsumF64x2(s0);
  let t1 = hsumF64x2(s1);
  let t2 = hsumF64x2(s2);
  let t3 = hsumF64x2(s3);
  if (k < kc) {
    const off = (<usize>k) << 3;
    const v = load<f64>(b + off);
    t0 += load<f64>(a + off) * v;
    t1 += load<f64>(a1 + off) * v;
    t2 += load<f64>(a2 + off) * v;
    t3 += load<f64>(a3 + off) * v;
  }
  store<f64>(C, load<f64>(C) + t0);
  const C1 = C + ldcB;
  store<f64>(C1, load<f64>(C1) + t1);
  const C2 = C1 + ldcB;
  store<f64>(C2, load<f64>(C2) + t2);
  const C3 = C2 + ldcB;
  store<f64>(C3, load<f64>(C3) + t3);
}

export function dot1d(a: usize, b: usize, kc: i32): f64 {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let k = 0;
  for (; k + 4 <= kc; k += 4) {
    const off = (<usize>k) << 3;
    s0 = f64x2.add(s0, f64x2.mul(v128.load(a + off), v128.load(b + off)));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(a + off + 16), v128.load(b + off + 16)));
  }
  let t = hsumF64x2(f64x2.add(s0, s1));
  for (; k < kc; k++) {
    const off = (<usize>k) << 3;
    t += load<f64>(a + off) * load<f64>(b + off);
  }
  return t;
}

/**
 * C += A B^T in f64: A m x K (lda), B n x K (ldb), C m x n (ldc), row-major, all entries (no triangle).
 * Cache-blocked like gemm_abt_f32 (K chunks of KC_F64, panels of JB_F64 rows of B, a 4 x 2 register tile).
 */
export function gemm_abt_f64(
  C: usize,
  ldc: i32,
  A: usize,
  lda: i32,
  B: usize,
  ldb: i32,
  m: i32,
  n: i32,
  K: i32,
): void {
  const ldcB = (<usize>ldc) << 3;
  const ldaB = (<usize>lda) << 3;
  const ldbB = (<usize>ldb) << 3;
  for (let k0 = 0; k0 < K; k0 += KC_F64) {
    const kc = min(KC_F64, K - k0);
    const kOff = (<usize>k0) << 3;
    for (let j0 = 0; j0 < n; j0 += JB_F64) {
      const j1 = min(n, j0 + JB_F64);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const a = A + <usize>i * ldaB + kOff;
        const crow = C + <usize>i * ldcB;
        let j = j0;
        for (; j + 2 <= j1; j += 2) {
          micro4x2d(crow + ((<usize>j) << 3), ldcB, a, ldaB, B + <usize>j * ldbB + kOff, ldbB, kc);
        }
        if (j < j1) micro4x1d(crow + ((<usize>j) << 3), ldcB, a, ldaB, B + <usize>j * ldbB + kOff, kc);
      }
      for (; i < m; i++) {
        const a = A + <usize>i * ldaB + kOff;
        for (let j = j0; j < j1; j++) {
          const p = C + <usize>i * ldcB + ((<usize>j) << 3);
          store<f64>(p, load<f64>(p) + dot1d(a, B + <usize>j * ldbB + kOff, kc));
        }
      }
    }
  }
}
