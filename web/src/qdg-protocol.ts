// The messages between the page and its QDG worker (./qdg-worker.ts). The worker owns a Wasm core of its own
// and runs the whole QDG computation (samples, Gram, affinity, embedding, k-means, envelope) synchronously; the
// page only draws. A user's .npy crosses as its bytes: the file is read by the page and never leaves the machine.
import type { RunConfig } from 'quanta';
import type { QdgStage, StageTiming } from 'quanta/qdg';
import type { LayerWeights } from './protocol.js';

/** What both kinds of request share: the cluster counts and k-means restarts (validated by the library). */
export interface QdgClusterSettings {
  clusters: number[];
  nInit: number;
}

/** Page -> worker: cluster S low-loss samples of the model the page trained (config and its weights). */
export interface QdgModelRequest extends QdgClusterSettings {
  type: 'qdg-model';
  id: number;
  config: RunConfig;
  layers: LayerWeights[];
  samples: number;
  /** Samples are kept when their loss is below this (nats). */
  lossThreshold: number;
  /** The gradients clustered: of the loss (the paper's) or of the logit difference z_1 - z_0. */
  gradientOf: 'loss' | 'logit';
}

/** A file the user gave the page: its name and bytes. */
export interface DroppedFile {
  name: string;
  bytes: ArrayBuffer;
}

/** Page -> worker: cluster a user's S x S matrix (.npy), with optional true labels (.npy of S integers). */
export interface QdgMatrixRequest extends QdgClusterSettings {
  type: 'qdg-matrix';
  id: number;
  matrix: DroppedFile;
  /** 'cosine': similarities in [-1, 1] (turned into the angular affinity); 'affinity': non-negative, as is. */
  kind: 'cosine' | 'affinity';
  labels?: DroppedFile;
  /** alpha_N of the predicted slope -(1 + alpha_N); absent: the paper's for LLMs (PAPER_ALPHA_N, 0.083). */
  alphaN?: number;
}

export type QdgRequest = QdgModelRequest | QdgMatrixRequest;

/** Worker -> page: a stage's progress. */
export interface QdgProgressMessage {
  type: 'qdg-progress';
  id: number;
  stage: QdgStage;
  done: number;
  total: number;
}

/** One K of the sweep. */
export interface QdgClusteringSummary {
  K: number;
  /** Cluster of each sample, in [0, K). */
  labels: Int32Array;
  /** Non-empty cluster sizes, largest first. */
  sizes: number[];
  /** Adjusted Rand index against the true labels (when there are any). */
  ari?: number;
  nmi?: number;
  /** Model samples only: ARI against (subtask, parity label) pairs (a gradient flips sign with the label). */
  ariSubtaskAndLabel?: number;
  /** The affinity ordered by this K's clusters, largest first: n x n block means. */
  image: Float32Array;
}

/** Worker -> page: the clustering of every K, the envelope and its fit, and the pictures. */
export interface QdgResultMessage {
  type: 'qdg-result';
  id: number;
  source: 'model' | 'matrix';
  /** What was clustered, for the page's captions ("the trained model", a file name). */
  name: string;
  samples: number;
  clusterings: QdgClusteringSummary[];
  /** envelope[r - 1] = max over K of the r-th largest cluster size. */
  envelope: number[];
  fit: { slope: number; intercept: number; r2: number; first: number; last: number; ranksUsed: number };
  alphaN: number;
  /** -(1 + alpha_N). */
  predictedSlope: number;
  /** Side of every picture in blocks. */
  imageSide: number;
  /** True labels (subtask of each model sample, or the user's labels), when known. */
  trueLabels?: Int32Array;
  /** The affinity ordered by the true labels, largest group first. */
  truthImage?: Float32Array;
  /** Model samples only: candidates drawn to find the S samples below the threshold. */
  candidates?: number;
  timing: StageTiming;
}

/** Worker -> page: the request failed; 'config' is the user's input (the message is for the user as is). */
export interface QdgErrorMessage {
  type: 'qdg-error';
  id: number;
  kind: 'config' | 'internal';
  message: string;
}

export type QdgWorkerMessage = { type: 'ready' } | QdgProgressMessage | QdgResultMessage | QdgErrorMessage;
