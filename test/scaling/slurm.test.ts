// The Slurm path for real: a one-node Slurm cluster (scripts/slurm/cluster.sh: munged, slurmctld, slurmd) runs
// the sbatch script that `quanta sweep ... --emit slurm` prints, as an array of 4 tasks sharing one store; one
// task is requeued (`scontrol requeue`) while it trains. Every task must end COMPLETED, the records must be the
// ones a local one-process sweep writes (byte for byte but for `timing` and `createdAt`), `quanta fit` must
// read the store, and no run may be trained twice: the JSON outcome lines that every attempt appends to its
// log account for each run exactly once. Needs root and the Debian packages slurmctld, slurmd, slurm-client
// and munge (`.ci/run` installs them); where they are not installed, it checks instead that `.ci/run` installs
// them and that the cluster script parses. QUANTA='node
// /other/main.js' runs the tasks with another quanta (the script's override); QUANTA_KEEP_SLURM_TEST=1 keeps
// the store, the logs and the cluster's state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { longestFirst, planSweep, shardRuns } from '../../src/scaling/plan.js';
import { bundleCli } from '../cli-bundle.js';

const TOOLS = ['sbatch', 'squeue', 'scontrol', 'slurmctld', 'slurmd', 'munged'];
const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);

/** The sweep: 4 widths and 2 dataset sizes of the quick preset, a few seconds a run; 4 tasks, 1 CPU each. */
const PLAN_FLAGS = [
  'all',
  '--preset',
  'quick',
  '--widths',
  '8,12,16,24',
  '--data-sizes',
  '500,1000',
  '--steps',
  '24000',
];
const TASKS = 4;
/** The task that is requeued while it trains its second run (shard 0: D500 then w16, longest first). */
const REQUEUED = 0;
const DEADLINE_MS = 110_000;

