// Property-based fuzzing of the CLI's inputs (issue 13, "Bad input and faults"): random flag values and
// combinations, random bytes and malformed headers for every file the CLI reads (.npy, run records,
// sweep.json, family.json, clusters.json, CSV) and random output paths (files, folders, symbolic links, a
// FIFO, read-only folders, /proc, deep new paths). Every case must end in
//   exit 0 (at most one stderr line), exit 2 (exactly one line `quanta: error: ...`) or exit 1 (exactly one
//   line, e.g. `quanta: training diverged: ...`; an internal error is a bug here), within a time limit,
// never print a stack trace, and, when it fails, leave its folder as it was (no new or changed entries,
// temporary `.*.tmp` files included; only stale temporary files of dead writers may go).
//
// The seed is fixed; each property spawns only a few processes (0.3-1 s each). A long run:
//   QUANTA_FUZZ_RUNS=10 npx vitest run test/cli/fuzz-cli.test.ts     (10x the cases; QUANTA_FUZZ_SEED=n reseeds)
import { afterAll, beforeAll, describe, it } from 'vitest';
import fc from 'fast-check';
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSweep } from '../../src/scaling/plan.js';
import { runSweep } from '../../src/scaling/sweep.js';
import { writeNpy } from '../../src/io/npy.js';
import { bundleCli } from '../cli-bundle.js';

const MULTIPLIER = Math.max(1, Math.floor(Number(process.env.QUANTA_FUZZ_RUNS ?? '1') || 1));
const SEED = Number(process.env.QUANTA_FUZZ_SEED ?? '13013') || 13013;
/** A case that takes longer than this is a hang. */
const CASE_TIMEOUT_MS = 20_000;

let cli = '';
let cleanup = () => {};
let base = '';
/** A finished tiny sweep folder (sweep.json + runs/), copied into each fit/report case. */
let sweepFolder = '';
/** A trained tiny run (run.json + run.weights.npy), copied into each qdg --run case. */
let runFolder = '';
let caseCounter = 0;

beforeAll(async () => {
  ({ cli, cleanup } = await bundleCli('quanta-fuzz-'));
  base = mkdtempSync(join(tmpdir(), 'quanta-fuzz-'));
  sweepFolder = join(base, 'sweep-template');
  await runSweep(
    planSweep('N', 'quick', { widths: [4, 6], steps: 30, base: { logEvery: 10 } }),
    sweepFolder,
    {
      workers: 1,
    },
  );
  runFolder = join(base, 'run-template');
  const train = spawnSync(
    process.execPath,
    [
      cli,
      'train',
      '--n-tasks',
      '2',
      '--n',
      '6',
      '--k',
      '2',
      '--width',
      '8',
      '--steps',
      '300',
      '--batch',
      '32',
    ]
      .concat(['--lr', '0.01', '--log-every', '100', '--test-points', '64', '--test-points-per-task', '8'])
      .concat(['--quiet', '--out', join(runFolder, 'run.json')]),
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (train.status !== 0) throw new Error(`the template run failed: ${train.stderr}`);
}, 120_000);

afterAll(() => {
  cleanup();
  if (base) {
    chmodTree(base);
    rmSync(base, { recursive: true, force: true });
  }
});

// ---- running a case ----------------------------------------------------------------------------------------

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function quanta(args: string[], cwd: string): Promise<Outcome> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CASE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Every entry under `root` (symbolic links not followed): kind, and size and mtime of files. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path);
      if (st.isDirectory()) {
        out.set(r, 'folder');
        walk(path, r);
      } else if (st.isSymbolicLink()) out.set(r, 'link');
      else if (st.isFile()) out.set(r, `file ${st.size} ${st.mtimeMs}`);
      else out.set(r, 'special');
    }
  };
  walk(root, '');
  return out;
}

const STALE_TEMP = /(^|\/)\.[^/]+\.tmp$/;

/** Checks one case against the contract; throws with the command line and its stderr otherwise. */
function checkContract(args: string[], r: Outcome, before: Map<string, string>, after: Map<string, string>) {
  const show = () =>
    `quanta ${args.map((a) => (/^[\w./:,=@-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}\n` +
    `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stderr ---\n${r.stderr}--- stdout (head) ---\n${r.stdout.slice(0, 400)}`;
  const fail = (why: string): never => {
    throw new Error(`${why}\n${show()}`);
  };
  if (r.timedOut) fail(`hang: no exit within ${CASE_TIMEOUT_MS / 1000} s`);
  if (r.code === null || ![0, 1, 2].includes(r.code)) fail('exit code not in {0, 1, 2}');
  if (/^\s+at .+/m.test(r.stderr) || /^\s+at .+:\d+:\d+\)?$/m.test(r.stdout)) fail('stack trace');
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  if (r.code === 0 && lines.length > 1) fail('exit 0 with more than one stderr line');
  if (r.code === 2 && (lines.length !== 1 || !lines[0].startsWith('quanta: error: ')))
    fail("exit 2 without exactly one stderr line 'quanta: error: ...'");
  if (r.code === 1 && (lines.length !== 1 || !lines[0].startsWith('quanta: ')))
    fail("exit 1 without exactly one stderr line 'quanta: ...'");
  // the contract allows a one-line internal error for a real fault; on an input made here it is a bug
  if (r.code === 1 && lines[0].startsWith('quanta: internal error')) fail('internal error (a bug)');
  if (r.code !== 0) {
    for (const [path, what] of after) {
      if (before.get(path) !== what)
        fail(
          `failed, yet wrote ${path} (${what}${before.has(path) ? `, was ${before.get(path)}` : ', new'})`,
        );
    }
    for (const path of before.keys()) {
      if (!after.has(path) && !STALE_TEMP.test(path)) fail(`failed, yet removed ${path}`);
    }
  }
}

