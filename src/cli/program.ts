// The quanta command line as a commander program: every command registered (src/cli/main.ts runs it; the
// README test walks it to check that every command the README shows exists with the flags it uses).
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerTrain } from './commands/train.js';
import { registerSweep } from './commands/sweep.js';
import { registerQdg } from './commands/qdg.js';
import { registerToyClusters } from './commands/toy-clusters.js';
import { registerQdgRecovery } from './commands/qdg-recovery.js';
import { registerQuick } from './commands/quick.js';
import { registerTheory } from './commands/theory.js';
import { registerFit } from './commands/fit.js';
import { registerReport } from './commands/report.js';
import { registerLm } from './commands/lm.js';
import { registerTokens } from './commands/tokens.js';

/** The whole `quanta` program, commands registered, exiting with code 2 on a usage error. */
export function quantaProgram(): Command {
  const program = new Command();
  program
    .name('quanta')
    .description('The quantization model of neural scaling on a SIMD WebAssembly core')
    .version(VERSION)
    .configureOutput({
      // one line, as every other bad-input error: `quanta: error: <what> (run with --help for usage)`
      outputError: (str, write) =>
        write(str.startsWith('error:') ? `quanta: ${str.trimEnd()} (run with --help for usage)\n` : str),
    })
    .exitOverride((err) => {
      // commander's usage errors (unknown option, bad value) are bad input: exit code 2.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        process.exit(0);
      process.exit(2);
    });

  registerTrain(program);
  registerSweep(program);
  registerQdg(program);
  registerToyClusters(program);
  registerQdgRecovery(program);
  registerQuick(program);
  registerTheory(program);
  registerFit(program);
  registerReport(program);
  registerLm(program);
  registerTokens(program);
  return program;
}
