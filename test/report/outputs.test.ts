// Outputs a researcher reuses, read back: the CSVs beside a report (columns named with units, rows sorted by
// x), fits with too few points (warned on stderr and listed in fits.json), and every figure (at least 500 px
// wide, x and y domains equal to the plotted data's extent, legends naming every series).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plantedMultiEpoch, plantedSingleEpoch } from '../synthetic-records.js';
import { serializeRecord, type RunRecord } from '../../src/train/record.js';
import { writeSweepReport } from '../../src/report/sweep-report.js';
import { alphaFitsOf, analyseFolder, multiEpochRuns, widestRuns } from '../../src/scaling/analysis.js';
import { heatmapFigures, lossScalingFigure, subtaskCurvesFigure } from '../../src/report/scaling-figures.js';
import { convergenceFigure, learnedVsDataFigure } from '../../src/report/exponent-figures.js';
import { theoryCurvesFigure } from '../../src/report/theory-figures.js';
import { rankFrequencyFigure, similarityFigure } from '../../src/report/qdg-figures.js';
import { cmrmap, colorBarLayout, similarityPng } from '../../src/qdg/similarity-image.js';
import { inflateSync } from 'node:zlib';
import { tokenFigures } from '../../src/lm/token-report.js';
import { analyseTokenLosses } from '../../src/lm/token-analysis.js';
import { vegaLiteToSvg, type Figure, type VegaLiteSpec } from '../../src/report/vega.js';
import { registerFit } from '../../src/cli/commands/fit.js';
import type { QdgAnalysis } from '../../src/qdg/pipeline.js';
import { inProcessCli } from '../cli-in-process.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-outputs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeFolder(records: RunRecord[]): string {
  const d = join(dir, 'sweep');
  mkdirSync(join(d, 'runs'), { recursive: true });
  records.forEach((r, i) => writeFileSync(join(d, 'runs', `r${i}.json`), serializeRecord(r)));
  return d;
}

function readCsv(path: string): { header: string[]; rows: Record<string, string>[] } {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const header = head.split(',');
  return {
    header,
    rows: lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v]))),
  };
}

const sortedBy = (rows: Record<string, string>[], column: string) => {
  const xs = rows.map((r) => Number(r[column]));
  return xs.every((x, i) => i === 0 || xs[i - 1] <= x);
};

describe('report CSVs', () => {
  it('name their columns with units and sort their rows by x', async () => {
    const d = writeFolder([
      ...plantedSingleEpoch({ alpha: 0.4, nTasks: 30, seeds: [1, 0] }),
      ...plantedMultiEpoch({ alpha: 0.4, nTasks: 30 }).reverse(),
    ]);
    await writeSweepReport(d);
    const data = join(d, 'report-data');
    const expected: [string, string[], string][] = [
      [
        'loss-vs-N.csv',
        ['alpha', 'series', 'parameters', 'mean_test_loss_bits', 'seed', 'used'],
        'parameters',
      ],
      ['loss-vs-S.csv', ['alpha', 'series', 'steps', 'mean_test_loss_bits', 'seed', 'used'], 'steps'],
      [
        'loss-vs-D.csv',
        ['alpha', 'series', 'training_samples', 'mean_test_loss_bits', 'seed', 'used'],
        'training_samples',
      ],
      [
        'heatmap-N-alpha-0.4.csv',
        ['alpha', 'parameters', 'parameters_lo', 'parameters_hi', 'subtask_rank', 'loss_bits'],
        'parameters',
      ],
      [
        'convergence-vs-frequency.csv',
        ['alpha', 'series', 'subtask_rank', 'p_k', 'convergence_step', 'seed'],
        'p_k',
      ],
      [
        'learned-vs-data.csv',
        ['alpha', 'series', 'training_samples', 'subtasks_learned', 'seed', 'used'],
        'training_samples',
      ],
      ['fig6-theory-curves.csv', ['alpha', 'quanta_learned', 'law', 'loss_nats'], 'quanta_learned'],
    ];
    for (const [name, header, x] of expected) {
      const csv = readCsv(join(data, name));
      expect(csv.header, name).toEqual(header);
      expect(sortedBy(csv.rows, x), `${name} sorted by ${x}`).toBe(true);
      expect(csv.rows.length).toBeGreaterThan(2);
    }
    // the measured N points: one per run, seeds 1 and 0 interleaved by N, not in run order
    const n = readCsv(join(data, 'loss-vs-N.csv')).rows.filter((r) => r.series === 'measured');
    expect(n.map((r) => r.seed).slice(0, 2)).toEqual(['1', '0']);
    const curves = readCsv(join(data, 'subtask-curves-single-epoch-width-256-alpha-0.4.csv'));
    expect(curves.header).toEqual(['series', 'subtask_rank', 'step', 'test_loss_bits']);
    expect(sortedBy(curves.rows, 'step')).toBe(true);
  }, 120_000);
});

