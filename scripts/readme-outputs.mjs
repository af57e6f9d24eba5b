#!/usr/bin/env node
// The outputs the README shows, made by running the commands it shows. Each shown output sits in a fenced
// block between two markers:
//
//   <!-- readme-output: ID -->
//   ```
//   ...what the command printed...
//   ```
//   <!-- /readme-output -->
//
// and OUTPUTS below says which command makes it (as the README writes it, run with the CLI from a scratch
// folder, in order: `qdg --run` reads the run `train` wrote there). The parts that differ by machine are
// written as placeholders (the scratch folder and the clone's path as /path/to/quanta, node as /usr/bin/node);
// timings are written as measured but not compared.
//
//   node scripts/readme-outputs.mjs            runs every command, rewrites the blocks in README.md
//   node scripts/readme-outputs.mjs --check    runs them, exits 1 and shows the lines that differ when the
//                                              README's text is not what the commands print today
//   --only train,slurm     only these outputs
//   --cli PATH             the CLI to run (default: bundled from the current sources, scripts/cli-bundle.mjs)
//
// test/cli/readme.test.ts runs the check.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleCli } from './cli-bundle.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const README = join(ROOT, 'README.md');

/** How the shown outputs write the folder they ran in and the node binary. */
export const CLONE = '/path/to/quanta';
export const NODE = '/usr/bin/node';

/** The train summary's timing line: measured, so written as measured and never compared. */
const TRAIN_TIMING = /^ {2}[\d.]+ s \(train [\d.]+ s at [\d,]+ samples\/s, eval [\d.]+ s\)$/;

/**
 * The README's shown outputs, in the order they run. `args`: the command after `npx quanta`, exactly as the
 * README shows it; `masks`: lines that vary from run to run (compared as the mask's name only).
 */
export const OUTPUTS = [
  { id: 'train', args: ['train'], masks: [TRAIN_TIMING] },
  {
    id: 'qdg',
    args: [
      'qdg',
      '--run',
      'quanta-out/run.json',
      '--samples',
      '500',
      '--clusters',
      '4,8,16,32',
      '--out',
      'quanta-out/qdg',
    ],
    masks: [],
  },
  {
    id: 'slurm',
    args: [
      'sweep',
      'alpha',
      '--preset',
      'paper',
      '--out',
      '/shared/quanta/fig10',
      '--emit',
      'slurm',
      '--array',
      '64',
      '--workers',
      '8',
    ],
    masks: [],
  },
  {
    id: 'k8s',
    args: [
      'sweep',
      'alpha',
      '--preset',
      'paper',
      '--out',
      '/shared/quanta/fig10',
      '--emit',
      'k8s',
      '--array',
      '32',
      '--workers',
      '4',
    ],
    masks: [],
  },
];

const OPEN = /^<!-- readme-output: ([\w-]+) -->$/;
const CLOSE = '<!-- /readme-output -->';

/**
 * The marked blocks of a README text: id, the lines of the fenced block's body, the fence's info string, and
 * where the markers are (line indexes). Throws on a malformed block.
 */
export function readmeBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]);
    if (!open) continue;
    const close = lines.indexOf(CLOSE, i + 1);
    const fence = lines[i + 1] ?? '';
    if (close < 0 || !fence.startsWith('```') || lines[close - 1] !== '```')
      throw new Error(
        `README line ${i + 1}: readme-output ${open[1]} is not a fenced block between its markers`,
      );
    blocks.push({ id: open[1], info: fence.slice(3), body: lines.slice(i + 2, close - 1), open: i, close });
  }
  return blocks;
}

/** `text` with each block in `outputs` (id -> lines) replaced. */
export function withOutputs(text, outputs) {
  const lines = text.split('\n');
  for (const block of readmeBlocks(text).reverse()) {
    const fresh = outputs.get(block.id);
    if (!fresh) continue;
    lines.splice(block.open + 1, block.close - block.open - 1, '```' + block.info, ...fresh, '```');
  }
  return lines.join('\n');
}

/** Replaces the machine's paths by the placeholders the README shows. */
function placeholders(text, { scratch, cli }) {
  const swaps = [
    [cli, `${CLONE}/dist/cli/main.js`],
    [process.execPath, NODE],
    [scratch, CLONE],
  ];
  for (const [from, to] of swaps) text = text.split(from).join(to);
  return text;
}

