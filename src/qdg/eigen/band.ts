// The projected matrix of a block-2 Lanczos run (./lanczos.ts, `block: 2`) is pentadiagonal: basis vector j's
// product M v_j lies in the span of v_0 .. v_{j+2}. Its eigenproblem goes through a tridiagonal one with the
// same eigenvalues, T = Q Tt Q^T, by Givens rotations that zero T's second sub-diagonal one entry at a time and
// chase the bulge each leaves two rows further down (Schwarz's band reduction; LAPACK's dsbtrd does the same
// for any bandwidth): about n^2 / 4 rotations of a few flops each, O(n^2), against O(n^3) for a dense solver.
// Lanczos then needs, of each eigenvector s = Q z of T (z: Tt's), only its last two components while it
// iterates (its residual estimate), which are Q's last two rows times z: those rows are tracked through the
// rotations and handed to QL as tracked rows. At the end the K wanted vectors are Q z, the rotations applied
// to inverse iteration's z in reverse order.
//
// Storage: the lower band by diagonals, b1[i] = T[i+1][i], b2[i] = T[i+2][i] (and during the reduction
// b3[i] = T[i+3][i], the bulge), all length n.

export interface BandReduction {
  /** Tt's diagonal (length n). */
  diag: Float64Array;
  /** Tt's off-diagonal (length n; off[i] couples i and i+1; off[n-1] = 0). */
  off: Float64Array;
  /** Q's last two rows (2 x n, row-major; one row when n = 1). */
  bottom: Float64Array;
  /** The rotations in the order applied (when kept): rows p, p+1 of rotation r are plane[r]; c, s its cosine and sine. */
  plane: Int32Array;
  c: Float64Array;
  s: Float64Array;
  /** Rotations applied. */
  count: number;
}

/**
 * Reduces the symmetric pentadiagonal T (diagonal d, first sub-diagonal e1, second e2, each of length >= n
 * with the entries past the matrix ignored) to tridiagonal form Tt = Q^T T Q. `keep`: record the rotations (for
 * applyQ), else only their count.
 */
export function pentadiagonalToTridiagonal(
  d: ArrayLike<number>,
  e1: ArrayLike<number>,
  e2: ArrayLike<number>,
  n: number,
  keep = false,
): BandReduction {
  const b0 = new Float64Array(n);
  const b1 = new Float64Array(n);
  const b2 = new Float64Array(n);
  const b3 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    b0[i] = d[i];
    b1[i] = i + 1 < n ? e1[i] : 0;
    b2[i] = i + 2 < n ? e2[i] : 0;
  }
  // Q's last two rows, R = E Q, tracked as the rotations multiply Q on the right (R <- R G^T)
  const rows = Math.min(2, n);
  const r0 = new Float64Array(n);
  const r1 = new Float64Array(n);
  if (n >= 2) {
    r0[n - 2] = 1;
    r1[n - 1] = 1;
  } else if (n === 1) r0[0] = 1;
  const capacity = keep ? Math.max(1, Math.ceil((n * n) / 4) + n) : 0;
  let plane = new Int32Array(capacity);
  let cs = new Float64Array(capacity);
  let sn = new Float64Array(capacity);
  let count = 0;

  for (let j = 0; j + 2 < n; j++) {
    // first the entry T[j+2][j], against T[j+1][j], in the plane (j+1, j+2); then the bulge it leaves at
    // T[p+3][p] (p the plane's first row), in the plane (p+2, p+3) against T[p+2][p], until it falls off the end
    let p = j + 1;
    let initial = true;
    for (;;) {
      const a = initial ? b1[p - 1] : b2[p - 2];
      const b = initial ? b2[p - 1] : b3[p - 2];
      if (b === 0) break;
      const scale = Math.max(Math.abs(a), Math.abs(b));
      const ua = a / scale;
      const ub = b / scale;
      const rr = scale * Math.sqrt(ua * ua + ub * ub);
      const c = a / rr;
      const s = b / rr;
      const q = p + 1;
      if (initial) {
        b1[p - 1] = rr;
        b2[p - 1] = 0;
      } else {
        b2[p - 2] = rr;
        b3[p - 2] = 0;
        // column p-1: (T[p][p-1], T[q][p-1])
        const x = b1[p - 1];
        const y = b2[p - 1];
        b1[p - 1] = c * x + s * y;
        b2[p - 1] = -s * x + c * y;
      }
      // the 2 x 2 block at (p, q), both sides
      const tpp = b0[p];
      const tqp = b1[p];
      const tqq = b0[q];
      const cc = c * c;
      const ss = s * s;
      const csb = 2 * c * s * tqp;
      b0[p] = cc * tpp + csb + ss * tqq;
      b0[q] = ss * tpp - csb + cc * tqq;
      b1[p] = (cc - ss) * tqp + c * s * (tqq - tpp);
      // column p+2: (T[p+2][p], T[p+2][q])
      if (p + 2 < n) {
        const x = b2[p];
        const y = b1[q];
        b2[p] = c * x + s * y;
        b1[q] = -s * x + c * y;
      }
      // column p+3: (T[p+3][p] = 0, T[p+3][q]): the bulge
      let bulge = false;
      if (p + 3 < n) {
        const y = b2[q];
        b3[p] = s * y;
        b2[q] = c * y;
        bulge = b3[p] !== 0;
      }
      {
        const x0 = r0[p];
        const y0 = r0[q];
        r0[p] = c * x0 + s * y0;
        r0[q] = -s * x0 + c * y0;
        const x1 = r1[p];
        const y1 = r1[q];
        r1[p] = c * x1 + s * y1;
        r1[q] = -s * x1 + c * y1;
      }
      if (keep) {
        if (count === plane.length) {
          const grow = <T extends Int32Array | Float64Array>(a: T, ctor: new (n: number) => T): T => {
            const bigger = new ctor(2 * a.length);
            bigger.set(a);
            return bigger;
          };
          plane = grow(plane, Int32Array);
          cs = grow(cs, Float64Array);
          sn = grow(sn, Float64Array);
        }
        plane[count] = p;
        cs[count] = c;
        sn[count] = s;
      }
      count++;
      if (!bulge) break;
      p += 2;
      initial = false;
    }
  }
  const off = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) off[i] = b1[i];
  const bottom = new Float64Array(rows * n);
  bottom.set(r0.subarray(0, n));
  if (rows === 2) bottom.set(r1, n);
  return {
    diag: b0,
    off,
    bottom,
    plane: plane.subarray(0, keep ? count : 0),
    c: cs.subarray(0, keep ? count : 0),
    s: sn.subarray(0, keep ? count : 0),
    count,
  };
}

/**
 * z <- Q z for the reduction's Q (its rotations, kept), in place on each of the k vectors of `z` (k x n,
 * row-major: vector v at z[v*n .. v*n + n)): an eigenvector of Tt becomes the eigenvector of T.
 */
export function applyQ(red: BandReduction, z: Float64Array, n: number, k: number): void {
  const { plane, c, s } = red;
  if (plane.length !== red.count) throw new Error('quanta: applyQ needs the rotations (keep = true)');
  for (let v = 0; v < k; v++) {
    const o = v * n;
    // Q = G_1^T G_2^T ... G_N^T: the last rotation first, transposed
    for (let r = red.count - 1; r >= 0; r--) {
      const p = o + plane[r];
      const x = z[p];
      const y = z[p + 1];
      z[p] = c[r] * x - s[r] * y;
      z[p + 1] = s[r] * x + c[r] * y;
    }
  }
}
