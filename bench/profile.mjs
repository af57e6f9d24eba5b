#!/usr/bin/env node
// Where our time goes: runs one of our hot paths for a few seconds under the V8 profiler and prints the
// functions with the most self time (Wasm kernels by export name). Usage:
//   node bench/profile.mjs train-step [width] [batch]     (default width 500, batch 2000)
//   node bench/profile.mjs spectral [S] [full]             (QDG clustering on one thread, K 10/20/50/100 or
//                                                          with `full` the 30-value list; default S 2000)
// The .cpuprofile is kept in bench/results/ for Chrome DevTools.
import { Session } from 'node:inspector/promises';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadOurs, ROOT } from './lib/ours.mjs';
import { loadAffinityKernels, qdgLikeAffinity } from './lib/affinity.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The binary our side really runs: the one inlined into dist/core/wasm-binary.js at its build. */
async function distBinary() {
  try {
    const { WASM_BASE64 } = await import(pathToFileURL(join(ROOT, 'dist', 'core', 'wasm-binary.js')).href);
    return Buffer.from(WASM_BASE64, 'base64');
  } catch {
    return null;
  }
}

const binary = await distBinary();
/** build/quanta.wat names internal functions, but only describes the binary when build/ and dist/ agree. */
const watMatches = (() => {
  try {
    return binary !== null && readFileSync(join(ROOT, 'build', 'quanta.wasm')).equals(binary);
  } catch {
    return false;
  }
})();

/** Function index -> export name, from the export section of the binary dist/ runs. */
function wasmExportNames() {
  const names = new Map();
  try {
    const bytes = binary;
    let p = 8;
    const leb = () => {
      let r = 0;
      let shift = 0;
      for (;;) {
        const b = bytes[p++];
        r |= (b & 0x7f) << shift;
        if (!(b & 0x80)) return r >>> 0;
        shift += 7;
      }
    };
    let imports = 0;
    while (p < bytes.length) {
      const id = bytes[p++];
      const size = leb();
      const end = p + size;
      if (id === 2) {
        for (let n = leb(); n > 0; n--) {
          p += leb();
          p += leb();
          const kind = bytes[p++];
          if (kind === 0) {
            leb();
            imports++;
          } else if (kind === 1 || kind === 2) {
            if (kind === 1) p++; // table: element type first
            const hasMax = bytes[p++] & 1; // limits: flags, min, then max if flagged
            leb();
            if (hasMax) leb();
          } else p += 2; // global: value type, mutability
        }
      } else if (id === 7) {
        for (let n = leb(); n > 0; n--) {
          const len = leb();
          const name = bytes.subarray(p, p + len).toString();
          p += len;
          const kind = bytes[p++];
          const index = leb();
          if (kind === 0) names.set(index, name);
        }
      }
      p = end;
    }
    names.imports = imports;
  } catch {
    // no build/ (e.g. an installed package): profiles show wasm-function[i]
  }
  return names;
}

/** Function index -> name, from build/quanta.wat (asc's text output names internal functions too). */
function watFunctionNames() {
  if (!watMatches) return [];
  try {
    const wat = readFileSync(join(ROOT, 'build', 'quanta.wat'), 'utf8');
    const imports = (wat.match(/^ \(import .*\(func /gm) ?? []).length;
    const names = new Array(imports).fill('(import)');
    for (const m of wat.matchAll(/^ \(func (\$\S+)/gm)) names.push(m[1].replace(/^\$(assembly\/)?/, ''));
    return names;
  } catch {
    return [];
  }
}

function summarise(profile, top = 15) {
  const self = new Map();
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) dt.set(i, profile.timeDeltas[i] ?? 0);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const names = wasmExportNames();
  const watNames = watFunctionNames();
  const hits = new Map();
  profile.samples.forEach((id, i) => hits.set(id, (hits.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let total = 0;
  for (const [id, us] of hits) {
    const n = byId.get(id);
    let name = n.callFrame.functionName || '(anonymous)';
    const m = /wasm-function\[(\d+)\]/.exec(name) ?? /^\$?func(\d+)$/.exec(name);
    if (m && names.has(Number(m[1]))) name = `wasm ${names.get(Number(m[1]))}`;
    else if (m && watNames[Number(m[1])]) name = `wasm ${watNames[Number(m[1])]} (internal)`;
    else if (m) name = `wasm internal #${m[1]}`;
    const file = n.callFrame.url ? n.callFrame.url.split('/').slice(-2).join('/') : '';
    const key = file && !name.startsWith('wasm') ? `${name} (${file})` : name;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, us] of rows)
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(6)} s  ${name}`,
    );
}

async function trainStep(width = 500, batch = 2000) {
  const tr = await loadOurs('train/trainer.js', ['Trainer'], 'src/train/trainer.ts');
  const cfg = await loadOurs('train/config.js', ['DEFAULT_RUN'], 'src/train/config.ts');
  if (tr.skipped || cfg.skipped) throw new Error(tr.skipped ?? cfg.skipped);
  const trainer = new tr.mod.Trainer({
    ...cfg.mod.DEFAULT_RUN,
    nTasks: 500,
    n: 100,
    k: 3,
    alpha: 0.4,
    width,
    batch,
    steps: 1e9,
    logEvery: 1e9,
    testPoints: 1000,
    testPointsPerTask: 1,
  });
  for (let i = 0; i < 5; i++) trainer.step();
  return () => {
    const t0 = performance.now();
    let steps = 0;
    while (performance.now() - t0 < 5000) {
      trainer.step();
      steps++;
    }
    console.log(`${steps} steps in 5 s: ${((steps * batch) / 5).toFixed(0)} samples/s`);
  };
}

async function spectral(S = 2000, full = '') {
  const kernels = await loadAffinityKernels();
  const pipe = await loadOurs('qdg/pipeline.js', ['spectralClusterings'], 'src/qdg/pipeline.ts');
  const config = await loadOurs('qdg/config.js', ['qdgConfig'], 'src/qdg/config.ts');
  const rf = await loadOurs('qdg/rank-frequency.js', ['defaultClusterCounts'], 'src/qdg/rank-frequency.ts');
  if (kernels.skipped || pipe.skipped || config.skipped || rf.skipped)
    throw new Error(kernels.skipped ?? pipe.skipped ?? config.skipped ?? rf.skipped);
  const clusters = full === 'full' ? rf.mod.defaultClusterCounts(S) : [10, 20, 50, 100];
  const core = new kernels.mods.Core();
  const { affinityPtr } = qdgLikeAffinity(kernels.mods, core, { S, clusters: Math.round(S / 40) });
  return () => {
    // one thread: the profiler samples this thread only
    const a = pipe.mod.spectralClusterings(
      core,
      affinityPtr,
      config.mod.qdgConfig({ clusters, nInit: 30, seed: 0 }, S),
      { threads: 1 },
    );
    console.log('stages (s):', JSON.stringify(a.timing));
  };
}

const [what = 'train-step', ...args] = process.argv.slice(2);
const work =
  what === 'spectral'
    ? await spectral(Number(args[0] ?? 2000), args[1])
    : await trainStep(...args.map(Number));
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
work();
const { profile } = await session.post('Profiler.stop');
mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', `${what}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));
summarise(profile);
console.log(`profile: ${file}`);
