/**
 * A minimal Vite setup for a page that uses klip (see docs/web.md). tfjs's wasm backend fetches its `.wasm` binaries
 * at run time from the URL prefix given to `ready({ wasmPaths })`; this config serves them under `wasm/` in
 * development (`npx vite examples/web`) and copies them there in a build (`npx vite build examples/web`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/** The folder of the installed `@tensorflow/tfjs-backend-wasm` that holds the binaries. */
const WASM_DIR = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
/** Plain, SIMD and threaded SIMD: tfjs picks the one the browser supports (threads only when cross-origin isolated). */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Serve (dev) and emit (build) the tfjs `.wasm` files under `wasm/`. */
function tfjsWasm(): Plugin {
  return {
    name: 'tfjs-wasm-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = /\/wasm\/([\w.-]+\.wasm)(\?.*)?$/.exec(req.url ?? '')?.[1];
        if (file === undefined || !WASM_FILES.includes(file)) return next();
        res.setHeader('Content-Type', 'application/wasm');
        res.end(readFileSync(join(WASM_DIR, file)));
      });
    },
    generateBundle() {
      for (const file of WASM_FILES)
        this.emitFile({ type: 'asset', fileName: `wasm/${file}`, source: readFileSync(join(WASM_DIR, file)) });
    },
  };
}

export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  base: './',
  plugins: [tfjsWasm()],
  // This repository's own checkout: `klip` is the built package (`npm run build`). In your project, where klip is
  // installed in node_modules, delete this alias.
  resolve: { alias: { klip: fileURLToPath(new URL('../../dist/index.js', import.meta.url)) } },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4096 }, // tfjs is ~2 MB
});
