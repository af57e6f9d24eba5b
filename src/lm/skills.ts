// The skills language (`quanta lm corpus --kind skills`): a synthetic token stream whose every token has a known
// quantum, a stand-in for the Pile in the paper's language-model analyses (SPEC.md section 5). The README's
// "The skills language" section is its specification; in short:
//
//   vocabulary   <pad> | answers Y_0..Y_{A-1} | skill answers M_0..M_{K-1} | triggers T_0..T_{K-1} | cue tokens
//   stream       blocks of `block` tokens; block b is a pure function of (language seed, b): episodes drawn one
//                after another until the block is full (an episode that does not fit becomes one filler token)
//   episodes     monogenic  T_k M_k                     skill k ~ Zipf: p_k proportional to k^-(alpha+1)
//                polygenic  C_{j1} ... C_{jG} y         y uniform over Y; cue g from band g; C_j+ iff y in H_j
//                filler     f                           f uniform over Y
//
// A monogenic answer M_k is a function of its trigger alone (one skill: the fact "T_k -> M_k"); a polygenic answer
// is narrowed by G cue facts ("C_j+ -> y in H_j", H_j a random half of Y), one from each band, the bands holding
// families of geometrically falling use, so that each polygenic token depends on G partial skills spread over a wide
// range of frequencies. Everything else (filler, triggers, cues) is irreducible. Every token carries its class, its
// skill(s) and its exact Bayes loss given the full past (the loss no model can beat).
//
// Randomness: a 32-bit counter-based hash of (language seed, block, draw), so any block can be made on its own,
// in any order, by any worker (the data is not a kernel's and is cheap next to training; no Wasm needed).
import { require, requireInt, requireNumber } from '../core/errors.js';

export interface SkillsLanguageConfig {
  /** Language seed: fixes the skills' answers, the cue halves and the stream. */
  seed: number;
  /** The paper's alpha: monogenic skill k is used with probability proportional to k^-(alpha + 1). */
  alpha: number;
  /** Answer alphabet |Y| of polygenic answers (also the filler alphabet). */
  answers: number;
  /** Monogenic skills K, each with its own trigger T_k and its own answer token M_k. */
  monogenic: number;
  /** Cue bands G: a polygenic answer is preceded by one cue from each band. */
  bands: number;
  /** Families in band 0; band g holds round(firstBand * bandGrowth^g) families (each used 1/size as often). */
  firstBand: number;
  bandGrowth: number;
  /** Episode mix: probabilities of drawing a monogenic, a polygenic and a filler episode (they sum to 1). */
  monogenicShare: number;
  polygenicShare: number;
  /** Tokens per block. */
  block: number;
}

export const DEFAULT_SKILLS_LANGUAGE: SkillsLanguageConfig = Object.freeze({
  seed: 0,
  alpha: 0.4,
  answers: 256,
  monogenic: 128,
  bands: 8,
  firstBand: 1,
  bandGrowth: 2,
  monogenicShare: 0.3,
  polygenicShare: 0.35,
  block: 32,
});

/** Token classes (the ground truth of `quanta tokens`). */
export const TokenClass = { irreducible: 0, monogenic: 1, polygenic: 2 } as const;
export type TokenClassName = keyof typeof TokenClass;
export const TOKEN_CLASS_NAMES: TokenClassName[] = ['irreducible', 'monogenic', 'polygenic'];
/** What an irreducible token is (its class says it cannot be learned). */
export const TokenKind = { filler: 0, trigger: 1, cue: 2, monogenic: 3, polygenic: 4 } as const;
export const TOKEN_KIND_NAMES = ['filler', 'trigger', 'cue', 'monogenic', 'polygenic'] as const;

/** Throws a ConfigError naming the first bad field. */
export function validateSkillsLanguage(c: SkillsLanguageConfig): void {
  requireInt(c.seed, '--language-seed', 0, 2 ** 31 - 1);
  requireNumber(c.alpha, '--alpha', 0, 10, true);
  requireInt(c.answers, '--answers', 4, 4096);
  require(Number.isInteger(
    Math.log2(c.answers),
  ), `--answers must be a power of 2 (cue halves are parities of its bits), got ${c.answers}`);
  requireInt(c.monogenic, '--monogenic-skills', 1, 4096);
  requireInt(c.bands, '--bands', 1, 16);
  requireInt(c.firstBand, '--first-band', 1, 4096);
  requireNumber(c.bandGrowth, '--band-growth', 1, 16);
  requireNumber(c.monogenicShare, '--monogenic-share', 0, 1);
  requireNumber(c.polygenicShare, '--polygenic-share', 0, 1);
  require(c.monogenicShare + c.polygenicShare <=
    1 + 1e-12, '--monogenic-share + --polygenic-share must be <= 1');
  requireInt(c.block, '--block', c.bands + 1, 4096);
  const bits = Math.log2(c.answers);
  require(c.bands <= bits, `--bands must be at most log2(--answers) = ${bits}, got ${c.bands}`);
  bandSizes(c).forEach((s, g) => {
    const room = 2 ** (bits - c.bands + g);
    require(s <=
      room, `cue band ${g} needs ${s} families but --answers ${c.answers} with --bands ${c.bands} has room for ${room}`);
  });
}

