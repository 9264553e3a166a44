/**
 * The README's shell commands run in order on a fresh checkout: every folder or file a command reads (`klip report`,
 * `reproduce` and `eval` arguments, `--resume`, `--merge`, `--map`, `--config`, `--env-module`) exists in the
 * repository or was written by an earlier command of the README (`--out`, or `npm start`'s `runs/quickstart`), and
 * `npx klip` works because `npm install` builds `dist/` (the `prepare` script). code_blocks.test.ts checks the
 * commands themselves (npm scripts, `npx tsx` files).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFences, ROOT } from './doc_blocks.js';

const SHELL = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);
/** Flags whose value is read: it must exist before the command. */
const READ_FLAGS = new Set(['--resume', '--map', '--config', '--env-module']);
/** What `npm start` writes (`klip train` with the quickstart preset; README "Quick start"). */
const NPM_START_WRITES = ['runs/quickstart'];

/** A path with `${VAR}` or `*` as a regular expression over written paths. */
function pattern(path: string): RegExp {
  const esc = path
    .split(/\$\{[^}]*\}|\*/)
    .map((p) => p.replace(/[.+?^$()[\]{}|\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${esc}$`);
}

/**
 * Walk shell commands in order and list each path a command reads that neither exists under `root` nor was written
 * before. Written: `--out X` of every command, and `runs/quickstart` after `npm start`.
 */
function missingInputs(commands: readonly string[], root = ROOT): string[] {
  const written: string[] = [];
  const problems: string[] = [];
  // Run folders come from earlier commands only (a local runs/ of someone's experiments does not count).
  const have = (p: string): boolean =>
    (!p.startsWith('runs/') && existsSync(join(root, p))) ||
    written.some((w) => w === p || pattern(p).test(w) || pattern(w).test(p));
  for (const raw of commands) {
    for (const cmd of raw.replace(/\\\n/g, ' ').split(/&&|;/)) {
      const t = cmd.trim().split(/\s+/).filter(Boolean);
      if (t[0] === 'npm' && t[1] === 'start') written.push(...NPM_START_WRITES);
      const k = t[0] === 'npx' && t[1] === 'klip' ? 2 : t[0] === 'klip' ? 1 : -1;
      if (k < 0) continue;
      const sub = t[k];
      const reads: string[] = [];
      for (let i = k + 1; i < t.length; i++) {
        const a = t[i]!;
        if (READ_FLAGS.has(a) && t[i + 1]) reads.push(t[++i]!);
        else if (a === '--merge') while (t[i + 1] && !t[i + 1]!.startsWith('--')) reads.push(t[++i]!);
        else if (a === '--out' && t[i + 1]) written.push(t[++i]!);
        else if (a.startsWith('--')) {
          if (t[i + 1] && !t[i + 1]!.startsWith('--')) i++; // a flag's value
        } else if (sub === 'report' || sub === 'reproduce' || sub === 'eval') reads.push(a);
      }
      // Boolean flags consumed a folder above (`eval runs/mine --best` is fine: the folder comes first).
      for (const r of reads) if (!have(r)) problems.push(`\`${cmd.trim()}\` reads ${r}, which nothing wrote before`);
    }
  }
  return problems;
}

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const commands = parseFences(readme)
  .filter((f) => SHELL.has(f.lang))
  .flatMap((f) => f.code.split('\n'))
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe("the README's shell commands", () => {
  it('read only folders and files that exist or that an earlier command wrote', () => {
    expect(missingInputs(commands)).toEqual([]);
  });

  it('the checker finds a folder nothing wrote, in order', () => {
    expect(missingInputs(['npx klip report runs/quickstart runs/my-other-run'])).toEqual([
      '`npx klip report runs/quickstart runs/my-other-run` reads runs/quickstart, which nothing wrote before',
      '`npx klip report runs/quickstart runs/my-other-run` reads runs/my-other-run, which nothing wrote before',
    ]);
    expect(
      missingInputs(['npm start', 'npx klip train --out runs/b', 'npx klip report runs/quickstart runs/b']),
    ).toEqual([]);
    expect(missingInputs(['npx klip eval runs/mine --best', 'npx klip train --out runs/mine'])).toHaveLength(1);
    expect(missingInputs(['npx klip train --map my_map.txt'])[0]).toMatch(/reads my_map\.txt/);
    expect(
      missingInputs([
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable, as the README writes it
        'npx klip compare --seeds 10 --shard ${SLURM_ARRAY_TASK_ID}/8 --out runs/cmp-shard-${SLURM_ARRAY_TASK_ID}',
        'npx klip compare --merge runs/cmp-shard-* --out runs/cmp',
      ]),
    ).toEqual([]);
  });

  it('the quick start is exactly `npm install` then `npm start`', () => {
    const quick = /## Quick start\n\n```sh\n([^`]*)```/.exec(readme)?.[1];
    expect(quick?.trim().split('\n')).toEqual(['npm install', 'npm start']);
  });

  it('`npx klip` works after `npm install` in a checkout: `prepare` builds dist/, where package.json "bin" points', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(pkg.bin.klip).toBe('dist/cli.js');
    expect(readFileSync(join(ROOT, 'tsup.config.ts'), 'utf8')).toMatch(/cli/);
  });
});
