// The page's views of a live run and of an N sweep: the plots, the exponents table (theory beside measured)
// and the status line. State that the end-to-end test reads is mirrored on <body data-*>.
import type { RunConfig } from 'quanta';
import {
  emergenceSteps,
  fitPowerLaw,
  predictedAlphaN,
  predictedAlphaS,
  predictedLearnedExponent,
  stepsFitWindow,
  theoryLine,
} from './analysis.js';
import { renderHeatmap } from './heatmap.js';
import { renderLogLog, type Series } from './plots.js';

const COLORS = { loss: '#1f5fa8', theory: '#777', fit: '#d9730d', sweep: '#2b8a3e', learned: '#8e3aa8' };

export interface LiveRun {
  config: RunConfig;
  steps: number[];
  meanLossBits: number[];
  subtaskLossBits: Float64Array[];
  learned: number[];
  stepsDone: number;
  samplesPerSecond: number;
  done: boolean;
  /** Stopped by the user before the end. */
  stopped: boolean;
}

export interface SweepPoint {
  width: number;
  parameters: number;
  finalLossBits: number;
}

export interface SweepRun {
  config: RunConfig;
  widths: number[];
  points: SweepPoint[];
  running: number;
  stepsDone: number;
  done: boolean;
  /** Stopped by the user before the end. */
  stopped: boolean;
}

const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T;
const body = document.body;

function setStatus(text: string): void {
  $<HTMLSpanElement>('#status').textContent = text;
}

function formatRate(samplesPerSecond: number): string {
  if (samplesPerSecond >= 1e6) return `${(samplesPerSecond / 1e6).toFixed(2)} M samples/s`;
  return `${Math.round(samplesPerSecond / 1000)} k samples/s`;
}

function setCell(id: string, text: string): void {
  $<HTMLTableCellElement>(`#${id}`).textContent = text;
}

export function renderLive(run: LiveRun): void {
  const { config } = run;
  const last = run.meanLossBits.length - 1;
  const series: Series[] = [
    {
      label: 'mean test loss',
      color: COLORS.loss,
      points: run.steps.map((s, i) => [s, run.meanLossBits[i]] as const),
    },
  ];
  const window = stepsFitWindow(run.steps, run.meanLossBits);
  const alphaS = predictedAlphaS(config.alpha);
  setCell('theory-alpha-s', alphaS.toFixed(3));
  if (window) {
    const [a, b] = window;
    const xs = run.steps.slice(a, b);
    const fit = fitPowerLaw(xs, run.meanLossBits.slice(a, b));
    const xEnd = run.steps[b - 1];
    series.push({
      label: `theory, slope −${alphaS.toFixed(2)}`,
      color: COLORS.theory,
      dashed: true,
      points: theoryLine(alphaS, xs[0], xEnd, xs[0], run.meanLossBits[a]),
    });
    if (fit) {
      const c = Math.exp(fit.intercept);
      series.push({
        label: `fit, slope ${fit.slope.toFixed(2)}`,
        color: COLORS.fit,
        dashed: true,
        points: [
          [xs[0], c * Math.pow(xs[0], fit.slope)],
          [xEnd, c * Math.pow(xEnd, fit.slope)],
        ],
      });
      setCell('measured-alpha-s', (-fit.slope).toFixed(3));
      setCell('window-alpha-s', `steps ${xs[0]}–${xEnd}`);
      body.dataset.alphaS = (-fit.slope).toFixed(4);
    }
  }
  renderLogLog($<SVGSVGElement>('#loss-plot'), {
    xLabel: 'step S',
    yLabel: 'mean test loss (bits)',
    series,
    xDomain: [Math.max(1, config.logEvery), Math.max(config.steps, 2 * config.logEvery)],
    emptyText: 'waiting for the first evaluations…',
  });
  renderHeatmap($<HTMLCanvasElement>('#heatmap'), {
    steps: run.steps,
    subtaskLossBits: run.subtaskLossBits,
    totalSteps: config.steps,
    logEvery: config.logEvery,
    nTasks: config.nTasks,
  });
  // learned subtasks against steps (Fig. 9's relation, in steps): fit while 1 <= n < nTasks
  const learnedPoints = run.steps
    .map((s, i) => [s, run.learned[i]] as const)
    .filter((p) => p[0] > 0 && p[1] > 0);
  const growing = learnedPoints.filter((p) => p[1] < config.nTasks);
  const learnedExp = predictedLearnedExponent(config.alpha);
  setCell('theory-learned', learnedExp.toFixed(3));
  const learnedSeries: Series[] = [
    { label: 'learned subtasks', color: COLORS.learned, points: learnedPoints },
  ];
  const varies = new Set(growing.map((p) => p[1])).size >= 2;
  const learnedFit =
    growing.length >= 3 && varies
      ? fitPowerLaw(
          growing.map((p) => p[0]),
          growing.map((p) => p[1]),
        )
      : null;
  if (learnedFit && growing.length > 0) {
    const [x0, y0] = growing[0];
    learnedSeries.push({
      label: `theory, slope ${learnedExp.toFixed(2)}`,
      color: COLORS.theory,
      dashed: true,
      points: theoryLine(-learnedExp, x0, growing[growing.length - 1][0], x0, y0),
    });
    setCell('measured-learned', learnedFit.slope.toFixed(3));
    setCell('window-learned', `steps ${x0}–${growing[growing.length - 1][0]}`);
  }
  renderLogLog($<SVGSVGElement>('#learned-plot'), {
    xLabel: 'step S',
    yLabel: 'subtasks learned',
    series: learnedSeries,
    xDomain: [Math.max(1, config.logEvery), Math.max(config.steps, 2 * config.logEvery)],
    yDomain: [0.8, Math.max(2, config.nTasks * 1.2)],
    emptyText: 'no subtask learned yet',
  });
  const emerged = emergenceSteps(run.steps, run.subtaskLossBits);
  const firstEmerged = Array.from(emerged).filter((s) => s >= 0).length;
  const progress = $<HTMLProgressElement>('#progress');
  progress.value = run.stepsDone / config.steps;
  setStatus(
    `${run.stopped ? 'Stopped' : run.done ? 'Done' : 'Training'}: step ${run.stepsDone} of ${config.steps}` +
      (last >= 0
        ? `, mean test loss ${run.meanLossBits[last].toFixed(3)} bits, ${run.learned[last]} of ${config.nTasks} subtasks learned`
        : '') +
      (run.samplesPerSecond > 0 ? `, ${formatRate(run.samplesPerSecond)}` : ''),
  );
  body.dataset.logs = String(run.steps.length);
  // drawn while the worker was still training: the main thread stayed free
  if (!run.done) body.dataset.logsDrawnWhileTraining = String(run.steps.length);
  body.dataset.stepsDone = String(run.stepsDone);
  if (last >= 0) {
    body.dataset.meanLossBits = run.meanLossBits[last].toFixed(5);
    body.dataset.emerged = String(run.learned[last]);
    body.dataset.everEmerged = String(firstEmerged);
  }
  body.dataset.samplesPerSecond = run.samplesPerSecond.toFixed(0);
}

