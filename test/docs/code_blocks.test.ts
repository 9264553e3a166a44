/**
 * Every code block in README.md, CONTRIBUTING.md and docs/**\/*.md (not docs/api/) is checked (Gymnasium doctests,
 * zod's docs tests, Python's doctest):
 * - A `ts`/`js` block found verbatim (modulo indentation and blank lines) in a file under `examples/` is an excerpt;
 *   its example's test under `test/examples/` imports and runs that example.
 * - Every other `ts`/`js` block is runnable: it runs as a user's own file against the built package (`dist/`, from
 *   `npm run build`; this test builds nothing and fails with "run `npm run build` first" without it). It is written
 *   to a fresh folder under `.tmp/docs-blocks/` inside the package, so `import … from 'klip'` / `'klip/envs'` /
 *   `'klip/node'` resolve through package.json "exports" (Node's package self-reference), and run with `node` in a
 *   child process (a ts block with its types stripped by the project's TypeScript). It must exit 0 and print what
 *   its output block says.
 * - The output block of a runnable block is the fence right after it, with info string `text`, introduced by one
 *   paragraph that starts with "Prints" and ends with ":" (`Prints:` alone, or `Prints the loss and the KL (…):`):
 *
 *       ```ts
 *       console.log(klProbs([0.7, 0.3], [0.4, 0.6]).toFixed(4));
 *       ```
 *
 *       Prints:
 *
 *       ```text
 *       0.1838
 *       ```
 *
 *   A runnable block without one fails. Comparison (`compareOutput` in doc_blocks.ts): lines trimmed, blank lines
 *   dropped and runs of spaces collapsed; line by line the text between numbers is equal; an integer in the doc
 *   must be equal; a number with d digits after the point (of its mantissa, for 1.5e-3) must be within half a unit
 *   of its last digit, |printed − doc| ≤ ½·10^(e−d): the doc may round what the program prints, never change a digit.
 * - Shell blocks (`sh`, `bash`, `shell`, `console`): every command is `npm` (and `npm run X` names a script of
 *   package.json), `npx klip`, `npx tsx <existing file>`, `klip` or `node`.
 * - Other blocks (text, json, diagrams) are allowed as they are.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BlockRun,
  blockProblems,
  compareOutput,
  distProblem,
  type Fence,
  isExcerptOf,
  limiter,
  numberMatches,
  outputBlockOf,
  parseFences,
  ROOT,
  runBlock,
} from './doc_blocks.js';

const SCRIPTS = Object.keys(
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {},
);

/** Problems with a shell block: commands other than npm / npx klip / npx tsx / klip / node, unknown npm scripts, missing files. */
function shellProblems(code: string, scripts: readonly string[] = SCRIPTS, root = ROOT): string[] {
  const problems: string[] = [];
  const joined = code.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim().replace(/^\$\s+/, '');
    if (!line || line.startsWith('#')) continue;
    for (const cmd of line.split(/&&|\|\||;|\|/)) {
      const tokens = cmd
        .trim()
        .split(/\s+/)
        .filter((t) => t && !/^[A-Z_][A-Z0-9_]*=/.test(t));
      if (tokens.length === 0) continue;
      const [head, sub, arg] = tokens;
      const fileOk = (f: string | undefined): boolean =>
        f !== undefined && (f.startsWith('dist/') || existsSync(join(root, f)));
      if (head === 'npm') {
        if (sub === 'run' || sub === 'run-script') {
          if (!arg || !scripts.includes(arg))
            problems.push(`\`${cmd.trim()}\`: package.json has no script "${arg ?? ''}"`);
        } else if (!['install', 'i', 'ci', 'start', 'test'].includes(sub ?? '')) {
          problems.push(`\`${cmd.trim()}\`: npm subcommand "${sub ?? ''}" is not one of install, ci, start, test, run`);
        }
      } else if (head === 'npx') {
        if (sub === 'tsx') {
          if (!fileOk(arg)) problems.push(`\`${cmd.trim()}\`: file ${arg ?? '(none)'} does not exist`);
        } else if (sub !== 'klip') {
          problems.push(`\`${cmd.trim()}\`: only \`npx klip\` and \`npx tsx <file>\` are allowed`);
        }
      } else if (head === 'node') {
        if (sub !== undefined && !sub.startsWith('-') && !fileOk(sub))
          problems.push(`\`${cmd.trim()}\`: file ${sub} does not exist`);
      } else if (head !== 'klip') {
        problems.push(`\`${cmd.trim()}\`: "${head}" is not a known command (npm, npx klip, npx tsx, klip, node)`);
      }
    }
  }
  return problems;
}

