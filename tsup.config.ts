import { defineConfig } from 'tsup';

// One build for all entries so they share chunks (src/random, src/core/errors): `klip`, `klip/envs`, `klip/node`
// and the `klip` executable. platform 'node' only affects how node: builtins resolve; the core entries import none.
// `compare_worker` is the worker-thread script of `klip compare --workers N`; src/node/compare/run.ts loads it as
// `new URL('./compare_worker.js', import.meta.url)`, so it must sit in dist/ beside the chunks.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    envs: 'envs/index.ts',
    node: 'src/node/index.ts',
    cli: 'src/node/bin.ts',
    compare_worker: 'src/node/compare/compare_worker.ts',
  },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', envs: 'envs/index.ts', node: 'src/node/index.ts' } },
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  external: [
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-wasm',
    'seedrandom',
    'commander',
    'cli-progress',
    'vega',
    'vega-lite',
  ],
});
