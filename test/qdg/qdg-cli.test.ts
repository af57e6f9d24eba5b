// The qdg and toy-clusters commands through commander, with process.exit and the output streams captured:
// bad input exits 2 with one line and writes nothing; good input writes every output file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, readNpyF32, writeNpy } from '../../src/io/npy.js';
import { registerQdg } from '../../src/cli/commands/qdg.js';
import { registerToyClusters } from '../../src/cli/commands/toy-clusters.js';
import { parseRunConfig, DEFAULT_RUN, type RunConfig } from '../../src/train/config.js';
import { Trainer } from '../../src/train/trainer.js';
import { saveRunWeights } from '../../src/train/weights.js';
import { SparseParityTask } from '../../src/parity/task.js';
import { plantedAffinity } from './planted.js';
import { parameterGroupMask } from '../../src/qdg/factored-gram.js';
import { referenceCosine, referencePerSampleGradient } from '../../src/qdg/reference.js';
import { inProcessCli } from '../cli-in-process.js';

const cli = inProcessCli(registerQdg, registerToyClusters);

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
        /--clusters values must be integers in \[2, 39\] for 40 samples, got 40/,
      ],
      [['qdg', '--similarity', sim, '--window', '9:3', '--out', out], /--window/],
      [['qdg', '--similarity', sim, '--labels', labels, '--out', out], /labels/],
      [['qdg', '--similarity', sim, '--samples', '41', '--out', out], /--samples 41 is more than/],
      [['qdg', '--similarity', sim, '--n-init', '0', '--out', out], /--n-init/],
      [['qdg', '--similarity', sim, '--gradient-of', 'logit', '--out', out], /--gradient-of needs a model/],
      [['qdg', '--similarity', sim, '--layers', 'W1', '--out', out], /--layers needs a model/],
      [['qdg', '--similarity', sim, '--cosine', 'both', '--out', out], /--cosine must be signed or abs/],
      [['qdg', '--affinity', sim, '--cosine', 'abs', '--out', out], /--cosine abs needs cosine similarities/],
      [
        ['qdg', '--similarity', sim, '--layers', 'W1,,b1', '--out', out],
        /--layers must be a comma-separated/,
      ],
      [['qdg', '--similarity', sim], /--out/],
      [['toy-clusters', '--alpha', '0', '--out', out], /--alpha/],
      [['toy-clusters', '--sigma', '-1', '--out', out], /--sigma/],
      [
        ['toy-clusters', '--subtasks', '3', '--scale', '4', '--clusters', '10', '--out', out],
        /--clusters values must be integers in \[2, 6\] for 7 samples, got 10/,
      ],
      [
        ['toy-clusters', '--clusters', '10,x', '--out', out],
        /--clusters must be 'paper' or a comma-separated/,
      ],
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
    expect(csv[0]).toBe('K,rank,size_samples');
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

