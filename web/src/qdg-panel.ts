// The QDG panel: runs the QDG worker (./qdg-worker.ts) on the model the page trained or on a matrix the user
// dropped, shows its progress, and draws the result (./qdg-view.ts). The dropped files are read here with the
// File API and handed to the worker as bytes: nothing is sent anywhere.
import type { RunConfig } from 'quanta';
import { encodeNpy } from 'quanta/io';
import { initialiseQdgForm, readQdgForm } from './qdg-controls.js';
import type { DroppedFile, QdgRequest, QdgResultMessage, QdgWorkerMessage } from './qdg-protocol.js';
import type { LayerWeights } from './protocol.js';
import { defaultOrderingK, renderQdgResult } from './qdg-view.js';

const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T;

const STAGE_NAMES: Record<string, string> = {
  load: 'drawing low-loss samples',
  gram: 'per-sample-gradient Gram',
  affinity: 'angular affinity',
  embedding: 'spectral embedding (Lanczos)',
  kmeans: 'k-means for every K',
  analysis: 'rank-frequency envelope',
};

export interface TrainedModel {
  config: RunConfig;
  layers: LayerWeights[];
}

export class QdgPanel {
  private readonly form = $<HTMLFormElement>('#qdg-controls');
  private readonly buttons = {
    model: $<HTMLButtonElement>('#qdg-model-run'),
    matrix: $<HTMLButtonElement>('#qdg-matrix-run'),
    download: $<HTMLButtonElement>('#qdg-download'),
  };
  private readonly files = {
    matrix: $<HTMLInputElement>('#qdg-matrix-file'),
    labels: $<HTMLInputElement>('#qdg-labels-file'),
  };
  private worker: Worker | undefined;
  private model: TrainedModel | null = null;
  private running = false;
  private requestId = 0;
  private result: QdgResultMessage | null = null;

  /** `onChange`: called whenever a clustering starts or ends (the page's Stop button follows it). */
  constructor(
    query: URLSearchParams,
    private readonly onChange: () => void = () => {},
  ) {
    initialiseQdgForm(this.form, query);
    this.buttons.model.addEventListener('click', () => this.clusterModel());
    this.buttons.matrix.addEventListener('click', () => void this.clusterMatrix());
    this.buttons.download.addEventListener('click', () => this.downloadLabels());
    for (const input of Object.values(this.files)) input.addEventListener('change', () => this.update());
    $<HTMLSelectElement>('#qdg-k').addEventListener('change', (e) => {
      if (this.result) renderQdgResult(this.result, Number((e.target as HTMLSelectElement).value));
    });
    this.acceptDrops($<HTMLFieldSetElement>('#qdg-drop'));
    this.update();
  }

  /** The model of a finished training run, or null while none (a new run started, or it was stopped). */
  setModel(model: TrainedModel | null): void {
    this.model = model;
    this.update();
  }

  /** Stops a clustering in flight (the worker is terminated; a fresh one starts with the next request). */
  stop(): void {
    if (!this.running) return;
    this.worker?.terminate();
    this.worker = undefined;
    this.running = false;
    document.body.dataset.qdgState = 'stopped';
    this.setStatus('Clustering stopped.');
    this.update();
  }

  get busy(): boolean {
    return this.running;
  }

  private update(): void {
    this.buttons.model.disabled = this.running || this.model === null;
    this.buttons.matrix.disabled = this.running || !this.files.matrix.files?.length;
    this.buttons.download.disabled = this.running || this.result === null;
    $('#qdg-model-note').textContent = this.model
      ? `The model of the last run: ${this.model.config.nTasks} subtasks, width ${this.model.config.width}, ` +
        `${this.model.config.steps} steps.`
      : 'Train a run first: its model’s samples are clustered.';
    this.onChange();
  }

  private setStatus(text: string, progress?: number): void {
    $('#qdg-status').textContent = text;
    if (progress !== undefined) $<HTMLProgressElement>('#qdg-progress').value = progress;
  }

  private fail(message: string, kind: 'config' | 'internal'): void {
    this.running = false;
    $('#qdg-error').textContent = kind === 'config' ? message : `QDG failed: ${message}`;
    document.body.dataset.qdgState = 'error';
    document.body.dataset.qdgError = message;
    this.setStatus('The clustering did not run.', 0);
    this.update();
  }

  private startWorker(): Worker {
    const worker = new Worker(new URL('./qdg-worker.ts', import.meta.url), {
      type: 'module',
      name: 'quanta-qdg',
    });
    worker.onmessage = (event: MessageEvent<QdgWorkerMessage>) => this.handle(event.data);
    worker.onerror = (event) => this.fail(event.message || 'the QDG worker failed', 'internal');
    return worker;
  }

