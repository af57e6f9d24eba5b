// The page's controls: the run config and the sweep widths, read from the form, seeded from the URL's query
// (so a link, or the end-to-end test, can set any field: ?nTasks=20&steps=800&autostart=train), and validated
// with the library's own rules before anything reaches the worker.
import { ConfigError, DEFAULT_RUN, validateRunConfig, type RunConfig } from 'quanta';
import { geometricWidths } from './analysis.js';

/** Numeric fields of RunConfig that the form edits. */
export const FORM_FIELDS = [
  'alpha',
  'nTasks',
  'n',
  'k',
  'width',
  'batch',
  'steps',
  'logEvery',
  'lr',
  'seed',
  'testPoints',
  'testPointsPerTask',
] as const satisfies ReadonlyArray<keyof RunConfig>;

/**
 * The page's defaults: the paper's alpha and k on a task small enough that several subtasks emerge, in frequency
 * order, within a few seconds of a browser tab: 50 subtasks of 12 task bits, width 128, batch 1000 and AdamW lr
 * 3e-3 (three times the paper's, as the CLI's quick preset, so that short runs learn; with lr 1e-3 and batch
 * 2000 the same 10 s learned 5 subtasks instead of about 10). Measured in Chromium by test/package/web.test.ts.
 */
export const PAGE_DEFAULTS: RunConfig = {
  ...DEFAULT_RUN,
  nTasks: 50,
  n: 12,
  width: 128,
  batch: 1000,
  steps: 10_000,
  logEvery: 100,
  lr: 3e-3,
  testPoints: 10_000,
  testPointsPerTask: 200,
};

/** Default sweep: five widths from width/8 to the run's width. */
export function defaultSweepWidths(width: number): number[] {
  return geometricWidths(Math.max(2, Math.round(width / 8)), width, 5);
}

export interface PageSettings {
  config: RunConfig;
  sweepWidths: number[];
  /** From ?autostart=train|sweep|both. */
  autostart: 'train' | 'sweep' | 'both' | null;
}

function field(form: HTMLFormElement, name: string): HTMLInputElement {
  const input = form.elements.namedItem(name);
  if (!(input instanceof HTMLInputElement)) throw new Error(`web: the form has no input ${name}`);
  return input;
}

/** Parses a comma-separated list of widths; throws ConfigError on anything else. */
export function parseWidths(text: string): number[] {
  const parts = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length < 2) throw new ConfigError('the N sweep needs at least two widths, e.g. 8, 16, 32, 64');
  const widths = parts.map((s) => {
    const w = Number(s);
    if (!Number.isInteger(w) || w < 1) throw new ConfigError(`sweep width "${s}" is not a positive integer`);
    return w;
  });
  if (new Set(widths).size !== widths.length) throw new ConfigError('sweep widths must be distinct');
  return widths.sort((a, b) => a - b);
}

/** Fills the form from the URL query over the page defaults; returns what the query asked for. */
export function initialiseForm(form: HTMLFormElement, query: URLSearchParams): PageSettings['autostart'] {
  for (const name of FORM_FIELDS) {
    field(form, name).value = query.get(name) ?? String(PAGE_DEFAULTS[name]);
  }
  const width = Number(field(form, 'width').value);
  field(form, 'sweepWidths').value =
    query.get('sweepWidths') ??
    defaultSweepWidths(Number.isFinite(width) && width > 0 ? width : PAGE_DEFAULTS.width).join(', ');
  const autostart = query.get('autostart');
  return autostart === 'train' || autostart === 'sweep' || autostart === 'both' ? autostart : null;
}

/** Reads and validates the form; throws ConfigError with one user-facing sentence. */
export function readForm(form: HTMLFormElement): Omit<PageSettings, 'autostart'> {
  const config: RunConfig = { ...PAGE_DEFAULTS };
  for (const name of FORM_FIELDS) {
    const text = field(form, name).value.trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value))
      throw new ConfigError(`${name} must be a number, got "${text}"`);
    (config as unknown as Record<string, number>)[name] = value;
  }
  validateRunConfig(config);
  const sweepWidths = parseWidths(field(form, 'sweepWidths').value);
  for (const w of sweepWidths) validateRunConfig({ ...config, width: w });
  return { config, sweepWidths };
}

/** The config of one sweep run: the main config at another width, logged ~50 times (only the end is used). */
export function sweepRunConfig(config: RunConfig): RunConfig {
  return { ...config, logEvery: Math.max(1, Math.floor(config.steps / 50)) };
}
