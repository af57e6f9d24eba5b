// Per-token loss analyses (paper section 4) on synthetic user matrices: a planted alpha_N is recovered, planted
// monogenic and polygenic rows are found (and nothing else), p(L) integrates to 1, alpha_S from planted
// checkpoints; `quanta tokens` writes its outputs and rejects bad matrices with exit 2, one line, no output.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { registerTokens } from '../../src/cli/commands/tokens.js';
import {
  analyseTokenLosses,
  lossHistograms,
  meanLossScaling,
  monogenicTokens,
  polygenicTokens,
  trainingScaling,
} from '../../src/lm/token-analysis.js';
import { parseCsvLine, tokenContext } from '../../src/lm/token-losses.js';
import { inProcessCli } from '../cli-in-process.js';

const PARAMS = [1e5, 3e5, 1e6, 3e6, 1e7, 3e7];

/**
 * A matrix with a planted mean-loss power law: row r's losses are base_r * (N / N0)^-alpha (so every column
 * mean is exactly proportional to N^-alpha), plus planted monogenic rows (7 nats, then 0.1 from model j on)
 * and polygenic rows (linear in ln N with slope -0.5). The base rows never meet either criterion.
 */
function plantedMatrix(rows: number, alpha: number, mono: number[], poly: number[]): Float32Array {
  const M = PARAMS.length;
  const L = new Float32Array(rows * M);
  for (let r = 0; r < rows; r++) {
    const base = 2 + (r % 5) * 0.3;
    for (let m = 0; m < M; m++) L[r * M + m] = base * Math.pow(PARAMS[m] / PARAMS[0], -alpha);
  }
  mono.forEach((r, i) => {
    const j = 1 + (i % (M - 1));
    for (let m = 0; m < M; m++) L[r * M + m] = m < j ? 7 : 0.1;
  });
  for (const r of poly) for (let m = 0; m < M; m++) L[r * M + m] = 9 - 0.5 * Math.log(PARAMS[m]);
  return L;
}

describe('token analyses', () => {
  it('recovers a planted alpha_N exactly from column means', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 0.3, noNaN: true }),
        fc.integer({ min: 5, max: 40 }),
        (alpha, rows) => {
          const L = plantedMatrix(rows, alpha, [], []);
          const s = meanLossScaling(L, rows, PARAMS);
          expect(s.alphaN).toBeCloseTo(alpha, 5);
          expect(s.fit.r2).toBeGreaterThan(0.9999);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('finds exactly the planted monogenic and polygenic rows, with their transitions', () => {
    const rows = 200;
    const mono = [3, 17, 50, 120, 199];
    const poly = [5, 60, 61];
    const L = plantedMatrix(rows, 0.05, mono, poly);
    const found = monogenicTokens(L, rows, PARAMS.length);
    expect(found.map((t) => t.row)).toEqual(mono);
    expect(found.map((t) => t.transition)).toEqual([1, 2, 3, 4, 5]);
    const p = polygenicTokens(L, rows, PARAMS);
    expect(p.map((t) => t.row)).toEqual(poly);
    for (const t of p) expect(t.slope).toBeCloseTo(-0.5, 5);
    // scanning only the first rows, as the paper's first 100,000 tokens
    expect(polygenicTokens(L, rows, PARAMS, 60).map((t) => t.row)).toEqual([5]);
    const a = analyseTokenLosses({ losses: L, rows, parameters: PARAMS });
    expect(a.monogenicShare).toBeCloseTo(5 / 200);
    expect(a.polygenicShare).toBeCloseTo(3 / 200);
  });

  it('a row that is high then low but not below 0.3 everywhere after is not monogenic', () => {
    const M = PARAMS.length;
    const L = new Float32Array([6, 6, 0.1, 0.5, 0.1, 0.1]);
    expect(monogenicTokens(L, 1, M)).toEqual([]);
    expect(monogenicTokens(new Float32Array([0.1, 0.1, 0.1, 0.1, 0.1, 0.1]), 1, M)).toEqual([]);
  });

  it('p(L) integrates to 1 over the range and counts losses beyond it as outside', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 14, noNaN: true }), { minLength: 1, maxLength: 200 }),
        (xs) => {
          const L = Float32Array.from(xs);
          const h = lossHistograms(L, xs.length, 1);
          const width = h.edges[1] - h.edges[0];
          const beyond = xs.filter((x) => Math.fround(x) / Math.LN2 > 18).length / xs.length;
          expect(h.outside[0]).toBeCloseTo(beyond, 9);
          if (beyond < 1) expect(h.density[0].reduce((a, b) => a + b, 0) * width).toBeCloseTo(1, 6);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('alpha_S from planted checkpoints over the paper window', () => {
    const steps = [10, 20, 50, 100, 200, 400, 700, 1000];
    const rows = 30;
    const L = new Float32Array(rows * steps.length);
    for (let r = 0; r < rows; r++)
      steps.forEach((s, c) => (L[r * steps.length + c] = (3 + (r % 3)) * Math.pow(s, -0.06)));
    const t = trainingScaling(L, rows, steps);
    expect(t.alphaS).toBeCloseTo(0.06, 5);
    expect(t.window).toEqual([100, 400]); // 700 of 1000 is just past 100/143 of training
  });

  it('CSV lines and token contexts', () => {
    expect(parseCsvLine('1,"a,b",""""')).toEqual(['1', 'a,b', '"']);
    const tokens = [
      { token: 'x', text: 'a' },
      { token: 'the', text: 'b' },
      { token: '<unk>', word: 'cat', text: 'b' },
    ];
    expect(tokenContext(tokens, 2)).toEqual(['the', 'cat']);
  });
});

