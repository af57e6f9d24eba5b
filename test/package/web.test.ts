// End-to-end: builds the explorer page (web/) with `npm run web:build`, serves the static build from a folder
// deep below the server's root on 127.0.0.1 (as any static host would: relative asset paths, the Wasm core
// inlined), and drives Chromium (test/chromium.ts) through playwright-core: a small run trains in the page's
// worker until the mean loss is well below chance and a subtask has emerged, and the plots render; the default
// run learns several subtasks and QDG clusters its model (similarity pictures, rank-frequency envelope and
// slope, ARI); a planted block-diagonal .npy dropped on the page is clustered back into its blocks without a
// request leaving the page's origin; bad inputs get one clear line; a browser without Wasm SIMD gets a clear
// message; and the training throughput in the page is compared with the same run in Node (reported, never
// asserted). Screenshots and the measured figures go to web/screenshots/ (ignored).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../chromium.js';
import fc from 'fast-check';
import { DEFAULT_RUN, Trainer, type RunConfig } from '../../src/index.js';
import {
  emergenceSteps,
  FIT_END_ABOVE_BITS,
  FIT_START_BELOW_BITS,
  fitPowerLaw,
  geometricWidths,
  stepsFitWindow,
  theoryLine,
} from '../../web/src/analysis.js';
import { parseWidths, PAGE_DEFAULTS } from '../../web/src/controls.js';
import { copper } from '../../web/src/heatmap.js';
import { logTicks } from '../../web/src/plots.js';
import { parseRunConfig, validateRunConfig } from '../../src/train/config.js';
import { decodeNpyF64, encodeNpy } from '../../src/io/npy-format.js';
import { adjustedRandIndex } from '../../src/qdg/metrics.js';
import { plantedAffinity } from '../qdg/planted.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SCREENSHOTS = join(ROOT, 'web', 'screenshots');
/** The run the page trains: small enough for a few seconds, large enough to show emergence. */
const SMALL_RUN = { nTasks: 20, n: 16, k: 3, alpha: 0.4, width: 64, batch: 1000, steps: 2500, logEvery: 50 };
/** Mean test loss (bits) the page must get below: chance is 1 bit. */
const LOSS_THRESHOLD_BITS = 0.7;
/** The throughput run, trained in the page and in Node alike (one evaluation only). */
const THROUGHPUT_RUN: RunConfig = {
  ...DEFAULT_RUN,
  width: 128,
  batch: 2000,
  steps: 400,
  logEvery: 400,
  testPoints: 2000,
  testPointsPerTask: 10,
};

/** Alternating repetitions of the throughput run on each side. */
const THROUGHPUT_REPS = 3;

/** The folder the build is served from: a static host's sub-path, so absolute asset paths would fail. */
const SUBPATH = '/some/static/host/quanta/';
/** "Several subtasks": what the page's default run must have learned by its end (it learns about 10). */
const DEFAULT_RUN_LEARNS = 5;
/** The planted .npy: four blocks of these sizes (test/qdg/planted.ts), clustered at these K. */
const PLANTED_SIZES = [40, 30, 20, 10];
const PLANTED_CLUSTERS = '2, 3, 4, 5, 6, 8';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

let outDir = '';
let server: Server | undefined;
let baseUrl = '';
let browser: Browser | undefined;

