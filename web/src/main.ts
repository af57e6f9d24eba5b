// The explorer page: reads the controls, runs training jobs in Web Workers (one for the live run, one for the
// N sweep, so the page stays responsive and both can run at once), and redraws the plots and the measured
// exponents as logs arrive. State that an end-to-end test reads is mirrored on <body data-*>.
import type { RunConfig } from '../../src/train/config.js';
import {
  BITS_PER_NAT,
  emergenceSteps,
  fitPowerLaw,
  learnedCount,
  predictedAlphaN,
  predictedAlphaS,
  predictedLearnedExponent,
  stepsFitWindow,
  theoryLine,
} from './analysis.js';
import { initialiseForm, readForm, sweepRunConfig } from './controls.js';
import { renderHeatmap } from './heatmap.js';
import { renderLogLog, type Series } from './plots.js';
import type { WorkerMessage, WorkerRequest } from './protocol.js';
import { detectSupport } from './support.js';

const COLORS = { loss: '#1f5fa8', theory: '#777', fit: '#d9730d', sweep: '#2b8a3e', learned: '#8e3aa8' };

interface LiveRun {
  config: RunConfig;
  steps: number[];
  meanLossBits: number[];
  subtaskLossBits: Float64Array[];
  learned: number[];
  stepsDone: number;
  samplesPerSecond: number;
  done: boolean;
}

interface SweepPoint {
  width: number;
  parameters: number;
  finalLossBits: number;
}

interface SweepRun {
  config: RunConfig;
  widths: number[];
  points: SweepPoint[];
  running: number;
  stepsDone: number;
  done: boolean;
}

const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T;
const form = $<HTMLFormElement>('#controls');
const body = document.body;
const buttons = {
  train: $<HTMLButtonElement>('#train'),
  sweep: $<HTMLButtonElement>('#sweep'),
  stop: $<HTMLButtonElement>('#stop'),
};

let live: LiveRun | null = null;
let sweep: SweepRun | null = null;
let requestId = 0;
/** The request each worker is serving; messages of older requests are ignored. */
const currentId = { train: -1, sweep: -1 };

/** One worker per kind of job; Stop terminates them (a synchronous training loop cannot be interrupted). */
const workers: { train?: Worker; sweep?: Worker } = {};

function startWorker(kind: 'train' | 'sweep', onReady?: () => void): Worker {
  workers[kind]?.terminate();
  const worker = new Worker(new URL('./worker.ts', import.meta.url), {
    type: 'module',
    name: `quanta-${kind}`,
  });
  worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
    if (event.data.type === 'ready') onReady?.();
    else handleMessage(kind, event.data);
  };
  worker.onerror = (event) => fail(`the ${kind} worker failed: ${event.message || 'unknown error'}`);
  workers[kind] = worker;
  return worker;
}

function post(kind: 'train' | 'sweep', request: WorkerRequest): void {
  const worker = workers[kind] ?? startWorker(kind);
  worker.postMessage(request);
}

function setStatus(text: string): void {
  $<HTMLSpanElement>('#status').textContent = text;
}

function fail(message: string): void {
  body.dataset.state = 'error';
  body.dataset.error = message;
  setStatus(`Error: ${message}`);
  updateButtons();
}

function updateButtons(): void {
  const ready = body.dataset.state !== 'loading' && body.dataset.state !== 'unsupported';
  const training = live !== null && !live.done;
  const sweeping = sweep !== null && !sweep.done;
  buttons.train.disabled = !ready || training;
  buttons.sweep.disabled = !ready || sweeping;
  buttons.stop.disabled = !training && !sweeping;
}

function handleMessage(kind: 'train' | 'sweep', m: WorkerMessage): void {
  if (m.type === 'ready' || (m.id !== -1 && m.id !== currentId[kind])) return;
  if (m.type === 'error' && m.id === -1) {
    // the core did not load in the worker (e.g. no Wasm SIMD although validation passed)
    const banner = $<HTMLDivElement>('#unsupported');
    banner.textContent = `The quanta core cannot run here: ${m.message}`;
    banner.hidden = false;
    fail(m.message);
    return;
  }
  if (m.type === 'error') {
    if (kind === 'train' && live) live.done = true;
    if (kind === 'sweep' && sweep) sweep.done = true;
    if (m.kind === 'config') {
      $<HTMLParagraphElement>('#form-error').textContent = m.message;
      body.dataset.state = 'ready';
      updateButtons();
    } else fail(m.message);
    return;
  }
  if (kind === 'train' && live) {
    if (m.type === 'log') {
      const bits = Float64Array.from(m.subtaskLoss, (x) => x * BITS_PER_NAT);
      live.steps.push(m.step);
      live.meanLossBits.push(m.meanLoss * BITS_PER_NAT);
      live.subtaskLossBits.push(bits);
      live.learned.push(learnedCount(bits));
    } else if (m.type === 'progress') {
      live.stepsDone = m.stepsDone;
      live.samplesPerSecond = m.samplesPerSecond;
    } else if (m.type === 'done') {
      live.done = true;
      live.stepsDone = live.config.steps;
      live.samplesPerSecond = m.samplesPerSecond;
      body.dataset.state = 'done';
      body.dataset.trainSeconds = m.trainSeconds.toFixed(3);
      updateButtons();
    }
  } else if (kind === 'sweep' && sweep) {
    if (m.type === 'sweep-point') {
      sweep.points.push({
        width: m.width,
        parameters: m.parameters,
        finalLossBits: m.finalLoss * BITS_PER_NAT,
      });
      sweep.running = sweep.points.length;
      sweep.stepsDone = 0;
    } else if (m.type === 'progress') {
      sweep.running = m.run ?? sweep.running;
      sweep.stepsDone = m.stepsDone;
    } else if (m.type === 'done') {
      sweep.done = true;
      body.dataset.sweep = 'done';
      updateButtons();
    }
  }
  scheduleRender();
}