/** A fresh folder for one case (inputs and outputs), removed after the case. */
function newCase(): string {
  const dir = join(base, `case-${caseCounter++}`);
  mkdirSync(dir);
  return dir;
}

function chmodTree(dir: string): void {
  try {
    chmodSync(dir, 0o755);
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (lstatSync(p).isDirectory()) chmodTree(p);
    }
  } catch {
    // gone or not ours
  }
}

/** Runs `quanta args` in `dir` and checks the contract over `dir`; removes `dir`. */
async function runCase(dir: string, args: string[]): Promise<Outcome> {
  const before = snapshot(dir);
  const t0 = Date.now();
  const r = await quanta(args, dir);
  const after = snapshot(dir);
  // QUANTA_FUZZ_LOG=file: one line per case (exit, seconds, first stderr line, command), to see what was tried
  if (process.env.QUANTA_FUZZ_LOG)
    appendFileSync(
      process.env.QUANTA_FUZZ_LOG,
      JSON.stringify({
        code: r.code,
        s: (Date.now() - t0) / 1000,
        err: r.stderr.split('\n')[0].slice(0, 160),
        args: args.map((a) => a.replace(dir, '<case>')),
      }) + '\n',
    );
  try {
    checkContract(args, r, before, after);
  } finally {
    chmodTree(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  return r;
}

/** fc.assert with the suite's seed and runs; no shrinking (each step would spawn processes). */
async function check<T>(arb: fc.Arbitrary<T>, body: (t: T) => Promise<unknown>, runs: number) {
  await fc.assert(
    fc.asyncProperty(arb, async (t) => {
      await body(t);
    }),
    { seed: SEED, numRuns: runs * MULTIPLIER, endOnFailure: true },
  );
}

/** The vitest time limit of a property of `runs` cases. */
const limit = (runs: number) => 30_000 + runs * MULTIPLIER * (CASE_TIMEOUT_MS + 2_000);

// ---- generators ----------------------------------------------------------------------------------------------

/** Values no flag accepts, or accepts only as bad input: never a large valid size (which would be slow). */
const badNumber = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '-1',
    '0',
    '-0',
    '1e15',
    '1e400',
    '-1e400',
    '9007199254740993',
    'NaN',
    'Infinity',
    '-Infinity',
    '0x10',
    '2.5',
    '1,',
    ',',
    'abc',
    '--quiet',
    '１',
  ),
  // random text with no ASCII digit (never a possibly huge valid number) and no NUL (argv cannot hold one)
  fc.string({ maxLength: 6 }).map((s) => s.replace(/[0-9\0]/g, 'x')),
);

/**
 * A flag value: one of the tiny valid ones, or a bad one with odds 1 : `odds` (set per command so that about
 * half of the command lines have no bad value and get past the option parser into the work).
 */
const flagValue = (valid: string[], odds = 4) =>
  fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: odds }, { arbitrary: badNumber, weight: 1 });

/** `arb` in `percent` % of the cases, else undefined. */
const maybe = <T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 100 - percent }, { arbitrary: arb, weight: percent });

/** Sometimes (1 in 6), flags that no command knows, positional junk or help requests. */
const junkArgs = fc.oneof(
  { arbitrary: fc.constant<string[]>([]), weight: 5 },
  {
    arbitrary: fc.subarray(['--bogus', 'extra', '--json', '-x', '--', '--quiet', '--help'], {
      minLength: 1,
      maxLength: 2,
    }),
    weight: 1,
  },
);

/** Tiny valid values of the train flags, bad values sometimes; flags whose default is slow are never dropped. */
const TRAIN_FLAGS: Record<string, { valid: string[]; keep?: boolean }> = {
  '--n-tasks': { valid: ['1', '2', '3', '4'], keep: true },
  '--n': { valid: ['6', '8', '10'], keep: true },
  '--k': { valid: ['1', '2', '3'], keep: true },
  '--width': { valid: ['1', '4', '8'], keep: true },
  '--batch': { valid: ['1', '8', '16'], keep: true },
  '--steps': { valid: ['1', '5', '20'], keep: true },
  '--log-every': { valid: ['1', '5', '10'], keep: true },
  '--test-points': { valid: ['1', '16', '32'], keep: true },
  '--test-points-per-task': { valid: ['1', '4', '8'], keep: true },
  '--depth': { valid: ['2', '3'] },
  '--alpha': { valid: ['0.1', '0.4', '2'] },
  '--lr': { valid: ['0.001', '0.01', '1e30'] }, // 1e30 diverges: exit 1, one line
  '--weight-decay': { valid: ['0', '0.1', '1e30'] },
  '--seed': { valid: ['0', '7', '1e15'] },
  '--data': { valid: ['1', '16', '64'] },
  '--activation': { valid: ['relu', 'tanh', 'sigmoid', 'swish', ''] },
  '--checkpoint-every': { valid: ['off', '0', '500ms', '10m', '-5s', 'soon'] },
};

const trainArgs = fc
  .record(
    Object.fromEntries(
      Object.entries(TRAIN_FLAGS).map(([flag, { valid, keep }]) => [
        flag,
        keep ? flagValue(valid, 30) : maybe(flagValue(valid, 30), 50),
      ]),
    ) as Record<string, fc.Arbitrary<string | undefined>>,
  )
  .chain((flags) =>
    fc.record({
      flags: fc.constant(flags),
      junk: junkArgs,
      extra: fc.subarray(['--json', '--no-save-weights'], { maxLength: 2 }),
    }),
  )
  .map(({ flags, junk, extra }) => {
    const args = ['train'];
    for (const [flag, v] of Object.entries(flags)) if (v !== undefined) args.push(flag, v);
    return [...args, ...extra, ...junk];
  });

/** Kinds of output location, made inside the case folder (or under /proc). */
const OUTPUT_KINDS = [
  'new',
  'deep-new',
  'relative',
  'existing-file',
  'folder',
  'dangling-link',
  'link-to-folder',
  'link-to-file',
  'file-as-parent',
  'fifo',
  'read-only',
  'proc-new',
  'proc-self',
] as const;
type OutputKind = (typeof OUTPUT_KINDS)[number];

