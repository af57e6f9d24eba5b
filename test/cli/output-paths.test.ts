// Every output location is checked before any work: a folder where a file goes, a file where a folder goes,
// a dangling symbolic link, an unwritable folder and /proc (where Node's recursive mkdir would spin forever)
// all end in exit 2 with one line, quickly, with nothing written; fits.json and report.html in the way as
// folders are refused before the report writes any CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { planSweep } from '../../src/scaling/plan.js';
import { runSweep } from '../../src/scaling/sweep.js';
import { writeNpy } from '../../src/io/npy.js';
import { useBundledCli } from '../cli-bundle.js';

const bundled = useBundledCli();
let dir = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-outputs-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function quanta(args: string[], asUser?: string) {
  const cmd = asUser ? 'runuser' : process.execPath;
  const full = asUser ? ['-u', asUser, '--', process.execPath, bundled.cli, ...args] : [bundled.cli, ...args];
  const r = spawnSync(cmd, full, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr, timedOut: r.error !== undefined };
}

const TRAIN = [
  'train',
  '--n-tasks',
  '5',
  '--n',
  '10',
  '--width',
  '8',
  '--steps',
  '20',
  '--log-every',
  '10',
  '--batch',
  '32',
  '--quiet',
];
const SWEEP = ['sweep', 'N', '--widths', '8', '--steps', '20', '--quiet'];

function expectRefused(r: ReturnType<typeof quanta>, pattern: RegExp): void {
  expect(r.timedOut, 'hung').toBe(false);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^quanta: error: /);
  expect(lines[0]).toMatch(pattern);
}

describe('output locations', () => {
  it('train, sweep and qdg refuse bad --out before any work, writing nothing', () => {
    const work = join(dir, 'w');
    mkdirSync(join(work, 'adir'), { recursive: true });
    writeFileSync(join(work, 'afile'), 'x');
    symlinkSync('/nonexistent/target.json', join(work, 'dangling.json'));
    const before = readdirSync(work).sort();
    expectRefused(quanta([...TRAIN, '--out', join(work, 'adir')]), /is a folder; give a file name/);
    expectRefused(
      quanta([...TRAIN, '--out', join(work, 'afile', 'r.json')]),
      /afile is a file, not a folder/,
    );
    expectRefused(quanta([...TRAIN, '--out', join(work, 'dangling.json')]), /symbolic link to nothing/);
    expectRefused(quanta([...TRAIN, '--out', '/proc/quanta-x/run.json']), /\/proc does not accept new files/);
    expectRefused(quanta([...SWEEP, '--out', '/proc/quanta-x/s']), /\/proc does not accept new files/);
    expectRefused(quanta([...SWEEP, '--out', join(work, 'afile', 's')]), /afile is a file, not a folder/);
    const sim = join(dir, 'C.npy');
    writeNpy(sim, Float32Array.of(1, 0.5, 0.5, 1), [2, 2]);
    expectRefused(
      quanta(['qdg', '--similarity', sim, '--out', join(work, 'afile', 'sub')]),
      /afile is a file/,
    );
    expectRefused(quanta(['qdg', '--similarity', sim, '--out', '/proc/qq']), /\/proc does not accept/);
    expect(readdirSync(work).sort()).toEqual(before);
    expect(readdirSync(join(work, 'adir'))).toEqual([]);
  });

  it('an unwritable folder is refused (checked by a real write, as a user without root)', () => {
    const id = spawnSync('runuser', ['-u', 'nobody', '--', 'true']);
    if (process.getuid?.() !== 0 || id.status !== 0) {
      // root ignores permission bits; without root or runuser the case cannot be set up here
      return;
    }
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(dir, 0o755);
    chmodSync(dirname(bundled.cli), 0o755); // the bundle, readable by that user
    // ... unless a folder above the clone keeps others out (a clone under `mktemp -d`, mode 0700): the bundle
    // must live in the clone (it resolves its packages from node_modules), so the case cannot be set up
    if (spawnSync('runuser', ['-u', 'nobody', '--', 'test', '-r', bundled.cli]).status !== 0) return;
    chmodSync(ro, 0o555);
    expectRefused(quanta([...TRAIN, '--out', join(ro, 'r.json')], 'nobody'), /ro is not writable/);
    expect(readdirSync(ro)).toEqual([]);
  });

  it('fit and report refuse an output name taken by a folder, before writing anything', async () => {
    const sweep = join(dir, 'sweep');
    await runSweep(planSweep('N', 'quick', { widths: [8, 12], steps: 60, base: { logEvery: 20 } }), sweep, {
      workers: 1,
    });
    mkdirSync(join(sweep, 'fits.json'));
    mkdirSync(join(sweep, 'report.html'));
    expectRefused(quanta(['fit', sweep]), /fits\.json is a folder/);
    expectRefused(quanta(['report', sweep]), /report\.html is a folder/);
    expect(readdirSync(sweep).sort()).toEqual(['fits.json', 'report.html', 'runs', 'sweep.json']);
  });
});
