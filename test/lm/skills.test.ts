// The skills language (src/lm/skills.ts): a pure function of (seed, position), labels that follow from the
// generation rules, the paper's alpha convention, the parity design of the cue halves, and bad configs refused.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../src/core/errors.js';
import {
  bandSizes,
  DEFAULT_SKILLS_LANGUAGE,
  skillsVocabSize,
  SkillsLanguage,
  TokenClass,
  TokenKind,
  validateSkillsLanguage,
  zipfProbabilities,
  type SkillsLanguageConfig,
} from '../../src/lm/skills.js';

const SMALL: SkillsLanguageConfig = {
  ...DEFAULT_SKILLS_LANGUAGE,
  answers: 64,
  monogenic: 40,
  bands: 4,
  block: 16,
  monogenicShare: 0.4,
  polygenicShare: 0.2,
};

describe('the skills language', () => {
  it('is position-addressable: any slice equals the same slice of a longer stream, for any seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        (seed, start, length, before, after) => {
          const lang = new SkillsLanguage({ ...SMALL, seed });
          const s = lang.slice(start, length);
          const from = Math.max(0, start - before);
          const long = lang.slice(from, length + (start - from) + after);
          const at = start - from;
          expect(Array.from(s.ids)).toEqual(Array.from(long.ids.subarray(at, at + length)));
          expect(Array.from(s.cls)).toEqual(Array.from(long.cls.subarray(at, at + length)));
          expect(Array.from(s.skill)).toEqual(Array.from(long.skill.subarray(at, at + length)));
          expect(Array.from(s.bayes)).toEqual(Array.from(long.bayes.subarray(at, at + length)));
          const G = SMALL.bands;
          expect(Array.from(s.families)).toEqual(
            Array.from(long.families.subarray(at * G, (at + length) * G)),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is a pure function of its seed: two builds agree, another seed differs', () => {
    const a = new SkillsLanguage(SMALL).slice(0, 4000);
    const b = new SkillsLanguage({ ...SMALL }).slice(0, 4000);
    expect(Array.from(a.ids)).toEqual(Array.from(b.ids));
    const c = new SkillsLanguage({ ...SMALL, seed: 1 }).slice(0, 4000);
    expect(Array.from(c.ids)).not.toEqual(Array.from(a.ids));
  });

  it("uses the paper's alpha: p_k is proportional to k^-(alpha+1), sums to 1 and falls", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 500 }),
        fc.double({ min: 0.05, max: 3, noNaN: true }),
        (K, alpha) => {
          const p = zipfProbabilities(K, alpha);
          expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
          for (let k = 1; k < K; k++) expect(p[k]).toBeLessThan(p[k - 1]);
          expect(p[0] / p[1]).toBeCloseTo(2 ** (alpha + 1), 9);
        },
      ),
    );
    // and the stream uses them: the share of skill-0 triggers among triggers is p_1
    const lang = new SkillsLanguage(SMALL);
    const t = lang.slice(0, 200_000);
    let triggers = 0;
    let first = 0;
    for (let i = 0; i < t.ids.length; i++) {
      if (t.kind[i] !== TokenKind.trigger) continue;
      triggers++;
      if (t.skill[i] === 0) first++;
    }
    const p1 = lang.skillProbabilities[0];
    expect(Math.abs(first / triggers - p1)).toBeLessThan(4 * Math.sqrt((p1 * (1 - p1)) / triggers));
  });

  it('labels follow the generation rules', () => {
    const lang = new SkillsLanguage(SMALL);
    const G = SMALL.bands;
    const A = SMALL.answers;
    const t = lang.slice(0, 40_000);
    const answerOfTrigger = new Map<number, number>();
    const broken: string[] = [];
    const check = (ok: boolean, what: string, i: number) => {
      if (!ok && broken.length < 5) broken.push(`${what} at ${i}`);
    };
    let mono = 0;
    let poly = 0;
    for (let i = 0; i < t.ids.length; i++) {
      const kind = t.kind[i];
      check((t.cls[i] === TokenClass.monogenic) === (kind === TokenKind.monogenic), 'monogenic class', i);
      check((t.cls[i] === TokenClass.polygenic) === (kind === TokenKind.polygenic), 'polygenic class', i);
      check(t.bayes[i] >= 0, 'Bayes loss >= 0', i);
      if (kind === TokenKind.monogenic) {
        mono++;
        // a monogenic answer is a function of its trigger, the token just before it
        const k = t.skill[i];
        check(t.kind[i - 1] === TokenKind.trigger && t.ids[i - 1] === lang.triggerId(k), 'trigger before', i);
        check(t.skill[i - 1] === k, 'trigger skill', i);
        check(t.ids[i] === lang.skillAnswerId(k), 'answer of the skill', i);
        const seen = answerOfTrigger.get(t.ids[i - 1]);
        check(seen === undefined || seen === t.ids[i], 'same answer after the same trigger', i);
        answerOfTrigger.set(t.ids[i - 1], t.ids[i]);
        check(t.bayes[i] === 0, 'monogenic Bayes loss 0', i);
      }
      if (kind === TokenKind.polygenic) {
        poly++;
        // one cue of each band in order before it, each naming the side of the answer's half
        const y = t.ids[i] - lang.answerBase;
        for (let g = 0; g < G; g++) {
          const j = t.families[i * G + g];
          const c = i - G + g;
          check(lang.familyBand[j] === g, 'band order', i);
          check(t.kind[c] === TokenKind.cue && t.skill[c] === j, 'cue family', i);
          check(t.ids[c] === lang.cueId(j, lang.side(j, y)), 'cue side', i);
          check(lang.inHalf[j * A + y] === lang.side(j, y), 'half table', i);
        }
        // independent parity checks leave exactly A / 2^G answers
        check(Math.abs(t.bayes[i] - Math.log(A / 2 ** G)) < 1e-12, 'polygenic Bayes loss', i);
      } else {
        for (let g = 0; g < G; g++) check(t.families[i * G + g] === -1, 'no families', i);
      }
    }
    expect(broken).toEqual([]);
    expect(mono).toBeGreaterThan(1000);
    expect(poly).toBeGreaterThan(300);
  });

  it('cues of different bands are independent parity checks: any m bands leave A / 2^m answers', () => {
    const lang = new SkillsLanguage(SMALL);
    const A = SMALL.answers;
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: SMALL.bands, maxLength: SMALL.bands }),
        fc.array(fc.boolean(), { minLength: SMALL.bands, maxLength: SMALL.bands }),
        fc.integer({ min: 0, max: A - 1 }),
        (picks, use, y) => {
          const fams = picks
            .map((p, g) => lang.bandStart[g] + (p % lang.bandSizes[g]))
            .filter((_, g) => use[g]);
          let left = 0;
          for (let v = 0; v < A; v++) if (fams.every((j) => lang.side(j, v) === lang.side(j, y))) left++;
          expect(left).toBe(A / 2 ** fams.length);
        },
      ),
    );
    // each half holds exactly half of the answers
    for (let j = 0; j < lang.families; j++) {
      let n = 0;
      for (let y = 0; y < A; y++) n += lang.inHalf[j * A + y];
      expect(n).toBe(A / 2);
    }
  });

  it('lays the vocabulary out as documented and names every token', () => {
    const lang = new SkillsLanguage(DEFAULT_SKILLS_LANGUAGE);
    expect(lang.vocabSize).toBe(skillsVocabSize(DEFAULT_SKILLS_LANGUAGE));
    const d = DEFAULT_SKILLS_LANGUAGE;
    expect(lang.vocabSize).toBe(1 + d.answers + 2 * d.monogenic + 2 * Math.max(...bandSizes(d)));
    expect(lang.tokenName(lang.skillAnswerId(3))).toBe('M003');
    expect(lang.tokenName(0)).toBe('<pad>');
    expect(lang.tokenName(lang.answerId(17))).toBe('Y017');
    expect(lang.tokenName(lang.triggerId(5))).toBe('T005');
    const j = lang.bandStart[2] + 1;
    expect(lang.tokenName(lang.cueId(j, 1))).toBe('C001+');
    expect(lang.tokenName(lang.cueId(j, 0))).toBe('C001-');
  });

  it('refuses configs it cannot build, naming the flag', () => {
    const bad = (c: Partial<SkillsLanguageConfig>, re: RegExp) => {
      expect(() => validateSkillsLanguage({ ...DEFAULT_SKILLS_LANGUAGE, ...c })).toThrow(ConfigError);
      expect(() => validateSkillsLanguage({ ...DEFAULT_SKILLS_LANGUAGE, ...c })).toThrow(re);
    };
    bad({ answers: 200 }, /--answers must be a power of 2/);
    bad({ monogenic: 5000 }, /--monogenic-skills/);
    bad({ bands: 9 }, /--bands must be at most/);
    bad({ bandGrowth: 4 }, /cue band \d needs \d+ families/);
    bad({ alpha: 0 }, /--alpha/);
    bad({ monogenicShare: 0.9, polygenicShare: 0.2 }, /must be <= 1/);
    bad({ block: 4 }, /--block/);
  });
});