/** Makes an output location of `kind` in `dir`; returns the path to pass. */
function outputPath(dir: string, kind: OutputKind, name: string): string {
  switch (kind) {
    case 'new':
      return join(dir, name);
    case 'deep-new':
      return join(dir, 'a', 'b', 'c', 'd', name);
    case 'relative':
      return join('rel', name);
    case 'existing-file':
      writeFileSync(join(dir, name), 'not yours\n');
      return join(dir, name);
    case 'folder':
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'keep.txt'), 'x');
      return join(dir, name);
    case 'dangling-link':
      symlinkSync(join(dir, 'nowhere', 'x'), join(dir, name));
      return join(dir, name);
    case 'link-to-folder':
      mkdirSync(join(dir, 'target'));
      symlinkSync(join(dir, 'target'), join(dir, name));
      return join(dir, name);
    case 'link-to-file':
      writeFileSync(join(dir, 'target'), 'not yours\n');
      symlinkSync(join(dir, 'target'), join(dir, name));
      return join(dir, name);
    case 'file-as-parent':
      writeFileSync(join(dir, 'afile'), 'x');
      return join(dir, 'afile', name);
    case 'fifo': {
      const r = spawnSync('mkfifo', [join(dir, name)]);
      if (r.status !== 0) writeFileSync(join(dir, name), 'x'); // no mkfifo here: an existing file instead
      return join(dir, name);
    }
    case 'read-only':
      mkdirSync(join(dir, 'ro'));
      chmodSync(join(dir, 'ro'), 0o555); // root writes anyway: then a valid location
      return join(dir, 'ro', name);
    case 'proc-new':
      return `/proc/quanta-fuzz-${process.pid}/${name}`;
    case 'proc-self':
      return `/proc/self/${name}`;
  }
}

// .npy files: valid magic + random or malformed header text, random bytes, or a valid matrix with bad values

const DESCRS = ['<f4', '<f8', '<f2', '<i4', '<i8', '>f4', '|u1', '<c8', '=f4', '|f4', '', 'float32'];
const SHAPE_DIMS = ['0', '1', '2', '3', '6', '8', '10000000000', '99999999999999999999', '-1', '6L', 'x'];

const npyHeaderText = fc
  .record({
    descr: fc.oneof(fc.constantFrom(...DESCRS), fc.string({ maxLength: 4 })),
    fortran: fc.constantFrom('False', 'True', "'no'", '0', ''),
    shape: fc.array(fc.constantFrom(...SHAPE_DIMS), { maxLength: 3 }),
    trailing: fc.constantFrom(', }', '}', ', ', '', ", 'extra': (1,), }", ' }}'),
    quote: fc.constantFrom("'", '"'),
    cut: maybe(fc.nat(80), 30),
  })
  .map(({ descr, fortran, shape, trailing, quote: q, cut }) => {
    const text =
      `{${q}descr${q}: ${q}${descr}${q}, ${q}fortran_order${q}: ${fortran}, ` +
      `${q}shape${q}: (${shape.join(', ')}${shape.length === 1 ? ',' : ''})${trailing}`;
    return cut === undefined ? text : text.slice(0, cut);
  });

/** A .npy file: the magic, a version (sometimes unsupported), a header length (sometimes lying), the text, data. */
function npyBytes(o: { major: number; header: string; lenDelta: number; data: Uint8Array }): Uint8Array {
  const text = Buffer.from(o.header + '\n', 'latin1');
  const lenBytes = o.major === 1 ? 2 : 4;
  const pre = Buffer.alloc(8 + lenBytes);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]).copy(pre);
  pre[6] = o.major;
  pre[7] = 0;
  const len = Math.max(0, text.length + o.lenDelta);
  if (lenBytes === 2) pre.writeUInt16LE(Math.min(len, 0xffff), 8);
  else pre.writeUInt32LE(len, 8);
  return Buffer.concat([pre, text, o.data]);
}

const malformedNpy = fc
  .record({
    major: fc.constantFrom(1, 1, 2, 3, 0, 4, 255),
    header: npyHeaderText,
    lenDelta: fc.constantFrom(0, 0, 0, -5, 3, 100000),
    data: fc.uint8Array({ maxLength: 300 }),
  })
  .map(npyBytes);

/** A symmetric S x S cosine matrix of two planted groups. */
function cosines(S: number): Float32Array {
  const m = new Float32Array(S * S);
  for (let i = 0; i < S; i++)
    for (let j = 0; j < S; j++) m[i * S + j] = i === j ? 1 : i < S / 2 === j < S / 2 ? 0.8 : -0.2;
  return m;
}

/** What a file input holds. */
type FileContent =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'folder' }
  | { kind: 'missing' }
  | { kind: 'dev-zero' }
  | { kind: 'empty' };

const oddFile: fc.Arbitrary<FileContent> = fc.oneof(
  fc.constant<FileContent>({ kind: 'folder' }),
  fc.constant<FileContent>({ kind: 'missing' }),
  fc.constant<FileContent>({ kind: 'dev-zero' }),
  fc.constant<FileContent>({ kind: 'empty' }),
  fc.uint8Array({ maxLength: 200 }).map<FileContent>((bytes) => ({ kind: 'bytes', bytes })),
);

/** Puts `content` at `path` (a symbolic link to /dev/zero for 'dev-zero'). */
function putFile(path: string, content: FileContent): void {
  mkdirSync(join(path, '..'), { recursive: true });
  switch (content.kind) {
    case 'bytes':
      writeFileSync(path, content.bytes);
      break;
    case 'folder':
      mkdirSync(path);
      break;
    case 'dev-zero':
      symlinkSync('/dev/zero', path);
      break;
    case 'empty':
      writeFileSync(path, '');
      break;
    case 'missing':
      break;
  }
}

