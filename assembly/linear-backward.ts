// The backward of the dense fully connected layers of ./linear.ts (shapes, alignment and overlap rules at the
// top of that file): dW += inp^T dout, db += sum_s dout, dinp = dout W^T, with a register-blocked path along O
// for hidden width x width layers and paths along I for the O == 2 head (ReLU fused for the layer below).

/** db[o] += sum_s dout[s, o]. */
function biasBackward(db: usize, dout: usize, B: i32, O: i32): void {
  const ro = (<usize>O) << 2;
  let o = 0;
  for (; o + 4 <= O; o += 4) {
    let a = v128.load(db + ((<usize>o) << 2));
    let d = dout + ((<usize>o) << 2);
    for (let s = 0; s < B; s++) {
      a = f32x4.add(a, v128.load(d));
      d += ro;
    }
    v128.store(db + ((<usize>o) << 2), a);
  }
  for (; o < O; o++) {
    let a = load<f32>(db + ((<usize>o) << 2));
    let d = dout + ((<usize>o) << 2);
    for (let s = 0; s < B; s++) {
      a += load<f32>(d);
      d += ro;
    }
    store<f32>(db + ((<usize>o) << 2), a);
  }
}

const S_BLOCK = 128;

/** dW[i, o] += sum_s inp[s, i] dout[s, o], vectorised along O; samples in blocks of S_BLOCK for the cache. */
function weightBackward(dW: usize, dout: usize, inp: usize, B: i32, I: i32, O: i32): void {
  const rs = (<usize>I) << 2;
  const ro = (<usize>O) << 2;
  for (let s0 = 0; s0 < B; s0 += S_BLOCK) {
    const s1 = min(B, s0 + S_BLOCK);
    let i = 0;
    for (; i + 4 <= I; i += 4) {
      let o = 0;
      for (; o + 8 <= O; o += 8) {
        const g = dW + <usize>i * ro + ((<usize>o) << 2);
        let a00 = v128.load(g);
        let a01 = v128.load(g, 16);
        let a10 = v128.load(g + ro);
        let a11 = v128.load(g + ro, 16);
        let a20 = v128.load(g + 2 * ro);
        let a21 = v128.load(g + 2 * ro, 16);
        let a30 = v128.load(g + 3 * ro);
        let a31 = v128.load(g + 3 * ro, 16);
        for (let s = s0; s < s1; s++) {
          const d = dout + <usize>s * ro + ((<usize>o) << 2);
          const d0 = v128.load(d);
          const d1 = v128.load(d, 16);
          const x = v128.load(inp + <usize>s * rs + ((<usize>i) << 2));
          const v0 = v128.shuffle<f32>(x, x, 0, 0, 0, 0);
          const v1 = v128.shuffle<f32>(x, x, 1, 1, 1, 1);
          const v2 = v128.shuffle<f32>(x, x, 2, 2, 2, 2);
          const v3 = v128.shuffle<f32>(x, x, 3, 3, 3, 3);
          a00 = f32x4.add(a00, f32x4.mul(v0, d0));
          a01 = f32x4.add(a01, f32x4.mul(v0, d1));
          a10 = f32x4.add(a10, f32x4.mul(v1, d0));
          a11 = f32x4.add(a11, f32x4.mul(v1, d1));
          a20 = f32x4.add(a20, f32x4.mul(v2, d0));
          a21 = f32x4.add(a21, f32x4.mul(v2, d1));
          a30 = f32x4.add(a30, f32x4.mul(v3, d0));
          a31 = f32x4.add(a31, f32x4.mul(v3, d1));
        }
        v128.store(g, a00);
        v128.store(g, a01, 16);
        v128.store(g + ro, a10);
        v128.store(g + ro, a11, 16);
        v128.store(g + 2 * ro, a20);
        v128.store(g + 2 * ro, a21, 16);
        v128.store(g + 3 * ro, a30);
        v128.store(g + 3 * ro, a31, 16);
      }
      for (let r = 0; r < 4; r++) weightRowTail(dW, dout, inp, s0, s1, i + r, I, O, o);
    }
    for (; i < I; i++) weightRowTail(dW, dout, inp, s0, s1, i, I, O, 0);
  }
}

