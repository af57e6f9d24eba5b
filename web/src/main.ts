// The explorer page: reads the controls, runs training jobs in Web Workers (one for the live run, one for the
// N sweep, so the page stays responsive and both can run at once), and redraws the plots and the measured
// exponents as logs arrive (./views.ts draws them). A finished run's weights go to the QDG panel
// (./qdg-panel.ts), which clusters the model's samples, or a dropped .npy, in a third worker.
import { BITS_PER_NAT, learnedCount } from './analysis.js';
import { initialiseForm, readForm, sweepRunConfig } from './controls.js';
import type { WorkerMessage, WorkerRequest } from './protocol.js';
import { QdgPanel } from './qdg-panel.js';
import { detectSupport } from './support.js';
import { renderLive, renderSweep, type LiveRun, type SweepRun } from './views.js';

const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T;
const form = $<HTMLFormElement>('#controls');
const body = document.body;
const buttons = {
  train: $<HTMLButtonElement>('#train'),
  sweep: $<HTMLButtonElement>('#sweep'),
  stop: $<HTMLButtonElement>('#stop'),
};

let live: LiveRun | null = null;
let qdg: QdgPanel | null = null;
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
  buttons.stop.disabled = !training && !sweeping && !qdg?.busy;
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
      if (m.layers) qdg?.setModel({ config: live.config, layers: m.layers });
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
    stopped: false,
  };
  for (const key of ['meanLossBits', 'emerged', 'everEmerged', 'alphaS', 'logs', 'logsDrawnWhileTraining'])
    delete body.dataset[key];
  body.dataset.state = 'training';
  qdg?.setModel(null);
  currentId.train = ++requestId;
  post('train', { type: 'train', id: requestId, config: s.config });
  updateButtons();
  scheduleRender();
}

function startSweep(): void {
  const s = settings();
  if (!s) return;
  const config = sweepRunConfig(s.config);
  sweep = {
    config,
    widths: s.sweepWidths,
    points: [],
    running: 0,
    stepsDone: 0,
    done: false,
    stopped: false,
  };
  delete body.dataset.alphaN;
  body.dataset.sweep = 'running';
  currentId.sweep = ++requestId;
  post('sweep', { type: 'sweep', id: requestId, config, widths: s.sweepWidths });
  updateButtons();
  scheduleRender();
}

function stopAll(): void {
  qdg?.stop();
  for (const kind of ['train', 'sweep'] as const) {
    workers[kind]?.terminate();
    workers[kind] = undefined;
  }
  for (const job of [live, sweep]) {
    if (job && !job.done) {
      job.done = true;
      job.stopped = true;
    }
  }
  body.dataset.state = 'ready';
  if (sweep?.stopped) body.dataset.sweep = 'stopped';
  setStatus('Stopped.');
  updateButtons();
  scheduleRender();
}

function main(): void {
  const query = new URLSearchParams(location.search);
  const autostart = initialiseForm(form, query);
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
  qdg = new QdgPanel(query, updateButtons);
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