/** A 2-D matrix of a valid dtype: square cosines of planted groups, or (unless `clean`) bad values planted. */
const matrixFile = (clean = false) =>
  fc
    .record({
      S: fc.integer({ min: clean ? 4 : 2, max: 9 }),
      cols: clean ? fc.constant(undefined) : maybe(fc.integer({ min: 1, max: 12 }), 25),
      dtype: fc.constantFrom('f4', 'f8', 'f2', 'i4'),
      plant: clean
        ? fc.constant('none')
        : fc.constantFrom('nan', 'inf', 'asymmetric', 'big', 'negative', 'zeros'),
      at: fc.nat(),
    })
    .map(({ S, cols, dtype, plant, at }) => {
      const C = cols ?? S;
      const m = new Float64Array(S * C);
      const c = cosines(Math.max(S, C));
      for (let i = 0; i < S; i++) for (let j = 0; j < C; j++) m[i * C + j] = c[i * Math.max(S, C) + j];
      const k = at % m.length;
      if (plant === 'nan') m[k] = NaN;
      if (plant === 'inf') m[k] = -Infinity;
      if (plant === 'asymmetric') m[k] += 0.5;
      if (plant === 'big') m[k] = 1e30;
      if (plant === 'negative') m[k] = -0.9;
      if (plant === 'zeros') m.fill(0);
      const data =
        dtype === 'f8'
          ? m
          : dtype === 'i4'
            ? Int32Array.from(m, (v) => (Number.isFinite(v) ? Math.round(v * 10) : 0))
            : Float32Array.from(m);
      return { data, shape: [S, C], half: dtype === 'f2' };
    });

function writeMatrix(
  path: string,
  mf: { data: Float64Array | Float32Array | Int32Array; shape: number[]; half: boolean },
) {
  if (!mf.half) return writeNpy(path, mf.data, mf.shape);
  // f2: hand-made (writeNpy writes f4/f8/i4/i8)
  const h = new Uint16Array(mf.data.length);
  for (let i = 0; i < h.length; i++) {
    const v = mf.data[i];
    h[i] = Number.isNaN(v)
      ? 0x7e00
      : !Number.isFinite(v) || Math.abs(v) > 65504
        ? v < 0
          ? 0xfc00
          : 0x7c00
        : f16(v);
  }
  const header = `{'descr': '<f2', 'fortran_order': False, 'shape': (${mf.shape.join(', ')}), }`;
  writeFileSync(path, npyBytes({ major: 1, header, lenDelta: 0, data: new Uint8Array(h.buffer) }));
}

/** binary16 bits of a finite |v| <= 65504 (rounded toward zero; exact enough for planted values). */
function f16(v: number): number {
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a < 2 ** -14) return sign | Math.floor(a / 2 ** -24);
  const e = Math.floor(Math.log2(a));
  return sign | ((e + 15) << 10) | Math.floor((a / 2 ** e - 1) * 1024);
}

/** Any .npy input: a valid matrix (values planted), a malformed header, or an odd file. */
const npyInput = fc.oneof(
  { arbitrary: matrixFile().map((matrix) => ({ matrix })), weight: 2 },
  {
    arbitrary: malformedNpy.map((bytes) => ({ content: { kind: 'bytes', bytes } as FileContent })),
    weight: 2,
  },
  { arbitrary: oddFile.map((content) => ({ content })), weight: 1 },
);

function putNpy(
  path: string,
  x: { matrix?: Parameters<typeof writeMatrix>[1]; content?: FileContent },
): void {
  if (x.matrix) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeMatrix(path, x.matrix);
  } else putFile(path, x.content!);
}

// JSON documents: truncated, random bytes, random values, fields replaced

