// `quanta sweep ... --out DIR --emit slurm|k8s`: the file that runs a sweep as A shards on a cluster, a Slurm
// job array (an sbatch script) or a Kubernetes indexed Job (YAML). Each task runs `quanta sweep` with the same
// plan flags (rebuilt from the parsed options, so the plan is identical), `--shard i/A` and the shared store
// DIR; its memory comes from taskResources (src/scaling/resources.ts), as --dry-run's does. The files only
// print: nothing is written, and DIR need not exist on the machine that makes them.
import { resolve } from 'node:path';
import { require } from '../core/errors.js';
import { DEFAULT_CHECKPOINT_EVERY, parseDuration } from '../train/checkpoint.js';
import type { SweepPlan } from './plan.js';
import { taskResources } from './resources.js';

export const EMIT_TARGETS = ['slurm', 'k8s'] as const;
export type EmitTarget = (typeof EMIT_TARGETS)[number];

/** The flags that define a plan (as `quanta sweep` parses them). */
export interface PlanFlags {
  preset: string;
  alpha?: number[];
  widths?: number[];
  dataSizes?: number[];
  seeds?: number[];
  steps?: number;
  logEvery?: number;
  dataWidth?: number;
  stopAfterMinimum?: { factor: number; extra: number };
}

/** The parsed `quanta sweep` options the emitter reads. */
export interface EmitFlags extends PlanFlags {
  emit?: string;
  array?: number;
  workers?: number;
  time?: string;
  checkpointEvery?: string;
  out?: string;
  shard?: string;
  dryRun?: boolean;
}

/** Where the tasks find node and the CLI, and the version for the image name. */
export interface EmitContext {
  node: string;
  cli: string;
  version: string;
}

/** Slurm's default MaxArraySize is 1001 (indices 0..1000): the default --array stays within it. */
export const MAX_DEFAULT_ARRAY = 1000;
/** Seconds between the SIGTERM (Slurm's --signal before --time, Kubernetes' grace period) and the kill. */
export const TERM_GRACE_SECONDS = 120;

