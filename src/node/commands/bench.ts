/**
 * `klip bench`: run the benchmarks of a source checkout. Node only.
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { KlipError } from '../../core/errors.js';
import type { CliIo } from './shared.js';

/** The nearest folder at or above `from` whose package.json is klip's (a source checkout), or null. */
export function findRepoRoot(from: string): string | null {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'bench', 'index.ts'))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'klip') return dir;
      } catch {
        // not ours
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Run `klip bench` with parsed options; returns the exit code. */
export async function runBench(args: string[], io: CliIo): Promise<number> {
  const root = findRepoRoot(io.cwd);
  if (!root) {
    throw new KlipError({
      fn: 'bench',
      arg: 'working folder',
      expected: 'inside a klip source checkout (with bench/index.ts)',
      got: io.cwd,
      hint: 'The benchmarks are not shipped in the npm package: clone the repository and run `npm run bench` there',
    });
  }
  return new Promise<number>((res) => {
    const child = spawn('npx', ['tsx', 'bench/index.ts', ...args], {
      cwd: root,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    child.on('error', (e) => {
      io.stderr.write(`klip: bench: could not start npx tsx (${e.message})\n`);
      res(1);
    });
    child.on('exit', (code, sig) => res(code ?? (sig ? 1 : 0)));
  });
}