/** Families per band: round(firstBand * bandGrowth^g). */
export function bandSizes(c: Pick<SkillsLanguageConfig, 'bands' | 'firstBand' | 'bandGrowth'>): number[] {
  return Array.from({ length: c.bands }, (_, g) => Math.max(1, Math.round(c.firstBand * c.bandGrowth ** g)));
}

/** Zipf probabilities p_k (k = 1..K, index k - 1), the paper's convention: p_k proportional to k^-(alpha+1). */
export function zipfProbabilities(K: number, alpha: number): Float64Array {
  const p = new Float64Array(K);
  let z = 0;
  for (let k = 0; k < K; k++) z += p[k] = Math.pow(k + 1, -(alpha + 1));
  for (let k = 0; k < K; k++) p[k] /= z;
  return p;
}

// --- counter-based randomness ---

/** A 32-bit avalanche mix (Chris Wellons' lowbias32). */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Draw i of stream (seed, a): a uniform 32-bit word, a pure function of its arguments. */
export function hashDraw(seed: number, a: number, i: number): number {
  return mix32(mix32(mix32((seed ^ 0x5bd1e995) >>> 0) ^ mix32(a >>> 0)) ^ mix32((i + 0x9e3779b9) >>> 0));
}

/** A uniform double in [0, 1) from one word. */
const unit = (w: number) => w / 4294967296;

// --- the language ---

/** Streams of the hash that build the language's fixed parts (block streams use the block index instead). */
const BUILD = { halves: 0xa0000002 } as const;

/** Per-token record of a generated block (or a whole stream slice). */
export interface SkillsTokens {
  ids: Int32Array;
  /** TokenClass of each token. */
  cls: Uint8Array;
  /** TokenKind of each token. */
  kind: Uint8Array;
  /** Monogenic tokens and triggers: the skill (0-based rank); cues: the family; else -1. */
  skill: Int32Array;
  /** Polygenic answers: the cue families of its G cues, in band order, as G consecutive entries; else -1. */
  families: Int32Array;
  /** -ln P(token | everything before it in its block), nats: the loss of the Bayes predictor. */
  bayes: Float64Array;
}

export class SkillsLanguage {
  readonly config: SkillsLanguageConfig;
  /** Token ids: 0 = <pad> (context before the stream's start). */
  readonly pad = 0;
  readonly answerBase = 1;
  readonly skillAnswerBase: number;
  readonly triggerBase: number;
  readonly cueBase: number;
  readonly vocabSize: number;
  /** p_k of monogenic skill k (0-based). */
  readonly skillProbabilities: Float64Array;
  private readonly skillCdf: Float64Array;
  /** Families per band, the first family of each band, and the band of each family. Family (g, j), the j-th of
   * band g, is spoken by the cue tokens C_j-/C_j+ at band g's place in a polygenic episode: the cue tokens are shared
   * by the bands (a model's per-slot input weights tell them apart), so there are max(bandSizes) pairs. */
  readonly bandSizes: number[];
  readonly bandStart: number[];
  readonly familyBand: Int32Array;
  readonly families: number;
  /** Cue token pairs (the largest band). */
  readonly cuePairs: number;
  /** Family j's parity vector v_j and sign s_j: y lies in its half H_j when popcount(v_j & y) + s_j is odd. */
  readonly parity: Int32Array;
  readonly paritySign: Uint8Array;
  /** inHalf[j * answers + y] = 1 when answer y lies in family j's half H_j (exactly answers/2 of them). */
  readonly inHalf: Uint8Array;

