/**
 * The machinery of `code_blocks.test.ts`: find the fenced blocks of a Markdown document, pair each runnable block
 * with its output block, run a block as a user's own file against the built package, and compare its stdout with
 * the output block. The conventions are documented at the top of `code_blocks.test.ts` and in CONTRIBUTING.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** One fenced code block. */
export interface Fence {
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** 1-based line of the closing fence (the last line of the document when the fence is never closed). */
  end: number;
}

/** The fenced code blocks of a CommonMark document (``` and ~~~ fences; indentation of the fence removed). */
export function parseFences(md: string): Fence[] {
  const lines = md.split(/\r?\n/);
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3}|\s*)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]!);
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
      const l = lines[j]!;
      const lead = l.length - l.trimStart().length;
      body.push(l.slice(Math.min(indent, lead)));
    }
    out.push({
      lang: open[3]!.toLowerCase(),
      code: body.join('\n'),
      line: i + 1,
      end: Math.min(j, lines.length - 1) + 1,
    });
    i = j;
  }
  return out;
}

/** Lines without leading/trailing spaces, blank lines dropped: the form excerpts are compared in. */
export function normalizeCode(code: string): string {
  return code
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('\n');
}

/** True when every line of `block`, in order and contiguous, appears in `source` (modulo indentation). */
export function isExcerptOf(block: string, source: string): boolean {
  const b = normalizeCode(block);
  return b.length > 0 && `\n${normalizeCode(source)}\n`.includes(`\n${b}\n`);
}

/**
 * The output block of the runnable block `fences[index]`: the next fence, when its info string is `text` and the
 * prose between the two is one paragraph that starts with "Prints" and ends with ":" (e.g. `Prints:` alone, or
 * `Prints the loss and the KL (…):`).
 * @returns The output fence, or a sentence saying what is missing.
 */
export function outputBlockOf(md: string, fences: readonly Fence[], index: number): Fence | string {
  const block = fences[index]!;
  const next = fences[index + 1];
  const want = 'a ```text block right after it, introduced by a paragraph "Prints …:"';
  if (next === undefined) return `no output block: want ${want}`;
  const lines = md.split(/\r?\n/);
  const between = lines
    .slice(block.end, next.line - 1)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (next.lang !== 'text')
    return `no output block: the next block (line ${next.line}) is \`${next.lang || 'plain'}\`, want ${want}`;
  if (!/^Prints\b/.test(between[0] ?? '') || !(between.at(-1) ?? '').endsWith(':'))
    return `no output block: the text block at line ${next.line} is not introduced by a paragraph "Prints …:"`;
  return next;
}

