/**
 * Every code block in README.md and docs/**\/*.md (not docs/api/) is either an excerpt of an example file or run
 * by this test (Gymnasium doctests, zod's docs tests):
 * - `ts`/`js` blocks: verbatim (modulo leading indentation and blank lines) in a file under `examples/`, or else
 *   written to `.tmp/docs-blocks/` and imported through vitest's module loader (so `klip` / `klip/envs` resolve
 *   to the sources) and must finish without throwing;
 * - shell blocks (`sh`, `bash`, `shell`, `console`): every command is `npm` (and `npm run X` names a script of
 *   package.json), `npx klip`, `npx tsx <existing file>`, `klip` or `node`;
 * - other blocks (text, json, diagrams) are allowed as they are.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** One fenced code block. */
interface Fence {
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** The fenced code blocks of a CommonMark document (``` and ~~~ fences; indentation of the fence removed). */
function parseFences(md: string): Fence[] {
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
    out.push({ lang: open[3]!.toLowerCase(), code: body.join('\n'), line: i + 1 });
    i = j;
  }
  return out;
}

/** Lines without leading/trailing spaces, blank lines dropped: the form excerpts are compared in. */
function normalizeCode(code: string): string {
  return code
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('\n');
}

/** True when every line of `block`, in order and contiguous, appears in `source` (modulo indentation). */
function isExcerptOf(block: string, source: string): boolean {
  const b = normalizeCode(block);
  return b.length > 0 && `\n${normalizeCode(source)}\n`.includes(`\n${b}\n`);
}

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
const TMP = join(ROOT, '.tmp', 'docs-blocks');

describe('the code-block checker', () => {
  it('parses ``` and ~~~ fences with their language and indentation', () => {
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
      { lang: 'ts', code: 'const a = 1;', line: 2 },
      { lang: 'sh', code: 'npm test\n```\nnot a close', line: 6 },
      { lang: '', code: 'x', line: 11 },
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
});

describe('code blocks in README.md and docs/', () => {
  it('finds the documents', () => {
    expect(DOCS).toContain('README.md');
    expect(DOCS).toContain(join('docs', 'index.md'));
  });

  afterAll(() => {
    rmSync(TMP, { recursive: true, force: true });
  });

  for (const doc of DOCS) {
    const fences = parseFences(readFileSync(join(ROOT, doc), 'utf8'));
    for (const f of fences) {
      const name = `${doc}:${f.line} (${f.lang || 'plain'})`;
      if (SHELL_LANGS.has(f.lang)) {
        it(`${name} uses only known commands`, () => {
          expect(shellProblems(f.code)).toEqual([]);
        });
      } else if (CODE_LANGS.has(f.lang)) {
        const source = EXAMPLE_FILES.find((_, i) => isExcerptOf(f.code, EXAMPLES[i]!));
        if (source !== undefined) {
          // An excerpt is not run here: it is checked by running its example, so that example must have a test.
          it(`${name} is an excerpt of ${source}, which test/examples runs`, () => {
            const test = join(
              ROOT,
              'test',
              'examples',
              source.replace(/^examples[\\/]/, '').replace(/\.(ts|js|mjs)$/, '.test.ts'),
            );
            expect(existsSync(test), `${relative(ROOT, test)} should exist`).toBe(true);
            expect(readFileSync(test, 'utf8')).toMatch(/\bexpect\(/);
          });
        } else {
          it(`${name} runs`, async () => {
            mkdirSync(TMP, { recursive: true });
            const file = join(TMP, `${relative(ROOT, join(ROOT, doc)).replace(/[^\w]+/g, '_')}_${f.line}.ts`);
            writeFileSync(file, `${f.code}\nexport {};\n`);
            const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
            try {
              await import(/* @vite-ignore */ file);
            } finally {
              log.mockRestore();
            }
          }, 120_000);
        }
      }
    }
  }
});
