// `quanta/qdg` in Node: ./qdg.ts plus .npy files (gradients, similarities), models trained here as a source,
// the output files of `quanta qdg`, and the k-means helper threads.
export * from './qdg.js';
export { similarityFromNpy, type SimilarityMatrix } from '../qdg/affinity.js';
export { gramFromNpy, type GramResult } from '../qdg/gram.js';
export { loadRunSource, planRunSource, type LoadedRunSource, type RunPlan } from '../qdg/run-source.js';
export { closeKMeansThreads } from '../qdg/kmeans-parallel.js';
export { similarityPng } from '../qdg/similarity-image.js';
export { clustersDocument, writeClusterFiles } from '../qdg/report.js';