/** Parses a Slurm time limit `HH:MM:SS` or `D-HH:MM:SS`; returns seconds. */
export function parseTimeLimit(text: string): number {
  const m = /^(?:(\d+)-)?(\d+):([0-5]\d):([0-5]\d)$/.exec(text.trim());
  require(m !== null, `--time must be HH:MM:SS or D-HH:MM:SS (e.g. 12:00:00, 3-00:00:00), got '${text}'`);
  const [days, hours, minutes, seconds] = [m[1] ?? '0', m[2], m[3], m[4]].map(Number);
  const total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
  require(total > 0, `--time must be more than 0, got '${text}'`);
  return total;
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A word as the shell reads it back (single quotes unless it needs none). */
export function shellQuote(word: string): string {
  return SAFE_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `sweep <kind> --preset P [--alpha ..] ...`: the flags that give the same plan, from the parsed options. */
export function planArgs(kind: string, o: PlanFlags): string[] {
  const args = ['sweep', kind, '--preset', o.preset];
  const list = (flag: string, xs: number[] | undefined) => {
    if (xs !== undefined) args.push(flag, xs.map(String).join(','));
  };
  list('--alpha', o.alpha);
  list('--widths', o.widths);
  list('--data-sizes', o.dataSizes);
  list('--seeds', o.seeds);
  if (o.steps !== undefined) args.push('--steps', String(o.steps));
  if (o.logEvery !== undefined) args.push('--log-every', String(o.logEvery));
  if (o.dataWidth !== undefined) args.push('--data-width', String(o.dataWidth));
  if (o.stopAfterMinimum !== undefined) {
    const { factor, extra } = o.stopAfterMinimum;
    args.push('--stop-after-minimum', `${factor},${extra}`);
  }
  return args;
}

interface Emission {
  target: EmitTarget;
  kind: string;
  preset: string;
  runs: number;
  array: number;
  workers: number;
  memoryMiB: number;
  out: string;
  time?: string;
  timeSeconds?: number;
  checkpointEvery: string;
  plan: string[];
  /** The `quanta sweep ... --emit ...` command that made the file. */
  command: string;
}

/** The memory a task asks for, in MiB (rounded up): the `workers` largest runs of the plan at once. */
export function taskMemoryMiB(plan: SweepPlan, workers: number): number {
  const configs = plan.runs.map((r) => r.config);
  return Math.ceil(taskResources(configs, workers).memoryBytes / 2 ** 20);
}

/**
 * The file for `quanta sweep <kind> ... --emit slurm|k8s`, after the checks a sweep makes (the plan is `plan`,
 * already validated) and the emitter's own: throws a ConfigError on a bad combination.
 */
export function emitSweep(kind: string, o: EmitFlags, plan: SweepPlan, context: EmitContext): string {
  require(o.emit !== undefined, o.time !== undefined
    ? '--time goes only with --emit slurm|k8s'
    : '--array goes only with --emit or --dry-run');
  const target = o.emit as EmitTarget;
  require((EMIT_TARGETS as readonly string[]).includes(
    target,
  ), `--emit must be one of ${EMIT_TARGETS.join(', ')}, got '${o.emit}'`);
  require(o.out !== undefined, `--emit ${target} needs --out DIR (the shared store every task writes into)`);
  require(o.shard === undefined, `--emit ${target} sets each task's --shard itself: leave --shard out`);
  require(!o.dryRun, `--emit and --dry-run do not go together (--dry-run --shard 0/A costs one task)`);
  const out = resolve(o.out);
  require(SAFE_WORD.test(out) &&
    !out.includes('%'), `--emit: the --out path goes unquoted into #SBATCH lines and ` +
    `YAML, so it may hold only letters, digits and _ @ + = : , . / -, got '${out}'`);
  const workers = o.workers ?? 1;
  const array = o.array ?? Math.min(MAX_DEFAULT_ARRAY, Math.ceil(plan.runs.length / workers));
  require(array <= plan.runs.length, `--array ${array} is more than the plan's ${plan.runs.length} runs: ` +
    `some tasks would have nothing to do`);
  const timeSeconds = o.time !== undefined ? parseTimeLimit(o.time) : undefined;
  const checkpointEvery = (o.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY).trim();
  parseDuration(checkpointEvery);
  const flags = planArgs(kind, o);
  const command = [
    'quanta',
    ...flags,
    '--out',
    out,
    '--emit',
    target,
    '--array',
    String(array),
    '--workers',
    String(workers),
    ...(o.time !== undefined ? ['--time', o.time.trim()] : []),
    '--checkpoint-every',
    checkpointEvery,
  ]
    .map(shellQuote)
    .join(' ');
  const e: Emission = {
    target,
    kind: plan.kind,
    preset: plan.preset,
    runs: plan.runs.length,
    array,
    workers,
    memoryMiB: taskMemoryMiB(plan, workers),
    out,
    time: o.time?.trim(),
    timeSeconds,
    checkpointEvery,
    plan: flags,
    command,
  };
  return target === 'slurm' ? slurmScript(e, context) : k8sJob(e, context);
}

/** `<node> <cli>` as the default of `${QUANTA:-...}`: word-split, so QUANTA may hold `node /other/main.js`. */
function quantaWord(node: string, cli: string): string {
  return `\${QUANTA:-${shellQuote(node)} ${shellQuote(cli)}}`;
}

function formatMemory(mib: number): string {
  return mib >= 10 * 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${mib} MiB`;
}

/** An sbatch script: a job array of `array` tasks, each `quanta sweep ... --shard $SLURM_ARRAY_TASK_ID/A`. */
function slurmScript(e: Emission, c: EmitContext): string {
  const sweepLine = [
    ...e.plan,
    '--workers',
    '"$SLURM_CPUS_PER_TASK"',
    '--shard',
    `"$SLURM_ARRAY_TASK_ID/${e.array}"`,
    '--checkpoint-every',
    e.checkpointEvery,
    '--json',
    '--quiet',
    '--out',
    e.out,
  ];
  const fit = `${shellQuote(c.node)} ${shellQuote(c.cli)} fit ${e.out} && ${shellQuote(c.node)} ${shellQuote(c.cli)} report ${e.out}`;
  return `#!/bin/bash
# quanta ${c.version}: sweep ${e.kind} --preset ${e.preset} (${e.runs} runs) as a Slurm job array of ${e.array} tasks.
#SBATCH --job-name=quanta-${e.kind}-${e.preset}
#SBATCH --array=0-${e.array - 1}
#SBATCH --cpus-per-task=${e.workers}
#SBATCH --mem=${e.memoryMiB}M
${e.time !== undefined ? `#SBATCH --time=${e.time}\n` : ''}#SBATCH --requeue
#SBATCH --signal=B:TERM@${TERM_GRACE_SECONDS}
#SBATCH --open-mode=append
#SBATCH --output=${e.out}/logs/slurm-%A_%a.out
#
# Made by: ${e.command}
# Submit:  mkdir -p ${e.out}/logs && sbatch THIS_FILE
#   (Slurm opens --output before the script runs: the folder must exist, on the shared file system.)
# Task i runs shard i/${e.array} of the plan (runs i, i + ${e.array}, ... of the sorted run ids) on
#   --cpus-per-task worker threads and writes its records into the shared store.
# --mem: the ${e.workers} largest runs of the plan at once (each worker's Wasm memory and overhead) plus the
#   process's own (src/scaling/resources.ts): ${formatMemory(e.memoryMiB)}.
# Requeue (pre-emption, node failure, \`scontrol requeue\`): Slurm sends SIGTERM, then SIGKILL after its
#   KillWait; on SIGTERM \`quanta sweep\` checkpoints its runs in flight and exits 143. The requeued task
#   skips the finished runs and resumes the others from their checkpoints. Every attempt appends a
#   \`quanta: array task ...\` line and a JSON summary line to the task's log.
# --signal: the same SIGTERM ${TERM_GRACE_SECONDS} s before --time, if there is one. Slurm does not requeue a
#   task that reaches its time limit: submit this file again (finished runs are skipped, the others resume).
# Another checkout or node: QUANTA='/path/to/node /path/to/quanta/dist/cli/main.js' sbatch THIS_FILE
#   (sbatch passes the environment on; QUANTA is split on spaces).
# After the array: sbatch --dependency=afterok:<job id> --wrap "${fit}"
set -euo pipefail
echo "quanta: array task $SLURM_ARRAY_TASK_ID of job \${SLURM_ARRAY_JOB_ID:-?}, attempt $((\${SLURM_RESTART_COUNT:-0} + 1)), on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)" >&2
# exec: the batch shell becomes node, so Slurm's signals reach it
exec ${quantaWord(c.node, c.cli)} ${sweepLine.join(' ')}
`;
}

/** A YAML string (double-quoted, JSON escapes are valid YAML). */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

/** A Kubernetes indexed Job of `array` pods, each `quanta sweep ... --shard $JOB_COMPLETION_INDEX/A`. */
function k8sJob(e: Emission, c: EmitContext): string {
  const name = `quanta-${e.kind.toLowerCase()}-${e.preset}`;
  const image = `quanta:${c.version}`;
  const sweepLine = [
    ...e.plan,
    '--workers',
    String(e.workers),
    '--shard',
    `"$JOB_COMPLETION_INDEX/${e.array}"`,
    '--checkpoint-every',
    e.checkpointEvery,
    '--json',
    '--quiet',
    '--out',
    e.out,
  ];
  const memory = `${e.memoryMiB}Mi`;
  return `# quanta ${c.version}: sweep ${e.kind} --preset ${e.preset} (${e.runs} runs) as a Kubernetes indexed Job of ${e.array} pods.
# Made by: ${e.command}
# Apply:   kubectl apply -f THIS_FILE
#   then:  kubectl wait --for=condition=complete job/${name} --timeout=-1s
# Pod i (JOB_COMPLETION_INDEX) runs shard i/${e.array} of the plan on ${e.workers} worker thread(s) and writes its
#   records into the store, the PersistentVolumeClaim quanta-store mounted at ${e.out} in every pod.
#   It must be ReadWriteMany (NFS, CephFS, EFS, Filestore, ...): all pods write into it at once.
# Image: ${image} is a placeholder for this repository built with \`npm ci\` in /app
#   (FROM node:20-slim, COPY . /app, RUN cd /app && npm ci): push it and put its name here.
# Memory: the ${e.workers} largest runs of the plan at once (each worker's Wasm memory and overhead) plus the
#   process's own (src/scaling/resources.ts): ${formatMemory(e.memoryMiB)}; requests = limits (Guaranteed QoS).
# A failed or evicted pod is retried up to 3 times (backoffLimitPerIndex: Kubernetes 1.29+, restartPolicy
#   Never) and skips the finished runs. On eviction or deletion a pod gets SIGTERM and ${TERM_GRACE_SECONDS} s
#   (terminationGracePeriodSeconds) to checkpoint its runs in flight; its retry resumes them.
# After the Job: one more pod with the volume mounted runs \`quanta fit ${e.out} && quanta report ${e.out}\`.
apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  labels:
    app.kubernetes.io/name: quanta
spec:
  completionMode: Indexed
  completions: ${e.array}
  parallelism: ${e.array}
  backoffLimitPerIndex: 3
  template:
    metadata:
      labels:
        app.kubernetes.io/name: quanta
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: ${TERM_GRACE_SECONDS}
${e.timeSeconds !== undefined ? `      # --time ${e.time}: each pod's limit; the kubelet sends SIGTERM (checkpoint) and the index is retried\n      activeDeadlineSeconds: ${e.timeSeconds}\n` : ''}      containers:
        - name: sweep
          image: ${yamlString(image)}
          command: ["sh", "-c"]
          args:
            - |
              exec ${quantaWord('node', '/app/dist/cli/main.js')} ${sweepLine.join(' ')}
          resources:
            requests:
              cpu: "${e.workers}"
              memory: ${memory}
            limits:
              cpu: "${e.workers}"
              memory: ${memory}
          volumeMounts:
            - name: store
              mountPath: ${e.out}
      volumes:
        - name: store
          persistentVolumeClaim:
            claimName: quanta-store # ReadWriteMany
`;
}
