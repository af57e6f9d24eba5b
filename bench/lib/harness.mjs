// The benchmark harness: machine description, robust statistics, alternating repetitions of ours against
// peers, and the JSON records every benchmark prints (one object per measurement, one line each).
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

/** CPU model (from /proc/cpuinfo where it exists), logical cores, memory, node version and the date. */
export function machineInfo() {
  let cpu = cpus()[0]?.model ?? 'unknown';
  let flags = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /model name\s*:\s*(.*)/.exec(info)?.[1]?.trim() ?? cpu;
    const f = /flags\s*:\s*(.*)/.exec(info)?.[1] ?? '';
    flags = ['avx2', 'fma', 'avx512f'].filter((x) => f.split(' ').includes(x)).join(',');
  } catch {
    // not Linux: os.cpus() is all we have
  }
  return {
    cpu,
    simdFlags: flags,
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}

export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median absolute deviation relative to the median: a noise figure for a set of repetitions. */
export function relativeSpread(xs) {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m))) / m;
}

/** Least-squares slope of log y on log x: the growth exponent of a log-log table. */
export function logLogSlope(xs, ys) {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
}

/** Seconds taken by `fn` (which may be async). If it returns a number of seconds, that figure is used. */
async function timeOnce(fn) {
  const t0 = performance.now();
  const r = await fn();
  const wall = (performance.now() - t0) / 1000;
  return typeof r === 'number' ? r : wall;
}

/**
 * Runs ours and every peer in turn, `warmup` untimed rounds then `reps` timed rounds, alternating within each
 * round (ours, peer1, peer2, ..., then the next round starts with the next one in the rotation), so that a
 * slow spell of a shared machine hits all of them alike. Each entry is a function returning nothing (wall
 * time is measured) or its own measured seconds (peers in another process time themselves, without IPC).
 * Returns the seconds of every repetition per name, and their medians.
 */
export async function alternate(contenders, { warmup = 1, reps = 5 } = {}) {
  const names = Object.keys(contenders);
  const seconds = Object.fromEntries(names.map((n) => [n, []]));
  // a contender that fails (a peer process that dies, runs out of memory, ...) drops out with its message,
  // and the others go on: a failing peer is a skip line, never a failed benchmark
  const errors = {};
  for (let round = 0; round < warmup + reps; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      if (errors[name]) continue;
      try {
        const s = await timeOnce(contenders[name]);
        if (round >= warmup) seconds[name].push(s);
      } catch (e) {
        errors[name] = `${name} failed: ${String(e?.message ?? e).split('\n')[0]}`;
        console.error(`bench: ${errors[name]}`);
      }
    }
  }
  const medians = Object.fromEntries(
    names.filter((n) => !errors[n] && seconds[n].length > 0).map((n) => [n, median(seconds[n])]),
  );
  return { seconds, medians, errors };
}

/** Repetitions until `minSeconds` of work: how many calls of `fn` make one timed repetition. */
export async function calibrate(fn, minSeconds = 0.3, maxCalls = 1e6) {
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    const s = (performance.now() - t0) / 1000;
    if (s >= minSeconds || calls >= maxCalls) return calls;
    calls = Math.min(
      maxCalls,
      Math.max(calls * 2, Math.ceil((calls * minSeconds * 1.2) / Math.max(s, 1e-6))),
    );
  }
}

export function round(x, digits = 4) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x ?? null;
  if (x === 0) return 0;
  const p = Math.pow(10, digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Math.round(x * p) / p;
}

/**
 * One measurement record. `ratio` is always "how many times better ours is": ours/peer for a rate unit
 * (samples/s, GB/s, ...), peer/ours for a time unit ("s").
 */
export function measurement(ctx, { bench, config, ours, peer, peerName, unit, threads, extra = {} }) {
  const isTime = unit === 's';
  const ratio =
    ours === null || peer === null || ours === undefined || peer === undefined
      ? null
      : isTime
        ? peer / ours
        : ours / peer;
  return {
    bench,
    config,
    ours: round(ours),
    peer: round(peer),
    peerName,
    ratio: round(ratio, 3),
    unit,
    threads,
    ...extra,
    // the 1-minute load average when the figure was taken: above the core count, other work shared the CPU
    loadAverage: round(loadavg()[0], 3),
    machine: ctx.machine,
  };
}
