// `quanta/tokens` in Node: ./tokens.ts plus reading a loss matrix (.npy) and its tokens (CSV) from files.
export * from './tokens.js';
export {
  readLossMatrix,
  readTokenInfo,
  shownToken,
  tokenContext,
  type LossMatrix,
  type TokenInfo,
} from '../lm/token-losses.js';