const run = inProcessCli(registerFit);
/** `quanta fit ...args` in this process. */
const fit = (args: string[]) => run(['fit', ...args]);

describe('quanta fit --window', () => {
  it('fits as the same window in sweep.json would, records it, and refuses a bad one (exit 2, one line)', async () => {
    const records = plantedSingleEpoch({ alpha: 0.4, nTasks: 30 });
    const Ns = records.map((x) => x.parameters).sort((a, b) => a - b);
    const window: [number, number] = [Ns[1], Ns[5]];
    const byFlag = writeFolder(records);
    const r = await fit([byFlag, '--window', `N:${window[0]},${window[1]}`, '--window', 'S:400,9000']);
    expect(r.code).toBe(0);
    const flagged = JSON.parse(readFileSync(join(byFlag, 'fits.json'), 'utf8')) as Record<string, unknown>;
    expect(flagged.fitWindowsGiven).toEqual({ N: window, S: [400, 9000] });
    rmSync(byFlag, { recursive: true });
    const byPlan = writeFolder(records);
    writeFileSync(join(byPlan, 'sweep.json'), JSON.stringify({ fitWindows: { N: window, S: [400, 9000] } }));
    expect((await fit([byPlan])).code).toBe(0);
    const planned = JSON.parse(readFileSync(join(byPlan, 'fits.json'), 'utf8')) as Record<string, unknown>;
    delete flagged.fitWindowsGiven;
    expect(flagged).toEqual(planned);
    for (const bad of ['N:5,5', 'Q:1,2', 'S:400', 'D:-1,9', 'S:a,b']) {
      const b = await fit([byPlan, '--window', bad]);
      expect(b.code).toBe(2);
      expect(
        b.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('(run with --help')),
      ).toHaveLength(1);
      expect(b.stderr).toContain('--window must be VAR:lo,hi');
    }
  }, 60_000);
});

describe('quanta fit with too few points', () => {
  it('warns on stderr and lists the warnings in fits.json (2 points; a window that leaves 2)', async () => {
    const records = plantedSingleEpoch({ alpha: 0.4, nTasks: 30 });
    const two = writeFolder(records.slice(0, 2));
    const r = await fit([two]);
    expect(r.code).toBe(0);
    const fits = JSON.parse(readFileSync(join(two, 'fits.json'), 'utf8')) as { warnings?: string[] };
    expect(fits.warnings).toEqual([
      'alpha_N (alpha 0.4): only 2 distinct point(s) to fit, fewer than 3: a line through them, not a fit ' +
        '(r2 and interval mean nothing)',
    ]);
    expect(r.stderr).toBe(`quanta fit: WARNING: ${fits.warnings![0]}\n`);

    // all the runs, but a window of sweep.json that keeps two of them
    rmSync(two, { recursive: true });
    const Ns = records.map((x) => x.parameters).sort((a, b) => a - b);
    const all = writeFolder(records);
    writeFileSync(join(all, 'sweep.json'), JSON.stringify({ fitWindows: { N: [Ns[0], Ns[2]] } }));
    const w = await fit([all]);
    expect(w.code).toBe(0);
    const wf = JSON.parse(readFileSync(join(all, 'fits.json'), 'utf8')) as { warnings?: string[] };
    expect(wf.warnings?.[0]).toMatch(
      /^alpha_N \(alpha 0.4\): the fit window leaves only 2 of 6 distinct points/,
    );
    expect(w.stderr).toContain(`quanta fit: WARNING: ${wf.warnings![0]}\n`);

    // enough points: no warning, no `warnings` key
    rmSync(join(all, 'sweep.json'));
    const ok = await fit([all]);
    expect(ok.stderr).toBe('');
    expect(JSON.parse(readFileSync(join(all, 'fits.json'), 'utf8'))).not.toHaveProperty('warnings');
  }, 60_000);
});

// ---- figures -----------------------------------------------------------------------------------------------

