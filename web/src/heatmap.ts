// The per-subtask loss heatmap of the paper's Figure 2 (bottom, S panel): subtask rank down the y axis
// (rank 1 = most frequent, at the top), training step along a log x axis, colour = per-subtask test loss in
// bits clipped to [0, 1] with matplotlib's 'copper' map (SPEC.md 3.5). Columns fill in as logs arrive.
import { formatTick, logTicks } from './plots.js';

/** Rows shown: Figure 2 shows subtasks 1..41; the page shows up to this many. */
export const HEATMAP_MAX_ROWS = 60;

const WIDTH = 520;
const HEIGHT = 320;
const MARGIN = { left: 58, right: 54, top: 14, bottom: 44 };

/** matplotlib 'copper' at t in [0, 1]: black (loss 0, learned) to copper (loss 1 bit, chance). */
export function copper(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  return [
    Math.round(255 * Math.min(1, 1.25 * x)),
    Math.round(255 * 0.7812 * x),
    Math.round(255 * 0.4975 * x),
  ];
}

export interface HeatmapData {
  /** Logged steps (0, logEvery, ...). */
  steps: readonly number[];
  /** Per log, per-subtask loss in bits. */
  subtaskLossBits: readonly Float64Array[];
  /** Total steps of the run (the x axis ends there). */
  totalSteps: number;
  logEvery: number;
  nTasks: number;
}

/** Draws the heatmap into `canvas` (sized for the device pixel ratio). */
export function renderHeatmap(canvas: HTMLCanvasElement, data: HeatmapData): void {
  const ratio = globalThis.devicePixelRatio || 1;
  if (canvas.width !== Math.round(WIDTH * ratio)) {
    canvas.width = Math.round(WIDTH * ratio);
    canvas.height = Math.round(HEIGHT * ratio);
  }
  const g = canvas.getContext('2d');
  if (!g) return;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, WIDTH, HEIGHT);
  const pw = WIDTH - MARGIN.left - MARGIN.right;
  const ph = HEIGHT - MARGIN.top - MARGIN.bottom;
  const rows = Math.min(data.nTasks, HEATMAP_MAX_ROWS);
  // step 0 is drawn as the column [logEvery/2, logEvery)
  const x0 = Math.max(0.5, data.logEvery / 2);
  const x1 = Math.max(data.totalSteps, data.logEvery * 2);
  const sx = (s: number) =>
    MARGIN.left + ((Math.log10(Math.max(s, x0)) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * pw;
  const rowHeight = ph / rows;
  g.fillStyle = '#f3f1ee';
  g.fillRect(MARGIN.left, MARGIN.top, pw, ph);
  for (let t = 0; t < data.steps.length; t++) {
    const left = sx(data.steps[t]);
    const right = sx(data.steps[t] + data.logEvery);
    const row = data.subtaskLossBits[t];
    for (let r = 0; r < rows; r++) {
      const [cr, cg, cb] = copper(row[r]);
      g.fillStyle = `rgb(${cr},${cg},${cb})`;
      g.fillRect(left, MARGIN.top + r * rowHeight, Math.max(1, right - left + 0.5), rowHeight + 0.5);
    }
  }
  g.strokeStyle = '#888';
  g.lineWidth = 1;
  g.strokeRect(MARGIN.left + 0.5, MARGIN.top + 0.5, pw, ph);
  g.fillStyle = '#333';
  g.font = '11px system-ui, sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'top';
  for (const t of logTicks(data.logEvery, x1)) {
    const x = sx(t);
    g.fillRect(x, MARGIN.top + ph, 1, 4);
    g.fillText(formatTick(t), x, MARGIN.top + ph + 6);
  }
  g.font = '12px system-ui, sans-serif';
  g.fillText('step S', MARGIN.left + pw / 2, HEIGHT - 18);
  g.font = '11px system-ui, sans-serif';
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  const rankStep = rows <= 12 ? 1 : rows <= 30 ? 5 : 10;
  for (let rank = 1; rank <= rows; rank++) {
    if (rank !== 1 && rank % rankStep !== 0) continue;
    g.fillText(String(rank), MARGIN.left - 6, MARGIN.top + (rank - 0.5) * rowHeight);
  }
  g.save();
  g.translate(14, MARGIN.top + ph / 2);
  g.rotate(-Math.PI / 2);
  g.textAlign = 'center';
  g.font = '12px system-ui, sans-serif';
  g.fillText('subtask rank', 0, 0);
  g.restore();
  // colour bar: 0 (learned) at the bottom, 1 bit (chance) at the top
  const barX = MARGIN.left + pw + 14;
  for (let i = 0; i < ph; i++) {
    const [cr, cg, cb] = copper(1 - i / ph);
    g.fillStyle = `rgb(${cr},${cg},${cb})`;
    g.fillRect(barX, MARGIN.top + i, 12, 1.5);
  }
  g.strokeStyle = '#888';
  g.strokeRect(barX + 0.5, MARGIN.top + 0.5, 12, ph);
  g.fillStyle = '#333';
  g.textAlign = 'left';
  g.fillText('1', barX + 16, MARGIN.top + 4);
  g.fillText('0', barX + 16, MARGIN.top + ph - 4);
  g.save();
  g.translate(barX + 30, MARGIN.top + ph / 2);
  g.rotate(-Math.PI / 2);
  g.textAlign = 'center';
  g.fillText('loss (bits)', 0, 0);
  g.restore();
  canvas.dataset.columns = String(data.steps.length);
  canvas.dataset.rows = String(rows);
}
