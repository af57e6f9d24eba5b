// Over 450 lines by choice: one typed line per Wasm export (about 80), checked by test/core/api.test.ts.
// The typed interface of every export of the Wasm core. Pointers are byte offsets (number); i32 counts.
// Each kernel's memory layout and contract is documented beside its AssemblyScript source in assembly/.
// Written by hand, and held to the binary by test/core/api.test.ts: every export with its parameter count and
// whether it returns a value, in both directions (a kernel added to assembly/ fails that test until it is here).

export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;

  // assembly/rng.ts (philox and uniform53 are the scalar helpers of the kernels, exported with them)
  philox(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): void;
  uniform53(a: number, b: number): number;
  /** philox's four output words: exported globals, scratch between a philox call and its reader. */
  readonly pw0: unknown;
  readonly pw1: unknown;
  readonly pw2: unknown;
  readonly pw3: unknown;
  rng_fill_u32(
    out: number,
    nBlocks: number,
    seedLo: number,
    seedHi: number,
    stream: number,
    c1: number,
    c0Base: number,
    c3: number,
  ): void;
  rng_fill_uniform(
    out: number,
    count: number,
    seedLo: number,
    seedHi: number,
    stream: number,
    c1: number,
    c0Base: number,
  ): void;

  // assembly/parity.ts
  parity_sample_subtasks(
    subtasks: number,
    B: number,
    cdf: number,
    nTasks: number,
    seedLo: number,
    seedHi: number,
    stream: number,
    c1: number,
    c0Base: number,
    ids: number,
  ): void;
  parity_fill_inputs(
    offsets: number,
    indices: number,
    labels: number,
    subtasks: number,
    B: number,
    nTasks: number,
    n: number,
    k: number,
    subsets: number,
    seedLo: number,
    seedHi: number,
    stream: number,
    c1: number,
    c0Base: number,
    ids: number,
  ): number;

  // assembly/limits.ts (microbenchmarks of the machine's limits: bench/limits.mjs)
  limits_f32x4_muladd(state: number, iters: number, m: number, c: number): void;
  limits_f64x2_muladd(state: number, iters: number, m: number, c: number): void;
  limits_read(src: number, bytes: number): number;
  limits_write(dst: number, bytes: number, value: number): void;
  limits_copy(dst: number, src: number, bytes: number): void;
  limits_bulk_copy(dst: number, src: number, bytes: number): void;

  // the MLP's layers and AdamW (src/train/model.ts, optimizer.ts): assembly/linear.ts (dense layers),
  // sparse-linear.ts (the sparse first layer), activation.ts, cross-entropy.ts, adam.ts
  linear_forward(out: number, inp: number, W: number, b: number, B: number, I: number, O: number): void;
  linear_backward(
    dinp: number,
    dW: number,
    db: number,
    dout: number,
    inp: number,
    W: number,
    B: number,
    I: number,
    O: number,
  ): void;
  /** ReLU of inp in place (a pre-activation), then linear_forward of it; one pass for O == 2. */
  relu_linear_forward(out: number, inp: number, W: number, b: number, B: number, I: number, O: number): void;
  /** linear_backward then relu_backward of dinp against inp (a ReLU output), in one pass for O == 2. */
  linear_backward_relu(
    dinp: number,
    dW: number,
    db: number,
    dout: number,
    inp: number,
    W: number,
    B: number,
    I: number,
    O: number,
  ): void;
  sparse_linear_forward(
    out: number,
    offsets: number,
    indices: number,
    W: number,
    b: number,
    B: number,
    O: number,
  ): void;
  sparse_linear_backward(
    dW: number,
    db: number,
    dout: number,
    offsets: number,
    indices: number,
    B: number,
    O: number,
  ): void;
  relu_forward(out: number, inp: number, n: number): void;
  relu_backward(dinp: number, dout: number, out: number, n: number): void;
  tanh_forward(out: number, inp: number, n: number): void;
  tanh_backward(dinp: number, dout: number, out: number, n: number): void;
  sigmoid_forward(out: number, inp: number, n: number): void;
  sigmoid_backward(dinp: number, dout: number, out: number, n: number): void;
  cross_entropy_forward(
    logits: number,
    labels: number,
    B: number,
    C: number,
    dlogits: number,
    gradScale: number,
    perSampleLoss: number,
    correct: number,
    correctCount: number,
  ): number;
  adamw_step(
    params: number,
    grads: number,
    m: number,
    v: number,
    len: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    t: number,
  ): void;

  // assembly/byte-table.ts, byte-table-backward.ts, byte-table-plain1.ts (the sparse first layer through byte
  // tables: src/train/sparse-first-layer.ts)
  sparse_bits_recode(
    codes: number,
    offsets: number,
    indices: number,
    B: number,
    bitsFrom: number,
    nBits: number,
  ): number;
  sparse_bits_forward(
    out: number,
    offsets: number,
    indices: number,
    codes: number,
    W: number,
    b: number,
    B: number,
    O: number,
    bitsFrom: number,
    nBits: number,
    slab: number,
  ): void;
  sparse_bits_buckets(buckets: number, bucketOffsets: number, codes: number, B: number, nBits: number): void;
  sparse_bits_backward(
    dW: number,
    db: number,
    dout: number,
    offsets: number,
    indices: number,
    codes: number,
    buckets: number,
    bucketOffsets: number,
    B: number,
    O: number,
    bitsFrom: number,
    nBits: number,
    slab: number,
  ): void;

  sparse_bits_plain_buckets(
    plainBuckets: number,
    plainOffsets: number,
    offsets: number,
    indices: number,
    codes: number,
    B: number,
    bitsFrom: number,
    nBits: number,
  ): number;
  sparse_bits_backward_plain1(
    dW: number,
    db: number,
    dout: number,
    offsets: number,
    indices: number,
    codes: number,
    buckets: number,
    bucketOffsets: number,
    plainBuckets: number,
    plainOffsets: number,
    B: number,
    O: number,
    bitsFrom: number,
    nBits: number,
    slab: number,
    strip: number,
  ): void;

  // QDG numerics: assembly/gemm.ts (gemm_abt_f32, gemm_abt_f64), syrk.ts (Gram helpers), affinity.ts, kmeans.ts
  gemm_abt_f32(
    C: number,
    ldc: number,
    A: number,
    lda: number,
    B: number,
    ldb: number,
    m: number,
    n: number,
    K: number,
    tri: number,
  ): void;
  bits_gram(
    C: number,
    ldc: number,
    A: number,
    B: number,
    words: number,
    m: number,
    n: number,
    tri: number,
  ): void;
  gram_hadamard_add(G: number, D: number, X: number, ld: number, m: number, n: number, shift: number): void;
  gram_mirror_lower(C: number, S: number, row0: number, rows: number): void;
  gram_inv_norms(G: number, S: number, scratch: number): void;
  gram_cosine_rows(G: number, S: number, scratch: number, row0: number, rows: number): void;
  acos_f32(c: number): number;
  affinity_angular(C: number, S: number, row0: number, rows: number): void;
  affinity_angular_abs(C: number, S: number, row0: number, rows: number): void;
  gemm_abt_f64(
    C: number,
    ldc: number,
    A: number,
    lda: number,
    B: number,
    ldb: number,
    m: number,
    n: number,
    K: number,
  ): void;
  kmeans_row_norms(X: number, S: number, d: number, out: number): void;
  kmeans_assign(
    X: number,
    S: number,
    d: number,
    xNorm: number,
    centers: number,
    k: number,
    cNorm: number,
    labels: number,
    minDist: number,
    scratch: number,
  ): number;
  kmeans_update(
    X: number,
    S: number,
    d: number,
    labels: number,
    k: number,
    centers: number,
    counts: number,
    order: number,
    starts: number,
  ): void;
  kmeans_update_moves(
    X: number,
    S: number,
    d: number,
    labels: number,
    prev: number,
    k: number,
    sums: number,
    centers: number,
    counts: number,
    terms: number,
    flags: number,
    all: number,
    order: number,
    starts: number,
  ): void;
  kmeans_pp_trials(
    X: number,
    S: number,
    d: number,
    xNorm: number,
    cand: number,
    candNorm: number,
    t: number,
    closest: number,
    dist: number,
    pots: number,
  ): void;
  kmeans_pp_accept(closest: number, dist: number, S: number, stride: number): void;
  // bounded exact k-means (assembly/kmeans-bounded.ts, used by src/qdg/kmeans/)
  kmeans_to_f32(src: number, dst: number, n: number): void;
  kmeans_label_distances(
    X: number,
    S: number,
    d: number,
    centers: number,
    labels: number,
    minDist: number,
  ): void;
  kmeans_shifts(oldC: number, newC: number, k: number, d: number, shifts: number): number;
  kmeans_assign_bounded(
    X: number,
    X32: number,
    S: number,
    d: number,
    xNorm: number,
    centers: number,
    centers32: number,
    k: number,
    cNorm: number,
    labels: number,
    minDist: number,
    lower: number,
    shifts: number,
    delta: number,
    eta: number,
    g: number,
    rows: number,
    block: number,
    dots: number,
    cRoot: number,
  ): number;
  kmeans_pp_trials_bounded(
    X: number,
    X32: number,
    S: number,
    d: number,
    xNorm: number,
    cand: number,
    cand32: number,
    candNorm: number,
    candIdx: number,
    t: number,
    closest: number,
    near: number,
    lower: number,
    k: number,
    delta: number,
    eta: number,
    g: number,
    rows: number,
    block: number,
    dots: number,
    dist: number,
    pots: number,
    candInfo: number,
    base: number,
  ): number;
  kmeans_pp_accept_bounded(
    S: number,
    t: number,
    best: number,
    q: number,
    m: number,
    rows: number,
    count: number,
    dist: number,
    closest: number,
    near: number,
    lower: number,
    k: number,
    delta: number,
    eta: number,
  ): void;

  // Gram-route exact k-means (assembly/kmeans-gram.ts, used by src/qdg/kmeans/gram.ts)
  gram_extend_f64(F: number, F32: number, S: number, X: number, ld: number, c0: number, c1: number): void;
  kmeans_gram_trials(
    X: number,
    S: number,
    d: number,
    xNorm: number,
    xRoot: number,
    F32: number,
    candIdx: number,
    t: number,
    closest: number,
    dist: number,
    rows: number,
    changed: number,
    pots: number,
    bf: number,
    R: number,
    tau: number,
    full: number,
    base: number,
  ): number;
  kmeans_gram_accept(
    S: number,
    c: number,
    dist: number,
    rows: number,
    changed: number,
    closest: number,
    xNorm: number,
    xRoot: number,
    bf: number,
    R: number,
    tau: number,
  ): void;
  kmeans_gram_rows(F32: number, S: number, rows: number, k: number, Pt: number): void;
  kmeans_gram_sync(
    F32: number,
    S: number,
    labels: number,
    pmem: number,
    k: number,
    Pt: number,
    counts: number,
    terms: number,
    order: number,
    starts: number,
  ): number;
  kmeans_gram_assign(
    X: number,
    S: number,
    d: number,
    xRoot: number,
    R: number,
    centers: number,
    k: number,
    cNorm: number,
    Pt: number,
    counts: number,
    terms: number,
    cerr: number,
    labels: number,
    minDist: number,
    scratch: number,
    distances: number,
  ): number;
  kmeans_gram_assign_changed(
    X: number,
    S: number,
    d: number,
    xRoot: number,
    R: number,
    centers: number,
    k: number,
    cNorm: number,
    Pt: number,
    counts: number,
    terms: number,
    cerr: number,
    labels: number,
    minDist: number,
    scratch: number,
    distances: number,
    changed: number,
    nc: number,
    flags: number,
    rows: number,
    info: number,
  ): number;

  // assembly/lanczos.ts and tridiagonal.ts (tridiag_ql): QDG's spectral embedding (src/qdg/eigen/lanczos.ts)
  lanczos_symv(a: number, S: number, x: number, y: number): void;
  lanczos_symv_upper(a: number, S: number, x: number, y: number): void;
  lanczos_symv_upper_rows(
    a: number,
    lda: number,
    S: number,
    i0: number,
    i1: number,
    x: number,
    y: number,
  ): void;
  lanczos_symm8_upper(a: number, S: number, x: number, y: number): void;
  lanczos_project(v: number, m: number, ld: number, S: number, w: number, h: number): void;
  lanczos_subtract(v: number, m: number, ld: number, S: number, h: number, w: number): void;
  lanczos_subtract_f32(v: number, m: number, ld: number, S: number, h: number, w: number): void;
  lanczos_ritz(v: number, m: number, ld: number, S: number, y: number, K: number, out: number): void;
  // assembly/lanczos-block.ts: the same for two vectors per pass over the matrix or basis (x, y, h interleaved)
  lanczos_symv2_upper_rows(
    a: number,
    lda: number,
    S: number,
    i0: number,
    i1: number,
    x: number,
    y: number,
  ): void;
  lanczos_project2(v: number, m: number, ld: number, S: number, w0: number, w1: number, h: number): void;
  lanczos_subtract2(v: number, m: number, ld: number, S: number, h: number, w0: number, w1: number): void;
  lanczos_subtract2_f32(
    v32: number,
    m: number,
    ld32: number,
    S: number,
    h: number,
    w0: number,
    w1: number,
  ): void;
  tridiag_ql(d: number, e: number, zt: number, n: number, R: number): number;

  // assembly/byte-table.ts, byte-table-plain1.ts and linear.ts: the depth-2 strip-major fast path
  // (src/train/sparse-first-layer.ts)
  sparse_bits_forward_strips(
    out: number,
    offsets: number,
    indices: number,
    codes: number,
    W: number,
    b: number,
    B: number,
    O: number,
    bitsFrom: number,
    nBits: number,
    slab: number,
  ): void;
  relu_linear_forward_strips(
    out: number,
    inp: number,
    W: number,
    b: number,
    B: number,
    I: number,
    O: number,
  ): void;
  linear_backward_relu_strips(
    dinp: number,
    dW: number,
    db: number,
    dout: number,
    inp: number,
    W: number,
    B: number,
    I: number,
    O: number,
  ): void;
  sparse_bits_backward_plain1_strips(
    dW: number,
    db: number,
    dout: number,
    offsets: number,
    indices: number,
    codes: number,
    buckets: number,
    bucketOffsets: number,
    plainBuckets: number,
    plainOffsets: number,
    B: number,
    O: number,
    bitsFrom: number,
    nBits: number,
    slab: number,
  ): void;
}
