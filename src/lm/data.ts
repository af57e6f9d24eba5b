// Next-token prediction data for the n-gram MLP language models: every position of every text is one sample,
// its input the previous `context` token ids one-hot (context slot j of token id v is input index j * V + v,
// with <s> padding before a text's start), its label the token itself. The one-hot context is exactly the
// sparse active-index (CSR) input of the MLP's first layer, so a sample costs `context` weight rows.
import type { Core } from '../core/arena.js';
import { Allocation, DISPOSE } from '../core/disposable.js';
import { BOS, type CorpusText, type Vocabulary } from './corpus.js';

/**
 * What a batch needs of a token stream: the ids and, per position, its offset in its text (the context before a
 * text's start is <s> padding, id 0). TokenStream (Brown) and the skills language's test slice provide it.
 */
export interface ContextSource {
  readonly ids: Int32Array;
  readonly positionOf: Int32Array;
  readonly length: number;
}

/** A set of texts encoded as one token stream plus, per position, the text it belongs to and its offset. */
export class TokenStream implements ContextSource {
  /** Token ids of all texts, concatenated. */
  readonly ids: Int32Array;
  /** Part-of-speech tag of each token. */
  readonly tags: string[];
  /** The corpus word of each token (lower-cased; kept even when its id is <unk>, for showing contexts). */
  readonly words: string[];
  /** Index of the text of each token. */
  readonly textOf: Int32Array;
  /** Position of each token inside its text. */
  readonly positionOf: Int32Array;
  readonly textNames: string[];

  constructor(texts: CorpusText[], vocab: Vocabulary) {
    const total = texts.reduce((s, t) => s + t.words.length, 0);
    this.ids = new Int32Array(total);
    this.textOf = new Int32Array(total);
    this.positionOf = new Int32Array(total);
    this.tags = [];
    this.words = [];
    this.textNames = texts.map((t) => t.name);
    let p = 0;
    texts.forEach((t, ti) => {
      this.ids.set(vocab.encode(t.words), p);
      for (let i = 0; i < t.words.length; i++) {
        this.textOf[p + i] = ti;
        this.positionOf[p + i] = i;
        this.tags.push(t.tags[i]);
        this.words.push(t.words[i]);
      }
      p += t.words.length;
    });
  }

  get length(): number {
    return this.ids.length;
  }

  /**
   * One text made from ids, shown words and tags directly (the skills language's test stream, whose tags are
   * the tokens' true skills): the same object the Brown corpus gives, for the code that shows tokens.
   */
  static fromTokens(name: string, ids: Int32Array, words: string[], tags: string[]): TokenStream {
    const s = Object.create(TokenStream.prototype) as TokenStream;
    return Object.assign(s, {
      ids,
      words,
      tags,
      textOf: new Int32Array(ids.length),
      positionOf: Int32Array.from({ length: ids.length }, (_, p) => p),
      textNames: [name],
    });
  }

  /** The context ids of token p (oldest first), <s> where the context runs past the text's start. */
  context(p: number, context: number): number[] {
    const out: number[] = [];
    const pos = this.positionOf[p];
    for (let j = context; j >= 1; j--) out.push(pos - j >= 0 ? this.ids[p - j] : BOS);
    return out;
  }
}

/** Wasm-side CSR buffers for a batch of next-token samples. */
export class LmBatch {
  readonly offsets: number;
  readonly indices: number;
  readonly labels: number;
  size = 0;
  private readonly allocation: Allocation;

  constructor(
    readonly core: Core,
    readonly capacity: number,
    readonly context: number,
    readonly vocabSize: number,
  ) {
    const start = core.mark();
    this.offsets = core.allocI32(capacity + 1);
    this.indices = core.allocI32(capacity * context);
    this.labels = core.allocI32(capacity);
    this.allocation = new Allocation(core, start);
  }

  /**
   * Hands this batch's Wasm memory back to its core (newest object first: it refuses while newer allocations
   * sit above it). Unusable afterwards; a second call does nothing.
   */
  dispose(): void {
    this.allocation.release('LmBatch');
  }

  [DISPOSE](): void {
    this.dispose();
  }

  /**
   * Fills the batch from windows: sample s has context windows[s * (context + 1) + j] for j < context (oldest
   * first) and label windows[s * (context + 1) + context].
   */
  fillWindows(windows: Int32Array, B: number): void {
    if (B > this.capacity) throw new RangeError(`batch of ${B} exceeds capacity ${this.capacity}`);
    const c = this.context;
    const V = this.vocabSize;
    const off = this.core.i32(this.offsets, B + 1);
    const idx = this.core.i32(this.indices, B * c);
    const lab = this.core.i32(this.labels, B);
    for (let s = 0; s < B; s++) {
      off[s] = s * c;
      for (let j = 0; j < c; j++) idx[s * c + j] = j * V + windows[s * (c + 1) + j];
      lab[s] = windows[s * (c + 1) + c];
    }
    off[B] = B * c;
    this.size = B;
  }

  /** Fills the batch with the samples at stream positions `positions`. */
  fill(stream: ContextSource, positions: ArrayLike<number>): void {
    const B = positions.length;
    if (B > this.capacity) throw new RangeError(`batch of ${B} exceeds capacity ${this.capacity}`);
    const c = this.context;
    const V = this.vocabSize;
    const off = this.core.i32(this.offsets, B + 1);
    const idx = this.core.i32(this.indices, B * c);
    const lab = this.core.i32(this.labels, B);
    const ids = stream.ids;
    for (let s = 0; s < B; s++) {
      const p = positions[s];
      const pos = stream.positionOf[p];
      off[s] = s * c;
      for (let j = 0; j < c; j++) {
        const back = c - j; // slot j holds the token `back` positions earlier
        idx[s * c + j] = j * V + (pos - back >= 0 ? ids[p - back] : BOS);
      }
      lab[s] = ids[p];
    }
    off[B] = B * c;
    this.size = B;
  }
}