if (missing.length > 0) {
  // Without Slurm this machine cannot run the cluster, so it checks what makes CI run it: `.ci/run` installs
  // every package the test needs, and the cluster script it starts is valid bash.
  describe(`Slurm is not installed here (no ${missing.join(', ')}): what makes CI run the real test`, () => {
    it('.ci/run installs slurmctld, slurmd, slurm-client and munge, and cluster.sh parses', () => {
      const ci = readFileSync(resolve('.ci/run'), 'utf8');
      const install = ci.split('\n').find((line) => /apt-get install/.test(line)) ?? '';
      for (const pkg of ['slurmctld', 'slurmd', 'slurm-client', 'munge']) expect(install).toContain(pkg);
      const parse = spawnSync('bash', ['-n', resolve('scripts/slurm/cluster.sh')], { encoding: 'utf8' });
      expect(parse.status, parse.stderr).toBe(0);
    });
  });
} else {
  describe('quanta sweep --emit slurm on a one-node Slurm cluster', () => {
    const work = mkdtempSync(join(tmpdir(), 'quanta-slurm-'));
    const state = join(work, 'slurm');
    const cluster = resolve('scripts/slurm/cluster.sh');
    // the jobs get this environment (sbatch exports it), not vitest's
    const env = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      LANG: 'C.UTF-8',
      SLURM_CONF: join(state, 'slurm.conf'),
      // QUANTA='node /other/main.js' runs the tasks with another quanta (the script's override)
      ...(process.env.QUANTA ? { QUANTA: process.env.QUANTA } : {}),
    };
    let cli = '';
    let cleanup = () => {};
    let jobId = '';

    const run = (cmd: string, args: string[], timeout = 60_000) => {
      const r = spawnSync(cmd, args, { encoding: 'utf8', env, cwd: work, timeout });
      return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    };
    const quanta = (...args: string[]) => run(process.execPath, [cli, ...args], 120_000);

    beforeAll(async () => {
      const bundle = await bundleCli('quanta-slurm-cli-');
      cli = bundle.cli;
      cleanup = bundle.cleanup;
      const r = run('bash', [cluster, 'start', state]);
      expect(r.code, `cluster.sh start failed:\n${r.stderr}\n${r.stdout}`).toBe(0);
    });

    afterAll(() => {
      // the daemons, by the PIDs cluster.sh recorded, even when the test failed
      if (jobId !== '') run('scancel', [jobId]);
      const r = run('bash', [cluster, 'stop', state]);
      if (r.code !== 0) process.stderr.write(`cluster.sh stop: ${r.stderr}\n`);
      cleanup();
      // QUANTA_KEEP_SLURM_TEST=1 keeps the store, the logs and the cluster's state for a look
      if (process.env.QUANTA_KEEP_SLURM_TEST) process.stderr.write(`slurm.test: kept ${work}\n`);
      else rmSync(work, { recursive: true, force: true });
    });

    /** Every task's Slurm output file, for failure messages. */
    const logs = (out: string) => {
      const dir = join(out, 'logs');
      const files = existsSync(dir) ? readdirSync(dir).sort() : [];
      const ctld = existsSync(join(state, 'slurmctld.log'))
        ? readFileSync(join(state, 'slurmctld.log'), 'utf8').split('\n').slice(-30).join('\n')
        : '';
      return [
        ...files.map((f) => `==> ${f} <==\n${readFileSync(join(dir, f), 'utf8')}`),
        `==> slurmctld.log (end) <==\n${ctld}`,
      ].join('\n');
    };

    /** Task id -> state (RUNNING, PENDING, ...) of the job's array tasks still in squeue. */
    const tasks = (): Map<number, string> => {
      const r = run('squeue', ['-h', '-r', '-j', jobId, '-o', '%K %T']);
      const m = new Map<number, string>();
      if (r.code !== 0) return m; // the job has left the controller (MinJobAge): nothing is left to run
      for (const line of r.stdout.trim().split('\n')) {
        const [task, st] = line.trim().split(/\s+/);
        if (task !== undefined && st !== undefined && /^\d+$/.test(task)) m.set(Number(task), st);
      }
      return m;
    };

    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('runs the array, survives a requeue, and writes the records a local sweep writes', async () => {
      const start = Date.now();
      const out = join(work, 'store');
      const plan = planSweep('all', 'quick', {
        widths: [8, 12, 16, 24],
        dataSizes: [500, 1000],
        steps: 24000,
      });
      const ids = plan.runs.map((r) => r.id).sort();
      const shards = Array.from({ length: TASKS }, (_, i) =>
        longestFirst(shardRuns(plan.runs, { index: i, count: TASKS })).map((r) => r.id),
      );
      expect(shards[REQUEUED]).toHaveLength(2);

      const emitted = quanta(
        'sweep',
        ...PLAN_FLAGS,
        '--out',
        out,
        '--emit',
        'slurm',
        '--array',
        String(TASKS),
      );
      expect(emitted.code, emitted.stderr).toBe(0);
      expect(existsSync(out)).toBe(false);
      const script = join(work, 'sweep.sh');
      writeFileSync(script, emitted.stdout);
      mkdirSync(join(out, 'logs'), { recursive: true }); // as the script's "Submit:" line says
      const submitted = run('sbatch', ['--parsable', script]);
      expect(submitted.code, submitted.stderr).toBe(0);
      jobId = submitted.stdout.trim().split(';')[0];
      expect(jobId).toMatch(/^\d+$/);

      // requeue the task while it trains its second run: its first run is done, the second in flight
      const [first, second] = shards[REQUEUED].map((id) => join(out, 'runs', `${id}.json`));
      for (;;) {
        if (Date.now() - start > DEADLINE_MS)
          throw new Error(`task ${REQUEUED} never got to its second run\n${logs(out)}`);
        const st = tasks().get(REQUEUED);
        if (st === 'RUNNING' && existsSync(first) && !existsSync(second)) break;
        if (existsSync(second) || (st === undefined && existsSync(first)))
          throw new Error(`task ${REQUEUED} finished before it could be requeued\n${logs(out)}`);
        await sleep(100);
      }
      const requeue = run('scontrol', ['requeue', `${jobId}_${REQUEUED}`]);
      expect(requeue.code, requeue.stderr).toBe(0);

      // wait for the whole array (Slurm restarts the requeued task after AuthInfo cred_expire + 1 s)
      for (;;) {
        const left = tasks();
        if (left.size === 0) break;
        const stuck = [...left].filter(
          ([, st]) => !['RUNNING', 'PENDING', 'COMPLETING', 'CONFIGURING'].includes(st),
        );
        if (stuck.length > 0) throw new Error(`tasks in state ${JSON.stringify(stuck)}\n${logs(out)}`);
        if (Date.now() - start > DEADLINE_MS)
          throw new Error(
            `the array did not finish in ${DEADLINE_MS / 1000} s: ${JSON.stringify([...left])}\n${logs(out)}`,
          );
        await sleep(250);
      }
      const slurmSeconds = (Date.now() - start) / 1000;

      // every task ended COMPLETED (jobcomp/filetxt: one line a finished job, requeued attempts included)
      const comp = readFileSync(join(state, 'jobcomp.log'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('Name=quanta-all-quick '));
      const finalStates = comp.map((l) => /JobState=(\S+)/.exec(l)?.[1]);
      expect(
        finalStates.filter((s) => s === 'COMPLETED'),
        logs(out),
      ).toHaveLength(TASKS);
      expect(
        finalStates.filter((s) => !['COMPLETED', 'PENDING', 'REQUEUED'].includes(s ?? '')),
        logs(out),
      ).toEqual([]);

      // each task's log: attempts (the script's first line on stderr) and their JSON outcome lines
      type Outcome = { trained: { id: string }[]; skipped: string[]; failed: unknown[] };
      const trainedBy = new Map<string, string[]>();
      const skippedAfterSilent = new Set<string>();
      for (let t = 0; t < TASKS; t++) {
        const text = readFileSync(join(out, 'logs', `slurm-${jobId}_${t}.out`), 'utf8');
        const attempts: { outcomes: Outcome[] }[] = [];
        for (const line of text.split('\n')) {
          const marker = /^quanta: array task (\d+) of job (\d+), attempt (\d+),/.exec(line);
          if (marker) {
            expect(Number(marker[1])).toBe(t);
            expect(Number(marker[3])).toBe(attempts.length + 1);
            attempts.push({ outcomes: [] });
          } else if (line.startsWith('{')) attempts[attempts.length - 1].outcomes.push(JSON.parse(line));
        }
        expect(attempts.length, text).toBe(t === REQUEUED ? 2 : 1);
        const last = attempts[attempts.length - 1].outcomes;
        expect(last, text).toHaveLength(1);
        expect(last[0].failed, text).toEqual([]);
        expect([...last[0].trained.map((r) => r.id), ...last[0].skipped].sort(), text).toEqual(
          [...shards[t]].sort(),
        );
        attempts.forEach((a, k) => {
          expect(a.outcomes.length, text).toBeLessThanOrEqual(1);
          for (const o of a.outcomes)
            for (const r of o.trained) trainedBy.set(r.id, [...(trainedBy.get(r.id) ?? []), `${t}.${k + 1}`]);
          // an attempt killed before it printed its outcome (no SIGTERM handling): its finished runs show up
          // as already done in the next attempt
          if (a.outcomes.length === 0 && k + 1 < attempts.length)
            for (const o of attempts[k + 1].outcomes) o.skipped.forEach((id) => skippedAfterSilent.add(id));
        });
      }
      for (const id of ids) {
        const by = trainedBy.get(id) ?? [];
        if (by.length === 0)
          expect(skippedAfterSilent.has(id), `${id} was never trained\n${logs(out)}`).toBe(true);
        else expect(by, `${id} trained by task.attempt ${by.join(', ')}`).toHaveLength(1);
      }
      expect([...trainedBy.keys(), ...skippedAfterSilent].sort()).toEqual(ids);

      const fit = quanta('fit', out, '--json');
      expect(fit.code, fit.stderr).toBe(0);

      // the same sweep in one local process: the same records but for timing and createdAt
      const local = join(work, 'local');
      const alone = quanta('sweep', ...PLAN_FLAGS, '--workers', '2', '--json', '--quiet', '--out', local);
      expect(alone.code, alone.stderr).toBe(0);
      expect(JSON.parse(alone.stdout).trained).toHaveLength(ids.length);
      const strip = (path: string) => {
        const record = JSON.parse(readFileSync(path, 'utf8'));
        delete record.timing;
        delete record.createdAt;
        return JSON.stringify(record);
      };
      for (const id of ids) {
        const a = strip(join(out, 'runs', `${id}.json`));
        const b = strip(join(local, 'runs', `${id}.json`));
        expect(a === b, `record ${id} differs from the local sweep's`).toBe(true);
      }
      process.stderr.write(
        `slurm.test: array of ${TASKS} with a requeue in ${slurmSeconds.toFixed(1)} s, ` +
          `all in ${((Date.now() - start) / 1000).toFixed(1)} s\n`,
      );
    }, 150_000);
  });
}
