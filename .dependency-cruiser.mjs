// The layering of src/ (ARCHITECTURE.md), checked by dependency-cruiser from test/layering.test.ts: no import
// cycles, and imports only downward, cli -> experiments (scaling, qdg, lm, report) -> models (train, parity,
// theory) -> core (core, io) -> assembly (the Wasm module, reached through src/core only). Siblings within one
// layer may import each other (qdg uses scaling's least squares; lm runs qdg). Type-only imports count too.
const layer = {
  cli: '^src/cli/',
  experiments: '^src/(scaling|qdg|lm|report)/',
  models: '^src/(train|parity|theory)/',
  core: '^src/(core|io)/',
};

/** The QDG files a page may import, and the Node layer beside them. */
const qdgCompute = '^src/qdg/';
const qdgNodeLayer =
  '^src/qdg/(sources/|write\\.ts$|report\\.ts$|similarity-image\\.ts$|kmeans/worker\\.ts$|eigen/split-worker\\.ts$)';

export default {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'an import cycle: split the shared part into its own module',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-import-of-cli',
      comment: 'only src/cli (the edge) imports src/cli',
      severity: 'error',
      from: { path: '^src/', pathNot: layer.cli },
      to: { path: layer.cli },
    },
    {
      name: 'models-import-experiments',
      comment: 'a models-layer file (train, parity, theory) imports an experiment (scaling, qdg, lm, report)',
      severity: 'error',
      from: { path: layer.models },
      to: { path: layer.experiments },
    },
    {
      name: 'core-imports-above',
      comment: 'src/core and src/io are the bottom TypeScript layer: they import nothing above them',
      severity: 'error',
      from: { path: layer.core },
      to: { path: `${layer.models}|${layer.experiments}` },
    },
    {
      name: 'production-imports-twin',
      comment:
        "a kernel's plain TypeScript twin (reference.ts) is a test oracle: no production file imports it",
      severity: 'error',
      from: { path: '^src/', pathNot: '/reference\\.ts$' },
      to: { path: '/reference\\.ts$' },
    },
    {
      name: 'qdg-compute-reads-files',
      comment:
        'the QDG computation is browser-safe: only its Node layer (sources/, write.ts, report.ts, ' +
        'similarity-image.ts, the k-means worker script) reads or writes files',
      severity: 'error',
      from: { path: qdgCompute, pathNot: qdgNodeLayer },
      to: { path: '^src/io/' },
    },
    {
      name: 'qdg-compute-imports-node',
      comment:
        "the QDG computation is browser-safe: Node's modules only through src/core/node-builtin.ts " +
        '(process.getBuiltinModule), never by an import a page would have to resolve',
      severity: 'error',
      from: { path: qdgCompute, pathNot: qdgNodeLayer },
      to: { dependencyTypes: ['core'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
