// The AdamW optimiser step over one flat parameter buffer, exactly as torch.optim.AdamW (single-tensor path):
//   p *= 1 - lr wd;  m = lerp(m, g, 1 - b1);  v = b2 v + (1 - b2) g^2;
//   p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// (evaluated with one division per element; equal up to f32 rounding)

/**
 * One AdamW step at step number t (1 for the first step) over `len` floats.
 * params, grads, m, v: f32[len], 16-byte aligned, not overlapping; len a multiple of 4 (the model pads every
 * piece to 4 floats; padded floats with zero params and zero grads stay exactly zero). m and v start at zero.
 */
export function adamw_step(
  params: usize,
  grads: usize,
  m: usize,
  v: usize,
  len: i32,
  lr: f64,
  beta1: f64,
  beta2: f64,
  eps: f64,
  weightDecay: f64,
  t: i32,
): void {
  const bc1 = 1 - Math.pow(beta1, <f64>t);
  const bc2 = 1 - Math.pow(beta2, <f64>t);
  const decay = f32x4.splat(<f32>(1 - lr * weightDecay));
  const oneMinusB1 = f32x4.splat(<f32>(1 - beta1));
  const b2 = f32x4.splat(<f32>beta2);
  const oneMinusB2 = f32x4.splat(<f32>(1 - beta2));
  // m / (sqrt(v) / sqrt(bc2) + eps) = sqrt(bc2) m / (sqrt(v) + eps sqrt(bc2)): one division, not two
  const stepSize = f32x4.splat(<f32>((lr / bc1) * Math.sqrt(bc2)));
  const epsV = f32x4.splat(<f32>(eps * Math.sqrt(bc2)));
  const applyDecay = weightDecay != 0;
  // two vectors an iteration: the sqrt and division of one overlap the loads and stores of the other
  // (measured 2.5x faster than one vector an iteration on the paper's 301,504 parameters; same bits)
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const q = (<usize>i) << 2;
    const g0 = v128.load(grads + q);
    const g1 = v128.load(grads + q, 16);
    let p0 = v128.load(params + q);
    let p1 = v128.load(params + q, 16);
    if (applyDecay) {
      p0 = f32x4.mul(p0, decay);
      p1 = f32x4.mul(p1, decay);
    }
    let m0 = v128.load(m + q);
    let m1 = v128.load(m + q, 16);
    m0 = f32x4.add(m0, f32x4.mul(oneMinusB1, f32x4.sub(g0, m0)));
    m1 = f32x4.add(m1, f32x4.mul(oneMinusB1, f32x4.sub(g1, m1)));
    const v0 = f32x4.add(f32x4.mul(v128.load(v + q), b2), f32x4.mul(oneMinusB2, f32x4.mul(g0, g0)));
    const v1 = f32x4.add(f32x4.mul(v128.load(v + q, 16), b2), f32x4.mul(oneMinusB2, f32x4.mul(g1, g1)));
    p0 = f32x4.sub(p0, f32x4.mul(stepSize, f32x4.div(m0, f32x4.add(f32x4.sqrt(v0), epsV))));
    p1 = f32x4.sub(p1, f32x4.mul(stepSize, f32x4.div(m1, f32x4.add(f32x4.sqrt(v1), epsV))));
    v128.store(params + q, p0);
    v128.store(params + q, p1, 16);
    v128.store(m + q, m0);
    v128.store(m + q, m1, 16);
    v128.store(v + q, v0);
    v128.store(v + q, v1, 16);
  }
  for (; i < len; i += 4) {
    const q = (<usize>i) << 2;
    const g = v128.load(grads + q);
    let p = v128.load(params + q);
    if (applyDecay) p = f32x4.mul(p, decay);
    let mi = v128.load(m + q);
    mi = f32x4.add(mi, f32x4.mul(oneMinusB1, f32x4.sub(g, mi)));
    const vi = f32x4.add(f32x4.mul(v128.load(v + q), b2), f32x4.mul(oneMinusB2, f32x4.mul(g, g)));
    const denom = f32x4.add(f32x4.sqrt(vi), epsV);
    p = f32x4.sub(p, f32x4.mul(stepSize, f32x4.div(mi, denom)));
    v128.store(params + q, p);
    v128.store(m + q, mi);
    v128.store(v + q, vi);
  }
}
