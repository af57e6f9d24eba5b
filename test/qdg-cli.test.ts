// The qdg and toy-clusters commands through commander, with process.exit and the output streams captured:
// bad input exits 2 with one line and writes nothing; good input writes every output file.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, writeNpy } from '../src/io/npy.js';
import { registerQdg } from '../src/cli/commands/qdg.js';
import { registerToyClusters } from '../src/cli/commands/toy-clusters.js';

/** A planted-cluster affinity: within-cluster 0.8 + noise, between 0.1 + noise, symmetric, diagonal 1. */
function plantedAffinity(sizes: number[], seed: number): { A: Float32Array; labels: Int32Array } {
  const S = sizes.reduce((a, b) => a + b, 0);
  const labels = new Int32Array(S);
  let p = 0;
  sizes.forEach((n, c) => {
    for (let i = 0; i < n; i++) labels[p++] = c;
  });
  let state = seed >>> 0 || 1;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const A = new Float32Array(S * S);
  for (let i = 0; i < S; i++) {
    A[i * S + i] = 1;
    for (let j = 0; j < i; j++) {
      const v = (labels[i] === labels[j] ? 0.8 : 0.1) + 0.1 * rand();
      A[i * S + j] = v;
      A[j * S + i] = v;
    }
  }
  return { A, labels };
}

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs `quanta <args>` in process: the exit code (0 when the action returns), stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
    throw new Exit(Number(code ?? 0));
  });
  const program = new Command()
    .exitOverride((e) => {
      throw new Exit(e.exitCode === 0 ? 0 : 2); // as src/cli/main.ts: usage errors are bad input
    })
    .configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s) });
  registerQdg(program);
  registerToyClusters(program);
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    code = e.code;
  } finally {
    out.mockRestore();
    err.mockRestore();
    exit.mockRestore();
  }
  return { code, stdout, stderr };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-qdg-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Cosine similarities of planted clusters: cos = 2 A - 1 from an affinity-like matrix in [0, 1]. */
function writeCosine(path: string, sizes: number[]): Int32Array {
  const { A, labels } = plantedAffinity(sizes, 11);
  const S = labels.length;
  writeNpy(
    path,
    Float32Array.from(A, (v) => 2 * v - 1),
    [S, S],
  );
  return labels;
}