/** RGB pixels of a PNG written by encodePng (8-bit RGB, filter 0 on every row). */
function decodePng(png: Uint8Array, width: number, height: number): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const idat: Uint8Array[] = [];
  for (let o = 8; o < png.length;) {
    const len = view.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    if (type === 'IDAT') idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (1 + 3 * width)]).toBe(0);
    rgb.set(raw.subarray(y * (1 + 3 * width) + 1, (y + 1) * (1 + 3 * width)), 3 * y * width);
  }
  return rgb;
}

interface Layer {
  data?: { values?: Record<string, unknown>[] };
  encoding?: Record<string, { field?: string; scale?: { domain?: unknown } }>;
  layer?: Layer[];
  hconcat?: Layer[];
}

/** Every x and y encoding with an explicit two-number domain, and all values of its field over the figure. */
function explicitDomains(spec: VegaLiteSpec): { field: string; domain: number[]; values: number[] }[] {
  const found: { field: string; domain: number[]; field2?: string }[] = [];
  const data: Record<string, unknown>[] = [];
  const walk = (l: Layer) => {
    if (l.data?.values) data.push(...l.data.values);
    for (const channel of ['x', 'y'] as const) {
      const e = l.encoding?.[channel];
      const d = e?.scale?.domain;
      if (e?.field && Array.isArray(d) && d.length === 2 && d.every((v) => typeof v === 'number'))
        found.push({ field: e.field, domain: d as number[], field2: l.encoding?.[`${channel}2`]?.field });
    }
    for (const sub of [...(l.layer ?? []), ...(l.hconcat ?? [])]) walk(sub);
  };
  walk(spec as Layer);
  const valuesOf = (field: string, field2?: string) =>
    data
      .flatMap((row) => [row[field], field2 ? row[field2] : undefined])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  // encodings of one scale (the same domain) over several fields: the domain spans all of them
  return found.map((f) => ({
    field: f.field,
    domain: f.domain,
    values: found
      .filter((g) => JSON.stringify(g.domain) === JSON.stringify(f.domain))
      .flatMap((g) => valuesOf(g.field, g.field2)),
  }));
}

async function checkFigure(f: Figure, legend: string[]): Promise<void> {
  const svg = await vegaLiteToSvg(f.spec);
  const width = Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)?.[1]);
  expect(width, `${f.id} width`).toBeGreaterThanOrEqual(500);
  const domains = explicitDomains(f.spec).filter((d) => d.values.length > 0);
  for (const d of domains) {
    expect(d.domain, `${f.id}: domain of ${d.field}`).toEqual([Math.min(...d.values), Math.max(...d.values)]);
  }
  for (const label of legend) expect(svg, `${f.id}: legend entry ${label}`).toContain(`>${label}</text>`);
}