let renderPending = false;
function scheduleRender(): void {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    render();
  });
}

function formatRate(samplesPerSecond: number): string {
  if (samplesPerSecond >= 1e6) return `${(samplesPerSecond / 1e6).toFixed(2)} M samples/s`;
  return `${Math.round(samplesPerSecond / 1000)} k samples/s`;
}

function setCell(id: string, text: string): void {
  $<HTMLTableCellElement>(`#${id}`).textContent = text;
}

function renderLive(run: LiveRun): void {
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
    `${run.done ? 'Done' : 'Training'}: step ${run.stepsDone} of ${config.steps}` +
      (last >= 0
        ? `, mean test loss ${run.meanLossBits[last].toFixed(3)} bits, ${run.learned[last]} of ${config.nTasks} subtasks learned`
        : '') +
      (run.samplesPerSecond > 0 ? `, ${formatRate(run.samplesPerSecond)}` : ''),
  );
  body.dataset.logs = String(run.steps.length);
  body.dataset.stepsDone = String(run.stepsDone);
  if (last >= 0) {
    body.dataset.meanLossBits = run.meanLossBits[last].toFixed(5);
    body.dataset.emerged = String(run.learned[last]);
    body.dataset.everEmerged = String(firstEmerged);
  }
  body.dataset.samplesPerSecond = run.samplesPerSecond.toFixed(0);
}

function renderSweep(s: SweepRun): void {
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
  $<HTMLSpanElement>('#sweep-status').textContent = s.done
    ? `N sweep done: ${s.points.length} widths (${s.widths.join(', ')}), ${s.config.steps} steps each`
    : `N sweep: width ${width} (${s.running + 1} of ${s.widths.length}), step ${s.stepsDone} of ${s.config.steps}`;
  body.dataset.sweepPoints = String(s.points.length);
}

function render(): void {
  if (live) renderLive(live);
  if (sweep) renderSweep(sweep);
}

function settings() {
  try {
    const s = readForm(form);
    $<HTMLParagraphElement>('#form-error').textContent = '';
    return s;
  } catch (e) {
    $<HTMLParagraphElement>('#form-error').textContent = e instanceof Error ? e.message : String(e);
    return null;
  }
}

function startTraining(): void {
  const s = settings();
  if (!s) return;
  live = {
    config: s.config,
    steps: [],
    meanLossBits: [],
    subtaskLossBits: [],
    learned: [],
    stepsDone: 0,
    samplesPerSecond: 0,
    done: false,
  };
  for (const key of ['meanLossBits', 'emerged', 'everEmerged', 'alphaS', 'logs']) delete body.dataset[key];
  body.dataset.state = 'training';
  currentId.train = ++requestId;
  post('train', { type: 'train', id: requestId, config: s.config });
  updateButtons();
  scheduleRender();
}

function startSweep(): void {
  const s = settings();
  if (!s) return;
  const config = sweepRunConfig(s.config);
  sweep = { config, widths: s.sweepWidths, points: [], running: 0, stepsDone: 0, done: false };
  delete body.dataset.alphaN;
  body.dataset.sweep = 'running';
  currentId.sweep = ++requestId;
  post('sweep', { type: 'sweep', id: requestId, config, widths: s.sweepWidths });
  updateButtons();
  scheduleRender();
}

function stopAll(): void {
  for (const kind of ['train', 'sweep'] as const) {
    workers[kind]?.terminate();
    workers[kind] = undefined;
  }
  if (live && !live.done) live.done = true;
  if (sweep && !sweep.done) sweep.done = true;
  body.dataset.state = 'ready';
  setStatus('Stopped.');
  updateButtons();
}

function main(): void {
  const autostart = initialiseForm(form, new URLSearchParams(location.search));
  const support = detectSupport();
  if (!support.ok) {
    const banner = $<HTMLDivElement>('#unsupported');
    banner.textContent = support.message;
    banner.hidden = false;
    body.dataset.state = 'unsupported';
    setStatus('This browser cannot run the quanta core.');
    updateButtons();
    return;
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    startTraining();
  });
  buttons.sweep.addEventListener('click', startSweep);
  buttons.stop.addEventListener('click', stopAll);
  // The first worker proves the core loads here (a missing SIMD shows up as an error message).
  startWorker('train', () => {
    body.dataset.state = 'ready';
    setStatus('Core ready. Set the task and press Train.');
    updateButtons();
    if (autostart === 'train' || autostart === 'both') startTraining();
    if (autostart === 'sweep' || autostart === 'both') startSweep();
  });
}

main();
