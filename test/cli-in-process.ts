// Runs quanta commands inside the test process (no child process, so no build is needed and vi mocks apply):
// a commander program with the given commands registered, stdout and stderr captured, process.exit and
// commander's own exits turned into an exit code (usage errors are bad input, 2, as src/cli/main.ts does).
import { vi } from 'vitest';
import { Command } from 'commander';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** A runner of argument lists through the commands `register` adds to a fresh program. */
export function inProcessCli(
  ...register: ((program: Command) => void)[]
): (args: string[]) => Promise<CliOutcome> {
  return async (args) => {
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Exit(Number(code ?? 0));
    });
    const program = new Command()
      .exitOverride((e) => {
        throw new Exit(e.exitCode === 0 ? 0 : 2);
      })
      .configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s) });
    for (const r of register) r(program);
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
  };
}