/** Runs the commands of `ids` (default all) with the CLI at `cli` in a scratch folder (see freshOutputs). */
function runOutputs(cli, ids) {
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'quanta-readme-')));
  const cliPath = realpathSync(cli);
  const out = new Map();
  try {
    for (const o of OUTPUTS) {
      if (ids && !ids.includes(o.id)) continue;
      const r = spawnSync(process.execPath, [cliPath, ...o.args], {
        cwd: scratch,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
        maxBuffer: 64 << 20,
      });
      if (r.status !== 0)
        throw new Error(`npx quanta ${o.args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
      out.set(o.id, placeholders(r.stdout, { scratch, cli: cliPath }).trimEnd().split('\n'));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return out;
}

/**
 * Runs the commands of `ids` (default all), in order, in one scratch folder, with `cli` (a `quanta` main
 * script; default: the CLI bundled from the current sources); returns id -> printed lines (stdout, with the
 * placeholders in). Throws, with the command's stderr, when a command fails.
 */
export async function freshOutputs({ cli, ids } = {}) {
  if (cli) return runOutputs(cli, ids);
  const bundle = await bundleCli('quanta-readme-cli-');
  try {
    return runOutputs(bundle.cli, ids);
  } finally {
    bundle.cleanup();
  }
}

/** Lines as compared: a masked line becomes the mask's text, so timings never differ. */
function comparable(id, lines) {
  const masks = OUTPUTS.find((o) => o.id === id)?.masks ?? [];
  return lines.map((l) => (masks.some((m) => m.test(l)) ? `<varies: ${masks.find((m) => m.test(l))}>` : l));
}

/**
 * Where the README's text differs from `outputs`: one entry per block that differs, with the differing lines
 * (1-based line in the block, README's, fresh). A block missing from the README, or an output without its
 * block, is a difference too.
 */
export function differences(text, outputs) {
  const blocks = new Map(readmeBlocks(text).map((b) => [b.id, b]));
  const found = [];
  for (const [id, fresh] of outputs) {
    const block = blocks.get(id);
    if (!block) {
      found.push({ id, lines: [{ line: 0, readme: '(no readme-output block with this id)', fresh: '' }] });
      continue;
    }
    const [a, b] = [comparable(id, block.body), comparable(id, fresh)];
    const lines = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] !== b[i]) lines.push({ line: i + 1, readme: a[i] ?? '(none)', fresh: b[i] ?? '(none)' });
    }
    if (lines.length) found.push({ id, lines });
  }
  for (const id of blocks.keys()) {
    if (!OUTPUTS.some((o) => o.id === id))
      found.push({ id, lines: [{ line: 0, readme: '(a block no command makes)', fresh: '' }] });
  }
  return found;
}

/** A readable report of `differences`. */
export function formatDifferences(found) {
  return found
    .map(
      ({ id, lines }) =>
        `readme-output ${id}:\n` +
        lines.map((d) => `  line ${d.line}\n    README: ${d.readme}\n    now:    ${d.fresh}`).join('\n'),
    )
    .join('\n');
}

async function main(argv) {
  const check = argv.includes('--check');
  const value = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const ids = value('--only')?.split(',');
  const unknown = ids?.filter((id) => !OUTPUTS.some((o) => o.id === id)) ?? [];
  if (unknown.length) {
    process.stderr.write(
      `readme-outputs: no output ${unknown.join(', ')} (known: ${OUTPUTS.map((o) => o.id)})\n`,
    );
    return 2;
  }
  const text = readFileSync(README, 'utf8');
  const outputs = await freshOutputs({ cli: value('--cli'), ids });
  if (check) {
    const found = differences(text, outputs);
    if (found.length === 0) {
      process.stdout.write(`README.md: ${outputs.size} shown outputs are what the commands print today\n`);
      return 0;
    }
    process.stdout.write(formatDifferences(found) + '\n');
    process.stderr.write('README.md differs: `node scripts/readme-outputs.mjs` rewrites the blocks\n');
    return 1;
  }
  const next = withOutputs(text, outputs);
  if (next !== text) writeFileSync(README, next);
  process.stdout.write(
    `README.md: ${outputs.size} shown outputs ${next === text ? 'unchanged' : 'rewritten'}\n`,
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
