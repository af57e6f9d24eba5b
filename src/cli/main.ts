#!/usr/bin/env node
// The quanta command line. Each command lives in src/cli/commands/<name>.ts and is registered in ./program.ts.
import { quantaProgram } from './program.js';

await quantaProgram().parseAsync(process.argv);