const odd = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    'x',
    '',
    -1,
    0,
    1e308,
    -1e308,
    [],
    {},
    [null],
    true,
    'NaN',
    '__INF__',
    2 ** 53 + 2,
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Sets obj[path...] (creating objects on the way), or deletes it when value is undefined. */
function setAt(obj: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const root = (typeof obj === 'object' && obj !== null ? obj : {}) as Record<string | number, unknown>;
  let o = root;
  for (const key of path.slice(0, -1)) {
    if (typeof o[key] !== 'object' || o[key] === null) o[key] = {};
    o = o[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete o[last];
  else o[last] = value;
  return root;
}

/** A JSON damage: truncation, random bytes, a whole random value, or fields replaced or removed. */
type JsonDamage =
  | { kind: 'truncate'; at: number }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'value'; value: unknown }
  | { kind: 'fields'; edits: { path: (string | number)[]; value: unknown }[] };

const jsonDamage = (paths: (string | number)[][]): fc.Arbitrary<JsonDamage> =>
  fc.oneof(
    fc.nat().map((at): JsonDamage => ({ kind: 'truncate', at })),
    fc.uint8Array({ maxLength: 120 }).map((bytes): JsonDamage => ({ kind: 'bytes', bytes })),
    odd.map((value): JsonDamage => ({ kind: 'value', value })),
    {
      // fields replaced (or removed): the damage that gets past the parser, so the likeliest
      arbitrary: fc
        .array(
          fc.record({
            path: fc.constantFrom(...paths),
            value: maybe(odd, 80), // undefined: the field is removed
          }),
          { minLength: 1, maxLength: 3 },
        )
        .map((edits): JsonDamage => ({ kind: 'fields', edits })),
      weight: 5,
    },
  );

const toJson = (v: unknown) => JSON.stringify(v, null, 1).replace(/"__INF__"/g, '1e999');

/** The damaged text of a JSON document (`good` is not modified). */
function damageJson(good: unknown, d: JsonDamage): string | Uint8Array {
  switch (d.kind) {
    case 'truncate': {
      const text = toJson(good);
      return text.slice(0, d.at % text.length);
    }
    case 'bytes':
      return d.bytes;
    case 'value':
      return toJson(d.value);
    case 'fields': {
      let doc = structuredClone(good);
      for (const e of d.edits) doc = setAt(doc, e.path, structuredClone(e.value));
      return toJson(doc);
    }
  }
}

// ---- properties ------------------------------------------------------------------------------------------------

describe('fuzz: every input ends in exit 0, 1 or 2 with one line, no stack trace, nothing written on failure', () => {
  it(
    'train: random flag values and combinations',
    async () => {
      await check(
        trainArgs,
        async (args) => {
          const dir = newCase();
          await runCase(dir, [...args, '--quiet', '--out', join(dir, 'out', 'run.json')]);
        },
        6,
      );
    },
    limit(6),
  );

  it(
    'theory: random flag values',
    async () => {
      await check(
        fc.tuple(flagValue(['0.4', '0.01', '999']), junkArgs),
        async ([alpha, junk]) => {
          await runCase(newCase(), ['theory', '--alpha', alpha, ...junk]);
        },
        2,
      );
    },
    limit(2),
  );

  it(
    'sweep: --dry-run, tiny real sweeps, --emit, bad lists and shards, damaged stores',
    async () => {
      const v = (valid: string[]) => flagValue(valid, 15);
      const sweepArgs = fc.record({
        kind: fc.constantFrom('N', 'S', 'D', 'all', 'alpha', 'N', 'S', 'D', 'all', 'X', ''),
        mode: fc.constantFrom('dry-run', 'real', 'real', 'emit'),
        preset: fc.constantFrom('quick', 'quick', 'quick', 'quick', 'quick', 'bogus', ''),
        widths: v(['4', '4,6', ' 4 , 6 ']),
        dataSizes: v(['8', '8,16']),
        seeds: v(['0', '0,1']),
        alpha: v(['0.4', '0.3,0.5']),
        steps: v(['5', '10']),
        dataWidth: v(['4']),
        workers: maybe(v(['1', '2']), 40),
        shard: maybe(fc.constantFrom('0/1', '1/2', '2/2', '-1/2', 'a/b', '1', '0/0', '1/1e15', ''), 30),
        calibration: v(['0', '0.01']),
        array: maybe(v(['1', '2']), 40),
        emit: v(['slurm', 'k8s']),
        time: maybe(fc.constantFrom('01:00:00', '1-00:00:00', '99:99:99', 'soon', ''), 40),
        checkpointEvery: maybe(fc.constantFrom('off', '0', '10m', 'soon'), 30),
        extra: fc.subarray(['--json', '--per-run', '--dry-run'], { maxLength: 2 }),
        store: fc.constantFrom('fresh', 'fresh', 'fresh', 'plan', 'record', 'checkpoint', 'folder', 'temp'),
        damage: jsonDamage([['kind'], ['runs'], ['runs', 0], ['runs', 0, 'config'], ['base'], ['widths']]),
        junk: junkArgs,
      });
      await check(
        sweepArgs,
        async (o) => {
          const dir = newCase();
          const out = join(dir, 'store');
          // a store left by an earlier sweep, damaged
          if (o.store !== 'fresh') {
            mkdirSync(join(out, 'runs'), { recursive: true });
            const id = 'N-a0.4-w4-s0';
            const plan = JSON.parse(readFileSync(join(sweepFolder, 'sweep.json'), 'utf8')) as unknown;
            const record = JSON.parse(
              readFileSync(join(sweepFolder, 'runs', `${id}.json`), 'utf8'),
            ) as unknown;
            if (o.store === 'plan') writeFileSync(join(out, 'sweep.json'), damageJson(plan, o.damage));
            if (o.store === 'record')
              writeFileSync(join(out, 'runs', `${id}.json`), damageJson(record, o.damage));
            if (o.store === 'checkpoint')
              writeFileSync(join(out, 'runs', `${id}.ckpt`), damageJson(record, o.damage));
            if (o.store === 'folder') mkdirSync(join(out, 'runs', `${id}.json`));
            if (o.store === 'temp') writeFileSync(join(out, 'runs', `.${id}.json.host.999999999.0.tmp`), '{');
          }
          const args = ['sweep', o.kind, '--preset', o.preset, '--steps', o.steps, '--widths', o.widths];
          args.push(
            '--data-sizes',
            o.dataSizes,
            '--seeds',
            o.seeds,
            '--alpha',
            o.alpha,
            '--data-width',
            o.dataWidth,
          );
          if (o.workers !== undefined) args.push('--workers', o.workers);
          if (o.shard !== undefined) args.push('--shard', o.shard);
          if (o.checkpointEvery !== undefined) args.push('--checkpoint-every', o.checkpointEvery);
          if (o.mode === 'dry-run') {
            args.push('--dry-run', '--calibration-seconds', o.calibration);
            if (o.array !== undefined) args.push('--array', o.array);
          } else if (o.mode === 'emit') {
            args.push('--emit', o.emit);
            if (o.array !== undefined) args.push('--array', o.array);
            if (o.time !== undefined) args.push('--time', o.time);
          }
          // --calibration-seconds always: its default would spend seconds per run shape
          if (o.extra.includes('--dry-run') && o.mode !== 'dry-run')
            args.push('--calibration-seconds', o.calibration);
          await runCase(dir, [...args, ...o.extra, '--quiet', '--out', out, ...o.junk]);
        },
        6,
      );
    },
    limit(6),
  );

  it(
    'fit and report: damaged sweep.json and run records',
    async () => {
      const ids = readdirSync(join(sweepFolder, 'runs')).filter((n) => n.endsWith('.json'));
      const recordPaths: (string | number)[][] = [
        ['kind'],
        ['config'],
        ['config', 'alpha'],
        ['config', 'nTasks'],
        ['config', 'width'],
        ['config', 'steps'],
        ['config', 'data'],
        ['log'],
        ['log', 'steps'],
        ['log', 'steps', 1],
        ['log', 'meanLoss'],
        ['log', 'meanLoss', 1],
        ['log', 'subtaskLoss'],
        ['log', 'subtaskLoss', 0],
        ['log', 'subtaskLoss', 1, 0],
        ['seed'],
      ];
      const planPaths: (string | number)[][] = [
        ['runs'],
        ['runs', 0],
        ['runs', 1, 'id'],
        ['runs', 0, 'config'],
        ['runs', 0, 'config', 'width'],
        ['fitWindows'],
        ['fitWindows', 'N'],
        ['fitWindows', 'S', 0],
        ['kind'],
      ];
      const damage = fc.oneof(
        fc.record({ target: fc.constant('plan' as const), d: jsonDamage(planPaths) }),
        fc.record({
          target: fc.constant('record' as const),
          which: fc.nat(ids.length - 1),
          d: jsonDamage(recordPaths),
        }),
        // a damaged record under a name the plan does not have, in runs/ or at the top of the folder
        fc.record({ target: fc.constant('extra' as const), top: fc.boolean(), d: jsonDamage(recordPaths) }),
        fc.record({
          target: fc.constantFrom(
            'no-plan' as const,
            'no-runs' as const,
            'folder-record' as const,
            'dev-zero-record' as const,
            'empty-record' as const,
          ),
        }),
      );
      await check(
        fc.record({
          damages: fc.oneof(
            { arbitrary: fc.constant([]), weight: 1 },
            { arbitrary: fc.array(damage, { minLength: 1, maxLength: 2 }), weight: 4 },
          ),
          command: fc.constantFrom('fit', 'fit', 'report'),
          flags: fc.subarray(['--json', '--convergence'], { maxLength: 2 }),
          junk: fc.subarray(['--bogus', 'extra'], { maxLength: 1 }),
        }),
        async ({ damages, command, flags, junk }) => {
          const dir = newCase();
          const folder = join(dir, 'sweep');
          cpSync(sweepFolder, folder, { recursive: true });
          const plan = JSON.parse(readFileSync(join(folder, 'sweep.json'), 'utf8')) as unknown;
          for (const x of damages) {
            if (x.target === 'plan') writeFileSync(join(folder, 'sweep.json'), damageJson(plan, x.d));
            else if (x.target === 'record' || x.target === 'extra') {
              const id = ids[x.target === 'record' ? x.which : 0];
              const good = JSON.parse(readFileSync(join(sweepFolder, 'runs', id), 'utf8')) as unknown;
              const at =
                x.target === 'record'
                  ? join(folder, 'runs', id)
                  : join(folder, x.top ? 'x.json' : 'runs/x.json');
              mkdirSync(join(at, '..'), { recursive: true });
              writeFileSync(at, damageJson(good, x.d));
            } else if (x.target === 'no-plan') rmSync(join(folder, 'sweep.json'), { force: true });
            else if (x.target === 'no-runs') rmSync(join(folder, 'runs'), { recursive: true, force: true });
            else if (x.target === 'folder-record')
              mkdirSync(join(folder, 'runs', 'y.json'), { recursive: true });
            else if (x.target === 'dev-zero-record') {
              mkdirSync(join(folder, 'runs'), { recursive: true });
              symlinkSync('/dev/zero', join(folder, 'runs', 'z.json'));
            } else writeFileSync(join(folder, 'runs', 'e.json'), '');
          }
          const args =
            command === 'fit'
              ? ['fit', folder, ...flags]
              : ['report', folder, '--quiet', ...flags.filter((f) => f === '--json')];
          await runCase(dir, [...args, ...junk]);
        },
        7,
      );
    },
    limit(7),
  );

  it(
    'qdg: random bytes, malformed .npy headers, wrong shapes, NaN for every matrix flag and --labels',
    async () => {
      const labelsInput = fc.oneof(
        fc
          .record({ n: fc.integer({ min: 0, max: 10 }), neg: fc.boolean(), wide: fc.boolean() })
          .map((labels) => ({ labels })),
        npyInput,
      );
      const v = (valid: string[]) => flagValue(valid, 15);
      const runPaths: (string | number)[][] = [
        ['kind'],
        ['config'],
        ['config', 'n'],
        ['config', 'width'],
        ['config', 'depth'],
        ['config', 'activation'],
        ['config', 'alpha'],
        ['weights'],
        ['weights', 'file'],
        ['weights', 'layers'],
        ['weights', 'layers', 0],
        ['weights', 'layers', 0, 'offset'],
        ['weights', 'layers', 1, 'inputs'],
      ];
      await check(
        fc.record({
          flag: fc.constantFrom('--similarity', '--affinity', '--gradients', '--run'),
          // --run: the template run record, damaged or not, and its weights file, damaged or not
          runDamage: maybe(jsonDamage(runPaths), 50),
          weightsDamage: maybe(npyInput, 15),
          lossThreshold: maybe(v(['0.01', '10']), 60),
          input: fc.oneof(
            { arbitrary: matrixFile(true).map((matrix) => ({ matrix })), weight: 1 },
            { arbitrary: npyInput, weight: 1 },
          ),
          labels: maybe(labelsInput, 30),
          second: maybe(
            fc.constantFrom('--similarity', '--affinity', '--gradients', '--run', '--lm-run'),
            10,
          ),
          samples: maybe(v(['3', '4', '6']), 30),
          clusters: maybe(v(['2', '2,3', 'paper']), 40),
          nInit: maybe(v(['1', '3']), 30),
          window: maybe(fc.constantFrom('1:3', '2:2', '3:1', 'a:b', '0:0', '', '1:1e15'), 15),
          alphaN: maybe(v(['0', '0.3']), 20),
          extra: fc.subarray(['--save-affinity', '--save-embedding', '--json'], { maxLength: 3 }),
          out: fc.constantFrom<OutputKind>('new', 'new', 'new', 'new', 'folder', 'existing-file', 'deep-new'),
          junk: junkArgs,
        }),
        async (o) => {
          const dir = newCase();
          const args = ['qdg'];
          if (o.flag === '--run') {
            const record = JSON.parse(readFileSync(join(runFolder, 'run.json'), 'utf8')) as unknown;
            const text = o.runDamage ? damageJson(record, o.runDamage) : toJson(record);
            writeFileSync(join(dir, 'run.json'), text);
            if (o.weightsDamage) putNpy(join(dir, 'run.weights.npy'), o.weightsDamage);
            else cpSync(join(runFolder, 'run.weights.npy'), join(dir, 'run.weights.npy'));
            args.push('--run', join(dir, 'run.json'));
            if (o.lossThreshold !== undefined) args.push('--loss-threshold', o.lossThreshold);
          } else {
            putNpy(join(dir, 'in.npy'), o.input);
            args.push(o.flag, join(dir, 'in.npy'));
          }
          if (o.second !== undefined) {
            writeNpy(join(dir, 'second.npy'), cosines(6), [6, 6]);
            args.push(o.second, join(dir, 'second.npy'));
          }
          if (o.labels !== undefined) {
            const path = join(dir, 'labels.npy');
            if ('labels' in o.labels) {
              const l = o.labels.labels;
              const ints = Int32Array.from({ length: l.n }, (_, i) => (l.neg && i === 1 ? -1 : i % 2));
              writeNpy(path, l.wide ? BigInt64Array.from(ints, (x) => BigInt(x) * 2n ** 40n) : ints, [l.n]);
            } else putNpy(path, o.labels);
            args.push('--labels', path);
          }
          // --run: 24 samples (its default, 2000, takes seconds) unless a bad value was drawn
          const runSamples = o.samples === undefined || /^[346]$/.test(o.samples) ? '24' : o.samples;
          if (o.flag === '--run') args.push('--samples', runSamples);
          else if (o.samples !== undefined) args.push('--samples', o.samples);
          if (o.clusters !== undefined) args.push('--clusters', o.clusters);
          if (o.nInit !== undefined) args.push('--n-init', o.nInit);
          if (o.window !== undefined) args.push('--window', o.window);
          if (o.alphaN !== undefined) args.push('--alpha-n', o.alphaN);
          const out = outputPath(dir, o.out, 'out');
          await runCase(dir, [...args, ...o.extra, '--quiet', '--out', out, ...o.junk]);
        },
        7,
      );
    },
    limit(7),
  );

  it(
    'tokens: malformed .npy and CSV, --lm-run folders with damaged family.json, --qdg clusters.json',
    async () => {
      const ROWS = 12;
      const losses = Float32Array.from(
        { length: ROWS * 3 },
        (_, i) => (3 / (1 + (i % 3))) * (1 + 0.1 * (Math.floor(i / 3) % 7)),
      );
      const csv =
        'row,id,token,tag,text,position\n' +
        Array.from({ length: ROWS }, (_, r) => `${r},${r},w${r},NN,${r >> 2},${r & 3}\n`).join('');
      const family = {
        config: {
          vocab: 50,
          context: 4,
          widths: [4, 8, 16],
          steps: 10,
          batch: 8,
          lr: 0.01,
          seed: 0,
          checkpoints: 2,
          texts: 10,
        },
        widths: [4, 8, 16],
        parameters: [100, 200, 400],
        checkpointSteps: [5, 10],
        meanTestLoss: [],
        testTokens: ROWS,
        files: {
          losses: 'losses.npy',
          checkpointLosses: 'checkpoint-losses.npy',
          tokens: 'tokens.csv',
          vocabulary: 'vocabulary.txt',
        },
      };
      const familyPaths: (string | number)[][] = [
        ['config'],
        ['config', 'widths'],
        ['config', 'vocab'],
        ['widths'],
        ['parameters'],
        ['parameters', 1],
        ['checkpointSteps'],
        ['checkpointSteps', 0],
        ['files'],
        ['files', 'losses'],
        ['files', 'checkpointLosses'],
        ['files', 'tokens'],
      ];
      // a QDG clusters.json as quanta lm qdg writes it (the fields the report section reads)
      const clusters = {
        samples: 100,
        envelope: { envelopeSlope: -1.2, predictedSlope: -1.08, alphaN: 0.08, window: [2, 10], r2: 0.9 },
        purity: { K: 10, tag: 0.5, tagRandom: 0.1, token: 0.4, tokenRandom: 0.05 },
        clustersShown: [
          { rank: 1, size: 10, topToken: 'the', tokenPurity: 0.5, topTag: 'DT', tagPurity: 0.9 },
        ],
        source: { width: 16, parameters: 400 },
      };
      const clustersPaths: (string | number)[][] = [
        ['samples'],
        ['envelope'],
        ['envelope', 'envelopeSlope'],
        ['envelope', 'predictedSlope'],
        ['envelope', 'window'],
        ['envelope', 'window', 1],
        ['purity'],
        ['purity', 'tag'],
        ['purity', 'K'],
        ['clustersShown'],
        ['clustersShown', 0],
        ['clustersShown', 0, 'topToken'],
        ['source'],
      ];
      const badCsv = fc.oneof(
        fc
          .constantFrom(
            'token\n',
            'a,b\n1,2\n',
            `"token\n${'x\n'.repeat(ROWS)}`,
            `token,position\n${'"a,1\n'.repeat(ROWS)}`,
            `token,position\n${'a,notanumber\n'.repeat(ROWS)}`,
            `token\r\n${'\u0000\r\n'.repeat(ROWS)}`,
          )
          .map<FileContent>((t) => ({ kind: 'bytes', bytes: Buffer.from(t) })),
        oddFile,
      );
      const FAULTS = ['losses', 'checkpoint', 'tokens', 'family', 'qdg'] as const;
      const v = (valid: string[]) => flagValue(valid, 10);
      await check(
        fc.record({
          mode: fc.constantFrom('losses', 'losses', 'lm-run', 'lm-run', 'qdg-lm-run'),
          // at most two inputs damaged; the others are good
          faults: fc.oneof(
            { arbitrary: fc.constant<(typeof FAULTS)[number][]>([]), weight: 1 },
            { arbitrary: fc.subarray([...FAULTS], { minLength: 1, maxLength: 2 }), weight: 2 },
          ),
          badLosses: npyInput,
          badCheckpoints: npyInput,
          badTokens: badCsv,
          familyDamage: jsonDamage(familyPaths),
          clustersDamage: jsonDamage(clustersPaths),
          withCheckpoints: fc.boolean(),
          withTokens: fc.boolean(),
          withQdg: fc.boolean(),
          parameters: v(['100,200,400', '1,2,3']),
          steps: v(['5,10', '1,2']),
          polygenic: maybe(v(['1', '5']), 30),
          extra: fc.subarray(['--exclude-largest', '--json'], { maxLength: 2 }),
          out: fc.constantFrom<OutputKind>('new', 'new', 'new', 'folder', 'existing-file', 'file-as-parent'),
          junk: junkArgs,
        }),
        async (o) => {
          const dir = newCase();
          const fam = join(dir, 'family');
          mkdirSync(fam);
          const bad = (f: (typeof FAULTS)[number]) => o.faults.includes(f);
          if (bad('losses')) putNpy(join(fam, 'losses.npy'), o.badLosses);
          else writeNpy(join(fam, 'losses.npy'), losses, [ROWS, 3]);
          if (bad('checkpoint')) putNpy(join(fam, 'checkpoint-losses.npy'), o.badCheckpoints);
          else writeNpy(join(fam, 'checkpoint-losses.npy'), losses.slice(0, ROWS * 2), [ROWS, 2]);
          if (bad('tokens')) putFile(join(fam, 'tokens.csv'), o.badTokens);
          else writeFileSync(join(fam, 'tokens.csv'), csv);
          const familyText = bad('family') ? damageJson(family, o.familyDamage) : toJson(family);
          writeFileSync(join(fam, 'family.json'), familyText);
          const args: string[] = [];
          if (o.mode === 'losses') {
            args.push('tokens', '--losses', join(fam, 'losses.npy'), '--parameters', o.parameters);
            if (o.withCheckpoints || bad('checkpoint'))
              args.push('--checkpoint-losses', join(fam, 'checkpoint-losses.npy'), '--steps', o.steps);
            if (o.withTokens || bad('tokens')) args.push('--tokens', join(fam, 'tokens.csv'));
          } else if (o.mode === 'lm-run') args.push('tokens', '--lm-run', fam);
          else args.push('qdg', '--lm-run', fam, '--quiet');
          if (o.mode !== 'qdg-lm-run') {
            if (o.withQdg || bad('qdg')) {
              const q = join(dir, 'qdg');
              mkdirSync(q);
              const text = bad('qdg') ? damageJson(clusters, o.clustersDamage) : toJson(clusters);
              writeFileSync(join(q, 'clusters.json'), text);
              args.push('--qdg', q);
            }
            if (o.polygenic !== undefined) args.push('--polygenic-rows', o.polygenic);
            args.push(...o.extra);
          }
          await runCase(dir, [...args, '--out', outputPath(dir, o.out, 'out'), ...o.junk]);
        },
        7,
      );
    },
    limit(7),
  );

  it(
    'every command: random output locations (files, folders, links, a FIFO, read-only, /proc, deep new paths)',
    async () => {
      await check(
        fc.record({
          command: fc.constantFrom('train', 'sweep', 'qdg', 'tokens', 'fit', 'report'),
          kind: fc.constantFrom(...OUTPUT_KINDS),
          name: fc.constantFrom('out', 'run.json', 'x y', '.hidden', 'ü'),
        }),
        async ({ command, kind, name }) => {
          const dir = newCase();
          let args: string[];
          if (command === 'fit' || command === 'report') {
            // the folder is the input and the output: a copy of a finished sweep, or whatever `kind` makes
            const target = outputPath(dir, kind, name);
            const real = target.startsWith('/proc')
              ? null
              : target.startsWith('/')
                ? target
                : join(dir, target);
            if (real !== null && ['new', 'deep-new', 'relative', 'read-only'].includes(kind))
              cpSync(sweepFolder, real, { recursive: true });
            if (kind === 'link-to-folder') cpSync(sweepFolder, join(dir, 'target'), { recursive: true });
            if (kind === 'read-only') chmodSync(real!, 0o555);
            args = command === 'fit' ? ['fit', target] : ['report', target, '--quiet'];
          } else {
            const out = outputPath(dir, kind, name);
            const sim = join(dir, 'C.npy');
            writeNpy(sim, cosines(6), [6, 6]);
            const L = join(dir, 'L.npy');
            writeNpy(
              L,
              Float32Array.from({ length: 24 }, (_, i) => 3 / (1 + (i % 3)) + 0.01 * i),
              [8, 3],
            );
            args = {
              train: [
                'train',
                '--n-tasks',
                '2',
                '--n',
                '6',
                '--k',
                '2',
                '--width',
                '4',
                '--steps',
                '3',
                '--batch',
                '4',
              ],
              sweep: ['sweep', 'N', '--widths', '4', '--steps', '3'],
              qdg: ['qdg', '--similarity', sim],
              tokens: ['tokens', '--losses', L, '--parameters', '10,20,40'],
            }[command];
            if (command === 'train')
              args.push('--log-every', '1', '--test-points', '8', '--test-points-per-task', '2');
            if (command !== 'tokens') args.push('--quiet');
            args.push('--out', out);
          }
          await runCase(dir, args);
        },
        8,
      );
    },
    limit(8),
  );
});
