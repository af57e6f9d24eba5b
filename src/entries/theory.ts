// `quanta/theory` (browser-safe, no Wasm): the quantization model's L_n, its Appendix A laws and the
// predicted exponents beside the paper's and published ones.
export * from '../theory/exponents.js';
export * from '../theory/quantization.js';
export * from '../theory/zeta.js';
