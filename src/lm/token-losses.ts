// Per-token loss matrices, ours (`quanta lm train`) or a user's (for example Pythia per-token losses saved from
// PyTorch with np.save): rows are tokens, columns are models (ascending parameter counts) or checkpoints
// (ascending steps), losses in nats, float16/32/64. Validation reads the whole matrix once and names the first
// bad entry, so a bad file fails before any output is written. The optional side file (tokens.csv) gives each
// row's token and where it sits, for showing tokens in their context.
import { existsSync } from 'node:fs';
import { ConfigError, require } from '../core/errors.js';
import { NpyReader, readNpyF32 } from '../io/npy.js';
import { readTextInput } from '../io/read.js';

export interface LossMatrix {
  /** f32 [rows x columns] row-major, nats. */
  losses: Float32Array;
  rows: number;
  columns: number;
}

/**
 * Reads a 2-D loss matrix and checks it: `columns` columns (what they are is in `what`, e.g. 'models in
 * --parameters'), every entry finite and >= 0. Throws a ConfigError naming the first problem.
 */
export function readLossMatrix(path: string, columns: number, what: string, flag = '--losses'): LossMatrix {
  require(existsSync(path), `${flag}: no file ${path}`);
  let shape: number[];
  try {
    const r = new NpyReader(path);
    shape = r.header.shape;
    r.close();
  } catch (e) {
    throw new ConfigError(`${flag}: ${(e as Error).message.replace(/^quanta: /, '')}`);
  }
  require(shape.length ===
    2, `${flag}: ${path} must be a 2-D matrix (tokens x ${what}), got shape (${shape.join(', ')})`);
  const [rows, cols] = shape;
  require(rows >= 1, `${flag}: ${path} has no rows`);
  require(cols ===
    columns, `${flag}: ${path} has ${cols} columns but there are ${columns} ${what} (rows are tokens, columns ${what})`);
  const { data } = readNpyF32(path);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      throw new ConfigError(
        `${flag}: ${path} has a non-finite loss (${v}) at row ${Math.floor(i / cols)}, column ${i % cols}`,
      );
    }
    if (v < 0) {
      throw new ConfigError(
        `${flag}: ${path} has a negative loss (${v}) at row ${Math.floor(i / cols)}, column ${i % cols}: losses are cross-entropies in nats, >= 0`,
      );
    }
  }
  return { losses: data, rows, columns: cols };
}

/** Checks a list of model sizes or steps: positive, strictly increasing. */
export function validateAxis(values: number[], flag: string, minCount: number): void {
  require(values.length >= minCount, `${flag} must list at least ${minCount} values`);
  for (const v of values)
    require(Number.isFinite(v) && v > 0, `${flag} values must be positive numbers, got ${v}`);
  for (let i = 1; i < values.length; i++)
    require(values[i] >
      values[i - 1], `${flag} must be strictly increasing (columns in order), got ${values.join(',')}`);
}

/** One row of the side file. `token` is the model's token text; the rest is optional. */
export interface TokenInfo {
  token: string;
  /** The corpus word (differs from token when the token is <unk>). */
  word?: string;
  tag?: string;
  text?: string;
  position?: number;
}

/** Splits one CSV line (RFC 4180 quotes). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * Reads a side file: CSV with a header holding at least `token` (optional word, tag, text, position), one row
 * per matrix row in order (`quanta lm train` writes tokens.csv this way). Rows must match the matrix.
 */
export function readTokenInfo(path: string, rows: number, flag = '--tokens'): TokenInfo[] {
  require(existsSync(path), `${flag}: no file ${path}`);
  let text: string;
  try {
    text = readTextInput(path); // a folder or /dev/zero is refused, not read (forever)
  } catch (e) {
    throw new ConfigError(`${flag}: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const header = parseCsvLine(lines[0] ?? '');
  const col = (name: string) => header.indexOf(name);
  require(col('token') >= 0, `${flag}: ${path} needs a CSV header with a 'token' column`);
  require(lines.length - 1 ===
    rows, `${flag}: ${path} has ${lines.length - 1} rows, the loss matrix ${rows}`);
  const [ct, cw, cg, cx, cp] = ['token', 'word', 'tag', 'text', 'position'].map(col);
  const out: TokenInfo[] = new Array<TokenInfo>(rows);
  for (let r = 0; r < rows; r++) {
    const f = parseCsvLine(lines[r + 1]);
    const info: TokenInfo = { token: f[ct] ?? '' };
    if (cw >= 0) info.word = f[cw];
    if (cg >= 0) info.tag = f[cg];
    if (cx >= 0) info.text = f[cx];
    if (cp >= 0) info.position = Number(f[cp]);
    out[r] = info;
  }
  return out;
}

/** The shown form of a row's token: the corpus word, marked when the model saw it as <unk>. */
export function shownToken(info: TokenInfo): string {
  if (info.word !== undefined && info.word !== info.token) return `${info.word} (${info.token})`;
  return info.token;
}

/**
 * Row `row` in its context: up to `before` earlier rows of the same text (when the side file says which text;
 * otherwise the earlier rows), then the token itself. Returns [context words, token].
 */
export function tokenContext(tokens: TokenInfo[], row: number, before = 12): [string, string] {
  const here = tokens[row];
  const words: string[] = [];
  for (let r = row - 1; r >= 0 && words.length < before; r--) {
    const t = tokens[r];
    if (here.text !== undefined && t.text !== here.text) break;
    words.unshift(t.word ?? t.token);
  }
  return [words.join(' '), here.word ?? here.token];
}