  private send(request: QdgRequest, transfer: Transferable[], what: string): void {
    $('#qdg-error').textContent = '';
    delete document.body.dataset.qdgError;
    this.running = true;
    document.body.dataset.qdgState = 'running';
    this.setStatus(`Clustering ${what}…`, 0);
    this.worker ??= this.startWorker();
    this.worker.postMessage(request, transfer);
    this.update();
  }

  private settings(forModel: boolean) {
    try {
      return readQdgForm(this.form, forModel);
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e), 'config');
      return null;
    }
  }

  private clusterModel(): void {
    const s = this.settings(true);
    if (!s || !this.model) return;
    // copies: the page keeps its model for the next clustering
    const layers = this.model.layers.map(({ W, b }) => ({ W: W.slice(), b: b.slice() }));
    this.send(
      {
        type: 'qdg-model',
        id: ++this.requestId,
        config: this.model.config,
        layers,
        samples: s.samples,
        lossThreshold: s.lossThreshold,
        gradientOf: s.gradientOf,
        clusters: s.clusters,
        nInit: s.nInit,
      },
      layers.flatMap((l) => [l.W.buffer, l.b.buffer]),
      `${s.samples} samples of the trained model`,
    );
  }

  private async clusterMatrix(): Promise<void> {
    const s = this.settings(false);
    const file = this.files.matrix.files?.[0];
    if (!s || !file) return;
    const read = async (f: File): Promise<DroppedFile> => ({ name: f.name, bytes: await f.arrayBuffer() });
    const matrix = await read(file);
    const labelsFile = this.files.labels.files?.[0];
    const labels = labelsFile ? await read(labelsFile) : undefined;
    this.send(
      {
        type: 'qdg-matrix',
        id: ++this.requestId,
        matrix,
        labels,
        kind: s.kind,
        alphaN: s.alphaN,
        clusters: s.clusters,
        nInit: s.nInit,
      },
      [matrix.bytes, ...(labels ? [labels.bytes] : [])],
      file.name,
    );
  }

  private handle(m: QdgWorkerMessage): void {
    if (m.type === 'ready') return;
    if (m.id !== -1 && m.id !== this.requestId) return;
    if (m.type === 'qdg-error') {
      this.fail(m.message, m.kind);
      return;
    }
    if (m.type === 'qdg-progress') {
      const fraction = m.total > 0 ? m.done / m.total : 0;
      this.setStatus(
        `Clustering: ${STAGE_NAMES[m.stage] ?? m.stage}, ${Math.round(100 * fraction)}%`,
        fraction,
      );
      return;
    }
    this.running = false;
    this.result = m;
    const seconds = m.timing.total ?? 0;
    const drawn = m.candidates === undefined ? '' : ` (below the loss threshold among ${m.candidates} drawn)`;
    this.setStatus(
      `Clustered ${m.samples} samples of ${m.name}${drawn} at K = ${m.clusterings.map((c) => c.K).join(', ')} ` +
        `in ${seconds.toFixed(1)} s.`,
      1,
    );
    renderQdgResult(m, defaultOrderingK(m));
    document.body.dataset.qdgState = 'done';
    this.update();
  }

  /** Drops on the fieldset fill the inputs: an S x S matrix first, then (a second file) its labels. */
  private acceptDrops(zone: HTMLElement): void {
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('dragging');
      const dropped = Array.from(e.dataTransfer?.files ?? []);
      if (dropped.length === 0) return;
      const assign = (input: HTMLInputElement, file: File) => {
        const list = new DataTransfer();
        list.items.add(file);
        input.files = list.files;
      };
      // one file: the matrix; two: the larger is the matrix, the other its labels
      const [matrix, labels] = [...dropped].sort((a, b) => b.size - a.size);
      assign(this.files.matrix, matrix);
      if (labels) assign(this.files.labels, labels);
      this.update();
    });
  }

  /** Saves every K's labels as one .npy: int32 [number of K x S], rows in the table's K order. */
  private downloadLabels(): void {
    const r = this.result;
    if (!r) return;
    const S = r.samples;
    const all = new Int32Array(r.clusterings.length * S);
    r.clusterings.forEach((c, i) => all.set(c.labels, i * S));
    const bytes = encodeNpy(all, [r.clusterings.length, S]);
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    const link = Object.assign(document.createElement('a'), {
      href: url,
      download: `qdg-labels-K${r.clusterings.map((c) => c.K).join('-')}.npy`,
    });
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}