describe('figures', () => {
  const records = [
    ...plantedSingleEpoch({ alpha: 0.4, nTasks: 30 }),
    ...plantedMultiEpoch({ alpha: 0.4, nTasks: 30 }),
  ];
  const fits = alphaFitsOf(analyseFolder({ records, fitWindows: {} }));

  it('sweep report: wide, axes spanning the data, legends with measured, fit, theory, mean and early stop', async () => {
    for (const v of ['N', 'S', 'D'] as const) {
      const f = lossScalingFigure(v, fits)!;
      expect(explicitDomains(f.spec).map((d) => d.field)).toEqual(
        expect.arrayContaining([
          { N: 'parameters', S: 'steps', D: 'training_samples' }[v],
          'mean_test_loss_bits',
        ]),
      );
      await checkFigure(f, ['measured', 'fit', 'theory']);
    }
    for (const f of heatmapFigures(records, 0.4)) {
      await checkFigure(f, []);
      // the colour bar: a gradient legend titled with the unit
      expect(await vegaLiteToSvg(f.spec)).toContain('>Test loss (bits)</text>');
    }
    const multi = multiEpochRuns(records);
    await checkFigure(subtaskCurvesFigure(multi[multi.length - 1], 'multi'), [
      'mean test loss',
      'early stop',
    ]);
    await checkFigure(subtaskCurvesFigure(widestRuns(records)[0], 'single'), ['mean test loss']);
    await checkFigure(convergenceFigure(fits)!, ['measured', 'fit', 'theory (slope -1)']);
    await checkFigure(learnedVsDataFigure(fits)!, ['measured', 'fit']);
    await checkFigure(theoryCurvesFigure(), ['b_k = -log p_k', 'b_k = 1']);
  }, 120_000);

  it('tokens report: the same rules', async () => {
    const params = [1e4, 3e4, 1e5, 3e5, 1e6];
    const rows = 60;
    const L = new Float32Array(rows * params.length);
    for (let r = 0; r < rows; r++)
      for (let m = 0; m < params.length; m++)
        L[r * params.length + m] = (1 + (r % 7) * 0.5) * Math.pow(params[m] / params[0], -0.1);
    const a = analyseTokenLosses({ losses: L, rows, parameters: params });
    const figs = tokenFigures(a, L);
    expect(figs.length).toBeGreaterThanOrEqual(3);
    await checkFigure(figs[0], ['measured (fitted)', 'power-law fit']);
    for (const f of figs.slice(1))
      await checkFigure(f, f.id.startsWith('lm-loss-') ? ['N = 10k', 'N = 1.00M'] : []);
  }, 60_000);

  it('QDG: rank-frequency with a K colour bar and named lines; the similarity PNG with its colour bar', async () => {
    const sizes = (K: number) =>
      Array.from({ length: K }, (_, i) => Math.max(1, Math.round(400 / (i + 1) ** 1.2)));
    const Ks = [5, 10, 20, 40];
    const clusterings = Ks.map((K) => ({ K, sizes: sizes(K) }));
    const envelope = sizes(40);
    const a = {
      samples: 1000,
      clusterings,
      envelope,
      fit: {
        window: { first: 3, last: 27 },
        envelopeSlope: -1.2,
        intercept: Math.log(400),
        r2: 0.99,
        ranksUsed: 25,
      },
      predictedSlope: -1.4,
      alphaN: 0.4,
    } as unknown as QdgAnalysis;
    const f = rankFrequencyFigure(a);
    await checkFigure(f, [
      'envelope (max over K)',
      'fit, ranks 3..27: slope -1.200',
      'prediction -(1+alpha_N): -1.400',
    ]);
    const svg = await vegaLiteToSvg(f.spec);
    expect(svg).toContain('>clusters at K</text>');
    for (const K of Ks) expect(svg).toContain(`>${K}</text>`);
    // the similarity PNG carries its colour bar: CMRmap from the largest (top) to the smallest (bottom) value,
    // both ends labelled in black pixels
    const S = 300;
    const M = Float32Array.from(
      { length: S * S },
      (_, i) => 0.25 + (0.75 * ((i % S) + Math.floor(i / S))) / (2 * S - 2),
    );
    const png = similarityPng(
      M,
      S,
      Array.from({ length: S }, (_, i) => i),
    );
    expect(png.width).toBeGreaterThan(png.n + 20);
    const rgb = decodePng(png.png, png.width, png.n);
    const bar = colorBarLayout(png.n);
    const at = (x: number, y: number) =>
      Array.from(rgb.subarray(3 * (y * png.width + x), 3 * (y * png.width + x) + 3));
    expect(at(bar.barX + 1, 0)).toEqual(cmrmap(1));
    expect(at(bar.barX + 1, png.n - 1)).toEqual(cmrmap(0));
    expect(at(bar.barX + 1, 100)).toEqual(cmrmap(1 - 100 / (png.n - 1)));
    const labelPixels = (y0: number, y1: number) => {
      let black = 0;
      for (let y = y0; y < y1; y++)
        for (let x = bar.labelX; x < png.width; x++) if (at(x, y).every((c) => c === 0)) black++;
      return black;
    };
    expect(labelPixels(0, 5 * bar.scale)).toBeGreaterThan(10);
    expect(labelPixels(png.n - 5 * bar.scale, png.n)).toBeGreaterThan(10);
    const image = similarityFigure('similarity.png', png, {
      id: 'sim',
      title: 'Affinity ordered by cluster',
      caption: '',
      ordering: 'cluster',
    });
    const isvg = await vegaLiteToSvg(image.spec);
    expect(isvg).toContain('xlink:href="similarity.png"');
    expect(Number(/<svg[^>]* width="([\d.]+)"/.exec(isvg)?.[1])).toBeGreaterThanOrEqual(500);
    // shown at the PNG's aspect ratio
    const shown = /<image[^>]* width="([\d.]+)" height="([\d.]+)"/.exec(isvg)!;
    expect(Number(shown[1]) / Number(shown[2])).toBeCloseTo(png.width / png.n, 1);
  }, 60_000);
});
