// The training worker: owns one Wasm core (its own linear memory) and runs the trainer synchronously, so the
// page's main thread only draws. It speaks the protocol in ./protocol.ts. A request cannot be interrupted:
// the page stops a run by terminating this worker and starting a fresh one.
import { ConfigError, Core, Trainer, validateRun, type RunConfig } from 'quanta';
import type { LayerWeights, WorkerMessage, WorkerRequest } from './protocol.js';

/** Minimum milliseconds between two progress messages. */
const PROGRESS_INTERVAL_MS = 150;

const scope = self as unknown as {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
};

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

let core: Core | undefined;

/** The worker's core, made on first use (that is where a missing Wasm SIMD shows up). */
function workerCore(): Core {
  if (!core) core = new Core();
  return core;
}

/**
 * Trains one run on a fresh arena region (released afterwards) and streams its log; returns its record and
 * its trained weights (copies, for QDG on the model).
 */
function train(id: number, config: RunConfig, onLog: boolean, run?: number) {
  const c = workerCore();
  validateRun(config, c);
  const mark = c.mark();
  try {
    const trainer = new Trainer(config, c);
    let lastProgress = 0;
    const record = trainer.run({
      onLog: onLog
        ? (step, e) =>
            post({
              type: 'log',
              id,
              step,
              meanLoss: e.meanLoss,
              accuracy: e.accuracy,
              subtaskLoss: Float64Array.from(e.subtaskLoss),
            })
        : undefined,
      onProgress: (stepsDone, steps) => {
        const now = performance.now();
        if (now - lastProgress < PROGRESS_INTERVAL_MS && stepsDone < steps) return;
        lastProgress = now;
        const seconds = trainer.trainSeconds;
        const samplesPerSecond = seconds > 0 ? (trainer.stepsDone * config.batch) / seconds : 0;
        post({ type: 'progress', id, stepsDone, steps, samplesPerSecond, run });
      },
    });
    const layers: LayerWeights[] = trainer.model.getLayers().map(({ W, b }) => ({ W, b }));
    return { record, layers };
  } finally {
    c.release(mark);
  }
}

function handle(request: WorkerRequest): void {
  if (request.type === 'train') {
    const { record, layers } = train(request.id, request.config, true);
    post(
      {
        type: 'done',
        id: request.id,
        parameters: record.parameters,
        trainSeconds: record.timing.trainSeconds,
        evalSeconds: record.timing.evalSeconds,
        samplesPerSecond: record.timing.samplesPerSecond,
        stepsPerSecond: record.timing.stepsPerSecond,
        layers,
      },
      layers.flatMap((l) => [l.W.buffer, l.b.buffer]),
    );
    return;
  }
  // A sweep: validate every width before the first run starts.
  const configs = request.widths.map((width) => ({ ...request.config, width }));
  for (const config of configs) validateRun(config, workerCore());
  let trainSeconds = 0;
  let evalSeconds = 0;
  let samples = 0;
  let steps = 0;
  let parameters = 0;
  configs.forEach((config, run) => {
    const { record } = train(request.id, config, false, run);
    const losses = record.log.meanLoss;
    post({
      type: 'sweep-point',
      id: request.id,
      width: config.width,
      parameters: record.parameters,
      finalLoss: losses[losses.length - 1],
      samplesPerSecond: record.timing.samplesPerSecond,
    });
    trainSeconds += record.timing.trainSeconds;
    evalSeconds += record.timing.evalSeconds;
    samples += config.steps * config.batch;
    steps += config.steps;
    parameters = Math.max(parameters, record.parameters);
  });
  post({
    type: 'done',
    id: request.id,
    parameters,
    trainSeconds,
    evalSeconds,
    samplesPerSecond: trainSeconds > 0 ? samples / trainSeconds : 0,
    stepsPerSecond: trainSeconds > 0 ? steps / trainSeconds : 0,
  });
}

scope.onmessage = (event) => {
  const request = event.data;
  try {
    handle(request);
  } catch (e) {
    const isConfig = e instanceof ConfigError || (e instanceof Error && e.name === 'ConfigError');
    post({
      type: 'error',
      id: request.id,
      kind: isConfig ? 'config' : 'internal',
      message: e instanceof Error ? e.message : String(e),
    });
  }
};

try {
  workerCore();
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', id: -1, kind: 'internal', message: e instanceof Error ? e.message : String(e) });
}