export function renderSweep(s: SweepRun): void {
  const points = [...s.points].sort((a, b) => a.parameters - b.parameters);
  const alphaN = predictedAlphaN(s.config.alpha);
  setCell('theory-alpha-n', alphaN.toFixed(3));
  const series: Series[] = [
    {
      label: 'final mean test loss',
      color: COLORS.sweep,
      markers: true,
      points: points.map((p) => [p.parameters, p.finalLossBits] as const),
    },
  ];
  const fit = fitPowerLaw(
    points.map((p) => p.parameters),
    points.map((p) => p.finalLossBits),
  );
  if (fit && points.length >= 2) {
    const first = points[0].parameters;
    const last = points[points.length - 1];
    // as the paper draws it: slope -alpha, ending at (last point) / 0.9 (SPEC.md 3.2)
    series.push({
      label: `theory, slope −${alphaN.toFixed(2)}`,
      color: COLORS.theory,
      dashed: true,
      points: theoryLine(alphaN, first, last.parameters, last.parameters, last.finalLossBits / 0.9),
    });
    const c = Math.exp(fit.intercept);
    series.push({
      label: `fit, slope ${fit.slope.toFixed(2)}`,
      color: COLORS.fit,
      dashed: true,
      points: [
        [first, c * Math.pow(first, fit.slope)],
        [last.parameters, c * Math.pow(last.parameters, fit.slope)],
      ],
    });
    setCell('measured-alpha-n', (-fit.slope).toFixed(3));
    setCell('window-alpha-n', `${points.length} widths, N ${first}–${last.parameters}`);
    body.dataset.alphaN = (-fit.slope).toFixed(4);
  }
  renderLogLog($<SVGSVGElement>('#sweep-plot'), {
    xLabel: 'parameters N',
    yLabel: 'final mean test loss (bits)',
    series,
    emptyText: s.done ? 'no points' : 'training the first width…',
  });
  const width = s.widths[Math.min(s.running, s.widths.length - 1)];
  $<HTMLSpanElement>('#sweep-status').textContent = s.stopped
    ? `N sweep stopped after ${s.points.length} of ${s.widths.length} widths`
    : s.done
      ? `N sweep done: ${s.points.length} widths (${s.widths.join(', ')}), ${s.config.steps} steps each`
      : `N sweep: width ${width} (${s.running + 1} of ${s.widths.length}), step ${s.stepsDone} of ${s.config.steps}`;
  body.dataset.sweepPoints = String(s.points.length);
}
