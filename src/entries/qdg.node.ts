// `quanta/qdg` in Node: ./qdg.ts plus .npy files (gradients, similarities), models trained here as a source,
// the output files of `quanta qdg`, and the k-means helper threads.
export * from './qdg.js';
export {
  gramFromNpy,
  npySource,
  planNpySource,
  similarityFromNpy,
  type GramResult,
  type SimilarityMatrix,
  type SourcePlan,
} from '../qdg/sources/npy.js';
export {
  loadRunSource,
  planRunSource,
  runSource,
  type LoadedRunSource,
  type RunPlan,
} from '../qdg/sources/run.js';
export { closeKMeansThreads } from '../qdg/kmeans/threads.js';
export { writeQdgOutputs } from '../qdg/write.js';
export { similarityPng } from '../qdg/similarity-image.js';
export { clustersDocument, writeClusterFiles } from '../qdg/report.js';
