// `quanta lm qdg` (and `quanta qdg --lm-run DIR`, which is the same with qdg's flags): QDG on the low-loss test
// tokens of one member of a trained language-model family (src/lm/qdg.ts chooses the tokens and makes the
// source, runQdg clusters them, src/lm/qdg-report.ts writes the outputs). Shared by two commands, so it lives
// here rather than in commands/.
import type { Command } from 'commander';
import { getCore } from '../core/arena.js';
import { checkOutputFolder } from '../io/output.js';
import { LM_QDG_LOSS_THRESHOLD, LM_QDG_SAMPLES, planLmQdgSource } from '../lm/qdg.js';
import { writeLmQdgOutputs } from '../lm/qdg-report.js';
import { DEFAULT_N_INIT, type CosineKind, type GradientOf } from '../qdg/config.js';
import { parseWindow } from '../qdg/rank-frequency.js';
import { qdgSummary } from '../qdg/report.js';
import { planQdg, runQdg } from '../qdg/run.js';
import { parseFloatOption, parseIntOption } from './common.js';
import {
  COSINE_HELP,
  LAYERS_HELP,
  parseClusters,
  parseInteger,
  parseLayers,
  parseNumber,
  stageProgress,
} from './qdg-options.js';

export { LM_QDG_SAMPLES };

export interface LmQdgCliOptions {
  run: string;
  width?: number;
  samples: number;
  lossThreshold: number;
  every?: number;
  clusters?: number[] | 'paper';
  nInit: number;
  seed: number;
  window?: string;
  alphaN?: number;
  /** Only `qdg --lm-run` passes it (loss is the only choice for a language model: qdgConfig says so). */
  gradientOf?: GradientOf;
  layers?: string[];
  cosine?: CosineKind;
  showClusters: number;
  json?: boolean;
  quiet?: boolean;
  out: string;
}

export function registerLmQdgOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--run <DIR>', 'a family folder written by quanta lm train')
    .option('--width <int>', 'the member to analyse (default: the largest)', parseIntOption('--width', 1))
    .option(
      '--samples <int>',
      `tokens to cluster (the paper: 10,000)`,
      parseIntOption('--samples', 3),
      LM_QDG_SAMPLES,
    )
    .option(
      '--loss-threshold <nats>',
      'keep test tokens whose loss is below this (the paper: 0.1 nats for Pythia)',
      parseFloatOption('--loss-threshold', 0, Infinity, true),
      LM_QDG_LOSS_THRESHOLD,
    )
    .option(
      '--every <int>',
      'take every k-th candidate (default: spread S over all candidates; the paper: 50)',
      parseIntOption('--every', 1),
    )
    .option(
      '--clusters <list>',
      "cluster counts K, or 'paper' (default: log-spaced from 10 to S/7)",
      parseClusters,
    )
    .option(
      '--n-init <int>',
      'k-means restarts per K (the paper: 30)',
      parseInteger('--n-init'),
      DEFAULT_N_INIT,
    )
    .option('--seed <int>', 'seed of the eigensolver and k-means', parseInteger('--seed'), 0)
    .option(
      '--window <a:b>',
      'ranks of the envelope fit (default [round(S/100)+1, round(S/10)], shrunk to [.., round(2K/3)] ' +
        'when the largest K is below its end)',
    )
    .option(
      '--alpha-n <num>',
      "alpha_N of the predicted slope -(1 + alpha_N) (default: the family's mean-loss scaling exponent)",
      parseNumber('--alpha-n'),
    )
    .option('--layers <list>', LAYERS_HELP, parseLayers)
    .option('--cosine <signed|abs>', `${COSINE_HELP} (default: signed)`)
    .option(
      '--show-clusters <int>',
      'clusters listed with their contexts in the report',
      parseIntOption('--show-clusters', 1, 1000),
      12,
    )
    .option('--json', 'print a JSON summary on stdout')
    .option('--quiet', 'no progress on stderr')
    .requiredOption('--out <DIR>', 'output folder');
}

export async function lmQdgCommand(o: LmQdgCliOptions): Promise<void> {
  // --- validation: the family, the member, the tokens, the output folder, the options and the memory ---
  const lm = planLmQdgSource(o);
  // every output location is checked (kind, folders, a real write probe) before any work
  const out = checkOutputFolder(o.out);
  const core = getCore();
  const plan = planQdg(
    lm.source,
    {
      clusters: o.clusters,
      nInit: o.nInit,
      seed: o.seed,
      window: o.window !== undefined ? parseWindow(o.window) : undefined,
      alphaN: o.alphaN,
      gradientOf: o.gradientOf,
      layers: o.layers,
      cosine: o.cosine,
      keepAffinity: true,
    },
    core,
  );

  // --- work ---
  const result = runQdg(lm.source, plan, stageProgress(!!o.quiet, 'lm qdg'), core);

  // --- outputs ---
  const { analysis, config } = result;
  const { files, purity, skills } = await writeLmQdgOutputs(out, lm, result, o);
  const summary = {
    ...qdgSummary(analysis, out),
    purity,
    ...(skills ? { ariSkills: skills.ariSkills, nmiSkills: skills.nmiSkills, skills } : {}),
    candidates: lm.selection.candidates,
    width: lm.width,
    files,
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  process.stdout.write(
    `lm qdg: ${config.samples} tokens (of ${lm.selection.candidates} candidates), K = ${config.clusters.join(',')}\n` +
      `envelope slope ${analysis.fit.envelopeSlope.toFixed(3)}; predicted -(1 + alpha_N) = ${analysis.predictedSlope.toFixed(3)}\n` +
      `purity at K = ${purity.K}: tag ${purity.tag.toFixed(3)} (random ${purity.tagRandom.toFixed(3)}), ` +
      `predicted token ${purity.token.toFixed(3)} (random ${purity.tokenRandom.toFixed(3)})\n` +
      (skills
        ? `against the true skills at K = ${skills.K}: ARI ${skills.ariSkills.toFixed(3)}, NMI ${skills.nmiSkills.toFixed(3)} ` +
          `(${skills.skillsPresent} skills among the tokens; best ARI ${Math.max(...skills.byK.map((b) => b.ari)).toFixed(3)})\n`
        : '') +
      `wrote ${out}\n`,
  );
}
