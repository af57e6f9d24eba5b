// `quanta/tokens` (browser-safe, no Wasm): per-token loss analyses of a tokens x models matrix (paper
// section 4: mean-loss scaling, loss distributions, monogenic and polygenic tokens).
export * from '../lm/token-analysis.js';
