// Dense fully connected layers (llm.c style: one forward/backward pair), SIMD f32x4: this file the forward,
// ./linear-backward.ts the backward.
//
// Shapes (all f32, row-major, no padding between rows):
//   inp  [B x I]   the layer input, one row per sample
//   W    [I x O]   row i = the weights from input i (so W[i, o] is at W + 4 (i O + o))
//   b    [O]
//   out  [B x O]   out[s, o] = b[o] + sum_i inp[s, i] W[i, o]
// Alignment: any 4-byte alignment works (Wasm v128 loads may be unaligned); 16-byte aligned buffers are faster.
// Buffers must not overlap, except where a comment says so.
//
// Two code paths: a register-blocked GEMM that vectorises along O (4 samples x 8 outputs in 8 v128
// accumulators) for hidden width x width layers, and for the common head O == 2 (width -> 2) paths that
// vectorise along I with the two weight columns de-interleaved in registers.
import { hsumF32x4Halves } from './simd';

// ---------------------------------------------------------------------------------------------------------
// forward

function forwardRows4(out: usize, inp: usize, W: usize, b: usize, s: i32, I: i32, O: i32): void {
  const rs = (<usize>I) << 2; // bytes per input row
  const ro = (<usize>O) << 2; // bytes per output row / weight row
  const x0 = inp + <usize>s * rs;
  const x1 = x0 + rs;
  const x2 = x1 + rs;
  const x3 = x2 + rs;
  const y0 = out + <usize>s * ro;
  let o = 0;
  for (; o + 8 <= O; o += 8) {
    const bo = b + ((<usize>o) << 2);
    let a00 = v128.load(bo);
    let a01 = v128.load(bo, 16);
    let a10 = a00;
    let a11 = a01;
    let a20 = a00;
    let a21 = a01;
    let a30 = a00;
    let a31 = a01;
    let w = W + ((<usize>o) << 2);
    for (let i = 0; i < I; i++) {
      const w0 = v128.load(w);
      const w1 = v128.load(w, 16);
      const ib = (<usize>i) << 2;
      const v0 = f32x4.splat(load<f32>(x0 + ib));
      const v1 = f32x4.splat(load<f32>(x1 + ib));
      const v2 = f32x4.splat(load<f32>(x2 + ib));
      const v3 = f32x4.splat(load<f32>(x3 + ib));
      a00 = f32x4.add(a00, f32x4.mul(v0, w0));
      a01 = f32x4.add(a01, f32x4.mul(v0, w1));
      a10 = f32x4.add(a10, f32x4.mul(v1, w0));
      a11 = f32x4.add(a11, f32x4.mul(v1, w1));
      a20 = f32x4.add(a20, f32x4.mul(v2, w0));
      a21 = f32x4.add(a21, f32x4.mul(v2, w1));
      a30 = f32x4.add(a30, f32x4.mul(v3, w0));
      a31 = f32x4.add(a31, f32x4.mul(v3, w1));
      w += ro;
    }
    const y = y0 + ((<usize>o) << 2);
    v128.store(y, a00);
    v128.store(y, a01, 16);
    v128.store(y + ro, a10);
    v128.store(y + ro, a11, 16);
    v128.store(y + 2 * ro, a20);
    v128.store(y + 2 * ro, a21, 16);
    v128.store(y + 3 * ro, a30);
    v128.store(y + 3 * ro, a31, 16);
  }
  for (let r = 0; r < 4; r++) forwardRowTail(out, inp, W, b, s + r, I, O, o);
}

/** out[s, o0..O) for one row, 4 outputs at a time then scalar. */
function forwardRowTail(out: usize, inp: usize, W: usize, b: usize, s: i32, I: i32, O: i32, o0: i32): void {
  const x = inp + ((<usize>s * <usize>I) << 2);
  const y = out + ((<usize>s * <usize>O) << 2);
  const ro = (<usize>O) << 2;
  let o = o0;
  for (; o + 4 <= O; o += 4) {
    let a = v128.load(b + ((<usize>o) << 2));
    let w = W + ((<usize>o) << 2);
    for (let i = 0; i < I; i++) {
      a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(x + ((<usize>i) << 2))), v128.load(w)));
      w += ro;
    }
    v128.store(y + ((<usize>o) << 2), a);
  }
  for (; o < O; o++) {
    let a = load<f32>(b + ((<usize>o) << 2));
    let w = W + ((<usize>o) << 2);
    for (let i = 0; i < I; i++) {
      a += load<f32>(x + ((<usize>i) << 2)) * load<f32>(w);
      w += ro;
    }
    store<f32>(y + ((<usize>o) << 2), a);
  }
}

