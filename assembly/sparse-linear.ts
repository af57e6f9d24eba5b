// The sparse first layer: a Linear layer whose input is a CSR batch of 0/1 inputs, so a sample's output is b
// plus the W rows of its active inputs. llm.c style: one forward/backward pair. The byte-table variant for
// dense i.i.d. bits is ./byte-table.ts; the dense Linear layer is ./linear.ts.
//
// Shapes (f32 row-major unless said otherwise):
//   offsets i32[B+1], indices i32[offsets[B]]  a CSR batch of 0/1 inputs (assembly/parity.ts): the active
//                                              inputs of sample s are indices[offsets[s] .. offsets[s+1])
//   W [I x O] (row i = weights from input i), b [O], out / dout [B x O]
// Alignment: 4 bytes suffices (v128 loads may be unaligned); 16-byte aligned buffers are faster.

/** One sample, outputs [o, o + 32): 8 v128 accumulators over the active rows. */
function sparseForward32(y: usize, W: usize, b: usize, idx: usize, nnz: i32, ro: usize, o: i32): void {
  const ob = (<usize>o) << 2;
  let a0 = v128.load(b + ob);
  let a1 = v128.load(b + ob, 16);
  let a2 = v128.load(b + ob, 32);
  let a3 = v128.load(b + ob, 48);
  let a4 = v128.load(b + ob, 64);
  let a5 = v128.load(b + ob, 80);
  let a6 = v128.load(b + ob, 96);
  let a7 = v128.load(b + ob, 112);
  const wo = W + ob;
  for (let p = 0; p < nnz; p++) {
    const w = wo + <usize>load<i32>(idx + ((<usize>p) << 2)) * ro;
    a0 = f32x4.add(a0, v128.load(w));
    a1 = f32x4.add(a1, v128.load(w, 16));
    a2 = f32x4.add(a2, v128.load(w, 32));
    a3 = f32x4.add(a3, v128.load(w, 48));
    a4 = f32x4.add(a4, v128.load(w, 64));
    a5 = f32x4.add(a5, v128.load(w, 80));
    a6 = f32x4.add(a6, v128.load(w, 96));
    a7 = f32x4.add(a7, v128.load(w, 112));
  }
  const q = y + ob;
  v128.store(q, a0);
  v128.store(q, a1, 16);
  v128.store(q, a2, 32);
  v128.store(q, a3, 48);
  v128.store(q, a4, 64);
  v128.store(q, a5, 80);
  v128.store(q, a6, 96);
  v128.store(q, a7, 112);
}

/**
 * out[s, :] = b + sum over the active inputs i of sample s of W[i, :]  (the dense product with 0/1 inputs).
 * out [B x O] is overwritten; W [I x O] with every index < I; b [O]. Vectorised along O, 32 outputs per pass
 * (the W slab of a pass stays in cache across the batch).
 */
export function sparse_linear_forward(
  out: usize,
  offsets: usize,
  indices: usize,
  W: usize,
  b: usize,
  B: i32,
  O: i32,
): void {
  const ro = (<usize>O) << 2;
  let o = 0;
  for (; o + 32 <= O; o += 32) {
    for (let s = 0; s < B; s++) {
      const p0 = load<i32>(offsets + ((<usize>s) << 2));
      const p1 = load<i32>(offsets + ((<usize>s) << 2), 4);
      sparseForward32(out + <usize>s * ro, W, b, indices + ((<usize>p0) << 2), p1 - p0, ro, o);
    }
  }
  for (let s = 0; s < B; s++) {
    const p0 = load<i32>(offsets + ((<usize>s) << 2));
    const p1 = load<i32>(offsets + ((<usize>s) << 2), 4);
    const y = out + <usize>s * ro;
    let oo = o;
    for (; oo + 4 <= O; oo += 4) {
      const ob = (<usize>oo) << 2;
      let a = v128.load(b + ob);
      for (let p = p0; p < p1; p++) {
        a = f32x4.add(a, v128.load(W + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob));
      }
      v128.store(y + ob, a);
    }
    for (; oo < O; oo++) {
      const ob = (<usize>oo) << 2;
      let a = load<f32>(b + ob);
      for (let p = p0; p < p1; p++)
        a += load<f32>(W + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob);
      store<f32>(y + ob, a);
    }
  }
}

/**
 * Backward of sparse_linear_forward (there is no input gradient: the input is data).
 *   dW[i, :] += dout[s, :] for every active input i of every sample s   (accumulates)
 *   db[:]    += sum_s dout[s, :]                                         (accumulates)
 * dW [I x O], db [O], dout [B x O]. Vectorised along O in passes of 32 outputs (the dW slab stays in cache).
 */
export function sparse_linear_backward(
  dW: usize,
  db: usize,
  dout: usize,
  offsets: usize,
  indices: usize,
  B: i32,
  O: i32,
): void {
  const ro = (<usize>O) << 2;
  let o = 0;
  for (; o + 32 <= O; o += 32) {
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
      const p1 = load<i32>(offsets + ((<usize>s) << 2), 4);
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
  }
  for (let s = 0; s < B; s++) {
    const p0 = load<i32>(offsets + ((<usize>s) << 2));
    const p1 = load<i32>(offsets + ((<usize>s) << 2), 4);
    const d = dout + <usize>s * ro;
    let oo = o;
    for (; oo + 4 <= O; oo += 4) {
      const ob = (<usize>oo) << 2;
      const dv = v128.load(d + ob);
      v128.store(db + ob, f32x4.add(v128.load(db + ob), dv));
      for (let p = p0; p < p1; p++) {
        const g = dW + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob;
        v128.store(g, f32x4.add(v128.load(g), dv));
      }
    }
    for (; oo < O; oo++) {
      const ob = (<usize>oo) << 2;
      const dv = load<f32>(d + ob);
      store<f32>(db + ob, load<f32>(db + ob) + dv);
      for (let p = p0; p < p1; p++) {
        const g = dW + <usize>load<i32>(indices + ((<usize>p) << 2)) * ro + ob;
        store<f32>(g, load<f32>(g) + dv);
      }
    }
  }
}
