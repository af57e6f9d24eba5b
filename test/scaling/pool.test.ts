// The worker pool: a run is a pure function of its config (counter-based random numbers), so records are the
// same (log and config; timing and createdAt aside) for 1 and 2 workers, and for 2 shards against none.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { planSweep } from '../../src/scaling/plan.js';
import { runSweep } from '../../src/scaling/sweep.js';
import { tempDirs } from '../temp-dirs.js';
import { TINY } from './tiny-sweep.js';
import type { RunRecord } from '../../src/train/record.js';

const freshDir = tempDirs('pool');

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