/**
 * The O == 2 head: dot products along I with W's two columns de-interleaved, 4 samples at a time. With relu,
 * the input is first replaced in place by its ReLU (x < 0 ? 0 : x) in the same pass.
 */
function forwardO2(out: usize, inp: usize, W: usize, b: usize, B: i32, I: i32, relu: bool): void {
  const rs = (<usize>I) << 2;
  let s = 0;
  for (; s + 4 <= B; s += 4) forwardO2Rows4(out, inp, W, b, s, I, relu);
  for (; s < B; s++) {
    if (relu) reluInPlace(inp + <usize>s * rs, I);
    forwardRowTail(out, inp, W, b, s, I, 2, 0);
  }
}

/** Four samples of the O == 2 head (W's columns de-interleaved once for four rows); acc: out += instead of b +. */
function forwardO2Rows4(
  out: usize,
  inp: usize,
  W: usize,
  b: usize,
  s: i32,
  I: i32,
  relu: bool,
  acc: bool = false,
): void {
  const zero = f32x4.splat(0);
  const rs = (<usize>I) << 2;
  const I4 = I & ~3;
  const x0 = inp + <usize>s * rs;
  const x1 = x0 + rs;
  const x2 = x1 + rs;
  const x3 = x2 + rs;
  let a00 = zero;
  let a01 = zero;
  let a10 = zero;
  let a11 = zero;
  let a20 = zero;
  let a21 = zero;
  let a30 = zero;
  let a31 = zero;
  for (let i = 0; i < I4; i += 4) {
    const wp = W + ((<usize>i) << 3);
    const wa = v128.load(wp); // W[i,0] W[i,1] W[i+1,0] W[i+1,1]
    const wb = v128.load(wp, 16);
    const c0 = v128.shuffle<f32>(wa, wb, 0, 2, 4, 6);
    const c1 = v128.shuffle<f32>(wa, wb, 1, 3, 5, 7);
    const ib = (<usize>i) << 2;
    let v0 = v128.load(x0 + ib);
    let v1 = v128.load(x1 + ib);
    let v2 = v128.load(x2 + ib);
    let v3 = v128.load(x3 + ib);
    if (relu) {
      v0 = f32x4.pmax(v0, zero);
      v1 = f32x4.pmax(v1, zero);
      v2 = f32x4.pmax(v2, zero);
      v3 = f32x4.pmax(v3, zero);
      v128.store(x0 + ib, v0);
      v128.store(x1 + ib, v1);
      v128.store(x2 + ib, v2);
      v128.store(x3 + ib, v3);
    }
    a00 = f32x4.add(a00, f32x4.mul(v0, c0));
    a01 = f32x4.add(a01, f32x4.mul(v0, c1));
    a10 = f32x4.add(a10, f32x4.mul(v1, c0));
    a11 = f32x4.add(a11, f32x4.mul(v1, c1));
    a20 = f32x4.add(a20, f32x4.mul(v2, c0));
    a21 = f32x4.add(a21, f32x4.mul(v2, c1));
    a30 = f32x4.add(a30, f32x4.mul(v3, c0));
    a31 = f32x4.add(a31, f32x4.mul(v3, c1));
  }
  const b0 = load<f32>(b);
  const b1 = load<f32>(b, 4);
  const y = out + ((<usize>s) << 3);
  store<f32>(y, hsumF32x4Halves(a00) + (acc ? load<f32>(y) : b0));
  store<f32>(y, hsumF32x4Halves(a01) + (acc ? load<f32>(y, 4) : b1), 4);
  store<f32>(y, hsumF32x4Halves(a10) + (acc ? load<f32>(y, 8) : b0), 8);
  store<f32>(y, hsumF32x4Halves(a11) + (acc ? load<f32>(y, 12) : b1), 12);
  store<f32>(y, hsumF32x4Halves(a20) + (acc ? load<f32>(y, 16) : b0), 16);
  store<f32>(y, hsumF32x4Halves(a21) + (acc ? load<f32>(y, 20) : b1), 20);
  store<f32>(y, hsumF32x4Halves(a30) + (acc ? load<f32>(y, 24) : b0), 24);
  store<f32>(y, hsumF32x4Halves(a31) + (acc ? load<f32>(y, 28) : b1), 28);
  for (let i = I4; i < I; i++) {
    const w0 = load<f32>(W + ((<usize>i) << 3));
    const w1 = load<f32>(W + ((<usize>i) << 3), 4);
    for (let r = 0; r < 4; r++) {
      const q = x0 + <usize>r * rs + ((<usize>i) << 2);
      let v = load<f32>(q);
      if (relu && v < 0) {
        v = 0;
        store<f32>(q, v);
      }
      const yr = y + ((<usize>r) << 3);
      store<f32>(yr, load<f32>(yr) + v * w0);
      store<f32>(yr, load<f32>(yr, 4) + v * w1, 4);
    }
  }
}

