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
  for (let i = 0; i < len; i += 4) {
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
