// The README is true: the outputs it shows are what their commands print today (scripts/readme-outputs.mjs runs
// each shown command from a scratch folder with the CLI bundled from the sources and compares the marked
// blocks, timings aside), and every `npx quanta ...` it shows names a real command with real flags.
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { quantaProgram } from '../../src/cli/program.js';
import {
  differences,
  formatDifferences,
  freshOutputs,
  OUTPUTS,
  README,
  readmeBlocks,
  withOutputs,
} from '../../scripts/readme-outputs.mjs';

describe("the README's shown outputs", () => {
  it('are what their commands print today', async () => {
    const outputs = await freshOutputs();
    expect([...outputs.keys()]).toEqual(OUTPUTS.map((o) => o.id));
    const found = differences(readFileSync(README, 'utf8'), outputs);
    expect(found, `${formatDifferences(found)}\n(node scripts/readme-outputs.mjs rewrites them)`).toEqual([]);
  }, 240_000);

  it('differ on a changed line but not on a timing, and are rewritten in place', () => {
    const text = readFileSync(README, 'utf8');
    const blocks = readmeBlocks(text);
    expect(blocks.map((b) => b.id).sort()).toEqual(OUTPUTS.map((o) => o.id).sort());
    const shown = new Map(blocks.map((b) => [b.id, b.body]));
    expect(differences(text, shown)).toEqual([]);
    expect(withOutputs(text, shown)).toBe(text);

    const train = [...shown.get('train')!];
    const timing = train.findIndex((l) => / s \(train [\d.]+ s at /.test(l));
    expect(timing).toBeGreaterThan(0);
    train[timing] = '  99.9 s (train 88.8 s at 1,234 samples/s, eval 11.1 s)';
    const qdg = [...shown.get('qdg')!];
    qdg[1] = qdg[1].replace(/-\d\.\d+/, '-9.999');
    const changed = new Map([...shown, ['train', train], ['qdg', qdg]]);
    const found = differences(text, changed);
    expect(found).toEqual([{ id: 'qdg', lines: [{ line: 2, readme: shown.get('qdg')![1], fresh: qdg[1] }] }]);
    expect(formatDifferences(found)).toContain('readme-output qdg:\n  line 2');

    const rewritten = withOutputs(text, changed);
    const again = new Map(readmeBlocks(rewritten).map((b) => [b.id, b.body]));
    expect(again.get('train')).toEqual(train); // the measured timing is written
    expect(again.get('qdg')).toEqual(qdg);
    expect(rewritten.split('\n').length).toBe(text.split('\n').length);
    // a longer or shorter output replaces the whole block
    const longer = withOutputs(text, new Map([['k8s', ['a', 'b']]]));
    expect(readmeBlocks(longer).find((b) => b.id === 'k8s')!.body).toEqual(['a', 'b']);
    expect(readmeBlocks(longer).find((b) => b.id === 'k8s')!.info).toBe('yaml');
  });

  it('are marked blocks: a marker without its fenced block is refused', () => {
    expect(() => readmeBlocks('<!-- readme-output: x -->\ntext\n<!-- /readme-output -->\n')).toThrow(
      /readme-output x is not a fenced block between its markers/,
    );
    expect(() => readmeBlocks('<!-- readme-output: x -->\n```\nout\n```\n')).toThrow(/not a fenced block/);
    expect(differences('', new Map([['x', ['out']]]))[0].id).toBe('x');
  });
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
