// Softmax cross-entropy over the logits of the last Linear layer, with its gradient (llm.c's
// crossentropy_softmax_backward folded into the forward).

/**
 * Softmax cross-entropy of B samples over C classes, numerically stable (the row max is subtracted).
 *   logits [B x C] f32, labels i32[B] with 0 <= label < C (the caller guarantees it).
 *   dlogits [B x C] f32 or 0: written (softmax - onehot) * gradScale (gradScale = 1/B for the mean loss);
 *     dlogits may equal logits (the logits are then overwritten).
 *   perSampleLoss f32[B] or 0: -log softmax[label], nats.
 *   correct i32[B] or 0: 1 if argmax == label (ties go to the lower class, as torch.argmax), else 0.
 *   correctCount i32[1] or 0: receives the number of correct samples.
 * Returns the summed loss over the batch (f64, nats): the mean is that / B.
 */
export function cross_entropy_forward(
  logits: usize,
  labels: usize,
  B: i32,
  C: i32,
  dlogits: usize,
  gradScale: f32,
  perSampleLoss: usize,
  correct: usize,
  correctCount: usize,
): f64 {
  const rc = (<usize>C) << 2;
  let total: f64 = 0;
  let nCorrect = 0;
  for (let s = 0; s < B; s++) {
    const z = logits + <usize>s * rc;
    const y = load<i32>(labels + ((<usize>s) << 2));
    let zmax = load<f32>(z);
    let arg = 0;
    for (let c = 1; c < C; c++) {
      const v = load<f32>(z + ((<usize>c) << 2));
      if (v > zmax) {
        zmax = v;
        arg = c;
      }
    }
    // sum of all exponentials and of those of the other classes (f64): the label's gradient is written as
    // -(sum of the other probabilities) and the loss as log1p(others / e_y), so that both stay exact for
    // the near-zero losses QDG selects (p_y - 1 would round to 0 in f32 below ~6e-8 nats).
    let sum: f64 = 0;
    let others: f64 = 0;
    const zy = load<f32>(z + ((<usize>y) << 2));
    const ey = <f64>Mathf.exp(zy - zmax);
    if (dlogits != 0) {
      const g = dlogits + <usize>s * rc;
      for (let c = 0; c < C; c++) {
        const e = Mathf.exp(load<f32>(z + ((<usize>c) << 2)) - zmax);
        sum += e;
        if (c != y) others += e;
        store<f32>(g + ((<usize>c) << 2), e);
      }
      const inv = <f32>(1 / sum);
      for (let c = 0; c < C; c++) {
        const q = g + ((<usize>c) << 2);
        store<f32>(q, load<f32>(q) * inv * gradScale);
      }
      store<f32>(g + ((<usize>y) << 2), <f32>-(others / sum) * gradScale);
    } else {
      for (let c = 0; c < C; c++) {
        const e = Mathf.exp(load<f32>(z + ((<usize>c) << 2)) - zmax);
        sum += e;
        if (c != y) others += e;
      }
    }
    // log1p form when the label holds most of the mass (exact for tiny losses), else the plain form (e_y may underflow)
    const loss = ey >= 0.5 ? Math.log1p(others / ey) : Math.log(sum) - (<f64>zy - <f64>zmax);
    total += loss;
    if (perSampleLoss != 0) store<f32>(perSampleLoss + ((<usize>s) << 2), <f32>loss);
    const ok = arg == y ? 1 : 0;
    nCorrect += ok;
    if (correct != 0) store<i32>(correct + ((<usize>s) << 2), ok);
  }
  if (correctCount != 0) store<i32>(correctCount, nCorrect);
  return total;
}