describe('quanta qdg: bad input exits 2, one line, nothing written', () => {
  it('rejects each kind of bad input', async () => {
    const sim = join(dir, 'C.npy');
    writeCosine(sim, [20, 10, 10]);
    const bad = join(dir, 'bad.npy');
    writeFileSync(bad, 'this is not an npy file');
    const rect = join(dir, 'rect.npy');
    writeNpy(rect, new Float32Array(12), [3, 4]);
    const asym = join(dir, 'asym.npy');
    writeNpy(asym, Float32Array.of(1, 0.5, 0.5, 0.1, 1, 0.5, 0.5, 0.5, 1), [3, 3]);
    const labels = join(dir, 'L.npy');
    writeNpy(labels, new Int32Array(7), [7]);
    const out = join(dir, 'out');
    const cases: [string[], RegExp][] = [
      [['qdg', '--out', out], /exactly one source/],
      [['qdg', '--similarity', sim, '--affinity', sim, '--out', out], /exactly one source/],
      [['qdg', '--similarity', join(dir, 'missing.npy'), '--out', out], /no such file/],
      [['qdg', '--similarity', bad, '--out', out], /not a usable \.npy/],
      [['qdg', '--similarity', rect, '--out', out], /square/],
      [['qdg', '--affinity', asym, '--clusters', '2', '--out', out], /not symmetric/],
      [['qdg', '--similarity', sim, '--clusters', '10,abc', '--out', out], /--clusters/],
      [['qdg', '--similarity', sim, '--clusters', '1', '--out', out], /--clusters/],
      [
        ['qdg', '--similarity', sim, '--clusters', '5,40', '--out', out],
        /--clusters values must be in \[2, 39\]/,
      ],
      [['qdg', '--similarity', sim, '--window', '9:3', '--out', out], /--window/],
      [['qdg', '--similarity', sim, '--labels', labels, '--out', out], /labels/],
      [['qdg', '--similarity', sim, '--samples', '41', '--out', out], /--samples 41 is more than/],
      [['qdg', '--similarity', sim, '--n-init', '0', '--out', out], /--n-init/],
      [['qdg', '--similarity', sim], /--out/],
      [['toy-clusters', '--alpha', '0', '--out', out], /--alpha/],
      [['toy-clusters', '--sigma', '-1', '--out', out], /--sigma/],
      [['toy-clusters', '--subtasks', '3', '--scale', '4', '--clusters', '10', '--out', out], /clusters/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('(run with') && !l.startsWith('qdg ')).length,
        r.stderr,
      ).toBe(1);
      expect(r.stdout).toBe('');
      expect(existsSync(out), args.join(' ')).toBe(false);
    }
  });

  it('refuses an --out that is a file', async () => {
    const sim = join(dir, 'C.npy');
    writeCosine(sim, [20, 10, 10]);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    const r = await cli(['qdg', '--similarity', sim, '--out', file]);
    expect(r.code).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});

describe('quanta qdg: a planted-cluster similarity matrix', () => {
  it('writes clusters.json, rank-frequency.csv, pictures, report.html and .npy files; --json summary', async () => {
    const sizes = [40, 30, 20, 20, 15, 10, 8, 7];
    const sim = join(dir, 'C.npy');
    const truth = writeCosine(sim, sizes);
    const labelsPath = join(dir, 'L.npy');
    writeFileSync(labelsPath, encodeNpy(truth, [truth.length]));
    const out = join(dir, 'out');
    const args = [
      'qdg',
      '--similarity',
      sim,
      '--labels',
      labelsPath,
      '--clusters',
      '4,8,12',
      '--n-init',
      '4',
    ];
    const r = await cli([...args, '--save-affinity', '--save-embedding', '--json', '--quiet', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.samples).toBe(150);
    expect(summary.clusters).toEqual([4, 8, 12]);
    expect(summary.window).toEqual([1, 8]); // [3, 15] for S = 150, capped to K = 12
    expect(summary.predictedSlope).toBeCloseTo(-1.083, 9);
    expect(summary.ari['8']).toBeGreaterThan(0.99);
    expect(typeof summary.envelopeSlope).toBe('number');
    const doc = JSON.parse(readFileSync(join(out, 'clusters.json'), 'utf8'));
    expect(doc.samples).toBe(150);
    expect(doc.eigenvalues.length).toBe(12);
    expect(doc.clusterings['8'].sizes).toEqual(sizes);
    expect(doc.clusterings['8'].labels.length).toBe(150);
    expect(doc.envelope.window).toEqual([1, 8]);
    expect(doc.timing.embedding).toBeGreaterThanOrEqual(0);
    const csv = readFileSync(join(out, 'rank-frequency.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('K,rank,size');
    expect(csv.length).toBe(1 + 4 + 8 + doc.clusterings['12'].sizes.length);
    for (const f of ['similarity-by-cluster.png', 'similarity-by-subtask.png', 'report.html']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
    expect(readFileSync(join(out, 'affinity.npy')).length).toBeGreaterThan(150 * 150 * 4);
    expect(readFileSync(join(out, 'embedding.npy')).length).toBeGreaterThan(150 * 12 * 8);
  });

  it('toy-clusters with small d and sigma recovers the subtasks and writes its outputs', async () => {
    const out = join(dir, 'toy');
    const r = await cli([
      'toy-clusters',
      '--alpha',
      '1,1.5',
      '--d',
      '20',
      '--sigma',
      '0.1',
      '--subtasks',
      '6',
      '--scale',
      '60',
      '--clusters',
      '3,6',
      '--n-init',
      '3',
      '--json',
      '--quiet',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.runs.length).toBe(2);
    expect(summary.runs[0].samples).toBe(60 + 30 + 20 + 15 + 12 + 10);
    expect(summary.runs[0].predictedSlope).toBe(-1);
    expect(summary.runs[0].ari['6']).toBeGreaterThan(0.95);
    for (const f of ['toy.json', 'rank-frequency.csv', 'report.html'])
      expect(existsSync(join(out, f)), f).toBe(true);
  });
});
