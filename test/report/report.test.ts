import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../../src/report/csv.js';
import { escapeHtml, htmlPage, htmlTable } from '../../src/report/html.js';
import { vegaLiteToSvg } from '../../src/report/vega.js';
import { alphaRelationFigure, theoryCurvesFigure } from '../../src/report/theory-figures.js';
import { writeSweepReport } from '../../src/report/sweep-report.js';
import { ConfigError } from '../../src/core/errors.js';
import { plantedMultiEpoch, plantedSingleEpoch } from '../synthetic-records.js';

/** Plain CSV reader (quotes, doubled quotes, embedded commas/newlines), the oracle for toCsv. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        f += '"';
        i++;
      } else if (c === '"') q = false;
      else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(f);
      f = '';
    } else if (c === '\n') {
      row.push(f);
      rows.push(row);
      row = [];
      f = '';
    } else f += c;
  }
  return rows;
}

describe('toCsv', () => {
  it('round-trips strings and numbers through a CSV reader (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: fc.string(), b: fc.double({ noNaN: true, noDefaultInfinity: true }) }), {
          minLength: 1,
          maxLength: 20,
        }),
        (rows) => {
          const parsed = readCsv(toCsv(rows));
          expect(parsed[0]).toEqual(['a', 'b']);
          rows.forEach((r, i) => {
            expect(parsed[i + 1][0]).toBe(r.a);
            expect(Number(parsed[i + 1][1]) === r.b).toBe(true);
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('takes the union of keys in first-seen order and leaves missing, null and NaN empty', () => {
    expect(toCsv([{ x: 1 }, { y: 'a,b', x: null }, { x: NaN, z: true }])).toBe(
      'x,y,z\n1,,\n,"a,b",\n,,true\n',
    );
  });
});

describe('htmlPage', () => {
  it('is self-contained: inline SVG and CSS, no scripts or remote resources, escaped text', () => {
    const html = htmlPage({
      title: 'A <b> & c',
      sections: [
        {
          title: 'One',
          svgs: ['<svg id="x"></svg>'],
          caption: '1 < 2',
          links: [{ href: 'd/a.csv', label: 'a' }],
        },
        { title: 'Two', html: htmlTable(['h'], [[1.23456], [null], ['x']]) },
      ],
    });
    expect(html).toContain('<svg id="x"></svg>');
    expect(html).toContain('A &lt;b&gt; &amp; c');
    expect(html).toContain('1 &lt; 2');
    expect(html).toContain('<td>1.23</td>');
    expect(html).toContain('&ndash;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(escapeHtml('"q"')).toBe('&quot;q&quot;');
  });
});

describe('vegaLiteToSvg', () => {
  it('renders a Vega-Lite spec to SVG without a browser', async () => {
    const svg = await vegaLiteToSvg({
      data: {
        values: [
          { x: 1, y: 2 },
          { x: 10, y: 1 },
        ],
      },
      mark: 'line',
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: { type: 'log' } },
        y: { field: 'y', type: 'quantitative' },
      },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('</svg>');
  });

  it('renders the theory figures (Fig. 6 and Fig. 18) with their series', async () => {
    const fig6 = theoryCurvesFigure([0.5]);
    expect(fig6.rows.length).toBeGreaterThan(50);
    expect(await vegaLiteToSvg(fig6.spec)).toContain('<svg');
    const fig18 = alphaRelationFigure();
    expect(fig18.rows.some((r) => r.study === 'Kaplan et al.')).toBe(true);
    expect(await vegaLiteToSvg(fig18.spec)).toContain('<svg');
  });
});

describe('quanta report on a synthetic sweep folder', () => {
  it('writes report.html and a CSV of every plotted series', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quanta-report-'));
    try {
      mkdirSync(join(dir, 'runs'));
      const records = [0.3, 0.6].flatMap((alpha) => [
        ...plantedSingleEpoch({ alpha, nTasks: 50 }),
        ...plantedMultiEpoch({ alpha, nTasks: 50 }),
      ]);
      records.forEach((r, i) => writeFileSync(join(dir, 'runs', `r${i}.json`), JSON.stringify(r)));
      const written = await writeSweepReport(dir);
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      expect(written[0]).toBe(join(dir, 'report.html'));
      for (const name of [
        'exponents.csv',
        'loss-vs-N.csv',
        'loss-vs-S.csv',
        'loss-vs-D.csv',
        'heatmap-N-alpha-0.3.csv',
        'heatmap-D-alpha-0.6.csv',
        'convergence-vs-frequency.csv',
        'learned-vs-data.csv',
        'exponents-vs-alpha.csv',
        'fig6-theory-curves.csv',
        'fig18-alpha-relation.csv',
      ]) {
        expect(existsSync(join(dir, 'report-data', name)), name).toBe(true);
        expect(html).toContain(`report-data/${name}`);
      }
      expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(14);
      const exps = readCsv(readFileSync(join(dir, 'report-data', 'exponents.csv'), 'utf8'));
      expect(exps).toHaveLength(3);
      expect(Number(exps[1][exps[0].indexOf('alphaN')])).toBeCloseTo(0.3, 6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a folder without records, writing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quanta-report-empty-'));
    try {
      await expect(writeSweepReport(dir)).rejects.toThrow(ConfigError);
      expect(existsSync(join(dir, 'report.html'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