describe('quanta qdg --run: a trained sparse-parity model', () => {
  it('keeps low-loss samples, clusters their gradients and scores them against the subtasks', async () => {
    const config: RunConfig = {
      ...DEFAULT_RUN,
      nTasks: 4,
      n: 10,
      k: 2,
      width: 64,
      batch: 256,
      steps: 1500,
      lr: 3e-3,
      logEvery: 500,
      testPoints: 2000,
      testPointsPerTask: 50,
    };
    const trainer = new Trainer(parseRunConfig(config));
    const record = trainer.run({});
    const path = join(dir, 'run.json');
    record.weights = saveRunWeights(path, trainer.model);
    writeFileSync(path, JSON.stringify(record));
    const out = join(dir, 'out');
    const base = ['qdg', '--run', path, '--samples', '200', '--loss-threshold', '0.1'];
    const r = await cli([
      ...base,
      '--clusters',
      '4,8',
      '--n-init',
      '3',
      '--save-samples',
      '--json',
      '--quiet',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // the samples, for anyone to recompute the gradients elsewhere: one control bit at the subtask, the label
    // the parity of the subtask's bits, every loss below the threshold
    const dense = readFileSync(join(out, 'samples.npy'));
    const width = config.nTasks + config.n;
    const inputs = dense.subarray(dense.length - 200 * width);
    expect(dense.subarray(0, 80).toString('latin1')).toContain(`'descr': '|u1'`);
    const rows = readFileSync(join(out, 'samples.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('sample,subtask_rank,parity_label,loss_nats,cluster_K4,cluster_K8');
    expect(rows).toHaveLength(201);
    const task = new SparseParityTask({ ...config });
    for (let i = 0; i < 200; i++) {
      const [, rank, label, loss] = rows[i + 1].split(',').map(Number);
      const row = inputs.subarray(i * width, (i + 1) * width);
      expect(
        Array.from(row.subarray(0, config.nTasks))
          .map((b, t) => (b ? t + 1 : 0))
          .filter(Boolean),
      ).toEqual([rank]);
      const subset = task.subsets.subarray((rank - 1) * config.k, rank * config.k);
      const bits = subset.reduce((acc, j) => acc + row[config.nTasks + j], 0);
      expect(bits % 2).toBe(label);
      expect(loss).toBeLessThan(0.1);
    }
    const summary = JSON.parse(r.stdout);
    expect(summary.samples).toBe(200);
    expect(summary.predictedSlope).toBeCloseTo(-1.4, 12); // -(1 + the run's alpha)
    // Gradient clusters follow (subtask, parity label) pairs more than subtasks: the label flips the sign of
    // the output gradient. So the agreement with subtasks alone is partial (0.21 at K = 8 on this tiny run).
    expect(summary.ari['8']).toBeGreaterThan(0.1);
    expect(summary.nmi['8']).toBeGreaterThan(0.3);
    // and the agreement with (subtask, label) pairs is the higher one
    expect(summary.ariSubtaskAndLabel['8']).toBeGreaterThan(summary.ari['8']);
    const doc = JSON.parse(readFileSync(join(out, 'clusters.json'), 'utf8'));
    expect(doc.source.kind).toBe('run');
    // samples.csv's cluster columns are clusters.json's labels, sample by sample
    for (const K of [4, 8])
      expect(rows.slice(1).map((row) => Number(row.split(',')[K === 4 ? 4 : 5]))).toEqual(
        doc.clusterings[String(K)].labels,
      );
    expect(doc.source.candidates).toBeGreaterThanOrEqual(200);
    expect(existsSync(join(out, 'similarity-by-subtask.png'))).toBe(true);

    // bad --run input: exit 2, nothing written
    const noWeights = join(dir, 'no-weights.json');
    writeFileSync(noWeights, JSON.stringify({ ...record, weights: undefined }));
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{ nope');
    const labels = join(dir, 'L.npy');
    writeNpy(labels, new Int32Array(200), [200]);
    const out2 = join(dir, 'out2');
    const cases: [string[], RegExp][] = [
      [['qdg', '--run', noWeights, '--out', out2], /no saved weights/],
      [['qdg', '--run', notJson, '--out', out2], /not a JSON run record/],
      [
        ['qdg', '--run', path, '--layers', 'W1,W3', '--out', out2],
        /unknown parameter group 'W3': this model has W1, b1, W2, b2/,
      ],
      [
        ['qdg', '--run', path, '--gradient-of', 'margin', '--out', out2],
        /--gradient-of must be loss or logit/,
      ],
      [['qdg', '--run', path, '--labels', labels, '--out', out2], /--labels cannot be used with --run/],
      [
        [
          'qdg',
          '--run',
          path,
          '--samples',
          '3',
          '--loss-threshold',
          '1e-30',
          '--clusters',
          '2',
          '--out',
          out2,
        ],
        /only 0 of/,
      ],
    ];
    for (const [args, message] of cases) {
      const bad = await cli([...args, '--quiet']);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr).toMatch(message);
      expect(existsSync(out2)).toBe(false);
    }
  });
});

describe('quanta qdg --run --save-samples: the Gram recomputed elsewhere from the files alone', () => {
  it('samples.npy, samples.csv and the run weights give our cosines back through the twin, for every gradient choice', async () => {
    const config: RunConfig = {
      ...DEFAULT_RUN,
      nTasks: 4,
      n: 10,
      k: 2,
      width: 24,
      batch: 256,
      steps: 300,
      lr: 3e-3,
      logEvery: 100,
      testPoints: 1000,
      testPointsPerTask: 20,
    };
    const trainer = new Trainer(parseRunConfig(config));
    const record = trainer.run({});
    const path = join(dir, 'run.json');
    record.weights = saveRunWeights(path, trainer.model);
    writeFileSync(path, JSON.stringify(record));
    const S = 60;
    const choices: string[][] = [
      [],
      ['--gradient-of', 'logit'],
      ['--gradient-of', 'logit', '--layers', '2', '--cosine', 'abs'],
      ['--layers', 'W1,b2', '--cosine', 'abs'],
    ];
    for (const choice of choices) {
      const out = join(dir, `out-${choice.join('')}`);
      const args = [
        'qdg',
        '--run',
        path,
        '--samples',
        String(S),
        '--loss-threshold',
        '0.6',
        '--clusters',
        '3',
      ];
      const r = await cli([
        ...args,
        ...choice,
        '--n-init',
        '1',
        '--save-samples',
        '--save-affinity',
        '--quiet',
        '--out',
        out,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // everything below comes from files: the record and its weights, samples.npy, samples.csv, clusters.json
      const run = JSON.parse(readFileSync(path, 'utf8')) as typeof record;
      const flat = readNpyF32(join(dir, run.weights!.file)).data;
      const layers = run.weights!.layers.map((l) => ({
        W: flat.subarray(l.offset, l.offset + l.inputs * l.outputs),
        b: flat.subarray(l.offset + l.inputs * l.outputs, l.offset + l.inputs * l.outputs + l.outputs),
        inputs: l.inputs,
        outputs: l.outputs,
      }));
      const width = run.config.nTasks + run.config.n;
      const npy = readFileSync(join(out, 'samples.npy'));
      expect(npy.subarray(0, 80).toString('latin1')).toContain(`'shape': (${S}, ${width})`);
      const inputs = npy.subarray(npy.length - S * width);
      const labels = readFileSync(join(out, 'samples.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((row) => Number(row.split(',')[2]));
      const options = JSON.parse(readFileSync(join(out, 'clusters.json'), 'utf8')).options;
      expect(options.gradientOf).toBe(choice.includes('logit') ? 'logit' : 'loss');
      const groups = options.layers === 'all' ? undefined : parameterGroupMask(options.layers, layers.length);
      const grads = labels.map((y, i) =>
        referencePerSampleGradient(
          layers,
          run.config.activation,
          inputs.subarray(i * width, (i + 1) * width),
          y,
          options.gradientOf,
          groups,
        ),
      );
      const gram = new Float64Array(S * S);
      for (let a = 0; a < S; a++)
        for (let b = 0; b < S; b++) gram[a * S + b] = grads[a].reduce((t, v, e) => t + v * grads[b][e], 0);
      const cosine = referenceCosine(gram, S);
      // ours: the affinity 1 - arccos(c)/pi written by --save-affinity, back to c = cos(pi (1 - A))
      const affinity = readNpyF32(join(out, 'affinity.npy')).data;
      for (let e = 0; e < S * S; e++) {
        const want = options.cosine === 'abs' ? Math.abs(cosine[e]) : cosine[e];
        expect(Math.abs(Math.cos(Math.PI * (1 - affinity[e])) - want)).toBeLessThan(5e-5);
      }
    }
  }, 60_000);
});

describe('quanta qdg --gradients', () => {
  it('the affinity is 1 - arccos(cosine)/pi of the gradients, with all rows or the first --samples', async () => {
    const S = 60;
    const P = 37;
    const G = Float32Array.from(
      { length: S * P },
      (_, i) => Math.sin(i * 0.37) + (Math.floor(i / P) % 3) * 0.5,
    );
    const path = join(dir, 'G.npy');
    writeNpy(path, G, [S, P]);
    for (const samples of [S, 45]) {
      const out = join(dir, `out-${samples}`);
      const r = await cli([
        'qdg',
        '--gradients',
        path,
        '--samples',
        String(samples),
        '--clusters',
        '3,5',
        '--n-init',
        '2',
        '--save-affinity',
        '--quiet',
        '--out',
        out,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // the summary counts every file it wrote, the saved affinity included
      expect(r.stdout).toContain(`wrote ${readdirSync(out).length} files to ${out}`);
      const A = readNpyF32(join(out, 'affinity.npy'));
      expect(A.shape).toEqual([samples, samples]);
      for (let a = 0; a < samples; a += 4) {
        for (let b = 0; b < samples; b += 3) {
          let dot = 0;
          let na = 0;
          let nb = 0;
          for (let j = 0; j < P; j++) {
            dot += G[a * P + j] * G[b * P + j];
            na += G[a * P + j] ** 2;
            nb += G[b * P + j] ** 2;
          }
          const cos = Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
          expect(A.data[a * samples + b]).toBeCloseTo(a === b ? 1 : 1 - Math.acos(cos) / Math.PI, 3);
        }
      }
    }
  });
});

describe('quanta qdg: memory', () => {
  it('refuses a matrix that does not fit in Wasm memory, naming the largest S that does', async () => {
    // a 40,000 x 40,000 f32 similarity matrix (6.4 GB) as a sparse file: only the header is real
    const S = 40_000;
    const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${S}, ${S}), }`;
    const headerLen = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
    const head = Buffer.alloc(10 + headerLen, 0x20);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
    head.writeUInt16LE(headerLen, 8);
    head.write(dict, 10, 'latin1');
    head[head.length - 1] = 0x0a;
    const path = join(dir, 'big.npy');
    writeFileSync(path, head);
    truncateSync(path, head.length + S * S * 4);
    const out = join(dir, 'out');
    const r = await cli(['qdg', '--similarity', path, '--clusters', '10,100', '--out', out]);
    expect(r.code).toBe(2);
    const m = /the largest S that fits is (\d+)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const best = Number(m![1]);
    expect(best).toBeGreaterThan(20_000);
    expect(best).toBeLessThan(33_000);
    expect(existsSync(out)).toBe(false);
  });
});
