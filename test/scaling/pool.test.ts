// The worker pool: a run is a pure function of its config (counter-based random numbers), so records are the
// same (log and config; timing and createdAt aside) for 1 and 2 workers, and for 2 shards against none.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSweep, type SweepOverrides } from '../../src/scaling/plan.js';
import { runSweep } from '../../src/scaling/sweep.js';
import type { RunRecord } from '../../src/train/record.js';

/** A tiny sweep: 3 widths and 2 dataset sizes of a 10-subtask task, a few hundred steps each. */
const TINY: SweepOverrides = {
  base: {
    nTasks: 10,
    n: 12,
    k: 3,
    batch: 200,
    steps: 300,
    logEvery: 50,
    testPoints: 2000,
    testPointsPerTask: 50,
  },
  widths: [8, 12, 16],
  dataSizes: [400, 1500],
  dataWidth: 16,
  alphas: [0.4],
  seeds: [0],
};

const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'quanta-pool-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Every record of a store without its timing and creation time. */
function records(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of readdirSync(join(dir, 'runs')).sort()) {
    const r = JSON.parse(readFileSync(join(dir, 'runs', f), 'utf8')) as Partial<RunRecord>;
    delete r.timing;
    delete r.createdAt;
    out[f] = r;
  }
  return out;
}

describe('training pool', () => {
  const plan = planSweep('all', 'quick', TINY);

  it('gives identical records with 1 and 2 workers', async () => {
    const one = freshDir();
    const two = freshDir();
    const a = await runSweep(plan, one, { workers: 1 });
    const b = await runSweep(plan, two, { workers: 2 });
    expect(a.failed).toEqual([]);
    expect(b.failed).toEqual([]);
    expect(a.trained).toHaveLength(5);
    expect(b.workers).toBe(2);
    const ra = records(one);
    expect(Object.keys(ra)).toHaveLength(5);
    expect(records(two)).toEqual(ra);
    // the runs learned something and the logs are whole
    const r = ra['N-a0.4-w16-s0.json'] as RunRecord;
    expect(r.log.steps).toEqual([0, 50, 100, 150, 200, 250]);
    expect(r.log.subtaskLoss[0]).toHaveLength(10);
    expect(readFileSync(join(one, 'sweep.json'), 'utf8')).toBe(readFileSync(join(two, 'sweep.json'), 'utf8'));
  });

  it('gives identical records and sweep.json for 2 shards into one store and for no shards', async () => {
    const whole = freshDir();
    const shared = freshDir();
    await runSweep(plan, whole, { workers: 2 });
    const s0 = await runSweep(plan, shared, { workers: 1, shard: { index: 0, count: 2 } });
    const planAfterFirst = readFileSync(join(shared, 'sweep.json'), 'utf8');
    const s1 = await runSweep(plan, shared, { workers: 1, shard: { index: 1, count: 2 } });
    expect(s0.inShard + s1.inShard).toBe(plan.runs.length);
    expect(s0.trained.length + s1.trained.length).toBe(plan.runs.length);
    const ids0 = s0.trained.map((r) => r.id);
    expect(s1.trained.every((r) => !ids0.includes(r.id))).toBe(true);
    expect(readFileSync(join(shared, 'sweep.json'), 'utf8')).toBe(planAfterFirst);
    expect(planAfterFirst).toBe(readFileSync(join(whole, 'sweep.json'), 'utf8'));
    expect(records(shared)).toEqual(records(whole));
  });
});