/** dW[i, o0..O) += sum over s in [s0, s1) of inp[s, i] dout[s, o]. */
function weightRowTail(
  dW: usize,
  dout: usize,
  inp: usize,
  s0: i32,
  s1: i32,
  i: i32,
  I: i32,
  O: i32,
  o0: i32,
): void {
  const rs = (<usize>I) << 2;
  const ro = (<usize>O) << 2;
  const g = dW + <usize>i * ro;
  let o = o0;
  for (; o + 4 <= O; o += 4) {
    let a = v128.load(g + ((<usize>o) << 2));
    for (let s = s0; s < s1; s++) {
      const x = f32x4.splat(load<f32>(inp + <usize>s * rs + ((<usize>i) << 2)));
      a = f32x4.add(a, f32x4.mul(x, v128.load(dout + <usize>s * ro + ((<usize>o) << 2))));
    }
    v128.store(g + ((<usize>o) << 2), a);
  }
  for (; o < O; o++) {
    let a = load<f32>(g + ((<usize>o) << 2));
    for (let s = s0; s < s1; s++) {
      a +=
        load<f32>(inp + <usize>s * rs + ((<usize>i) << 2)) *
        load<f32>(dout + <usize>s * ro + ((<usize>o) << 2));
    }
    store<f32>(g + ((<usize>o) << 2), a);
  }
}

