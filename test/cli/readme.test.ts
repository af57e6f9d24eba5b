// The README's sample `npx quanta train` output is what the code prints today: the default run is trained and
// its summary compared with the README's block line by line (the timing line and the record's folder aside).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerTrain } from '../../src/cli/commands/train.js';
import { quantaProgram } from '../../src/cli/program.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-readme-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The code block that follows the README's line holding `marker`. */
function blockAfter(marker: string): string[] {
  const lines = readFileSync('README.md', 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes(marker));
  expect(at, `README line with ${marker}`).toBeGreaterThanOrEqual(0);
  const open = lines.findIndex((l, i) => i > at && l.startsWith('```'));
  const close = lines.findIndex((l, i) => i > open && l.startsWith('```'));
  return lines.slice(open + 1, close);
}

/** Lines that differ by machine or folder: the timing line, and the record's path. */
const comparable = (lines: string[]) =>
  lines
    .filter((l) => !/^ {2}[\d.]+ s \(train /.test(l))
    .map((l) => l.replace(/run record: .*\/quanta-out\/run\.json/, 'run record: DIR/quanta-out/run.json'));

describe('README', () => {
  it('shows the output `npx quanta train` prints today', async () => {
    let stdout = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const program = new Command().exitOverride();
      registerTrain(program);
      await program.parseAsync(['train', '--quiet', '--out', join(dir, 'quanta-out', 'run.json')], {
        from: 'user',
      });
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    const printed = stdout.trimEnd().split('\n');
    expect(comparable(printed)).toEqual(comparable(blockAfter('`npx quanta train` printed')));
  }, 180_000);
});

/** Every `npx quanta ...` command line in the README (inline code or a code block), up to a comment or `&&`. */
function readmeCommands(): string[] {
  const text = readFileSync('README.md', 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/npx quanta ([^`\n#&]*)/g)) out.push(m[1].trim());
  return out;
}

describe("the README's commands", () => {
  it('name commands that exist, with flags those commands take', () => {
    const program = quantaProgram();
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThan(15);
    const problems: string[] = [];
    for (const line of commands) {
      const words = line.split(/\s+/).filter(Boolean);
      let cmd: Command = program;
      let i = 0;
      for (; i < words.length; i++) {
        const sub = cmd.commands.find((c) => c.name() === words[i]);
        if (!sub) break;
        cmd = sub;
      }
      if (cmd === program) {
        if (words.length && words[0] !== '...') problems.push(`${line}: no command "${words[0]}"`);
        continue;
      }
      for (const w of words.slice(i)) {
        if (!w.startsWith('--')) continue;
        const flag = w.split('=')[0];
        if (flag === '--help' || flag === '--version') continue;
        const known = (c: Command | null): boolean =>
          c !== null && (c.options.some((o) => o.long === flag) || known(c.parent));
        if (!known(cmd)) problems.push(`${line}: ${cmd.name()} has no option ${flag}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
