// Hidden activations: out = f(inp) elementwise over n floats (out may equal inp); backward from the OUTPUT:
// dinp = dout * f'(inp) written as a function of out (dinp may equal dout). f32, any 4-byte alignment.

/** ReLU: out = max(inp, 0). f32[n]. */
export function relu_forward(out: usize, inp: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = (<usize>i) << 2;
    v128.store(out + q, f32x4.max(v128.load(inp + q), zero));
  }
  for (; i < n; i++) store<f32>(out + ((<usize>i) << 2), max<f32>(load<f32>(inp + ((<usize>i) << 2)), 0));
}

/** dinp = out > 0 ? dout : 0, where out = relu_forward's output. f32[n]. */
export function relu_backward(dinp: usize, dout: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = (<usize>i) << 2;
    v128.store(dinp + q, v128.and(v128.load(dout + q), f32x4.gt(v128.load(out + q), zero)));
  }
  for (; i < n; i++) {
    const q = (<usize>i) << 2;
    store<f32>(dinp + q, load<f32>(out + q) > 0 ? load<f32>(dout + q) : 0);
  }
}

/** Tanh: out = tanh(inp). f32[n]. */
export function tanh_forward(out: usize, inp: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const q = (<usize>i) << 2;
    store<f32>(out + q, Mathf.tanh(load<f32>(inp + q)));
  }
}

/** dinp = dout * (1 - out^2), where out = tanh_forward's output. f32[n]. */
export function tanh_backward(dinp: usize, dout: usize, out: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = (<usize>i) << 2;
    const y = v128.load(out + q);
    v128.store(dinp + q, f32x4.mul(v128.load(dout + q), f32x4.sub(one, f32x4.mul(y, y))));
  }
  for (; i < n; i++) {
    const q = (<usize>i) << 2;
    const y = load<f32>(out + q);
    store<f32>(dinp + q, load<f32>(dout + q) * (1 - y * y));
  }
}

/** Sigmoid: out = 1 / (1 + exp(-inp)). f32[n]. */
export function sigmoid_forward(out: usize, inp: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const q = (<usize>i) << 2;
    store<f32>(out + q, 1 / (1 + Mathf.exp(-load<f32>(inp + q))));
  }
}

/** dinp = dout * out * (1 - out), where out = sigmoid_forward's output. f32[n]. */
export function sigmoid_backward(dinp: usize, dout: usize, out: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = (<usize>i) << 2;
    const y = v128.load(out + q);
    v128.store(dinp + q, f32x4.mul(v128.load(dout + q), f32x4.mul(y, f32x4.sub(one, y))));
  }
  for (; i < n; i++) {
    const q = (<usize>i) << 2;
    const y = load<f32>(out + q);
    store<f32>(dinp + q, load<f32>(dout + q) * y * (1 - y));
  }
}