const cli = inProcessCli(registerTokens);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-tokens-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('quanta tokens', () => {
  it('analyses a user matrix: --json has alphaN and the planted rows; report and CSVs written', async () => {
    const rows = 300;
    const mono = [10, 20, 30];
    const poly = [40, 41];
    const L = plantedMatrix(rows, 0.083, mono, poly);
    const path = join(dir, 'L.npy');
    writeNpy(path, L, [rows, PARAMS.length]);
    const side = [
      'row,token,tag,text,position',
      ...Array.from({ length: rows }, (_, r) => `${r},w${r},nn,t${Math.floor(r / 50)},${r % 50}`),
    ];
    writeFileSync(join(dir, 'tokens.csv'), side.join('\n') + '\n');
    const out = join(dir, 'out');
    const r = await cli([
      'tokens',
      '--losses',
      path,
      '--parameters',
      PARAMS.join(','),
      '--tokens',
      join(dir, 'tokens.csv'),
      '--json',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { alphaN: number; monogenic: number[]; polygenic: number[] };
    expect(j.alphaN).toBeCloseTo(meanLossScaling(L, rows, PARAMS).alphaN, 10);
    expect(j.monogenic).toEqual(mono);
    expect(j.polygenic).toEqual(poly);
    for (const f of [
      'report.html',
      'analysis.json',
      'lm-mean-loss-scaling.csv',
      'lm-loss-density.csv',
      'lm-monogenic-examples.csv',
    ])
      expect(existsSync(join(out, f))).toBe(true);
    // without the planted rows, the column means follow the planted power law exactly
    const pure = join(dir, 'pure.npy');
    writeNpy(pure, plantedMatrix(rows, 0.083, [], []), [rows, PARAMS.length]);
    const r2 = await cli([
      'tokens',
      '--losses',
      pure,
      '--parameters',
      PARAMS.join(','),
      '--json',
      '--out',
      join(dir, 'o2'),
    ]);
    expect((JSON.parse(r2.stdout) as { alphaN: number }).alphaN).toBeCloseTo(0.083, 6);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('w10');
  }, 20_000);

  it('bad matrices and options exit 2 with one line and write nothing', async () => {
    const rows = 20;
    const good = plantedMatrix(rows, 0.1, [], []);
    const cases: [string, (p: string) => void, string[], RegExp][] = [
      [
        'shape',
        (p) => writeNpy(p, good, [rows, PARAMS.length]),
        ['--parameters', '1,2,3'],
        /6 columns but there are 3 models/,
      ],
      [
        'nan',
        (p) =>
          writeNpy(
            p,
            Float32Array.from(good, (v, i) => (i === 13 ? NaN : v)),
            [rows, PARAMS.length],
          ),
        [],
        /non-finite loss \(NaN\) at row 2, column 1/,
      ],
      [
        'negative',
        (p) =>
          writeNpy(
            p,
            Float32Array.from(good, (v, i) => (i === 0 ? -1 : v)),
            [rows, PARAMS.length],
          ),
        [],
        /negative loss/,
      ],
      ['1-D', (p) => writeNpy(p, good, [good.length]), [], /2-D matrix/],
      ['not npy', (p) => writeFileSync(p, 'hello'), [], /--losses/],
      [
        'order',
        (p) => writeNpy(p, good, [rows, PARAMS.length]),
        ['--parameters', [...PARAMS].reverse().join(',')],
        /strictly increasing/,
      ],
    ];
    for (const [name, write, extra, message] of cases) {
      const p = join(dir, `${name}.npy`);
      write(p);
      const out = join(dir, `out-${name}`);
      const args = ['tokens', '--losses', p, '--parameters', PARAMS.join(','), ...extra, '--out', out];
      const r = await cli(args);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(existsSync(out), name).toBe(false);
    }
    const r = await cli(['tokens', '--parameters', '1,2', '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--losses/);
  });
});