/** x = x < 0 ? 0 : x over n floats, in place. */
function reluInPlace(x: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = x + ((<usize>i) << 2);
    v128.store(q, f32x4.pmax(v128.load(q), zero));
  }
  for (; i < n; i++) {
    const q = x + ((<usize>i) << 2);
    const v = load<f32>(q);
    if (v < 0) store<f32>(q, 0);
  }
}

/**
 * out[B x O] = inp[B x I] . W[I x O] + b[O]  (see the shapes at the top of this file).
 * `out` is overwritten and must not overlap inp, W or b. B, I, O >= 0.
 */
export function linear_forward(out: usize, inp: usize, W: usize, b: usize, B: i32, I: i32, O: i32): void {
  if (O == 2) {
    forwardO2(out, inp, W, b, B, I, false);
    return;
  }
  let s = 0;
  for (; s + 4 <= B; s += 4) forwardRows4(out, inp, W, b, s, I, O);
  for (; s < B; s++) forwardRowTail(out, inp, W, b, s, I, O, 0);
}

/**
 * linear_forward of the ReLU of inp: inp [B x I] (a pre-activation) is first replaced IN PLACE by its ReLU
 * (x < 0 ? 0 : x: f32x4.pmax, one instruction; NaN propagates and only an exact -0 stays -0, which no later
 * computation can tell from +0), then out = relu(inp) . W + b. For O == 2 (the paper's head) both happen in one
 * pass over inp. Buffers as linear_forward (out must not overlap inp).
 */
export function relu_linear_forward(
  out: usize,
  inp: usize,
  W: usize,
  b: usize,
  B: i32,
  I: i32,
  O: i32,
): void {
  if (O == 2) {
    forwardO2(out, inp, W, b, B, I, true);
    return;
  }
  reluInPlace(inp, B * I);
  linear_forward(out, inp, W, b, B, I, O);
}

/**
 * relu_linear_forward for O == 2 (nothing is done for another O) with inp in the STRIP-MAJOR layout of
 * sparse_bits_forward_strips: strip j (inputs [32 j, min(32 j + 32, I))) is a row-major B x w_j block at
 * float 32 j B. inp is replaced in place by its ReLU and out [B x 2] (row-major) = relu(inp) . W + b, strip
 * by strip (out is read and updated once per strip; the summation order differs from relu_linear_forward).
 */
export function relu_linear_forward_strips(
  out: usize,
  inp: usize,
  W: usize,
  b: usize,
  B: i32,
  I: i32,
  O: i32,
): void {
  if (O != 2) return;
  const b0 = load<f32>(b);
  const b1 = load<f32>(b, 4);
  for (let s = 0; s < B; s++) {
    store<f32>(out + ((<usize>s) << 3), b0);
    store<f32>(out + ((<usize>s) << 3), b1, 4);
  }
  for (let i0 = 0; i0 < I; i0 += 32) {
    const w = min(32, I - i0);
    const x = inp + <usize>i0 * <usize>B * 4;
    const Wj = W + ((<usize>i0) << 3);
    let s = 0;
    for (; s + 4 <= B; s += 4) forwardO2Rows4(out, x, Wj, b, s, w, true, true);
    for (; s < B; s++) {
      const xr = x + <usize>s * <usize>w * 4;
      const y = out + ((<usize>s) << 3);
      let y0 = load<f32>(y);
      let y1 = load<f32>(y, 4);
      for (let i = 0; i < w; i++) {
        const q = xr + ((<usize>i) << 2);
        let v = load<f32>(q);
        if (v < 0) {
          v = 0;
          store<f32>(q, v);
        }
        y0 += v * load<f32>(Wj + ((<usize>i) << 3));
        y1 += v * load<f32>(Wj + ((<usize>i) << 3), 4);
      }
      store<f32>(y, y0);
      store<f32>(y, y1, 4);
    }
  }
}
