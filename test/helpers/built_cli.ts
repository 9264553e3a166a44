/**
 * The built `klip` CLI for subprocess tests (CleanRL-style: run it as a user would, `node dist/cli.js …`).
 * `builtCli()` runs `npx tsup` once when `dist/cli.js` is missing or older than any file in `src/`, `envs/`,
 * `package.json` or `tsup.config.ts`; a lock folder keeps parallel test files from building twice.
 * `useCliTestFolder(prefix)` is the usual setup of a subprocess test file; `readJsonl` reads a run's metrics.jsonl.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import type { MetricRecord } from '../../src/training/metrics.js';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built executable. */
export const CLI = join(ROOT, 'dist', 'cli.js');
const LOCK = join(ROOT, 'node_modules', '.cache', 'klip-cli-build.lock'); // outside dist/: tsup cleans dist

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const name of readdirSync(path)) m = Math.max(m, newestMtime(join(path, name)));
  return m;
}

function isFresh(): boolean {
  if (!existsSync(CLI)) return false;
  const sources = Math.max(
    ...['src', 'envs', 'package.json', 'tsup.config.ts']
      .filter((p) => existsSync(join(ROOT, p)))
      .map((p) => newestMtime(join(ROOT, p))),
  );
  return statSync(CLI).mtimeMs >= sources;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Path of an up-to-date `dist/cli.js`, building it first when stale. */
export async function builtCli(): Promise<string> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (!existsSync(LOCK) && isFresh()) return CLI;
    mkdirSync(dirname(LOCK), { recursive: true });
    let locked = false;
    try {
      mkdirSync(LOCK); // atomic: exactly one test process gets it
      locked = true;
    } catch {
      // another process builds; a lock older than 5 minutes is left over from a crash
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 300_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
    }
    if (locked) {
      try {
        if (!isFresh()) {
          const r = spawnSync('npx', ['tsup'], { cwd: ROOT, encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`npx tsup failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
          if (!existsSync(CLI))
            throw new Error('npx tsup did not produce dist/cli.js: add `cli: "src/node/bin.ts"` to the tsup entries');
        }
      } finally {
        rmSync(LOCK, { recursive: true, force: true });
      }
      return CLI;
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for another process to build dist/cli.js');
    await sleep(500);
  }
}

/** Result of one CLI run. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `node dist/cli.js ...args`. `onStdout` sees each stdout chunk and may return `'sigint'` to send Ctrl-C.
 */
export async function runBuiltCli(
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; onStdout?: (all: string) => 'sigint' | undefined } = {},
): Promise<CliRun> {
  const cli = await builtCli();
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!signalled && opts.onStdout?.(stdout) === 'sigint') {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    });
  });
}

/** Timeout of the setup hook of `useCliTestFolder`: long enough for one `npx tsup` build (or waiting for another's). */
export const CLI_SETUP_TIMEOUT_MS = 240_000;

/**
 * Register the usual setup of a CLI subprocess test file: `beforeAll` creates a fresh temp folder named
 * `${os.tmpdir()}/${prefix}XXXXXX` and awaits `builtCli()` (timeout `CLI_SETUP_TIMEOUT_MS`); `afterAll` removes the
 * folder. Call it at the top level of the test file, before any hook that uses the folder (hooks run in order).
 * @param prefix Folder name prefix, e.g. `'klip-cli-'`.
 * @returns An accessor for the folder path, valid from the `beforeAll` on.
 * @throws {Error} From the accessor, when called before the `beforeAll` ran (e.g. at module top level).
 * @example
 * ```ts
 * const tmp = useCliTestFolder('klip-cli-tb-');
 * it('trains', async () => {
 *   const r = await runBuiltCli(['train', '--out', join(tmp(), 'run')]);
 * });
 * ```
 */
export function useCliTestFolder(prefix: string): () => string {
  let folder: string | undefined;
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), prefix));
    await builtCli();
  }, CLI_SETUP_TIMEOUT_MS);
  afterAll(() => {
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    if (folder === undefined)
      throw new Error(`useCliTestFolder('${prefix}'): the folder exists only from beforeAll on`);
    return folder;
  };
}

/**
 * Read a JSON Lines file of metric records (a run's `metrics.jsonl`): one `JSON.parse` per line, trailing newline
 * ignored.
 * @param path The file.
 * @returns Its records, in file order.
 * @throws {SyntaxError} When a line is not valid JSON (e.g. a torn last line).
 * @example
 * ```ts
 * const [first] = readJsonl(join(out, 'metrics.jsonl'));
 * ```
 */
export function readJsonl(path: string): MetricRecord[] {
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricRecord);
}