function walk(dir: string, skip: (rel: string) => boolean): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  let out: string[] = [];
  for (const name of readdirSync(abs)) {
    const rel = join(dir, name);
    if (skip(rel)) continue;
    if (statSync(join(ROOT, rel)).isDirectory()) out = out.concat(walk(rel, skip));
    else out.push(rel);
  }
  return out;
}

const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  ...walk('docs', (rel) => rel === join('docs', 'api')).filter((f) => f.endsWith('.md')),
].filter((f) => existsSync(join(ROOT, f)));
const EXAMPLE_FILES = walk('examples', () => false).filter((f) => /\.(ts|js|mjs)$/.test(f));
const EXAMPLES = EXAMPLE_FILES.map((f) => readFileSync(join(ROOT, f), 'utf8'));
const CODE_LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);
const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);
/** Child processes at a time: the machine's cores are shared with other work. */
const PARALLEL = Math.max(1, Math.min(2, availableParallelism()));

/** KL(p‖q) in float64, written out here (independent of klip): Σ p·ln(p/q). */
const kl = (p: number[], q: number[]): number => p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]!), 0);

describe('the code-block checker', () => {
  it('parses ``` and ~~~ fences with their language, indentation and closing line', () => {
    const md = [
      '# t',
      '```ts',
      'const a = 1;',
      '```',
      '',
      '  ~~~~sh extra',
      '  npm test',
      '  ```',
      '  not a close',
      '  ~~~~',
      '```',
      'x',
      '```',
    ].join('\n');
    expect(parseFences(md)).toEqual([
      { lang: 'ts', code: 'const a = 1;', line: 2, end: 4 },
      { lang: 'sh', code: 'npm test\n```\nnot a close', line: 6, end: 10 },
      { lang: '', code: 'x', line: 11, end: 13 },
    ]);
  });
  it('accepts a re-indented excerpt and rejects a changed or partial line', () => {
    const source = 'function f() {\n  const x = klProbs(p, q);\n  return x;\n}\n';
    expect(isExcerptOf('const x = klProbs(p, q);\n\nreturn x;', source)).toBe(true);
    expect(isExcerptOf('const x = klProbs(q, p);', source)).toBe(false);
    expect(isExcerptOf('const x = klProbs(p, q', source)).toBe(false);
    expect(isExcerptOf('return x;\nconst x = klProbs(p, q);', source)).toBe(false);
  });
  it('allows only the known shell commands', () => {
    expect(
      shellProblems(
        'npm install\nnpm run build && npx klip train --steps 512\n$ klip kl --p 0.7,0.3 --q 0.4,0.6\nnode dist/cli.js --help',
        ['build'],
      ),
    ).toEqual([]);
    expect(shellProblems('curl https://example.org | sh', ['build'])).toHaveLength(2);
    expect(shellProblems('npm run nope', ['build'])[0]).toMatch(/no script "nope"/);
    expect(shellProblems('npx eslint .', ['build'])[0]).toMatch(/only `npx klip`/);
    expect(shellProblems('npx tsx examples/does_not_exist.ts', ['build'])[0]).toMatch(/does not exist/);
  });

  it('pairs a runnable block with the ```text block introduced by "Prints …:", and with nothing else', () => {
    const md = [
      '```ts', //  1
      'console.log(1);',
      '```',
      '',
      'Prints the update and its KL', // 5
      '(with seed 1):',
      '```text',
      '1',
      '```',
      '```ts', // 10
      'f();',
      '```',
      'Prints:',
      '```json', // 14
      '{}',
      '```',
      '```ts', // 17
      'g();',
      '```',
      'It prints:',
      '```text', // 21
      '2',
      '```',
      '```ts', // 24
      'h();',
      '```',
    ].join('\n');
    const fences = parseFences(md);
    expect(outputBlockOf(md, fences, 0)).toEqual({ lang: 'text', code: '1', line: 7, end: 9 });
    expect(outputBlockOf(md, fences, 2)).toMatch(/next block \(line 14\) is `json`/);
    expect(outputBlockOf(md, fences, 4)).toMatch(/line 21 is not introduced by a paragraph "Prints …:"/);
    expect(outputBlockOf(md, fences, 6)).toMatch(/^no output block: want/);
  });

  it('numbers: integers equal; decimals within half a unit of the last printed digit', () => {
    expect(numberMatches('3', '3')).toBe(true);
    expect(numberMatches('3.0000001', '3')).toBe(false); // an integer in the doc means exactly that integer
    expect(numberMatches('0.18378689738681214', '0.1838')).toBe(true); // rounds to the doc's 4 digits
    expect(numberMatches('0.18375', '0.1838')).toBe(true); // exactly half a unit away
    expect(numberMatches('0.18374', '0.1838')).toBe(false); // rounds to 0.1837
    expect(numberMatches('0.1848', '0.1838')).toBe(false); // one digit changed
    expect(numberMatches('0.1838', '0.18380')).toBe(true);
    expect(numberMatches('0.18384', '0.18380')).toBe(false); // the doc's trailing 0 is a digit too
    expect(numberMatches('3.552713678800501e-15', '3.6e-15')).toBe(true);
    expect(numberMatches('3.552713678800501e-15', '3.5e-15')).toBe(false);
    expect(numberMatches('0.0000152587890625', '1.5e-5')).toBe(true); // other notation, same value
    expect(numberMatches('-0.5', '0.5')).toBe(false);
  });

  it('compares outputs line by line: trimmed, blank lines and repeated spaces ignored, text exact', () => {
    const doc = 'Tensor\n    [0.1232923]\n\n| 16 | 0.01 | 2.1e-1 |';
    expect(compareOutput('Tensor\n  [0.12329231]\n| 16 |  0.0096 | 0.2066192 |\n\n', doc)).toEqual([]);
    expect(compareOutput('Tensor\n[0.1232933]\n| 16 | 0.01 | 2.1e-1 |', doc)).toEqual([
      'output line 2: number 1 is 0.1232923 in the doc, the program printed 0.1232933 ("[0.1232933]")',
    ]);
    expect(compareOutput('Tensor\n[0.1232923]\n| 16 | 0.01 | 2.1e-1 | held', doc)[0]).toMatch(/^output line 3:/);
    expect(compareOutput('Tensor\n[0.1232923]', doc)).toEqual([
      'output line 3: the doc has "| 16 | 0.01 | 2.1e-1 |", the program printed nothing more',
    ]);
    expect(compareOutput(`${doc}\nmore`, doc)).toEqual([
      'output line 4: the program printed "more", the doc has nothing more',
    ]);
    // Words with digits are text, not numbers: grid5x5 is not grid5x6.
    expect(compareOutput('grid5x5 k3', 'grid5x6 k3')).toHaveLength(1);
  });
});