/** A number as printed: optional sign, digits with an optional fraction, an optional exponent; not inside a word. */
const NUMBER = /(?<![\w.])[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?(?![\w.])/gi;

/** A line split into its text parts and its numbers: text[0] num[0] text[1] … num[n−1] text[n]. */
function splitNumbers(line: string): { text: string[]; nums: string[] } {
  const text: string[] = [];
  const nums: string[] = [];
  let last = 0;
  for (const m of line.matchAll(NUMBER)) {
    text.push(line.slice(last, m.index));
    nums.push(m[0]);
    last = m.index + m[0].length;
  }
  text.push(line.slice(last));
  return { text: text.map((t) => t.replace(/\s+/g, ' ').trim()), nums };
}

/**
 * Whether `actual` equals the number `doc` as the documentation prints it. A number written without a decimal point
 * or exponent is an integer and must be equal. A number with d digits after the decimal point of its mantissa and
 * exponent e (0 without one) stands for every value that rounds to it: |actual − doc| ≤ ½·10^(e−d) (plus 1e-9 of
 * that half unit for decimal rounding of the bound itself). So a doc may print fewer digits than the program, never
 * a wrong one.
 */
export function numberMatches(actual: string, doc: string): boolean {
  const a = Number(actual);
  const d = Number(doc);
  if (!Number.isFinite(a) || !Number.isFinite(d)) return false;
  const m = /^[-+]?(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?$/i.exec(doc);
  if (!m) return false;
  if (m[2] === undefined && m[3] === undefined) return a === d;
  const digits = m[2]?.length ?? 0;
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  const halfUnit = 0.5 * 10 ** (exp - digits);
  return Math.abs(a - d) <= halfUnit * (1 + 1e-9);
}

/**
 * Compare a program's stdout with a documented output block. Both are split into lines, each trimmed, blank lines
 * dropped, runs of spaces collapsed to one; then line by line the text between numbers must be equal and each
 * number must match by {@link numberMatches}.
 * @returns One sentence per difference; empty when the outputs agree.
 */
export function compareOutput(actual: string, documented: string): string[] {
  const lines = (s: string): string[] =>
    s
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
  const got = lines(actual);
  const want = lines(documented);
  const problems: string[] = [];
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const g = got[i];
    const w = want[i];
    if (g === undefined) {
      problems.push(`output line ${i + 1}: the doc has "${w}", the program printed nothing more`);
      continue;
    }
    if (w === undefined) {
      problems.push(`output line ${i + 1}: the program printed "${g}", the doc has nothing more`);
      continue;
    }
    const gs = splitNumbers(g);
    const ws = splitNumbers(w);
    const sameText = gs.text.length === ws.text.length && gs.text.every((t, k) => t === ws.text[k]);
    if (!sameText) {
      problems.push(`output line ${i + 1}: the doc has "${w}", the program printed "${g}"`);
      continue;
    }
    for (let k = 0; k < ws.nums.length; k++) {
      if (!numberMatches(gs.nums[k]!, ws.nums[k]!))
        problems.push(
          `output line ${i + 1}: number ${k + 1} is ${ws.nums[k]} in the doc, the program printed ${gs.nums[k]} ("${g}")`,
        );
    }
  }
  return problems;
}

/** What one run of a block did. */
export interface BlockRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The built entries the blocks import (package.json "exports"). */
export const DIST_ENTRIES = ['dist/index.js', 'dist/envs.js', 'dist/node.js'] as const;

function newestFile(path: string): { path: string; mtimeMs: number } {
  const st = statSync(path);
  if (!st.isDirectory()) return { path, mtimeMs: st.mtimeMs };
  let best = { path, mtimeMs: 0 };
  for (const name of readdirSync(path)) {
    const n = newestFile(join(path, name));
    if (n.mtimeMs > best.mtimeMs) best = n;
  }
  return best;
}

/**
 * Why the built package cannot be used, or undefined when `dist/` holds every entry and is newer than every file of
 * `src/` and `envs/`. This test builds nothing itself (`npm test` builds in its `pretest` script).
 */
export function distProblem(root = ROOT): string | undefined {
  const missing = DIST_ENTRIES.filter((e) => !existsSync(join(root, e)));
  if (missing.length > 0)
    return `${missing.join(', ')} missing: the doc blocks import the built package; run \`npm run build\` first`;
  const built = Math.min(...DIST_ENTRIES.map((e) => statSync(join(root, e)).mtimeMs));
  for (const dir of ['src', 'envs']) {
    if (!existsSync(join(root, dir))) continue;
    const n = newestFile(join(root, dir));
    if (n.mtimeMs > built)
      return `dist/ is older than ${relative(root, n.path)}: the doc blocks import the built package; run \`npm run build\` first`;
  }
  return undefined;
}

/**
 * A ts block as the JavaScript Node runs: types stripped by the project's TypeScript (`transpileModule`, one file,
 * no type check, no module resolution), so `'klip'` is left for Node to resolve. (tsx would also work, but it reads
 * the project's tsconfig.json, whose "paths" map `klip` to the sources, and starts a second process per block.)
 */
export function stripTypes(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: false },
    reportDiagnostics: false,
  }).outputText;
}

/**
 * Run a block as a user's own file: write it to a fresh folder under `<root>/.tmp/docs-blocks/` (inside the package,
 * so `import … from 'klip'` resolves by Node's package self-reference through package.json "exports" to `dist/`),
 * then run it with `node` in a child process with that folder as working directory (a ts block with its types
 * stripped, {@link stripTypes}). The folder is removed afterwards. Never rejects: a failure to start is reported as a
 * run with code null.
 */
export function runBlock(
  code: string,
  lang: string,
  opts: { root?: string; timeoutMs?: number } = {},
): Promise<BlockRun> {
  const root = opts.root ?? ROOT;
  const base = join(root, '.tmp', 'docs-blocks');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'block-'));
  const isTs = lang === 'ts' || lang === 'typescript';
  const file = join(dir, 'block.mjs');
  writeFileSync(file, isTs ? stripTypes(code) : `${code}\n`);
  const args = [file];
  // A user's shell: none of the test runner's variables.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const k of Object.keys(env))
    if (k.startsWith('VITEST') || k === 'NODE_OPTIONS' || k === 'NODE_ENV') delete env[k];
  return new Promise((res) => {
    const done = (r: BlockRun): void => {
      rmSync(dir, { recursive: true, force: true });
      res(r);
    };
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      done({ code: null, signal: null, stdout, stderr: `${stderr}${String(e)}` });
    });
    child.on('close', (c, signal) => {
      clearTimeout(timer);
      done({ code: c, signal, stdout, stderr });
    });
  });
}

/**
 * What is wrong with a runnable block: no output block, a run that did not exit 0, or stdout that differs from the
 * output block ({@link compareOutput}).
 */
export async function blockProblems(
  block: Pick<Fence, 'code' | 'lang'>,
  output: Fence | string,
  run: (code: string, lang: string) => Promise<BlockRun> = runBlock,
): Promise<string[]> {
  if (typeof output === 'string') return [output];
  const r = await run(block.code, block.lang);
  if (r.code !== 0)
    return [`the block exited with ${r.code ?? r.signal}:\n${r.stderr.trim().split('\n').slice(-15).join('\n')}`];
  return compareOutput(r.stdout, output.code);
}

/** At most `n` of the returned function's tasks run at a time (the machine's cores are shared). */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return (task) =>
    new Promise((res, rej) => {
      const start = (): void => {
        active++;
        task()
          .then(res, rej)
          .finally(() => {
            active--;
            queue.shift()?.();
          });
      };
      if (active < n) start();
      else queue.push(start);
    });
}