/** Serves `dir` at SUBPATH (everything else is 404), as a static host serving a project's pages would. */
function serve(dir: string): Promise<string> {
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const inside = path.startsWith(SUBPATH) ? path.slice(SUBPATH.length) : null;
    const file = inside === null ? '' : join(dir, inside === '' ? 'index.html' : inside);
    if (inside === null || !file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((done) => {
    server!.listen(0, '127.0.0.1', () => {
      const address = server!.address();
      done(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}${SUBPATH}`);
    });
  });
}

function query(values: object): string {
  return new URLSearchParams(Object.entries(values).map(([k, v]) => [k, String(v)])).toString();
}

async function openPage(search: string): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${baseUrl}?${search}`);
  (page as Page & { errors?: string[] }).errors = errors;
  return page;
}

describe('the page analysis (no browser)', () => {
  it('fits a known power-law exponent from exact data', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 3, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (a, c) => {
          const xs = [10, 30, 100, 300, 1000, 5000];
          const fit = fitPowerLaw(
            xs,
            xs.map((x) => c * Math.pow(x, -a)),
          );
          expect(fit).not.toBeNull();
          expect(Math.abs(fit!.slope + a)).toBeLessThan(1e-9);
        },
      ),
    );
    expect(fitPowerLaw([5], [1])).toBeNull();
    expect(fitPowerLaw([5, 5], [1, 2])).toBeNull();
  });

  it('places a theory line through its anchor with the given slope', () => {
    const [[x0, y0], [x1, y1]] = theoryLine(0.4, 100, 10_000, 1000, 0.5);
    expect(Math.log(y1 / y0) / Math.log(x1 / x0)).toBeCloseTo(-0.4, 12);
    expect(0.5 * Math.pow(1000 / x0, 0.4)).toBeCloseTo(y0, 12);
  });

  it('fits alpha_S between the plateau end and the loss floor', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 1.05, noNaN: true }), { minLength: 1, maxLength: 60 }),
        (loss) => {
          const steps = loss.map((_, i) => 10 * i);
          const w = stepsFitWindow(steps, loss);
          if (w === null) return;
          const [a, b] = w;
          expect(b - a).toBeGreaterThanOrEqual(3);
          expect(loss[a]).toBeLessThan(FIT_START_BELOW_BITS);
          for (let i = 1; i < a; i++) expect(loss[i]).toBeGreaterThanOrEqual(FIT_START_BELOW_BITS);
          for (let i = a; i < b; i++) expect(loss[i]).toBeGreaterThanOrEqual(FIT_END_ABOVE_BITS);
        },
      ),
    );
  });

  it('dates each subtask emergence at its first log below 0.1 bits', () => {
    const steps = [0, 10, 20, 30];
    const rows = [
      [1, 1, 1],
      [0.05, 1, 1],
      [0.2, 0.09, 1],
      [0.01, 0.01, 0.5],
    ].map((r) => Float64Array.from(r));
    expect(Array.from(emergenceSteps(steps, rows))).toEqual([10, 20, -1]);
  });

  it('draws ticks inside the axis range, increasing, at least two per axis', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -6, max: 6, noNaN: true }),
        fc.double({ min: 0.5, max: 10, noNaN: true }),
        (l, span) => {
          const lo = Math.pow(10, l);
          const hi = lo * Math.pow(10, span);
          const ticks = logTicks(lo, hi);
          expect(ticks.length).toBeGreaterThanOrEqual(2);
          for (let i = 0; i < ticks.length; i++) {
            expect(ticks[i]).toBeGreaterThanOrEqual(lo * (1 - 1e-9));
            expect(ticks[i]).toBeLessThanOrEqual(hi * (1 + 1e-9));
            if (i > 0) expect(ticks[i]).toBeGreaterThan(ticks[i - 1]);
          }
        },
      ),
    );
  });

  it("uses matplotlib's copper map clipped to [0, 1] bits", () => {
    expect(copper(0)).toEqual([0, 0, 0]);
    expect(copper(1)).toEqual([255, 199, 127]);
    expect(copper(7)).toEqual(copper(1));
    expect(copper(-1)).toEqual(copper(0));
  });

  it('has valid defaults and parses sweep widths strictly', () => {
    expect(() => validateRunConfig(PAGE_DEFAULTS)).not.toThrow();
    expect(parseWidths('32, 8 16')).toEqual([8, 16, 32]);
    expect(() => parseWidths('8')).toThrow(/at least two widths/);
    expect(() => parseWidths('8, x')).toThrow(/not a positive integer/);
    expect(() => parseWidths('8, 8')).toThrow(/distinct/);
    expect(geometricWidths(16, 128, 4)).toEqual([16, 32, 64, 128]);
  });
});

