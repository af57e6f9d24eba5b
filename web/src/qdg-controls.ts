// The QDG controls: cluster counts, k-means restarts, and for the trained model the samples S and the loss
// threshold; seeded from the URL's query like the training controls (?qdgSamples=400&qdgClusters=2,4,8).
// Syntax is checked here, values against S by the library (qdgConfig) in the worker, as for every caller.
import { ConfigError } from 'quanta';
import { DEFAULT_LOSS_THRESHOLD } from './qdg-model.js';

export interface QdgPageSettings {
  clusters: number[];
  nInit: number;
  samples: number;
  lossThreshold: number;
  /** The model's gradients: of the loss (the paper's) or of the logit difference z_1 - z_0 (label-free). */
  gradientOf: 'loss' | 'logit';
  kind: 'cosine' | 'affinity';
  /** A matrix's alpha_N for the prediction; undefined: the library's default (the paper's, for LLMs). */
  alphaN?: number;
}

/**
 * The page's QDG defaults: S = 600 samples of the trained model (the CLI takes 2,000, the paper 10,000; a few
 * seconds in a tab), K from 2 up to about S/10 so that the envelope reaches the fit window's end (ranks
 * S/100 + 1 .. S/10, the paper's 101..1000 of 10,000), 10 k-means restarts (the paper's 30 triple the
 * k-means time for little change), and the CLI's loss threshold.
 */
export const QDG_DEFAULTS: QdgPageSettings = {
  clusters: [2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64],
  nInit: 10,
  samples: 600,
  lossThreshold: DEFAULT_LOSS_THRESHOLD,
  gradientOf: 'loss',
  kind: 'cosine',
};

const FIELDS = {
  qdgClusters: (s: QdgPageSettings) => s.clusters.join(', '),
  qdgNInit: (s: QdgPageSettings) => String(s.nInit),
  qdgSamples: (s: QdgPageSettings) => String(s.samples),
  qdgLossThreshold: (s: QdgPageSettings) => String(s.lossThreshold),
  qdgGradientOf: (s: QdgPageSettings) => s.gradientOf,
  qdgKind: (s: QdgPageSettings) => s.kind,
  qdgAlphaN: (s: QdgPageSettings) => (s.alphaN === undefined ? '' : String(s.alphaN)),
} as const;

function element(form: HTMLFormElement, name: string): HTMLInputElement | HTMLSelectElement {
  const input = form.elements.namedItem(name);
  if (!(input instanceof HTMLInputElement || input instanceof HTMLSelectElement))
    throw new Error(`web: the QDG form has no input ${name}`);
  return input;
}

/** Parses a list of cluster counts ("2, 4 8"): integers >= 2, at least one; sorted, duplicates dropped. */
export function parseClusterCounts(text: string): number[] {
  const parts = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length === 0) throw new ConfigError('give at least one cluster count K, e.g. 2, 4, 8, 16');
  const counts = parts.map((s) => {
    const K = Number(s);
    if (!Number.isInteger(K) || K < 2) throw new ConfigError(`cluster count "${s}" is not an integer >= 2`);
    return K;
  });
  return [...new Set(counts)].sort((a, b) => a - b);
}

/** An integer >= min. */
function integerAtLeast(text: string, what: string, min: number): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(value) || value < min)
    throw new ConfigError(`${what} must be an integer >= ${min}, got "${text}"`);
  return value;
}

/** A finite number > 0. */
function positive(text: string, what: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new ConfigError(`${what} must be a number > 0, got "${text}"`);
  return value;
}

/** Fills the QDG form from the query over QDG_DEFAULTS. */
export function initialiseQdgForm(form: HTMLFormElement, query: URLSearchParams): void {
  for (const [name, value] of Object.entries(FIELDS)) {
    const input = element(form, name);
    input.value = query.get(name) ?? value(QDG_DEFAULTS);
  }
}

/**
 * Reads the QDG form for the model (`forModel`: samples and threshold too) or for a matrix (those two are not
 * read); throws ConfigError with one user-facing sentence.
 */
export function readQdgForm(form: HTMLFormElement, forModel: boolean): QdgPageSettings {
  const kind = element(form, 'qdgKind').value;
  const alphaN = element(form, 'qdgAlphaN').value.trim();
  if (alphaN !== '' && !(Number.isFinite(Number(alphaN)) && Number(alphaN) >= 0))
    throw new ConfigError(`alpha_N must be a number >= 0 (or empty for the paper's 0.083), got "${alphaN}"`);
  return {
    clusters: parseClusterCounts(element(form, 'qdgClusters').value),
    nInit: integerAtLeast(element(form, 'qdgNInit').value, 'k-means restarts', 1),
    samples: forModel ? integerAtLeast(element(form, 'qdgSamples').value, 'samples S', 3) : 0,
    lossThreshold: forModel
      ? positive(element(form, 'qdgLossThreshold').value, 'the loss threshold (nats)')
      : QDG_DEFAULTS.lossThreshold,
    gradientOf: element(form, 'qdgGradientOf').value === 'logit' ? 'logit' : 'loss',
    kind: kind === 'affinity' ? 'affinity' : 'cosine',
    ...(alphaN !== '' && !forModel ? { alphaN: Number(alphaN) } : {}),
  };
}
