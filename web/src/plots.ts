// A small log-log line chart drawn as plain SVG: axes with decade (or 1-2-5) ticks, grid, series as
// polylines (optionally dashed, optionally with point markers) and a legend. No chart library.

export interface Series {
  label: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
  dashed?: boolean;
  markers?: boolean;
  /** Draw a line through the points (default true). */
  line?: boolean;
  /** Give the series a legend entry (default true). */
  legend?: boolean;
  /** Line width (default 2, dashed 1.6). */
  strokeWidth?: number;
}

export interface LogLogChart {
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed domains; default: the data's range, padded. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Shown in the middle when no series has points yet. */
  emptyText?: string;
}

const WIDTH = 520;
const HEIGHT = 320;
const MARGIN = { left: 58, right: 14, top: 14, bottom: 44 };

function escapeXml(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
}

/** A tick label: plain decimals in a readable range, otherwise 1e5 / 2e-3 style. */
export function formatTick(v: number): string {
  if (v >= 1e4 || v < 1e-3) {
    const e = Math.floor(Math.log10(v) + 1e-9);
    const m = Math.round(v / Math.pow(10, e));
    return m === 1 ? `1e${e}` : `${m}e${e}`;
  }
  return String(Number(v.toPrecision(3)));
}

/** Ticks for a log axis over [lo, hi]: decades; 1-2-5 steps under 2.5 decades; every integer mantissa under 1. */
export function logTicks(lo: number, hi: number): number[] {
  const d0 = Math.floor(Math.log10(lo));
  const d1 = Math.ceil(Math.log10(hi));
  const decades = Math.log10(hi / lo);
  const mantissas = decades <= 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : decades <= 2.5 ? [1, 2, 5] : [1];
  const step = d1 - d0 > 8 ? 2 : 1;
  const ticks: number[] = [];
  for (let d = d0; d <= d1; d += step) {
    for (const m of mantissas) {
      const v = m * Math.pow(10, d);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks;
}

/** With many ticks on the x axis, only these mantissas get a label. */
const LABELLED_MANTISSAS = new Set([1, 2, 3, 5]);

function mantissa(v: number): number {
  return Math.round(v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9)));
}

function dataDomain(values: number[], pad: number): [number, number] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [1, 10];
  let lo = Math.log10(Math.min(...positive));
  let hi = Math.log10(Math.max(...positive));
  if (hi - lo < 0.3) {
    const mid = (hi + lo) / 2;
    lo = mid - 0.15;
    hi = mid + 0.15;
  }
  const margin = (hi - lo) * pad;
  return [Math.pow(10, lo - margin), Math.pow(10, hi + margin)];
}

/** Draws `chart` into `svg`, replacing its content. */
export function renderLogLog(svg: SVGSVGElement, chart: LogLogChart): void {
  const all = chart.series.flatMap((s) => s.points);
  const [x0, x1] =
    chart.xDomain ??
    dataDomain(
      all.map((p) => p[0]),
      0.03,
    );
  const [y0, y1] =
    chart.yDomain ??
    dataDomain(
      all.map((p) => p[1]),
      0.06,
    );
  const pw = WIDTH - MARGIN.left - MARGIN.right;
  const ph = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) =>
    MARGIN.left + ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * pw;
  const sy = (y: number) =>
    MARGIN.top + (1 - (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ph;
  const inside = (p: readonly [number, number]) =>
    p[0] > 0 && p[1] > 0 && Number.isFinite(p[0]) && Number.isFinite(p[1]);
  const parts: string[] = [];
  parts.push(`<rect class="plot-bg" x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}"/>`);
  parts.push(
    `<defs><clipPath id="${svg.id}-clip"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}"/></clipPath></defs>`,
  );
  const xTicks = logTicks(x0, x1);
  for (const t of xTicks) {
    const x = sx(t).toFixed(1);
    parts.push(`<line class="grid" x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + ph}"/>`);
    if (xTicks.length > 6 && !LABELLED_MANTISSAS.has(mantissa(t))) continue; // grid only: labels would collide
    parts.push(
      `<text class="tick" x="${x}" y="${MARGIN.top + ph + 16}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  for (const t of logTicks(y0, y1)) {
    const y = sy(t).toFixed(1);
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + pw}" y1="${y}" y2="${y}"/>`);
    parts.push(
      `<text class="tick" x="${MARGIN.left - 6}" y="${y}" dy="0.32em" text-anchor="end">${formatTick(t)}</text>`,
    );
  }
  parts.push(`<rect class="frame" x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}"/>`);
  parts.push(
    `<text class="axis-label" x="${MARGIN.left + pw / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
  );
  parts.push(
    `<text class="axis-label" transform="translate(14 ${MARGIN.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
  );
  parts.push(`<g clip-path="url(#${svg.id}-clip)">`);
  for (const s of chart.series) {
    const pts = s.points.filter(inside);
    if (pts.length === 0) continue;
    const coords = pts.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`);
    if (s.line !== false && pts.length > 1) {
      parts.push(
        `<polyline class="series" fill="none" stroke="${s.color}" stroke-width="${s.strokeWidth ?? (s.dashed ? 1.6 : 2)}"` +
          `${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${coords.join(' ')}"/>`,
      );
    }
    if (s.markers) {
      for (const c of coords) {
        const [cx, cy] = c.split(',');
        parts.push(`<circle class="marker" cx="${cx}" cy="${cy}" r="3.5" fill="${s.color}"/>`);
      }
    }
  }
  parts.push('</g>');
  const drawn = chart.series.filter((s) => s.points.some(inside));
  if (drawn.length === 0 && chart.emptyText) {
    parts.push(
      `<text class="empty" x="${MARGIN.left + pw / 2}" y="${MARGIN.top + ph / 2}" text-anchor="middle">${escapeXml(chart.emptyText)}</text>`,
    );
  }
  drawn
    .filter((s) => s.legend !== false)
    .forEach((s, i) => {
      const y = MARGIN.top + 14 + i * 17;
      const x = MARGIN.left + pw - 8;
      parts.push(
        `<line x1="${x - 22}" x2="${x - 4}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      );
      parts.push(
        `<text class="legend" x="${x - 28}" y="${y}" dy="0.32em" text-anchor="end">${escapeXml(s.label)}</text>`,
      );
    });
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.innerHTML = parts.join('');
  svg.dataset.series = String(drawn.length);
  svg.dataset.points = String(drawn.reduce((n, s) => n + s.points.length, 0));
}
