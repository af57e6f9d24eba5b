import { defineConfig } from 'vitest/config';
import { sourceAliases } from './scripts/browser-stubs.mjs';

/** Tests of the kernels that the relaxed-SIMD module replaces (src/core/wasm.ts), run again in that mode. */
const relaxedKernelTests = [
  'test/qdg/lanczos.test.ts',
  'test/qdg/lanczos-block.test.ts',
  'test/qdg/lanczos-split.test.ts',
  'test/qdg/embedding.test.ts',
  'test/core/simd-mode.test.ts',
];

export default defineConfig({
  // `quanta` and its subpaths (imported by web/src, which some tests load) resolve to the Node entries' sources
  resolve: { alias: sourceAliases('node') },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'baseline', include: ['test/**/*.test.ts'] } },
      // every new Core in these files (and in their helper threads) runs the fused kernels
      {
        extends: true,
        test: { name: 'relaxed', include: relaxedKernelTests, env: { QUANTA_SIMD: 'relaxed' } },
      },
    ],
  },
});
