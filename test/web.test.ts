// End-to-end: builds the explorer page (web/) with Vite, serves it on 127.0.0.1, and drives Debian's
// Chromium through playwright-core: a small run trains in the page's worker until the mean loss is well below
// chance and a subtask has emerged, the plots render, a bad input gets one clear line, a browser without
// Wasm SIMD gets a clear message, and the training throughput in the page is compared with the same run in
// Node (reported, never asserted). Screenshots and the throughput figures go to web/screenshots/ (ignored).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { build } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEFAULT_RUN, Trainer, type RunConfig } from '../src/index.js';

const CHROMIUM = process.env.QUANTA_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '..');
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
  steps: 600,
  logEvery: 600,
  testPoints: 2000,
  testPointsPerTask: 10,
};

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

function serve(dir: string): Promise<string> {
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((done) => {
    server!.listen(0, '127.0.0.1', () => {
      const address = server!.address();
      done(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);
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

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser test needs it. Install it with ` +
        '`apt-get install -y chromium` (CI does this in .ci/run) or set QUANTA_CHROMIUM to its path.',
    );
  }
  outDir = mkdtempSync(join(tmpdir(), 'quanta-web-'));
  await build({
    configFile: join(ROOT, 'web', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  baseUrl = await serve(outDir);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--headless',
    ],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('the explorer page in Chromium', () => {
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

  it('refuses a bad input with one clear line and keeps the page usable', async () => {
    const page = await openPage(query({ nTasks: 1000, n: 10, k: 3 }));
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20_000 });
    await page.click('#train');
    const message = await page.textContent('#form-error');
    expect(message).toMatch(/nTasks 1000 is more than the 120 distinct 3-subsets of 10 task bits/);
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
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
    const page = await openPage(query({ ...THROUGHPUT_RUN, autostart: 'train' }));
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 45_000 });
    const browserRate = Number(await page.evaluate(() => document.body.dataset.samplesPerSecond));
    await page.close();
    const record = new Trainer(THROUGHPUT_RUN).run();
    const nodeRate = record.timing.samplesPerSecond;
    const report = {
      run: THROUGHPUT_RUN,
      browserSamplesPerSecond: Math.round(browserRate),
      nodeSamplesPerSecond: Math.round(nodeRate),
      browserOverNode: Number((browserRate / nodeRate).toFixed(3)),
      chromium: browser!.version(),
      node: process.version,
    };
    writeFileSync(join(SCREENSHOTS, 'throughput.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(`web throughput: ${JSON.stringify(report)}`);
    expect(browserRate).toBeGreaterThan(0);
    expect(nodeRate).toBeGreaterThan(0);
  });
});
