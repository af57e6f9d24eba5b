// `quanta/qdg` (browser-safe): quanta discovery from gradients on a caller's arrays (./qdg/arrays.ts) and the
// pointer-level stages over a Core (Gram, affinity, spectral embedding, k-means, metrics, rank-frequency).
export {
  angularAffinityOf,
  clusterMatrix,
  cosineSimilarityOfRows,
  spectralEmbeddingOf,
  type ClusterMatrixOptions,
  type EmbeddingOf,
} from '../qdg/arrays.js';
export { angularAffinity, checkSimilarity, type SimilarityKind } from '../qdg/affinity.js';
export { cosineFromGram, mirrorGram, syrkAccumulate } from '../qdg/gram.js';
export {
  perSampleGradientGram,
  type PerSampleGramOptions,
  type PerSampleGramResult,
} from '../qdg/factored-gram.js';
export {
  embeddingBytes,
  embeddingColumns,
  largestEmbeddableSamples,
  spectralEmbedding,
  type SpectralEmbedding,
  type SpectralEmbeddingOptions,
} from '../qdg/embedding.js';
export { kmeans, type KMeansOptions, type KMeansResult } from '../qdg/kmeans/kmeans.js';
export { adjustedRandIndex, normalizedMutualInfo } from '../qdg/metrics.js';
export { blockMeans, cmrmap, cmrmapCss, IMAGE_SIZE } from '../qdg/block-image.js';
export {
  CANDIDATE_CHUNK,
  checkModelSamples,
  MAX_CANDIDATES_PER_SAMPLE,
  MODEL_LOSS_THRESHOLD,
  modelSamples,
  runChoices,
  type ModelSamples,
  type ModelSamplesOptions,
} from '../qdg/sources/model.js';
export {
  affinityFromCosine,
  orderByCluster,
  spectralClusterings,
  type Clustering,
  type ClusteringRun,
  type QdgAnalysis,
  type QdgStage,
  type StageTiming,
} from '../qdg/pipeline.js';
export { DEFAULT_N_INIT, qdgConfig, type QdgConfig, type QdgOptions } from '../qdg/config.js';
export {
  matrixSource,
  planQdg,
  runQdg,
  type LoadedMatrix,
  type QdgPlan,
  type QdgProgress,
  type QdgResult,
  type QdgSource,
} from '../qdg/run.js';
export {
  clusterSizes,
  defaultClusterCounts,
  defaultEnvelopeWindow,
  envelopeSlope,
  predictedEnvelopeSlope,
  rankFrequencyEnvelope,
  PAPER_ALPHA_N,
  PAPER_CLUSTER_COUNTS,
  type EnvelopeFit,
  type RankWindow,
} from '../qdg/rank-frequency.js';
export {
  toyAffinity,
  toyEstimate,
  toyPoints,
  TOY_DEFAULTS,
  type ToyConfig,
  type ToyPoints,
} from '../qdg/toy.js';
