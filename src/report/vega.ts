// Vega-Lite to SVG without a browser or a canvas: compile the Vega-Lite spec to Vega, run a headless View
// with renderer 'none', and serialise its scenegraph with toSVG(). Text widths are estimated (no canvas), which
// is close enough for axis labels. Generic: any Vega-Lite spec works.
// Vega and Vega-Lite are optional peer dependencies (src/core/optional.ts), loaded on first use.
import type * as VegaModule from 'vega';
import type * as VegaLiteModule from 'vega-lite';
import { PLOTTING_PACKAGES, requireOptionalPackages } from '../core/optional.js';
import { toCsv, type CsvValue } from './csv.js';

let plotting: Promise<[typeof VegaModule, typeof VegaLiteModule]> | undefined;

/** Vega and Vega-Lite, imported once; a ConfigError naming the install command if they are missing. */
function loadPlotting(): Promise<[typeof VegaModule, typeof VegaLiteModule]> {
  requireOptionalPackages(PLOTTING_PACKAGES, 'rendering figures');
  plotting ??= Promise.all([import('vega'), import('vega-lite')]);
  return plotting;
}

/** A Vega-Lite spec, untyped so that callers can build it as plain data. */
export type VegaLiteSpec = Record<string, unknown>;

/** A figure: its Vega-Lite spec and the rows of every plotted series (for the CSV beside it). */
export interface Figure {
  /** File-name-safe id, used for the CSV name. */
  id: string;
  title: string;
  caption: string;
  spec: VegaLiteSpec;
  rows: Record<string, CsvValue>[];
  /** Figures with the same group share one report section (side by side). */
  group?: string;
  /** The x column of `rows` (named with its unit): the CSV's rows are sorted by it. */
  x?: string;
}

/** Every figure is at least this wide (px), so that its labels can be read. */
export const FIGURE_WIDTH = 520;
/** The height of a single-panel figure (px). */
export const FIGURE_HEIGHT = 340;

/** [min, max] of the finite values (of the positive ones for a log axis), or null when there are none. */
export function extent(values: Iterable<unknown>, positive = false): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return null;
  return lo === hi ? [lo, lo] : [lo, hi];
}

/**
 * A scale spanning exactly the data (no whole-decade padding: nice off, zero off), with a few pixels of padding
 * so that points at the ends are not cut; `log` for log axes.
 */
export function dataScale(values: Iterable<unknown>, log: boolean): Record<string, unknown> {
  const e = extent(values, log);
  const base = log ? { type: 'log' } : { zero: false };
  return e === null ? base : { ...base, domain: e, nice: false, padding: 6 };
}

/** The CSV of a figure's rows, sorted by its x column when it has one (a stable sort: ties keep their order). */
export function figureCsv(f: Figure): string {
  if (!f.x) return toCsv(f.rows);
  const x = f.x;
  const key = (r: Record<string, CsvValue>) => {
    const v = r[x];
    return typeof v === 'number' && Number.isFinite(v) ? v : Infinity;
  };
  return toCsv([...f.rows].sort((a, b) => key(a) - key(b)));
}

/** Shared look for every figure: white background, readable fonts, no chart border. */
export const FIGURE_CONFIG = {
  background: 'white',
  font: 'Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.35 },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  title: { fontSize: 13, anchor: 'start' },
  view: { stroke: '#888' },
};

/** Renders a Vega-Lite spec to a standalone SVG string. */
export async function vegaLiteToSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vl] = await loadPlotting();
  const full = { config: FIGURE_CONFIG, ...spec } as VegaLiteModule.TopLevelSpec;
  // Vega-Lite's and Vega's warnings (e.g. "Maximum optimization runs(5) reached.") are notes on their own
  // internals: kept off stderr, where they broke --quiet; errors still throw
  const compiled = vl.compile(full, { logger: vega.logger(vega.Error) }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
