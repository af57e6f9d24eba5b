// `quanta theory`: the quantization model's predictions for one alpha (exponents, a few L_n values, exact
// and asymptotic) and the Fig. 18 relation alpha_D = alpha_N/(alpha_N+1) against published studies.
import type { Command } from 'commander';
import { alphaRelationTable, predictedExponents } from '../../theory/exponents.js';
import {
  lossConstant,
  lossConstantAsymptotic,
  lossLogCase1,
  lossLogCase1Asymptotic,
  quantaEntropy,
} from '../../theory/quantization.js';
import { zeta } from '../../theory/zeta.js';
import { parseFloatOption, runCommand } from '../common.js';

/** The n at which `quanta theory` prints L_n. */
export const THEORY_NS = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

export function theoryReport(alpha: number) {
  return {
    alpha,
    zeta: zeta(alpha + 1),
    exponents: predictedExponents(alpha),
    entropyNats: quantaEntropy(alpha),
    losses: THEORY_NS.map((n) => ({
      n,
      constant: lossConstant(n, alpha, 0, 1),
      constantAsymptotic: lossConstantAsymptotic(n, alpha, 0, 1),
      logCase1: lossLogCase1(n, alpha),
      logCase1Asymptotic: lossLogCase1Asymptotic(n, alpha),
    })),
    alphaRelation: alphaRelationTable(),
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function formatTheory(t: ReturnType<typeof theoryReport>): string {
  const e = t.exponents;
  const g = (x: number) => x.toPrecision(5);
  const lines = [
    `quantization model, alpha = ${t.alpha} (p_k = k^-(alpha+1) / zeta(alpha+1), zeta(${t.alpha + 1}) = ${g(t.zeta)})`,
    `  alpha_N = alpha             = ${e.alphaN.toFixed(4)}`,
    `  alpha_S = alpha/(alpha+1)   = ${e.alphaS.toFixed(4)}`,
    `  alpha_D = alpha/(alpha+1)   = ${e.alphaD.toFixed(4)}`,
    `  n(D) ~ D^(1/(alpha+1))      : ${e.learnedExponent.toFixed(4)}`,
    `  convergence step ~ p_k^${e.convergenceSlope}`,
    '',
    'L_n in nats, a_k = 0 (exact sum over infinitely many quanta / paper asymptotic form):',
    `  ${pad('n', 9)}${pad('b_k = 1', 26)}b_k = -log p_k`,
    ...t.losses.map(
      (l) =>
        `  ${pad(String(l.n), 9)}${pad(`${g(l.constant)} / ${g(l.constantAsymptotic)}`, 26)}${g(l.logCase1)} / ${g(l.logCase1Asymptotic)}`,
    ),
    `  (entropy of the quanta distribution, L_0 for b_k = -log p_k: ${g(t.entropyNats)} nats)`,
    '',
    'Fig. 18: alpha_D against alpha_N/(alpha_N+1) in published studies (Epoch scaling-law table):',
    `  ${pad('study', 48)}${pad('alpha_N', 9)}${pad('alpha_D', 9)}${pad('predicted', 11)}residual`,
    ...t.alphaRelation.map(
      (r) =>
        `  ${pad(r.study, 48)}${pad(String(r.alphaN), 9)}${pad(String(r.alphaD), 9)}${pad(r.predictedAlphaD.toFixed(3), 11)}${r.residual >= 0 ? '+' : ''}${r.residual.toFixed(3)}`,
    ),
  ];
  return lines.join('\n') + '\n';
}

export function registerTheory(program: Command): void {
  program
    .command('theory')
    .description("the quantization model's predicted exponents, L_n values and the Fig. 18 relation")
    .option(
      '--alpha <num>',
      "the paper's alpha: p_k ~ k^-(alpha+1)",
      parseFloatOption('--alpha', 0, 1000, true),
      0.4,
    )
    .option('--json', 'print JSON instead of text')
    .action((opts: { alpha: number; json?: boolean }) =>
      runCommand(() => {
        const t = theoryReport(opts.alpha);
        process.stdout.write(opts.json ? JSON.stringify(t, null, 1) + '\n' : formatTheory(t));
      }),
    );
}
