// `quanta sweep ... --emit slurm|k8s`: the sbatch script passes `bash -n`, has the array range, the resources and
// the flags; the command each task runs, expanded by the shell itself (QUANTA='printf %s\n'), parses back through
// the CLI's own option parsers into the same plan; bad combinations are one line and exit 2 with nothing
// written; and the script, run by bash as Slurm would run its tasks, trains the whole sweep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planFromCli, registerSweep, type SweepCliOptions } from '../../src/cli/commands/sweep.js';
import { emitSweep, parseTimeLimit, planArgs, shellQuote, taskMemoryMiB } from '../../src/scaling/emit.js';
import { taskResources } from '../../src/scaling/resources.js';
import { bundleCli } from '../cli-bundle.js';
import { tempDirs } from '../temp-dirs.js';

const CONTEXT = { node: '/opt/node 20/bin/node', cli: '/srv/quanta/dist/cli/main.js', version: '9.9.9' };

const freshDir = tempDirs('emit');

/** `sweep <kind> ...` parsed by the real `quanta sweep` options (parsers, defaults), without running it. */
function parseSweep(args: string[]): { kind: string; o: SweepCliOptions } {
  expect(args[0]).toBe('sweep');
  const program = new Command().exitOverride();
  registerSweep(program);
  const sweep = program.commands.find((c) => c.name() === 'sweep')!;
  sweep.exitOverride();
  const { operands, unknown } = sweep.parseOptions(args.slice(1));
  expect(unknown).toEqual([]);
  expect(operands).toHaveLength(1);
  return { kind: operands[0], o: sweep.opts<SweepCliOptions>() };
}

function emit(args: string[]): { kind: string; o: SweepCliOptions; text: string } {
  const { kind, o } = parseSweep(args);
  return { kind, o, text: emitSweep(kind, o, planFromCli(kind, o), CONTEXT) };
}