/** dinp[s, i] = sum_o dout[s, o] W[i, o]: dot products along O, 4 inputs at a time, transposed sums. */
function inputBackward(dinp: usize, dout: usize, W: usize, B: i32, I: i32, O: i32): void {
  const rs = (<usize>I) << 2;
  const ro = (<usize>O) << 2;
  const O4 = O & ~3;
  for (let s = 0; s < B; s++) {
    const d = dout + <usize>s * ro;
    const y = dinp + <usize>s * rs;
    let i = 0;
    for (; i + 4 <= I; i += 4) {
      const w = W + <usize>i * ro;
      let a0 = f32x4.splat(0);
      let a1 = a0;
      let a2 = a0;
      let a3 = a0;
      for (let o = 0; o < O4; o += 4) {
        const ob = (<usize>o) << 2;
        const dv = v128.load(d + ob);
        a0 = f32x4.add(a0, f32x4.mul(dv, v128.load(w + ob)));
        a1 = f32x4.add(a1, f32x4.mul(dv, v128.load(w + ro + ob)));
        a2 = f32x4.add(a2, f32x4.mul(dv, v128.load(w + 2 * ro + ob)));
        a3 = f32x4.add(a3, f32x4.mul(dv, v128.load(w + 3 * ro + ob)));
      }
      // transpose-and-add: lane r = sum of the lanes of a_r
      const t0 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
      const t1 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
      const r = f32x4.add(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(y + ((<usize>i) << 2), r);
      if (O4 < O) {
        for (let q = 0; q < 4; q++) {
          let a = load<f32>(y + ((<usize>(i + q)) << 2));
          for (let o = O4; o < O; o++)
            a += load<f32>(d + ((<usize>o) << 2)) * load<f32>(w + <usize>q * ro + ((<usize>o) << 2));
          store<f32>(y + ((<usize>(i + q)) << 2), a);
        }
      }
    }
    for (; i < I; i++) {
      const w = W + <usize>i * ro;
      let a: f32 = 0;
      for (let o = 0; o < O; o++) a += load<f32>(d + ((<usize>o) << 2)) * load<f32>(w + ((<usize>o) << 2));
      store<f32>(y + ((<usize>i) << 2), a);
    }
  }
}

/** The O == 2 head backward, vectorised along I: dW[i, 0..1] += sum_s inp[s, i] dout[s, 0..1]. */
function weightBackwardO2(dW: usize, dout: usize, inp: usize, B: i32, I: i32): void {
  const rs = (<usize>I) << 2;
  let i = 0;
  for (; i + 8 <= I; i += 8) {
    let a0 = f32x4.splat(0); // column 0, inputs i..i+3
    let b0 = a0; // column 1, inputs i..i+3
    let a1 = a0; // column 0, inputs i+4..i+7
    let b1 = a0; // column 1, inputs i+4..i+7
    let x = inp + ((<usize>i) << 2);
    let d = dout;
    for (let s = 0; s < B; s++) {
      const x0 = v128.load(x);
      const x1 = v128.load(x, 16);
      const d0 = f32x4.splat(load<f32>(d));
      const d1 = f32x4.splat(load<f32>(d, 4));
      a0 = f32x4.add(a0, f32x4.mul(x0, d0));
      b0 = f32x4.add(b0, f32x4.mul(x0, d1));
      a1 = f32x4.add(a1, f32x4.mul(x1, d0));
      b1 = f32x4.add(b1, f32x4.mul(x1, d1));
      x += rs;
      d += 8;
    }
    const g = dW + ((<usize>i) << 3);
    v128.store(g, f32x4.add(v128.load(g), v128.shuffle<f32>(a0, b0, 0, 4, 1, 5)));
    v128.store(g, f32x4.add(v128.load(g, 16), v128.shuffle<f32>(a0, b0, 2, 6, 3, 7)), 16);
    v128.store(g, f32x4.add(v128.load(g, 32), v128.shuffle<f32>(a1, b1, 0, 4, 1, 5)), 32);
    v128.store(g, f32x4.add(v128.load(g, 48), v128.shuffle<f32>(a1, b1, 2, 6, 3, 7)), 48);
  }
  for (; i < I; i++) weightRowTail(dW, dout, inp, 0, B, i, I, 2, 0);
}

/** The O == 2 head backward to the input: dinp[s, i] = dout[s, 0] W[i, 0] + dout[s, 1] W[i, 1]. */
function inputBackwardO2(dinp: usize, dout: usize, W: usize, B: i32, I: i32): void {
  const rs = (<usize>I) << 2;
  let i = 0;
  for (; i + 8 <= I; i += 8) {
    const wp = W + ((<usize>i) << 3);
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    const w2 = v128.load(wp, 32);
    const w3 = v128.load(wp, 48);
    const c0a = v128.shuffle<f32>(w0, w1, 0, 2, 4, 6);
    const c1a = v128.shuffle<f32>(w0, w1, 1, 3, 5, 7);
    const c0b = v128.shuffle<f32>(w2, w3, 0, 2, 4, 6);
    const c1b = v128.shuffle<f32>(w2, w3, 1, 3, 5, 7);
    let y = dinp + ((<usize>i) << 2);
    let d = dout;
    for (let s = 0; s < B; s++) {
      const d0 = f32x4.splat(load<f32>(d));
      const d1 = f32x4.splat(load<f32>(d, 4));
      v128.store(y, f32x4.add(f32x4.mul(d0, c0a), f32x4.mul(d1, c1a)));
      v128.store(y, f32x4.add(f32x4.mul(d0, c0b), f32x4.mul(d1, c1b)), 16);
      y += rs;
      d += 8;
    }
  }
  for (; i < I; i++) {
    const w0 = load<f32>(W + ((<usize>i) << 3));
    const w1 = load<f32>(W + ((<usize>i) << 3), 4);
    for (let s = 0; s < B; s++) {
      const d = dout + ((<usize>s) << 3);
      store<f32>(dinp + <usize>s * rs + ((<usize>i) << 2), load<f32>(d) * w0 + load<f32>(d, 4) * w1);
    }
  }
}

/**
 * Backward of linear_forward. Shapes as at the top of ./linear.ts; dout [B x O] = dL/d out.
 *   dW [I x O] += inp^T . dout      (accumulates: zero it first for a fresh gradient)
 *   db [O]     += sum_s dout[s, :]  (accumulates)
 *   dinp [B x I] = dout . W^T       (OVERWRITTEN; pass dinp = 0 to skip, e.g. for the first layer)
 * No output buffer may overlap another buffer.
 */
export function linear_backward(
  dinp: usize,
  dW: usize,
  db: usize,
  dout: usize,
  inp: usize,
  W: usize,
  B: i32,
  I: i32,
  O: i32,
): void {
  biasBackward(db, dout, B, O);
  if (O == 2) {
    weightBackwardO2(dW, dout, inp, B, I);
    if (dinp != 0) inputBackwardO2(dinp, dout, W, B, I);
    return;
  }
  weightBackward(dW, dout, inp, B, I, O);
  if (dinp != 0) inputBackward(dinp, dout, W, B, I, O);
}

const RELU_BLOCK = 16; // samples per block of backwardReluO2: 16 rows of inp and dinp stay in L1

/**
 * The O == 2 head backward fused with the ReLU backward of its input, in blocks of RELU_BLOCK samples (the
 * rows of a block are walked 8 inputs at a time while they are in cache), vectorised along I:
 *   dW[i, 0..1] += sum_s inp[s, i] dout[s, 0..1];  dinp[s, i] = inp[s, i] > 0 ? dout[s, :] . W[i, :] : 0.
 */
function backwardReluO2(dinp: usize, dW: usize, dout: usize, inp: usize, W: usize, B: i32, I: i32): void {
  const rs = (<usize>I) << 2;
  const zero = f32x4.splat(0);
  const I8 = I & ~7;
  for (let s0 = 0; s0 < B; s0 += RELU_BLOCK) {
    const s1 = min(B, s0 + RELU_BLOCK);
    for (let i = 0; i < I8; i += 8) {
      const wp = W + ((<usize>i) << 3);
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const w2 = v128.load(wp, 32);
      const w3 = v128.load(wp, 48);
      const c0a = v128.shuffle<f32>(w0, w1, 0, 2, 4, 6);
      const c1a = v128.shuffle<f32>(w0, w1, 1, 3, 5, 7);
      const c0b = v128.shuffle<f32>(w2, w3, 0, 2, 4, 6);
      const c1b = v128.shuffle<f32>(w2, w3, 1, 3, 5, 7);
      let a0 = zero; // dW column 0, inputs i..i+3
      let b0 = zero; // dW column 1, inputs i..i+3
      let a1 = zero; // dW column 0, inputs i+4..i+7
      let b1 = zero; // dW column 1, inputs i+4..i+7
      const off = <usize>s0 * rs + ((<usize>i) << 2);
      let x = inp + off;
      let y = dinp + off;
      let d = dout + ((<usize>s0) << 3);
      for (let s = s0; s < s1; s++) {
        const x0 = v128.load(x);
        const x1 = v128.load(x, 16);
        const d0 = v128.load32_splat(d);
        const d1 = v128.load32_splat(d, 4);
        a0 = f32x4.add(a0, f32x4.mul(x0, d0));
        b0 = f32x4.add(b0, f32x4.mul(x0, d1));
        a1 = f32x4.add(a1, f32x4.mul(x1, d0));
        b1 = f32x4.add(b1, f32x4.mul(x1, d1));
        const g0 = f32x4.add(f32x4.mul(d0, c0a), f32x4.mul(d1, c1a));
        const g1 = f32x4.add(f32x4.mul(d0, c0b), f32x4.mul(d1, c1b));
        v128.store(y, v128.and(g0, f32x4.gt(x0, zero)));
        v128.store(y, v128.and(g1, f32x4.gt(x1, zero)), 16);
        x += rs;
        y += rs;
        d += 8;
      }
      const g = dW + ((<usize>i) << 3);
      v128.store(g, f32x4.add(v128.load(g), v128.shuffle<f32>(a0, b0, 0, 4, 1, 5)));
      v128.store(g, f32x4.add(v128.load(g, 16), v128.shuffle<f32>(a0, b0, 2, 6, 3, 7)), 16);
      v128.store(g, f32x4.add(v128.load(g, 32), v128.shuffle<f32>(a1, b1, 0, 4, 1, 5)), 32);
      v128.store(g, f32x4.add(v128.load(g, 48), v128.shuffle<f32>(a1, b1, 2, 6, 3, 7)), 48);
    }
  }
  for (let i = I8; i < I; i++) {
    weightRowTail(dW, dout, inp, 0, B, i, I, 2, 0);
    const w0 = load<f32>(W + ((<usize>i) << 3));
    const w1 = load<f32>(W + ((<usize>i) << 3), 4);
    for (let s = 0; s < B; s++) {
      const d = dout + ((<usize>s) << 3);
      const q = <usize>s * rs + ((<usize>i) << 2);
      store<f32>(dinp + q, load<f32>(inp + q) > 0 ? load<f32>(d) * w0 + load<f32>(d, 4) * w1 : 0);
    }
  }
}

/**
 * linear_backward_relu for O == 2 (nothing is done for another O) with inp and dinp in the STRIP-MAJOR layout
 * of relu_linear_forward_strips (dout [B x 2] row-major): dW, db accumulate, dinp is overwritten, strip by
 * strip.
 */
export function linear_backward_relu_strips(
  dinp: usize,
  dW: usize,
  db: usize,
  dout: usize,
  inp: usize,
  W: usize,
  B: i32,
  I: i32,
  O: i32,
): void {
  if (O != 2) return;
  biasBackward(db, dout, B, O);
  for (let i0 = 0; i0 < I; i0 += 32) {
    const off = <usize>i0 * <usize>B * 4;
    backwardReluO2(
      dinp + off,
      dW + ((<usize>i0) << 3),
      dout,
      inp + off,
      W + ((<usize>i0) << 3),
      B,
      min(32, I - i0),
    );
  }
}

/**
 * linear_backward followed by the ReLU backward of its input, for a layer whose input is a ReLU output (the
 * head of the paper's net): dW, db as linear_backward; dinp [B x I] = (dout . W^T) where inp > 0, else 0
 * (exactly relu_backward(dinp, dinp, inp) after linear_backward). dinp must be a buffer (not 0); no output
 * buffer may overlap another buffer. For O == 2 it is one pass over inp and dinp.
 */
export function linear_backward_relu(
  dinp: usize,
  dW: usize,
  db: usize,
  dout: usize,
  inp: usize,
  W: usize,
  B: i32,
  I: i32,
  O: i32,
): void {
  biasBackward(db, dout, B, O);
  if (O == 2) {
    backwardReluO2(dinp, dW, dout, inp, W, B, I);
    return;
  }
  weightBackward(dW, dout, inp, B, I, O);
  inputBackward(dinp, dout, W, B, I, O);
  const n = B * I;
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const q = (<usize>j) << 2;
    v128.store(dinp + q, v128.and(v128.load(dinp + q), f32x4.gt(v128.load(inp + q), zero)));
  }
  for (; j < n; j++) {
    const q = (<usize>j) << 2;
    if (!(load<f32>(inp + q) > 0)) store<f32>(dinp + q, 0);
  }
}