  constructor(config: SkillsLanguageConfig) {
    validateSkillsLanguage(config);
    this.config = { ...config };
    const { answers: A, monogenic: K, seed } = config;
    this.skillProbabilities = zipfProbabilities(K, config.alpha);
    this.skillCdf = new Float64Array(K);
    let acc = 0;
    for (let k = 0; k < K; k++) this.skillCdf[k] = acc += this.skillProbabilities[k];
    this.skillCdf[K - 1] = 1;
    this.bandSizes = bandSizes(config);
    this.bandStart = [];
    let f = 0;
    for (const s of this.bandSizes) {
      this.bandStart.push(f);
      f += s;
    }
    this.families = f;
    this.familyBand = new Int32Array(f);
    this.bandSizes.forEach((s, g) => this.familyBand.fill(g, this.bandStart[g], this.bandStart[g] + s));
    // each family's half is an affine parity of the answer's bits: H = {y : <v, y> xor s = 1}. Band g's vectors have
    // their lowest set bit at the band's pivot G-1-g (random bits above it, drawn without repetition), so cues from
    // different bands are independent parity checks: knowing cues of any m bands leaves exactly A / 2^m answers.
    this.parity = new Int32Array(f);
    this.paritySign = new Uint8Array(f);
    const bits = Math.log2(A);
    for (let g = 0; g < config.bands; g++) {
      const pivot = config.bands - 1 - g;
      const free = bits - 1 - pivot;
      const order = shuffled(1 << free, seed, BUILD.halves, g + 1);
      for (let i = 0; i < this.bandSizes[g]; i++) {
        const j = this.bandStart[g] + i;
        this.parity[j] = (1 << pivot) | (order[i] << (pivot + 1));
        this.paritySign[j] = hashDraw(seed, BUILD.halves, 0x10000000 + j) & 1;
      }
    }
    this.inHalf = new Uint8Array(f * A);
    for (let j = 0; j < f; j++) for (let y = 0; y < A; y++) this.inHalf[j * A + y] = this.side(j, y);
    this.skillAnswerBase = this.answerBase + A;
    this.triggerBase = this.skillAnswerBase + K;
    this.cueBase = this.triggerBase + K;
    this.cuePairs = Math.max(...this.bandSizes);
    this.vocabSize = this.cueBase + 2 * this.cuePairs;
  }

  /** 1 when answer y lies in family j's half H_j (the cue C_j+ is said before it), else 0. */
  side(j: number, y: number): number {
    return (popcount(this.parity[j] & y) + this.paritySign[j]) & 1;
  }

  /** Token id of answer y, skill k's answer M_k, trigger T_k, cue (family j, side: 1 = C_j+ "y in H_j", 0 = C_j-). */
  answerId(y: number): number {
    return this.answerBase + y;
  }
  skillAnswerId(k: number): number {
    return this.skillAnswerBase + k;
  }
  triggerId(k: number): number {
    return this.triggerBase + k;
  }
  cueId(family: number, side: number): number {
    return this.cueBase + 2 * (family - this.bandStart[this.familyBand[family]]) + side;
  }

  /** A readable name of every token id: <pad>, Y017, M003, T005, C012+ / C012-. */
  tokenName(id: number): string {
    if (id === this.pad) return '<pad>';
    if (id < this.skillAnswerBase) return `Y${String(id - this.answerBase).padStart(3, '0')}`;
    if (id < this.triggerBase) return `M${String(id - this.skillAnswerBase).padStart(3, '0')}`;
    if (id < this.cueBase) return `T${String(id - this.triggerBase).padStart(3, '0')}`;
    const c = id - this.cueBase;
    return `C${String(c >> 1).padStart(3, '0')}${c & 1 ? '+' : '-'}`;
  }

