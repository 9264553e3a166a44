/**
 * Real-browser test harness: find Debian's Chromium, build the playground once (Vite JS API, with a lock against
 * parallel builds), serve `web/dist` on an ephemeral localhost port with `node:http`, and launch Chromium through
 * playwright-core with a fresh profile. No browser is ever downloaded.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the built playground lives. */
export const WEB_DIST = join(ROOT, 'web', 'dist');
/** Test artifacts (screenshots); gitignored. */
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');

/** Flags for headless Chromium in a container (Debian chromium as root, no network: see .ci/run). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The Chromium executable: `$KLIP_CHROMIUM`, else `/usr/bin/chromium`; null when neither exists. */
export function findChromium(): string | null {
  const fromEnv = process.env.KLIP_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
}

/** True when running in CI (`CI` set and not "false"/"0"), where a missing Chromium is a failure, not a skip. */
export function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/** The build is stale when `web/dist/index.html` is missing or older than any page or library source. */
export function webBuildIsStale(): boolean {
  const built = join(WEB_DIST, 'index.html');
  if (!existsSync(built)) return true;
  const sources = ['web/src', 'web/index.html', 'web/vite.config.ts', 'src', 'envs'].map((p) =>
    newestMtime(join(ROOT, p)),
  );
  return statSync(built).mtimeMs < Math.max(...sources);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Build the playground with Vite's JS API when the build is stale. A lock directory keeps parallel test
 * processes from building at the same time; a lock older than 10 minutes is considered abandoned.
 */
export async function ensureWebBuild(): Promise<void> {
  if (!webBuildIsStale()) return;
  const lock = join(tmpdir(), `klip-web-build-${Buffer.from(ROOT).toString('hex').slice(-24)}.lock`);
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 10 * 60_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() - started > 10 * 60_000) throw new Error(`ensureWebBuild: lock ${lock} held for over 10 minutes`);
      await sleep(500);
    }
  }
  try {
    if (!webBuildIsStale()) return; // another process built it while we waited
    const { build } = await import('vite');
    await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serve `dir` statically on 127.0.0.1 at an ephemeral port. */
export async function serveStatic(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const root = resolve(dir);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!(file === root || file.startsWith(root + sep)) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('serveStatic: no port');
  return {
    url: `http://127.0.0.1:${addr.port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Launch Chromium (fresh `--user-data-dir`, the flags above); `close()` also removes the profile. */
export async function launchChromium(
  executablePath: string,
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'klip-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS.filter((f) => f !== '--headless'), // playwright passes its own headless flag
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
