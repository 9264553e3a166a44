/**
 * examples/web (docs/web.md) builds with Vite as a reader would build it (`vite build`, Vite's JS API, into a temp
 * folder): the output holds the page, its script and the tfjs `.wasm` files under `wasm/`. With Chromium available
 * (Debian's, never downloaded: test/helpers/chromium.ts), the built page is served and loaded, and it must print the
 * KL of the teacher/student pair computed on the wasm backend.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, inCi, launchChromium, serveStatic } from '../helpers/chromium.js';
import { distProblem, ROOT } from './doc_blocks.js';

const CHROMIUM = findChromium();
const WASM = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

describe('examples/web', () => {
  let out: string;
  beforeAll(async () => {
    const problem = distProblem();
    if (problem !== undefined) throw new Error(problem); // the example's `klip` is the built package
    out = mkdtempSync(join(tmpdir(), 'klip-web-example-'));
    const { build } = await import('vite');
    await build({
      configFile: join(ROOT, 'examples', 'web', 'vite.config.ts'),
      build: { outDir: out, emptyOutDir: true },
      logLevel: 'warn',
    });
  }, 300_000);
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('builds into index.html, its script and the .wasm files under wasm/', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const script = /<script type="module" crossorigin src="\.\/(assets\/[\w.-]+\.js)"><\/script>/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    expect(existsSync(join(out, script!))).toBe(true);
    const js = readFileSync(join(out, script!), 'utf8');
    expect(js).toContain('wasm/'); // the prefix handed to ready({ wasmPaths })
    expect(readdirSync(join(out, 'wasm')).sort()).toEqual([...WASM].sort());
    for (const f of WASM) {
      const bytes = readFileSync(join(out, 'wasm', f));
      const installed = readFileSync(join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist', f));
      expect(bytes.equals(installed), f).toBe(true);
      expect(bytes.subarray(0, 4).toString('hex')).toBe('0061736d'); // "\0asm"
    }
  });

  it.runIf(CHROMIUM !== null || inCi())(
    'the built page runs in Chromium: wasm backend, KL(teacher‖student) = 0.1838',
    async () => {
      if (!CHROMIUM) throw new Error('No Chromium at $KLIP_CHROMIUM or /usr/bin/chromium, and CI requires this test');
      const server = await serveStatic(out);
      const browser = await launchChromium(CHROMIUM);
      try {
        const page = await browser.context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(server.url);
        await page.waitForFunction(() => !/starting/.test(document.querySelector('#out')?.textContent ?? ''), null, {
          timeout: 60_000,
        });
        // numpy: sum([.7,.3]*log([.7,.3]/[.4,.6])) = 0.18378689738681217
        expect(await page.textContent('#out')).toBe(
          'backend wasm\nKL(teacher‖student) = 0.1838 nats (float64: 0.1838)',
        );
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
        await server.close();
      }
    },
    120_000,
  );
});