  /** The skill drawn by a uniform u in [0, 1): the smallest k with cdf[k] > u. */
  private drawSkill(u: number): number {
    let lo = 0;
    let hi = this.skillCdf.length - 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (this.skillCdf[m] > u) hi = m;
      else lo = m + 1;
    }
    return lo;
  }

  /**
   * Block b of the stream, tokens [b * block, (b + 1) * block): episodes drawn with the hash of (seed, b, draw).
   * Writes into `out` at offset `at` (the block's tokens in order).
   */
  generateBlock(b: number, out: SkillsTokens, at = 0): void {
    const { block: L, answers: A, bands: G, monogenicShare: pm, polygenicShare: pp, seed } = this.config;
    const key = (seed * 2 + 1) >>> 0;
    let draw = 0;
    const next = () => hashDraw(key, b, draw++);
    const lnA = Math.log(A);
    let i = 0;
    while (i < L) {
      const o = at + i;
      const rest = L - i;
      // P(type) at an episode start; an episode that does not fit is one filler token
      const mono = rest >= 2 ? pm : 0;
      const poly = rest >= G + 1 ? pp : 0;
      const u = unit(next());
      if (u < pm && rest >= 2) {
        const k = this.drawSkill(unit(next()));
        out.ids[o] = this.triggerId(k);
        out.cls[o] = TokenClass.irreducible;
        out.kind[o] = TokenKind.trigger;
        out.skill[o] = k;
        out.bayes[o] = -Math.log(pm * this.skillProbabilities[k]);
        out.families.fill(-1, o * G, (o + 2) * G);
        out.ids[o + 1] = this.skillAnswerId(k);
        out.cls[o + 1] = TokenClass.monogenic;
        out.kind[o + 1] = TokenKind.monogenic;
        out.skill[o + 1] = k;
        out.bayes[o + 1] = 0;
        i += 2;
      } else if (u >= pm && u < pm + pp && rest >= G + 1) {
        const y = next() % A;
        // posterior support of y after each cue: starts as all of Y
        let support = A;
        const alive = new Uint8Array(A).fill(1);
        const fams: number[] = [];
        for (let g = 0; g < G; g++) {
          const j = this.bandStart[g] + (next() % this.bandSizes[g]);
          const side = this.inHalf[j * A + y];
          let kept = 0;
          for (let v = 0; v < A; v++) if (alive[v] && this.inHalf[j * A + v] === side) kept++;
          const og = o + g;
          out.ids[og] = this.cueId(j, side);
          out.cls[og] = TokenClass.irreducible;
          out.kind[og] = TokenKind.cue;
          out.skill[og] = j;
          out.families.fill(-1, og * G, (og + 1) * G);
          // first cue: P(episode) P(family) P(side); later cues: P(family) P(side | earlier cues)
          out.bayes[og] = -Math.log((g === 0 ? pp : 1) * (1 / this.bandSizes[g]) * (kept / support));
          for (let v = 0; v < A; v++) if (alive[v] && this.inHalf[j * A + v] !== side) alive[v] = 0;
          support = kept;
          fams.push(j);
        }
        const oy = o + G;
        out.ids[oy] = this.answerId(y);
        out.cls[oy] = TokenClass.polygenic;
        out.kind[oy] = TokenKind.polygenic;
        out.skill[oy] = -1;
        for (let g = 0; g < G; g++) out.families[oy * G + g] = fams[g];
        out.bayes[oy] = Math.log(support);
        i += G + 1;
      } else {
        const y = next() % A;
        out.ids[o] = this.answerId(y);
        out.cls[o] = TokenClass.irreducible;
        out.kind[o] = TokenKind.filler;
        out.skill[o] = -1;
        out.families.fill(-1, o * G, (o + 1) * G);
        // a Y token at an episode start: a filler episode, or an episode that does not fit
        out.bayes[o] = lnA - Math.log(1 - mono - poly);
        i += 1;
      }
    }
  }

  /** Tokens [start, start + length) of the stream with their labels (blocks generated as needed). */
  slice(start: number, length: number): SkillsTokens {
    require(Number.isSafeInteger(start) && start >= 0, `--start must be an integer >= 0, got ${start}`);
    require(Number.isSafeInteger(length) && length >= 0, `--length must be an integer >= 0, got ${length}`);
    const L = this.config.block;
    const G = this.config.bands;
    const b0 = Math.floor(start / L);
    const b1 = Math.ceil((start + length) / L);
    const all = emptyTokens((b1 - b0) * L, G);
    for (let b = b0; b < b1; b++) this.generateBlock(b, all, (b - b0) * L);
    const s = start - b0 * L;
    return {
      ids: all.ids.slice(s, s + length),
      cls: all.cls.slice(s, s + length),
      kind: all.kind.slice(s, s + length),
      skill: all.skill.slice(s, s + length),
      families: all.families.slice(s * G, (s + length) * G),
      bayes: all.bayes.slice(s, s + length),
    };
  }
}

export function emptyTokens(n: number, G: number): SkillsTokens {
  return {
    ids: new Int32Array(n),
    cls: new Uint8Array(n),
    kind: new Uint8Array(n),
    skill: new Int32Array(n),
    families: new Int32Array(n * G),
    bayes: new Float64Array(n),
  };
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v &= v - 1) n++;
  return n;
}

/** A seeded Fisher-Yates permutation of 0..n-1 from stream (seed, a, i). */
function shuffled(n: number, seed: number, a: number, salt: number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(unit(hashDraw(seed, a, salt * 65536 + i)) * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** The vocabulary size of a language config (without building it): <pad>, answers, skill answers, triggers, cues. */
export function skillsVocabSize(c: SkillsLanguageConfig): number {
  return 1 + c.answers + 2 * c.monogenic + 2 * Math.max(...bandSizes(c));
}
