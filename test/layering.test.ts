// The layering of src/ (ARCHITECTURE.md, .dependency-cruiser.mjs): no import cycles, and imports only downward,
// cli -> experiments (scaling, qdg, lm, report) -> models (train, parity, theory) -> core (core, io). Checked by
// dependency-cruiser over the real import graph (type-only imports included). A violation that cannot be fixed
// at once goes in ALLOWED with its owner, and comes out when it is fixed (a listed violation that no longer
// occurs fails the test too, so the list cannot go stale).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const CRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.mjs');

interface Violation {
  rule: string;
  from: string;
  to: string;
}

/** Known violations, each `rule from -> to` with the area that owns the fix. None today. */
const ALLOWED: (Violation & { owner: string })[] = [];

/** The violations dependency-cruiser finds in `cwd`/src under the project's rules. */
function violations(cwd: string): Violation[] {
  let out: string;
  try {
    out = execFileSync(process.execPath, [CRUISE, 'src', '--config', CONFIG, '--output-type', 'json'], {
      cwd,
      encoding: 'utf8',
      maxBuffer: 256 * 2 ** 20,
    });
  } catch (e) {
    // exit code = number of errors; the report is still on stdout
    out = (e as { stdout?: string }).stdout ?? '';
    if (!out) throw e;
  }
  const result = JSON.parse(out) as {
    summary: {
      violations: { rule: { name: string }; from: string; to: string; cycle?: { name: string }[] }[];
    };
  };
  return result.summary.violations.map((v) => ({
    rule: v.rule.name,
    from: v.from,
    to: v.cycle ? v.cycle.map((c) => c.name).join(' -> ') : v.to,
  }));
}

const key = (v: Violation) => `${v.rule}: ${v.from} -> ${v.to}`;

describe('layering of src/', () => {
  it('has no import cycle and no upward import (beyond the listed, owned exceptions)', () => {
    const found = violations(ROOT).map(key).sort();
    expect(found).toEqual(ALLOWED.map(key).sort());
  });

  it('the rules catch a cycle, an import of the CLI, an upward import and a twin imported by production', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quanta-layering-'));
    try {
      const files: Record<string, string> = {
        'src/qdg/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'src/qdg/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
        'src/lm/uses-cli.ts': "import { c } from '../cli/c.js';\nexport const d = c;\n",
        'src/cli/c.ts': 'export const c = 1;\n',
        'src/train/up.ts': "import { a } from '../qdg/a.js';\nexport const u = a;\n",
        'src/core/up.ts': "import { t } from '../parity/t.js';\nexport const v = t;\n",
        'src/parity/t.ts': "import { r } from './reference.js';\nexport const t = r;\n",
        'src/parity/reference.ts': 'export const r = 1;\n',
        'tsconfig.json': JSON.stringify({
          compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
          include: ['src/**/*.ts'],
        }),
      };
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      }
      const rules = new Set(violations(dir).map((v) => v.rule));
      expect([...rules].sort()).toEqual([
        'core-imports-above',
        'models-import-experiments',
        'no-cycle',
        'no-import-of-cli',
        'production-imports-twin',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
