// `quanta lm corpus --kind skills`: prints (or writes) any slice of the skills language's stream with every
// token's ground truth (src/lm/skills.ts), and the language options that `lm train --corpus skills` shares.
import type { Command } from 'commander';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { require } from '../../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic.js';
import { checkOutputFolder } from '../../io/output.js';
import { toCsv } from '../../report/csv.js';
import {
  DEFAULT_SKILLS_LANGUAGE,
  SkillsLanguage,
  TOKEN_CLASS_NAMES,
  TOKEN_KIND_NAMES,
  validateSkillsLanguage,
  type SkillsLanguageConfig,
} from '../../lm/skills.js';
import { parseFloatOption, parseIntOption, runCommand } from '../common.js';

/** The language flags (`lm corpus`, `lm train --corpus skills`), their names and defaults. */
export interface LanguageCliOptions {
  languageSeed: number;
  alpha: number;
  answers: number;
  monogenicSkills: number;
  bands: number;
  firstBand: number;
  bandGrowth: number;
  monogenicShare: number;
  polygenicShare: number;
  block: number;
}

/** Flag name of each language field (for "given on the command line" checks). */
export const LANGUAGE_FLAGS: Record<keyof LanguageCliOptions, string> = {
  languageSeed: '--language-seed',
  alpha: '--alpha',
  answers: '--answers',
  monogenicSkills: '--monogenic-skills',
  bands: '--bands',
  firstBand: '--first-band',
  bandGrowth: '--band-growth',
  monogenicShare: '--monogenic-share',
  polygenicShare: '--polygenic-share',
  block: '--block',
};

export function registerLanguageOptions(cmd: Command): Command {
  const d = DEFAULT_SKILLS_LANGUAGE;
  return cmd
    .option(
      '--language-seed <int>',
      'seed of the skills language (its answers, cue halves and stream)',
      parseIntOption('--language-seed'),
      d.seed,
    )
    .option(
      '--alpha <num>',
      "the paper's alpha: monogenic skill k is used with probability ~ k^-(alpha+1)",
      parseFloatOption('--alpha'),
      d.alpha,
    )
    .option(
      '--answers <int>',
      'polygenic answer alphabet |Y| (a power of 2; also the filler alphabet)',
      parseIntOption('--answers'),
      d.answers,
    )
    .option(
      '--monogenic-skills <int>',
      'monogenic skills K (each its own trigger T_k and answer token M_k)',
      parseIntOption('--monogenic-skills'),
      d.monogenic,
    )
    .option(
      '--bands <int>',
      'cue bands G: a polygenic answer follows one cue of each band',
      parseIntOption('--bands'),
      d.bands,
    )
    .option('--first-band <int>', 'cue families in band 0', parseIntOption('--first-band'), d.firstBand)
    .option(
      '--band-growth <num>',
      'band g holds first-band * growth^g families (each used 1/size as often)',
      parseFloatOption('--band-growth'),
      d.bandGrowth,
    )
    .option(
      '--monogenic-share <num>',
      'probability that an episode is monogenic',
      parseFloatOption('--monogenic-share'),
      d.monogenicShare,
    )
    .option(
      '--polygenic-share <num>',
      'probability that an episode is polygenic',
      parseFloatOption('--polygenic-share'),
      d.polygenicShare,
    )
    .option(
      '--block <int>',
      'tokens per block (a block is a pure function of the seed and its index)',
      parseIntOption('--block'),
      d.block,
    );
}

export function languageConfig(o: LanguageCliOptions): SkillsLanguageConfig {
  const c: SkillsLanguageConfig = {
    seed: o.languageSeed,
    alpha: o.alpha,
    answers: o.answers,
    monogenic: o.monogenicSkills,
    bands: o.bands,
    firstBand: o.firstBand,
    bandGrowth: o.bandGrowth,
    monogenicShare: o.monogenicShare,
    polygenicShare: o.polygenicShare,
    block: o.block,
  };
  validateSkillsLanguage(c);
  return c;
}

/** Tokens `lm corpus` shows or writes at once. */
export const MAX_CORPUS_LENGTH = 200_000;

interface CorpusCliOptions extends LanguageCliOptions {
  kind: string;
  start: number;
  length: number;
  json?: boolean;
  out?: string;
}

/** A slice's rows: position, token, its truth. */
export function corpusRows(lang: SkillsLanguage, start: number, length: number) {
  const t = lang.slice(start, length);
  const G = lang.config.bands;
  return Array.from(t.ids, (id, i) => ({
    position: start + i,
    id,
    token: lang.tokenName(id),
    class: TOKEN_CLASS_NAMES[t.cls[i]],
    kind: TOKEN_KIND_NAMES[t.kind[i]],
    skill: t.skill[i],
    families: Array.from(t.families.subarray(i * G, (i + 1) * G)).filter((f) => f >= 0),
    bayes: Number(t.bayes[i].toFixed(6)),
  }));
}