describe('the explorer page in Chromium', () => {
  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'quanta-web-'));
    // the package script a user runs, into a scratch folder
    execFileSync(
      'npm',
      ['run', 'web:build', '--', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    baseUrl = await serve(outDir);
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('trains in a worker until the loss falls and a subtask emerges, and draws every plot', async () => {
    const page = await openPage(query({ ...SMALL_RUN, sweepWidths: '8,16,32,64' }));
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20_000 });
    await page.click('#train');
    await page.click('#sweep');
    await page.waitForFunction(
      (threshold) =>
        Number(document.body.dataset.meanLossBits ?? 1) < threshold &&
        Number(document.body.dataset.emerged ?? 0) >= 1,
      LOSS_THRESHOLD_BITS,
      { timeout: 45_000 },
    );
    await page.waitForFunction(
      () => document.body.dataset.state === 'done' && document.body.dataset.sweep === 'done',
      null,
      { timeout: 45_000 },
    );
    const seen = await page.evaluate(() => ({
      data: { ...document.body.dataset },
      lossPoints: Number(document.querySelector('#loss-plot')!.getAttribute('data-points')),
      lossSeries: Number(document.querySelector('#loss-plot')!.getAttribute('data-series')),
      heatmapColumns: Number(document.querySelector('#heatmap')!.getAttribute('data-columns')),
      sweepPoints: Number(document.querySelector('#sweep-plot')!.getAttribute('data-points')),
      learnedPoints: Number(document.querySelector('#learned-plot')!.getAttribute('data-points')),
      polylines: document.querySelectorAll('#loss-plot polyline').length,
      measuredAlphaS: document.querySelector('#measured-alpha-s')!.textContent,
      measuredAlphaN: document.querySelector('#measured-alpha-n')!.textContent,
      theoryAlphaS: document.querySelector('#theory-alpha-s')!.textContent,
    }));
    await page.screenshot({ path: join(SCREENSHOTS, 'explorer.png'), fullPage: true });
    console.log(`web e2e: ${JSON.stringify(seen)}`);
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    expect(Number(seen.data.logs)).toBe(SMALL_RUN.steps / SMALL_RUN.logEvery);
    // the page drew logs while the worker was still training (its main thread was not blocked)
    expect(Number(seen.data.logsDrawnWhileTraining)).toBeGreaterThanOrEqual(2);
    expect(Number(seen.data.meanLossBits)).toBeLessThan(LOSS_THRESHOLD_BITS);
    expect(Number(seen.data.emerged)).toBeGreaterThanOrEqual(1);
    expect(seen.lossPoints).toBeGreaterThanOrEqual(SMALL_RUN.steps / SMALL_RUN.logEvery);
    expect(seen.lossSeries).toBe(3); // the measured curve, the theory line and the fit
    expect(seen.polylines).toBe(3);
    expect(seen.heatmapColumns).toBe(SMALL_RUN.steps / SMALL_RUN.logEvery);
    expect(seen.learnedPoints).toBeGreaterThan(0);
    expect(Number(seen.data.sweepPoints)).toBe(4);
    expect(seen.sweepPoints).toBeGreaterThanOrEqual(4);
    expect(seen.theoryAlphaS).toBe((0.4 / 1.4).toFixed(3));
    expect(Number(seen.measuredAlphaS)).toBeGreaterThan(0);
    expect(Number.isFinite(Number(seen.measuredAlphaN))).toBe(true);
    await page.close();
  });

  it('builds a static page: relative asset paths, no .wasm file to serve', () => {
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThanOrEqual(2);
    for (const url of urls) expect(url, url).toMatch(/^(\.\/|data:)/);
    // the Wasm core is inlined in the workers' scripts: nothing but scripts and styles to serve
    expect(readdirSync(join(outDir, 'assets')).filter((f) => !/\.(js|css)$/.test(f))).toEqual([]);
  });

  it('learns several subtasks with the defaults, then clusters the model by its gradients', async () => {
    const page = await openPage('');
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20_000 });
    expect(await page.isDisabled('#qdg-model-run')).toBe(true); // no model yet
    const started = Date.now();
    await page.click('#train');
    // when each count of learned subtasks was first seen (reported, not asserted: the machine may be loaded)
    const firstSeen: Record<string, number> = {};
    for (;;) {
      const d = await page.evaluate(() => ({ ...document.body.dataset }));
      const learned = Number(d.emerged ?? 0);
      firstSeen[learned] ??= Number(((Date.now() - started) / 1000).toFixed(1));
      if (d.state === 'done' || d.state === 'error') break;
      if (Date.now() - started > 150_000) throw new Error('the default run did not finish in 150 s');
      await page.waitForTimeout(100);
    }
    const trained = await page.evaluate(() => ({ ...document.body.dataset }));
    expect(trained.state).toBe('done');
    expect(Number(trained.emerged)).toBeGreaterThanOrEqual(DEFAULT_RUN_LEARNS);
    expect(Number(trained.logs)).toBe(PAGE_DEFAULTS.steps / PAGE_DEFAULTS.logEvery);

    await page.click('#qdg-model-run');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.qdgState ?? ''), null, {
      timeout: 120_000,
    });
    const seen = await page.evaluate(() => {
      const data = (selector: string) => ({ ...(document.querySelector(selector) as HTMLElement).dataset });
      return {
        body: { ...document.body.dataset },
        error: document.querySelector('#qdg-error')!.textContent,
        byCluster: data('#qdg-by-cluster'),
        byTruth: data('#qdg-by-truth'),
        rankFrequency: data('#qdg-rank-frequency'),
        rows: Array.from(document.querySelectorAll('#qdg-per-k tbody tr'), (tr) =>
          Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? ''),
        ),
        slopeText: document.querySelector('#qdg-slope')!.textContent,
        ariText: document.querySelector('#qdg-ari')!.textContent,
        kOptions: Array.from((document.querySelector('#qdg-k') as HTMLSelectElement).options, (o) => o.value),
      };
    });
    await (await page.$('#qdg-panel'))!.screenshot({ path: join(SCREENSHOTS, 'qdg-model.png') });
    await page.screenshot({ path: join(SCREENSHOTS, 'explorer-defaults.png'), fullPage: true });
    const report = {
      config: PAGE_DEFAULTS,
      learnedAtEnd: Number(trained.emerged),
      trainSeconds: Number(trained.trainSeconds),
      secondsUntilLearned: firstSeen,
      qdg: {
        samples: Number(seen.body.qdgSamples),
        envelopeSlope: Number(seen.body.qdgSlope),
        predictedSlope: Number(seen.body.qdgPredictedSlope),
        bestAri: Number(seen.body.qdgAri),
        bestAriK: Number(seen.body.qdgAriK),
      },
      chromium: browser!.version(),
    };
    writeFileSync(join(SCREENSHOTS, 'defaults.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(`web defaults and QDG: ${JSON.stringify(report)}`);
    expect(seen.error).toBe('');
    expect(seen.body.qdgState).toBe('done');
    expect(seen.body.qdgSource).toBe('model');
    expect(Number(seen.body.qdgSamples)).toBe(600);
    const Ks = [2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
    expect(Number(seen.body.qdgClusterings)).toBe(Ks.length);
    expect(seen.kOptions).toEqual(Ks.map(String));
    // the envelope falls with rank; the prediction is -(1 + alpha) of the task
    const slope = Number(seen.body.qdgSlope);
    expect(slope).toBeLessThan(0);
    expect(slope).toBeGreaterThan(-5);
    expect(Number(seen.slopeText)).toBeCloseTo(slope, 3);
    expect(Number(seen.body.qdgPredictedSlope)).toBeCloseTo(-(1 + PAGE_DEFAULTS.alpha), 4);
    // ARI: a number in [-1, 1] for every K, the best one shown, at one of the K
    const ari = Number(seen.body.qdgAri);
    expect(ari).toBeGreaterThanOrEqual(-1);
    expect(ari).toBeLessThanOrEqual(1);
    expect(Number(seen.ariText)).toBeCloseTo(ari, 3);
    expect(Ks).toContain(Number(seen.body.qdgAriK));
    expect(seen.rows).toHaveLength(Ks.length);
    for (const [i, row] of seen.rows.entries()) {
      expect(Number(row[0])).toBe(Ks[i]);
      const sizes = row[1].replace(' …', '').split(' ').map(Number);
      expect(sizes.every((n, j) => Number.isInteger(n) && n > 0 && (j === 0 || n <= sizes[j - 1]))).toBe(
        true,
      );
      for (const value of row.slice(2).map(Number)) {
        expect(value).toBeGreaterThanOrEqual(-1);
        expect(value).toBeLessThanOrEqual(1);
      }
    }
    // both pictures drawn as 300 x 300 block means of the 600 x 600 affinity (angular: values in [0, 1])
    for (const image of [seen.byCluster, seen.byTruth]) {
      expect(Number(image.blocks)).toBe(300);
      expect(Number(image.min)).toBeGreaterThanOrEqual(0);
      expect(Number(image.max)).toBeLessThanOrEqual(1);
      expect(Number(image.min)).toBeLessThan(Number(image.max));
    }
    // every K's curve, the envelope, its fit and the prediction
    expect(Number(seen.rankFrequency.series)).toBe(Ks.length + 3);
    // choosing another K redraws the picture by cluster
    await page.selectOption('#qdg-k', '8');
    expect(await page.evaluate(() => document.body.dataset.qdgOrderK)).toBe('8');
    // the label-free gradient (z_1 - z_0) clusters the same samples differently: another best ARI
    await page.selectOption('select[name=qdgGradientOf]', 'logit');
    await page.click('#qdg-model-run');
    await page.waitForFunction(
      (before) =>
        document.body.dataset.qdgState === 'error' ||
        (document.body.dataset.qdgState === 'done' && document.body.dataset.qdgAri !== before),
      seen.body.qdgAri,
      { timeout: 120_000 },
    );
    const logit = await page.evaluate(() => ({ ...document.body.dataset }));
    expect(logit.qdgState).toBe('done');
    expect(Number(logit.qdgSamples)).toBe(600);
    expect(Number(logit.qdgSlope)).toBeLessThan(0);
    expect(Math.abs(Number(logit.qdgAri))).toBeLessThanOrEqual(1);
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('clusters a dropped .npy in the page: a planted block-diagonal matrix comes back as its blocks', async () => {
    const { A, labels } = plantedAffinity(PLANTED_SIZES, 7);
    const S = labels.length;
    const matrixBytes = Array.from(encodeNpy(A, [S, S]));
    const labelBytes = Array.from(encodeNpy(labels, [S]));
    const page = await openPage(
      new URLSearchParams({ qdgClusters: PLANTED_CLUSTERS, qdgNInit: '5', qdgAlphaN: '0.5' }).toString(),
    );
    const requests: Array<{ url: string; method: string; body: string | null }> = [];
    page.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() }));
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20_000 });
    requests.length = 0; // from here on: the clustering
    expect(await page.isDisabled('#qdg-matrix-run')).toBe(true);
    // drop both files on the drop zone, as a user drags them from a file manager
    await page.evaluate(
      ([matrix, labelFile]) => {
        const files = new DataTransfer();
        files.items.add(new File([new Uint8Array(matrix)], 'planted.npy'));
        files.items.add(new File([new Uint8Array(labelFile)], 'planted-labels.npy'));
        const zone = document.querySelector('#qdg-drop')!;
        zone.dispatchEvent(new DragEvent('drop', { dataTransfer: files, bubbles: true, cancelable: true }));
      },
      [matrixBytes, labelBytes],
    );
    await page.selectOption('select[name=qdgKind]', 'affinity');
    expect(await page.isEnabled('#qdg-matrix-run')).toBe(true);
    await page.click('#qdg-matrix-run');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.qdgState ?? ''), null, {
      timeout: 60_000,
    });
    const seen = await page.evaluate(() => ({
      body: { ...document.body.dataset },
      error: document.querySelector('#qdg-error')!.textContent,
      rows: Array.from(document.querySelectorAll('#qdg-per-k tbody tr'), (tr) =>
        Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? ''),
      ),
      truthBlocks: (document.querySelector('#qdg-by-truth') as HTMLElement).dataset.blocks,
    }));
    await (await page.$('#qdg-panel'))!.screenshot({ path: join(SCREENSHOTS, 'qdg-npy.png') });
    expect(seen.error).toBe('');
    expect(seen.body.qdgState).toBe('done');
    expect(seen.body.qdgSource).toBe('matrix');
    expect(Number(seen.body.qdgSamples)).toBe(S);
    // the four planted blocks, recovered exactly at K = 4
    expect(Number(seen.body.qdgAriK)).toBe(PLANTED_SIZES.length);
    expect(Number(seen.body.qdgAri)).toBeGreaterThan(0.99);
    const rowK4 = seen.rows.find((r) => r[0] === '4')!;
    expect(rowK4[1]).toBe(PLANTED_SIZES.join(' '));
    expect(Number(rowK4[2])).toBeGreaterThan(0.99);
    expect(Number(seen.truthBlocks)).toBe(S);
    expect(Number(seen.body.qdgSlope)).toBeLessThan(0);
    expect(Number(seen.body.qdgPredictedSlope)).toBe(-1.5); // -(1 + alpha_N) with the alpha_N given

    // the labels the page saves are the clusterings it shows: the K = 4 row matches the plant
    const download = page.waitForEvent('download');
    await page.click('#qdg-download');
    const saved = readFileSync((await (await download).path())!);
    const Ks = PLANTED_CLUSTERS.split(', ').map(Number);
    const { data, shape } = decodeNpyF64(new Uint8Array(saved), 'the saved labels');
    expect(shape).toEqual([Ks.length, S]);
    const k4 = data.subarray(Ks.indexOf(4) * S, (Ks.indexOf(4) + 1) * S);
    expect(adjustedRandIndex(labels, k4)).toBeCloseTo(1, 12);

    // nothing left the machine: the only requests while the files were read, clustered and saved are the
    // page's own scripts (the QDG worker's, from the same folder) and the saved file's blob: URL, no upload
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      expect(r.url.startsWith(`${baseUrl}assets/`) || r.url.startsWith('blob:'), r.url).toBe(true);
      expect(r.method).toBe('GET');
      expect(r.body).toBeNull();
    }

    // a matrix that is not square is refused with one line, and the page stays usable
    const bad = Array.from(encodeNpy(new Float32Array(6), [2, 3]));
    await page.setInputFiles('#qdg-matrix-file', {
      name: 'bad.npy',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(bad),
    });
    await page.setInputFiles('#qdg-labels-file', []);
    await page.click('#qdg-matrix-run');
    await page.waitForFunction(() => document.body.dataset.qdgState === 'error', null, { timeout: 20_000 });
    expect(await page.textContent('#qdg-error')).toBe(
      'bad.npy: a similarity matrix must be square (S x S, S >= 3), got shape (2, 3)',
    );
    expect(await page.isEnabled('#qdg-matrix-run')).toBe(true);
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('refuses a bad input with one clear line and keeps the page usable', async () => {
    const page = await openPage(query({ nTasks: 1000, n: 10, k: 3 }));
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20_000 });
    await page.click('#train');
    const message = await page.textContent('#form-error');
    expect(message).toMatch(/nTasks 1000 is more than the 120 distinct 3-subsets of 10 task bits/);
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
    await page.close();
  });

  it('stops a long run on demand and can start again', async () => {
    const page = await openPage(query({ ...SMALL_RUN, steps: 1_000_000 }));
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20_000 });
    await page.click('#train');
    await page.waitForFunction(() => Number(document.body.dataset.logs ?? 0) >= 2, null, { timeout: 30_000 });
    await page.click('#stop');
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
    await page.waitForTimeout(300); // a frame or two: a late redraw must not undo the stop
    expect(await page.textContent('#status')).toMatch(/^Stopped: step \d+ of 1000000/);
    expect(await page.isEnabled('#train')).toBe(true);
    expect(await page.isDisabled('#stop')).toBe(true);
    await page.close();
  });

  it('tells a browser without Wasm SIMD so, clearly, and does not start', async () => {
    const page = await browser!.newPage();
    // Simulate a browser without fixed-width SIMD: every module using the 0xfd opcode prefix fails to validate.
    await page.addInitScript(() => {
      const validate = WebAssembly.validate.bind(WebAssembly);
      WebAssembly.validate = (bytes: BufferSource) => {
        const view = ArrayBuffer.isView(bytes)
          ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
          : new Uint8Array(bytes);
        return view.includes(0xfd) ? false : validate(bytes);
      };
    });
    await page.goto(baseUrl);
    await page.waitForFunction(() => document.body.dataset.state === 'unsupported', null, {
      timeout: 10_000,
    });
    const banner = await page.textContent('#unsupported');
    expect(banner).toMatch(/lacks WebAssembly SIMD/);
    expect(await page.isDisabled('#train')).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'no-simd.png') });
    await page.close();
  });

  it('measures training throughput in the page and in Node on the same run', async () => {
    // Alternating repetitions (browser, Node, browser, ...) so that load from other processes and warm-up
    // fall on both sides alike; the medians are reported.
    const page = await openPage(query(THROUGHPUT_RUN));
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20_000 });
    const browserRates: number[] = [];
    const nodeRates: number[] = [];
    for (let rep = 0; rep < THROUGHPUT_REPS; rep++) {
      await page.click('#train');
      await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 45_000 });
      browserRates.push(Number(await page.evaluate(() => document.body.dataset.samplesPerSecond)));
      nodeRates.push(new Trainer(parseRunConfig(THROUGHPUT_RUN)).run().timing.samplesPerSecond);
    }
    await page.close();
    const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
    const browserRate = median(browserRates);
    const nodeRate = median(nodeRates);
    const report = {
      run: THROUGHPUT_RUN,
      repetitions: THROUGHPUT_REPS,
      browserSamplesPerSecond: Math.round(browserRate),
      nodeSamplesPerSecond: Math.round(nodeRate),
      browserOverNode: Number((browserRate / nodeRate).toFixed(3)),
      browserRuns: browserRates.map(Math.round),
      nodeRuns: nodeRates.map(Math.round),
      chromium: browser!.version(),
      node: process.version,
    };
    writeFileSync(join(SCREENSHOTS, 'throughput.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(`web throughput: ${JSON.stringify(report)}`);
    expect(browserRates.every((r) => r > 0)).toBe(true);
    expect(nodeRates.every((r) => r > 0)).toBe(true);
  });
});
