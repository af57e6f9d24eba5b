// A page can call the QDG computation: src/qdg/run.ts bundles for the browser (esbuild, platform 'browser')
// with no Node module to resolve, and the bundle runs in a context with no `process` (as a page: k-means then
// runs its restarts on the calling thread), giving the labels a Node run gives.
import { describe, expect, it } from 'vitest';
import { createContext, runInContext } from 'node:vm';
import { Core } from '../../src/core/arena.js';
import { matrixSource, runQdg } from '../../src/qdg/run.js';

type QdgModule = {
  runQdg: typeof runQdg;
  matrixSource: typeof matrixSource;
  Core: typeof Core;
};

describe('QDG in a browser', () => {
  it('bundles without Node built-ins and runs without process, as in Node', async () => {
    const esbuild = await import('esbuild');
    const bundle = await esbuild.build({
      stdin: {
        contents:
          "export { runQdg, matrixSource } from './src/qdg/run.ts';\n" +
          "export { Core } from './src/core/arena.ts';\n",
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'quanta',
      write: false,
      logLevel: 'silent',
    });
    const page = createContext({ WebAssembly, TextDecoder, TextEncoder, atob, performance, console });
    runInContext(bundle.outputFiles[0].text, page);
    const q = (page as { quanta: QdgModule }).quanta;
    expect(runInContext('typeof process', page)).toBe('undefined');

    // three planted groups with noise, S = 90
    const S = 90;
    const A = new Float32Array(S * S);
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++) A[i * S + j] = (i % 3 === j % 3 ? 0.8 : 0.1) + ((i * 7 + j * 7) % 5) / 100;
    const options = { clusters: [3, 6], nInit: 3, seed: 2 };
    const inPage = q.runQdg(q.matrixSource(A, S, 'affinity'), options, undefined, new q.Core());
    const inNode = runQdg(matrixSource(A, S, 'affinity'), options, undefined, new Core());
    expect(inPage.analysis.clusterings[0].sizes).toEqual([30, 30, 30]);
    expect(inPage.analysis.clusterings.map((c) => Array.from(c.labels))).toEqual(
      inNode.analysis.clusterings.map((c) => Array.from(c.labels)),
    );
  });
});