/** The language's fixed parts, as language.json and --json show them. */
export function languageSummary(lang: SkillsLanguage) {
  return {
    config: lang.config,
    vocabSize: lang.vocabSize,
    tokenIds: {
      pad: lang.pad,
      answers: [lang.answerBase, lang.skillAnswerBase - 1],
      skillAnswers: [lang.skillAnswerBase, lang.triggerBase - 1],
      triggers: [lang.triggerBase, lang.cueBase - 1],
      cues: [lang.cueBase, lang.vocabSize - 1],
    },
    skillProbabilities: Array.from(lang.skillProbabilities),
    bandSizes: lang.bandSizes,
    cueFamilies: Array.from({ length: lang.families }, (_, j) => ({
      family: j,
      band: lang.familyBand[j],
      tokens: [lang.tokenName(lang.cueId(j, 0)), lang.tokenName(lang.cueId(j, 1))],
      parity: lang.parity[j],
      sign: lang.paritySign[j],
    })),
  };
}

async function corpusCommand(o: CorpusCliOptions): Promise<void> {
  require(o.kind === 'skills', `--kind must be skills (the one generated corpus), got '${o.kind}'`);
  // the generator makes any slice (src/lm/skills.ts); the command keeps what it prints or writes in memory
  require(o.length <= MAX_CORPUS_LENGTH, `--length must be at most ${MAX_CORPUS_LENGTH}, got ${o.length}`);
  const lang = new SkillsLanguage(languageConfig(o));
  const out = o.out === undefined ? undefined : checkOutputFolder(o.out);
  const rows = corpusRows(lang, o.start, o.length);
  const summary = languageSummary(lang);
  if (out !== undefined) {
    mkdirSync(out, { recursive: true });
    writeFileAtomic(
      join(out, 'corpus.csv'),
      toCsv(rows.map((r) => ({ ...r, families: r.families.join(' ') }))),
    );
    writeJsonAtomic(join(out, 'language.json'), summary);
  }
  if (o.json) {
    process.stdout.write(JSON.stringify({ language: summary, tokens: rows, ...(out ? { out } : {}) }) + '\n');
    return;
  }
  const c = lang.config;
  const mean = rows.reduce((a, r) => a + r.bayes, 0) / Math.max(1, rows.length);
  const lines = rows.map((r) => {
    const what =
      r.kind === 'monogenic'
        ? `skill ${r.skill}`
        : r.kind === 'trigger'
          ? `trigger of skill ${r.skill}`
          : r.kind === 'cue'
            ? `cue of family ${r.skill}`
            : r.kind === 'polygenic'
              ? `families ${r.families.join(',')}`
              : '';
    return `${String(r.position).padStart(9)}  ${r.token.padEnd(6)}  ${r.class.padEnd(11)}  ${what.padEnd(26)}  ${r.bayes.toFixed(3)}`;
  });
  process.stdout.write(
    `skills language (seed ${c.seed}, alpha ${c.alpha}): V = ${lang.vocabSize}, ${c.monogenic} monogenic skills ` +
      `(p_1 = ${lang.skillProbabilities[0].toFixed(4)}), ${lang.families} cue families in bands of ${lang.bandSizes.join('/')}\n` +
      `${' '.repeat(4)}position  token   class        skill(s)                    bayes (nats)\n` +
      lines.join('\n') +
      `\nmean Bayes loss of tokens ${o.start}..${o.start + o.length - 1}: ${mean.toFixed(4)} nats` +
      (out ? `; wrote ${join(out, 'corpus.csv')} and language.json` : '') +
      '\n',
  );
}

export function registerLmCorpus(lm: Command): void {
  registerLanguageOptions(
    lm
      .command('corpus')
      .description(
        "print or write a slice of a generated corpus with every token's ground truth (class, skill, Bayes loss)",
      )
      .requiredOption(
        '--kind <kind>',
        'the corpus: skills (a language whose every token has a known quantum)',
      ),
  )
    .option('--start <int>', 'first stream position', parseIntOption('--start', 0), 0)
    .option('--length <int>', 'tokens to show', parseIntOption('--length', 0), 64)
    .option('--json', 'print { language, tokens } as JSON on stdout')
    .option('--out <DIR>', 'also write corpus.csv and language.json into DIR')
    .action(async (o: CorpusCliOptions) => runCommand(() => corpusCommand(o)));
}
