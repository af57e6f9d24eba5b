#!/usr/bin/env node
// quanta benchmarks: `npm run bench` runs every benchmark, `npm run bench -- train-step limits` the named ones.
// Each prints one JSON object per measurement (stdout, one line each):
//   { bench, config, ours, peer, peerName, ratio, unit, threads, machine, ... }
// and all of them are written to bench/results/latest.json (atomically). `ratio` is always how many times
// better ours is (a rate: ours/peer; a time: peer/ours). A missing peer or a piece of ours that has not landed
// prints a { bench, config, skipped } line instead, never a failure. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/harness.mjs';
import { measureLimits } from './limits.mjs';
import { loadOurs } from './lib/ours.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Every benchmark, in the order `npm run bench` runs them. */
const BENCHES = {
  limits: './limits.mjs',
  'train-step': './train-step.mjs',
  gram: './gram.mjs',
  syrk: './syrk.mjs',
  eigensolver: './eigensolver.mjs',
  spectral: './spectral.mjs',
  kmeans: './kmeans.mjs',
  scaling: './scaling.mjs',
};

const USAGE = `usage: npm run bench -- [name ...] [--full] [--reps N] [--warmup N] [--threads N] [--sizes S:K,..] [--modes M,..] [--out FILE]
  names: ${Object.keys(BENCHES).join(', ')} (default: all)
  --full     the paper's full sizes (slow: tens of minutes)
  --reps N   timed repetitions per contender (default 3, 5 with --full); the median is reported
  --warmup N untimed rounds first (default 1)
  --threads N threads for both sides where a bench offers a choice (spectral, eigensolver; default 1)
  --sizes S:K,.. only these sizes (eigensolver: S samples, K eigenpairs; default: the bench's grid)
  --modes M,..   eigensolver peers: LA (eigsh), sklearn (eigsh shift-invert), eigh (LAPACK, dense)
                 (default: LA, and with --full also sklearn and eigh)
  --out FILE results file (default bench/results/latest.json)`;

function parseArgs(argv) {
  const opts = {
    names: [],
    full: false,
    reps: null,
    warmup: 1,
    threads: 1,
    sizes: null,
    modes: null,
    out: join(here, 'results', 'latest.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    const int = (v, min) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) fail(`${a} must be an integer >= ${min}, got ${v}`);
      return n;
    };
    if (a === '--full') opts.full = true;
    else if (a === '--reps') opts.reps = int(value(), 1);
    else if (a === '--warmup') opts.warmup = int(value(), 0);
    else if (a === '--threads') opts.threads = int(value(), 1);
    else if (a === '--sizes') opts.sizes = parseSizes(a, value());
    else if (a === '--modes') opts.modes = parseModes(a, value());
    else if (a === '--out') opts.out = value();
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('-')) fail(`unknown option ${a}`);
    else if (!(a in BENCHES)) fail(`unknown benchmark "${a}"; one of: ${Object.keys(BENCHES).join(', ')}`);
    else opts.names.push(a);
  }
  opts.reps ??= opts.full ? 5 : 3;
  if (opts.names.length === 0) opts.names = Object.keys(BENCHES);
  return opts;
}

/** The code measured: the git commit of the tree and when dist/ (our side) was last built. */
function codeVersion() {
  const root = join(here, '..');
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    // not a git checkout
  }
  let distBuilt = null;
  try {
    distBuilt = statSync(join(root, 'dist', 'core', 'wasm-binary.js')).mtime.toISOString();
  } catch {
    // not built
  }
  return { commit, distBuilt };
}

/** `S:K,S:K` -> [{ S, K }], each a positive integer. */
function parseSizes(flag, text) {
  return text.split(',').map((item) => {
    const m = /^(\d+):(\d+)$/.exec(item.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1)
      fail(`${flag} wants S:K pairs such as 10000:500, got "${item}"`);
    return { S: Number(m[1]), K: Number(m[2]) };
  });
}

const EIGEN_MODES = ['LA', 'sklearn', 'eigh'];

function parseModes(flag, text) {
  const modes = text.split(',').map((m) => m.trim());
  for (const m of modes)
    if (!EIGEN_MODES.includes(m)) fail(`${flag}: unknown mode "${m}"; one of ${EIGEN_MODES.join(', ')}`);
  return modes;
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

const KEY_ORDER = ['bench', 'config', 'ours', 'peer', 'peerName', 'ratio', 'unit', 'threads'];

/** Writes through the package's atomic writer (src/io/atomic.ts) when built, else the same temp + rename here. */
async function writeJsonAtomic(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  const atomic = await loadOurs('io/atomic.js', ['writeJsonAtomic'], 'src/io/atomic.ts');
  if (atomic.mod) return atomic.mod.writeJsonAtomic(file, value);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, file);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const machine = { ...machineInfo(), code: codeVersion() };
  const records = [];
  let limits;
  const ctx = {
    full: opts.full,
    reps: opts.reps,
    warmup: opts.warmup,
    threads: opts.threads,
    sizes: opts.sizes,
    modes: opts.modes,
    machine,
    /** Prints one measurement (key order fixed, machine appended) and keeps it for the results file. */
    emit(record) {
      const ordered = {};
      for (const key of KEY_ORDER) if (key in record) ordered[key] = record[key];
      for (const key of Object.keys(record))
        if (!(key in ordered) && key !== 'machine') ordered[key] = record[key];
      if (!('loadAverage' in ordered) && !('skipped' in ordered))
        ordered.loadAverage = Math.round(loadavg()[0] * 100) / 100;
      ordered.machine = machine;
      records.push(ordered);
      console.log(JSON.stringify(ordered));
    },
    /** Progress and notes for humans (stderr, so stdout stays JSON). */
    note(message) {
      console.error(`bench: ${message}`);
    },
    /** The machine's limits, measured once per invocation. */
    async getLimits() {
      limits ??= await measureLimits({ reps: opts.reps });
      return limits;
    },
  };
  const started = performance.now();
  for (const name of opts.names) {
    const t0 = performance.now();
    ctx.note(`${name} ...`);
    try {
      const mod = await import(BENCHES[name]);
      await mod.run(ctx);
    } catch (e) {
      // an unexpected error in one benchmark is reported and the others still run
      ctx.emit({
        bench: name,
        config: {},
        error: String(e?.stack ?? e)
          .split('\n')
          .slice(0, 3)
          .join(' | '),
      });
      process.exitCode = 1;
    }
    ctx.note(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  await writeJsonAtomic(opts.out, {
    machine,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    results: records,
  });
  ctx.note(`${records.length} records written to ${opts.out}`);
}

main();