describe('the block runner', () => {
  it('requires a built dist/ newer than src/ and envs/, and says to run the build', () => {
    const root = mkdtempSync(join(tmpdir(), 'klip-docs-dist-'));
    try {
      mkdirSync(join(root, 'src'));
      writeFileSync(join(root, 'src', 'a.ts'), '');
      expect(distProblem(root)).toMatch(
        /^dist\/index\.js, dist\/envs\.js, dist\/node\.js missing: .*run `npm run build` first$/,
      );
      mkdirSync(join(root, 'dist'));
      for (const e of ['index', 'envs', 'node']) writeFileSync(join(root, 'dist', `${e}.js`), '');
      const t = Date.now() / 1000;
      for (const e of ['index', 'envs', 'node']) utimesSync(join(root, 'dist', `${e}.js`), t - 60, t - 60);
      utimesSync(join(root, 'src', 'a.ts'), t, t);
      expect(distProblem(root)).toMatch(/^dist\/ is older than src\/a\.ts: .*run `npm run build` first$/);
      utimesSync(join(root, 'src', 'a.ts'), t - 120, t - 120);
      expect(distProblem(root)).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  beforeAll(() => {
    const problem = distProblem();
    if (problem !== undefined) throw new Error(problem);
  });

  it('runs a ts block as a fresh module on the built package and compares its stdout', async () => {
    const block = {
      lang: 'ts',
      code: [
        "import { klProbs } from 'klip';",
        "import type { Rng } from 'klip';",
        'const p: readonly number[] = [0.7, 0.3]; // type annotations and type-only imports are stripped',
        'const rng: Rng | undefined = undefined;',
        "console.log(klProbs(p, [0.4, 0.6]).toFixed(6), import.meta.resolve('klip'), rng);",
      ].join('\n'),
    };
    const golden = kl([0.7, 0.3], [0.4, 0.6]); // 0.7·ln(7/4) + 0.3·ln(1/2) = 0.183786…
    const r = await runBlock(block.code, block.lang);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    // Node's package self-reference through "exports", not the sources (tsconfig "paths" or vitest's alias).
    expect(r.stdout.trim().split(' ')[1]).toMatch(/\/dist\/index\.js$/);
    const out = (s: string): Fence => ({ lang: 'text', code: s, line: 0, end: 0 });
    const url = r.stdout.trim().split(' ')[1]!;
    const again = async (): Promise<BlockRun> => r; // blockProblems on this run, not a new one
    expect(await blockProblems(block, out(`${golden.toFixed(4)} ${url} undefined`), again)).toEqual([]);
    const wrong = await blockProblems(block, out(`${(golden + 0.001).toFixed(4)} ${url} undefined`), again);
    expect(wrong).toEqual([expect.stringMatching(/number 1 is 0\.1848 in the doc, the program printed 0\.183787/)]);
  }, 120_000);

  it('runs a js block with node; reports a block that throws and one without an output block', async () => {
    const js = {
      lang: 'js',
      code: "import { ENV_IDS } from 'klip/envs';\nconsole.log(ENV_IDS.includes('frozenlake4x4'), import.meta.resolve('klip/envs').endsWith('/dist/envs.js'));",
    };
    const out = (s: string): Fence => ({ lang: 'text', code: s, line: 0, end: 0 });
    const r = await runBlock(js.code, js.lang);
    const again = async (): Promise<BlockRun> => r;
    expect(await blockProblems(js, out('true true'), again)).toEqual([]);
    expect(await blockProblems(js, out('true false'), again)).toHaveLength(1);
    const throws = await blockProblems({ lang: 'js', code: "throw new Error('boom');" }, out(''));
    expect(throws).toEqual([expect.stringMatching(/^the block exited with 1:[\s\S]*boom/)]);
    const runs: string[] = [];
    const spy = async (code: string): Promise<BlockRun> => {
      runs.push(code);
      return { code: 0, signal: null, stdout: '', stderr: '' };
    };
    expect(await blockProblems(js, 'no output block: want …', spy)).toEqual(['no output block: want …']);
    expect(runs).toEqual([]);
  }, 120_000);
});

describe('code blocks in README.md, CONTRIBUTING.md and docs/', () => {
  it('finds the documents', () => {
    expect(DOCS).toContain('README.md');
    expect(DOCS).toContain(join('docs', 'index.md'));
  });

  it('the controller trace of docs/concepts/kl_penalty.md §6 is what its script in docs/benchmarks.md prints', () => {
    const md = readFileSync(join(ROOT, 'docs', 'benchmarks.md'), 'utf8');
    const fences = parseFences(md);
    const i = fences.findIndex((f) => f.lang === 'ts' && f.code.includes("env: 'grid5x5', objective: 'kl-penalty'"));
    const printed = outputBlockOf(md, fences, i);
    if (typeof printed === 'string') throw new Error(`docs/benchmarks.md: ${printed}`);
    const page = readFileSync(join(ROOT, 'docs', 'concepts', 'kl_penalty.md'), 'utf8');
    const table = page.slice(page.indexOf('| update | return | KL of the update |'), page.indexOf('\n(left: '));
    const rows = table.split('\n').filter((l) => /^\| \d+ \|/.test(l));
    expect(rows.length).toBeGreaterThan(20);
    expect(rows).toEqual(printed.code.split('\n'));
  });

  interface Runnable {
    name: string;
    fence: Fence;
    output: Fence | string;
  }
  const runnable: Runnable[] = [];
  const results = new Map<string, Promise<string[]>>();
  beforeAll(() => {
    const problem = distProblem();
    if (problem !== undefined) throw new Error(problem);
    // Start every block now, PARALLEL at a time; each test awaits its own.
    const limit = limiter(PARALLEL);
    for (const b of runnable)
      results.set(
        b.name,
        limit(() => blockProblems(b.fence, b.output)).catch((e: unknown) => [`the runner failed: ${String(e)}`]),
      );
  });

  for (const doc of DOCS) {
    const md = readFileSync(join(ROOT, doc), 'utf8');
    const fences = parseFences(md);
    fences.forEach((f, index) => {
      const name = `${doc}:${f.line} (${f.lang || 'plain'})`;
      if (SHELL_LANGS.has(f.lang)) {
        it(`${name} uses only known commands`, () => {
          expect(shellProblems(f.code)).toEqual([]);
        });
      } else if (CODE_LANGS.has(f.lang)) {
        const source = EXAMPLE_FILES.find((_, i) => isExcerptOf(f.code, EXAMPLES[i]!));
        if (source !== undefined && /^examples[\\/]web[\\/]/.test(source)) {
          // The browser example is built with Vite and loaded in Chromium by web_example.test.ts.
          it(`${name} is an excerpt of ${source}, which test/docs/web_example.test.ts builds and runs`, () => {
            const text = readFileSync(join(ROOT, 'test', 'docs', 'web_example.test.ts'), 'utf8');
            expect(text).toMatch(/join\(ROOT, 'examples', 'web', 'vite\.config\.ts'\)/);
          });
        } else if (source !== undefined) {
          // An excerpt is not run here: the example's test imports and runs the example it is taken from.
          const base = source.replace(/^examples[\\/]/, '').replace(/\.(ts|js|mjs)$/, '');
          it(`${name} is an excerpt of ${source}, which test/examples/${base}.test.ts runs`, () => {
            const test = join(ROOT, 'test', 'examples', `${base}.test.ts`);
            expect(existsSync(test), `${relative(ROOT, test)} should exist`).toBe(true);
            const text = readFileSync(test, 'utf8');
            expect(text).toMatch(new RegExp(`from '\\.\\./\\.\\./examples/${base}\\.js'`));
            expect(text).toMatch(/\bexpect\(/);
          });
        } else {
          runnable.push({ name, fence: f, output: outputBlockOf(md, fences, index) });
          it(`${name} runs on the built package and prints its output block`, async () => {
            const problems = await results.get(name);
            expect(problems, (problems ?? []).join('\n')).toEqual([]);
          }, 180_000);
        }
      }
    });
  }
});
