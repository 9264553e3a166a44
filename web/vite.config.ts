/**
 * Vite config of the playground (`npm run web` serves it, `npm run web:build` writes `web/dist`).
 * `klip` and `klip/envs` resolve to the library sources; the tfjs wasm binaries are copied from the installed
 * `@tensorflow/tfjs-backend-wasm` package into `wasm/` next to the page (no network at run time).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const WASM_DIR = here('../node_modules/@tensorflow/tfjs-backend-wasm/dist/');
/** The binaries tfjs-backend-wasm may fetch without cross-origin isolation (plain and SIMD). */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

/** Serve (dev) and emit (build) the tfjs wasm binaries under `wasm/`. */
function tfjsWasm(): Plugin {
  const read = (f: string): Buffer => {
    const path = WASM_DIR + f;
    if (!existsSync(path)) throw new Error(`klip web: ${path} is missing; run npm install`);
    return readFileSync(path);
  };
  return {
    name: 'klip-tfjs-wasm',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /\/wasm\/([\w.-]+\.wasm)(\?.*)?$/.exec(req.url ?? '');
        if (!m || !WASM_FILES.includes(m[1]!)) return next();
        res.setHeader('Content-Type', 'application/wasm');
        res.end(read(m[1]!));
      });
    },
    generateBundle() {
      for (const f of WASM_FILES) this.emitFile({ type: 'asset', fileName: `wasm/${f}`, source: read(f) });
    },
  };
}

export default defineConfig({
  root: here('.'),
  base: './',
  resolve: {
    alias: [
      { find: /^klip\/envs$/, replacement: here('../envs/index.ts') },
      { find: /^klip$/, replacement: here('../src/index.ts') },
    ],
  },
  plugins: [tfjsWasm()],
  worker: { format: 'es' },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
  },
  server: { port: 5173 },
  logLevel: 'warn',
});
