#!/usr/bin/env node
// Turns a results file (default bench/results/latest.json) into the Markdown tables of BENCHMARKS.md.
// Usage: node bench/report.mjs [results.json]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');
const { machine, command, seconds, results } = JSON.parse(readFileSync(file, 'utf8'));

const fmt = (x) => {
  if (x === null || x === undefined) return '';
  if (typeof x !== 'number') return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5) return x.toExponential(2).replace('e+', 'e');
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toPrecision(3);
  return x.toPrecision(2);
};
const cfg = (c) =>
  Object.entries(c ?? {})
    .filter(([k]) => !['nTasks', 'n', 'k', 'alpha'].includes(k))
    .map(([k, v]) => `${k} ${Array.isArray(v) ? (v.length > 6 ? `${v.length} values` : v.join('/')) : v}`)
    .join(', ');

console.log(
  `Machine: ${machine.cpu} (${machine.simdFlags}), ${machine.cores} cores, ${machine.memGiB} GiB, Node ${machine.node}, ${machine.platform}`,
);
console.log(`Date: ${machine.date}. Command: \`${command}\` (${seconds} s).\n`);
console.log('| bench | config | ours | peer | peer name | ratio (x better) | unit | threads | goal | load |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  if (r.skipped && r.ours === undefined) {
    console.log(`| ${r.bench} | ${cfg(r.config)} | skipped: ${r.skipped} | | | | | | | |`);
    continue;
  }
  if (r.error) {
    console.log(`| ${r.bench} | | error: ${r.error.slice(0, 120)} | | | | | | | |`);
    continue;
  }
  const goal = r.goal
    ? `${r.goal}${r.goalMet === undefined ? '' : r.goalMet ? ' met' : ' NOT met'}`
    : r.expected !== undefined
      ? `expected ${r.expected}`
      : '';
  const peer = r.skipped ? `skipped: ${r.skipped}` : fmt(r.peer);
  console.log(
    `| ${r.bench} | ${cfg(r.config)} | ${fmt(r.ours)} | ${peer} | ${r.peerName ?? ''} | ${fmt(r.ratio)} | ${r.unit ?? ''} | ${r.threads ?? ''} | ${goal} | ${fmt(r.loadAverage)} |`,
  );
}
