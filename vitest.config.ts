import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples and docs import the public entries; in tests they resolve to the sources.
    alias: [
      { find: /^klip\/envs$/, replacement: here('./envs/index.ts') },
      { find: /^klip\/node$/, replacement: here('./src/node/index.ts') },
      { find: /^klip$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