/** The argv a task runs: the shell expands the script's exec line with QUANTA='printf %s\n'. */
function taskArgv(shell: 'bash' | 'sh', script: string, env: Record<string, string>): string[] {
  const r = spawnSync(shell, shell === 'sh' ? ['-c', script] : ['-c', script, 'quanta-task'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env, QUANTA: 'printf %s\\n' },
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.replace(/\n$/, '').split('\n');
}

const SLURM_ENV = { SLURM_ARRAY_TASK_ID: '2', SLURM_CPUS_PER_TASK: '3', SLURM_ARRAY_JOB_ID: '77' };

/** Plan flag sets: every flag, float alphas that need all their digits, unsorted lists with repeats. */
const CASES: string[][] = [
  // in the order the emitter writes them (planArgs), so that the task's argv can be compared as a whole
  ['sweep', 'alpha', '--preset', 'paper'],
  ['sweep', 'N', '--preset', 'quick', '--widths', '24,8,8,16', '--steps', '300'],
  ['sweep', 'S', '--preset', 'paper', '--alpha', '0.30000000000000004,0.1', '--seeds', '2,0'],
  ['sweep', 'D', '--preset', 'quick', '--alpha', '0.001', '--data-sizes', '5000,1000', '--data-width', '48'],
  [
    'sweep',
    'all',
    '--preset',
    'quick',
    '--alpha',
    '0.4',
    '--widths',
    '8,12,16,24',
    '--data-sizes',
    '500,1000',
    '--seeds',
    '0',
    '--steps',
    '30000',
    '--data-width',
    '64',
  ],
];

describe('--emit slurm', () => {
  it('writes an sbatch script that bash parses, with the array, resources and flags', () => {
    const out = join(freshDir(), 'store');
    const { o, text } = emit([...CASES[4], '--out', out, '--emit', 'slurm', '--array', '4']);
    const plan = planFromCli('all', o);
    const bashN = spawnSync('bash', ['-n'], { input: text, encoding: 'utf8' });
    expect(bashN.status, bashN.stderr).toBe(0);
    const lines = text.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    // sbatch reads #SBATCH lines only before the first command
    const firstCommand = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
    const directives = lines.filter((l, i) => l.startsWith('#SBATCH') && i < firstCommand);
    const mem = Math.ceil(
      taskResources(
        plan.runs.map((r) => r.config),
        1,
      ).memoryBytes /
        2 ** 20,
    );
    expect(directives).toEqual([
      '#SBATCH --job-name=quanta-all-quick',
      '#SBATCH --array=0-3',
      '#SBATCH --cpus-per-task=1',
      `#SBATCH --mem=${mem}M`,
      '#SBATCH --requeue',
      '#SBATCH --signal=B:TERM@120',
      '#SBATCH --open-mode=append',
      `#SBATCH --output=${out}/logs/slurm-%A_%a.out`,
    ]);
    expect(lines.filter((l) => l.startsWith('#SBATCH'))).toEqual(directives);
    expect(lines).toContain('set -euo pipefail');
    const exec = lines.filter((l) => l.startsWith('exec '));
    expect(exec).toEqual([
      `exec \${QUANTA:-'/opt/node 20/bin/node' /srv/quanta/dist/cli/main.js} ${CASES[4].join(' ')} ` +
        `--workers "$SLURM_CPUS_PER_TASK" --shard "$SLURM_ARRAY_TASK_ID/4" --checkpoint-every 5m --json --quiet --out ${out}`,
    ]);
    expect(text).toContain(`# Made by: quanta ${CASES[4].join(' ')} --out ${out} --emit slurm --array 4`);
  });

  it('--time, --workers and --checkpoint-every reach the script; the defaults are one run per 1-CPU task', () => {
    const out = '/shared/quanta/fig10';
    const { text } = emit([
      ...CASES[0],
      '--out',
      out,
      '--emit',
      'slurm',
      '--array',
      '64',
      '--workers',
      '8',
      '--time',
      '3-00:00:00',
      '--checkpoint-every',
      '90s',
    ]);
    expect(text).toMatch(/^#SBATCH --array=0-63$/m);
    expect(text).toMatch(/^#SBATCH --cpus-per-task=8$/m);
    expect(text).toMatch(/^#SBATCH --time=3-00:00:00$/m);
    const { o } = parseSweep([...CASES[0]]);
    expect(text).toMatch(new RegExp(`^#SBATCH --mem=${taskMemoryMiB(planFromCli('alpha', o), 8)}M$`, 'm'));
    expect(text).toMatch(/ --shard "\$SLURM_ARRAY_TASK_ID\/64" --checkpoint-every 90s /);
    // no --array, no --workers: one run a task, one CPU a task
    const d = emit([...CASES[1], '--out', out, '--emit', 'slurm']).text;
    expect(d).toMatch(/^#SBATCH --array=0-2$/m); // 3 widths (8, 16, 24)
    expect(d).toMatch(/^#SBATCH --cpus-per-task=1$/m);
    expect(d).not.toMatch(/^#SBATCH --time/m);
  });

  for (const args of CASES) {
    it(`a task's command gives the same plan: ${args.slice(1).join(' ')}`, () => {
      const out = join(freshDir(), 'store');
      const { kind, o, text } = emit([...args, '--out', out, '--emit', 'slurm', '--array', '2']);
      const argv = taskArgv('bash', text, SLURM_ENV);
      expect(argv).toEqual([
        ...args,
        '--workers',
        '3',
        '--shard',
        '2/2',
        '--checkpoint-every',
        '5m',
        '--json',
        '--quiet',
        '--out',
        out,
      ]);
      const task = parseSweep(argv);
      expect(task.kind).toBe(kind);
      expect(planFromCli(task.kind, task.o)).toEqual(planFromCli(kind, o));
      expect(task.o).toMatchObject({ workers: 3, shard: '2/2', json: true, quiet: true, out });
    });
  }

  it('any plan flags come back as the same plan (property)', () => {
    const list = <T>(a: fc.Arbitrary<T>) =>
      fc.option(fc.array(a, { minLength: 1, maxLength: 4 }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.constantFrom('N', 'S', 'D', 'all', 'alpha'),
        fc.constantFrom('quick', 'paper'),
        list(fc.double({ min: 1e-6, max: 100, noNaN: true, noDefaultInfinity: true })),
        list(fc.integer({ min: 1, max: 4096 })),
        list(fc.integer({ min: 1, max: 5_000_000 })),
        list(fc.integer({ min: 0, max: 2 ** 40 })),
        fc.option(fc.integer({ min: 1, max: 1e9 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 4096 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: undefined }),
        fc.option(
          fc.record({
            factor: fc.double({ min: 1, max: 100, noNaN: true, noDefaultInfinity: true }),
            extra: fc.integer({ min: 1, max: 1e6 }),
          }),
          { nil: undefined },
        ),
        (kind, preset, alpha, widths, dataSizes, seeds, steps, dataWidth, logEvery, stopAfterMinimum) => {
          const flags = {
            preset,
            alpha,
            widths,
            dataSizes,
            seeds,
            steps,
            dataWidth,
            logEvery,
            stopAfterMinimum,
          };
          const original = parseSweep(planArgs(kind, flags));
          expect(original.o.stopAfterMinimum).toEqual(stopAfterMinimum);
          const plan = planFromCli(kind, original.o);
          const text = emitSweep(kind, { ...original.o, emit: 'slurm', out: '/s', array: 1 }, plan, CONTEXT);
          const task = parseSweep(taskArgv('bash', text, { ...SLURM_ENV, SLURM_ARRAY_TASK_ID: '0' }));
          expect(planFromCli(task.kind, task.o)).toEqual(plan);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('--emit k8s', () => {
  it('writes an indexed Job whose pods run the same plan as shards', async () => {
    const yaml = (await import('js-yaml' as string)) as { load(text: string): unknown };
    const out = '/shared/quanta/fig10';
    const args = [...CASES[0], '--out', out, '--emit', 'k8s', '--array', '32', '--workers', '4'];
    const { o, text } = emit([...args, '--time', '12:00:00']);
    const plan = planFromCli('alpha', o);
    const job = yaml.load(text) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      spec: Record<string, unknown> & { template: { spec: Record<string, unknown> } };
    };
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    expect(job.metadata.name).toBe('quanta-alpha-paper');
    expect(job.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 32,
      parallelism: 32,
      backoffLimitPerIndex: 3,
    });
    const pod = job.spec.template.spec as {
      restartPolicy: string;
      terminationGracePeriodSeconds: number;
      activeDeadlineSeconds: number;
      containers: {
        image: string;
        command: string[];
        args: string[];
        resources: unknown;
        volumeMounts: unknown[];
      }[];
      volumes: unknown[];
    };
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    expect(pod.activeDeadlineSeconds).toBe(12 * 3600);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.image).toBe('quanta:9.9.9');
    expect(c.command).toEqual(['sh', '-c']);
    const memory = `${taskMemoryMiB(plan, 4)}Mi`;
    expect(c.resources).toEqual({ requests: { cpu: '4', memory }, limits: { cpu: '4', memory } });
    expect(c.volumeMounts).toEqual([{ name: 'store', mountPath: out }]);
    expect(pod.volumes).toEqual([{ name: 'store', persistentVolumeClaim: { claimName: 'quanta-store' } }]);
    expect(c.args).toHaveLength(1);
    const sh = spawnSync('sh', ['-n', '-c', c.args[0]], { encoding: 'utf8' });
    expect(sh.status, sh.stderr).toBe(0);
    const argv = taskArgv('sh', c.args[0], { JOB_COMPLETION_INDEX: '31' });
    expect(argv).toEqual([
      ...CASES[0],
      '--workers',
      '4',
      '--shard',
      '31/32',
      '--checkpoint-every',
      '5m',
      '--json',
      '--quiet',
      '--out',
      out,
    ]);
    const task = parseSweep(argv);
    expect(planFromCli(task.kind, task.o)).toEqual(plan);
    // without --time, no deadline
    expect(emit(args).text).not.toMatch(/activeDeadlineSeconds/);
  });
});

describe('helpers', () => {
  it('parses time limits and quotes shell words', () => {
    expect(parseTimeLimit('00:00:30')).toBe(30);
    expect(parseTimeLimit('12:00:00')).toBe(43200);
    expect(parseTimeLimit('3-00:00:00')).toBe(3 * 86400);
    for (const bad of ['1:2', '00:60:00', '0:00:00', '1-2', 'x']) expect(() => parseTimeLimit(bad)).toThrow();
    for (const w of ['plain/path.js', "it's", 'a b', '$HOME', '"q"', '']) {
      const r = spawnSync('bash', ['-c', `printf %s ${shellQuote(w)}`], { encoding: 'utf8' });
      expect(r.stdout).toBe(w);
    }
  });
});

describe('quanta sweep --emit (CLI)', () => {
  let cli = '';
  let cleanup = () => {};
  beforeAll(async () => {
    const bundle = await bundleCli();
    cli = bundle.cli;
    cleanup = bundle.cleanup;
  });
  afterAll(() => cleanup());
  const quanta = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  const bad: [string, string[]][] = [
    ['--emit without --out', ['--emit', 'slurm']],
    ['--emit bogus', ['--emit', 'bogus', '--out', 'OUT']],
    ['--array 0', ['--emit', 'slurm', '--array', '0', '--out', 'OUT']],
    ['--shard with --emit', ['--emit', 'k8s', '--shard', '0/2', '--out', 'OUT']],
    ['--dry-run with --emit', ['--emit', 'slurm', '--dry-run', '--out', 'OUT']],
    ['--time without --emit', ['--time', '01:00:00', '--out', 'OUT']],
    ['--array without --emit or --dry-run', ['--array', '2', '--out', 'OUT']],
    ['a bad --time', ['--emit', 'slurm', '--time', '90', '--out', 'OUT']],
    ['more tasks than runs', ['--emit', 'slurm', '--array', '4', '--out', 'OUT']],
    ['a bad plan', ['--emit', 'slurm', '--alpha', '0', '--out', 'OUT']],
    ['an --out path with a space', ['--emit', 'slurm', '--out', 'OUT/a b']],
  ];
  for (const [what, args] of bad) {
    it(`refuses ${what}: one line, exit 2, nothing written`, () => {
      const out = join(freshDir(), 'store');
      const r = quanta('sweep', 'N', '--widths', '8,16,24', ...args.map((a) => a.replace('OUT', out)));
      expect(r.code).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('(run with --help'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^quanta: error: /);
      expect(r.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    });
  }

  it('prints the script and writes nothing; run by bash as 3 array tasks, it trains the sweep', () => {
    const out = join(freshDir(), 'store');
    const flags = ['sweep', 'N', '--widths', '8,12,16', '--steps', '300'];
    const r = quanta(...flags, '--out', out, '--emit', 'slurm', '--array', '3');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(false);
    // the script calls this very CLI (node and the script it was started as)
    expect(r.stdout).toContain(`\${QUANTA:-${process.execPath} ${cli}}`);
    const script = join(freshDir(), 'sweep.sh');
    writeFileSync(script, r.stdout);
    const trained: string[] = [];
    for (const task of ['0', '1', '2']) {
      const t = spawnSync('bash', [script], {
        encoding: 'utf8',
        env: { ...process.env, SLURM_ARRAY_TASK_ID: task, SLURM_CPUS_PER_TASK: '1', SLURM_ARRAY_JOB_ID: '1' },
      });
      expect(t.status, t.stderr).toBe(0);
      expect(t.stderr).toMatch(new RegExp(`^quanta: array task ${task} of job 1, attempt 1, on `));
      const outcome = JSON.parse(t.stdout);
      expect(outcome.inShard).toBe(1);
      trained.push(...outcome.trained.map((x: { id: string }) => x.id));
    }
    expect(trained.sort()).toEqual(['N-a0.4-w12-s0', 'N-a0.4-w16-s0', 'N-a0.4-w8-s0']);
    expect(readdirSync(join(out, 'runs')).filter((f) => f.endsWith('.json'))).toHaveLength(3);
  });
});
