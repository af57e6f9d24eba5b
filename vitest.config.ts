import { defineConfig } from 'vitest/config';
import { sourceAliases } from './scripts/browser-stubs.mjs';

export default defineConfig({
  // `quanta` and its subpaths (imported by web/src, which some tests load) resolve to the Node entries' sources
  resolve: { alias: sourceAliases('node') },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
