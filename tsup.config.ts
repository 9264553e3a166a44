import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', envs: 'envs/index.ts' },
  format: ['esm'],
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'seedrandom'],
});
