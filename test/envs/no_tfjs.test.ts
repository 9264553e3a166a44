/**
 * `klip/envs` must never load tfjs: scan the import graph of the sources reachable from envs/index.ts and, when a
 * build exists, of the built chunks reachable from dist/envs.js. Never builds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every module specifier imported or re-exported at runtime or dynamically (type-only imports are erased). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\n;}])\s*(import|export)\s*(type\s+)?(?:[^'";]*?\s*from\s*)?['"]([^'"]+)['"]/g;
  for (let m = re.exec(source); m; m = re.exec(source)) if (!m[2]) out.push(m[3]!);
  const dyn = /\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = dyn.exec(source); m; m = dyn.exec(source)) out.push(m[1]!);
  return out;
}

function graph(entry: string, resolveRel: (from: string, spec: string) => string): { files: string[]; bare: string[] } {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const s of specifiers(readFileSync(f, 'utf8'))) {
      if (s.startsWith('.')) stack.push(resolveRel(f, s));
      else bare.add(s);
    }
  }
  return { files: [...seen], bare: [...bare] };
}

describe('klip/envs imports no tfjs', () => {
  it('the specifier scanner finds imports (self-check)', () => {
    expect(
      specifiers(
        "import * as tf from '@tensorflow/tfjs';\nexport { a } from './b.js';\nimport type { T } from 'x';\nconst m = import('y');",
      ),
    ).toEqual(['@tensorflow/tfjs', './b.js', 'y']);
    expect(specifiers('import"@tensorflow/tfjs";import{x}from"./c.js";')).toEqual(['@tensorflow/tfjs', './c.js']);
  });

  it('sources reachable from envs/index.ts', () => {
    const { files, bare } = graph(resolve(ROOT, 'envs/index.ts'), (from, s) =>
      resolve(dirname(from), s).replace(/\.js$/, '.ts'),
    );
    expect(files.length).toBeGreaterThan(8);
    expect(bare.filter((b) => b.startsWith('@tensorflow'))).toEqual([]);
    expect(bare).toEqual(['seedrandom']); // the one dependency (via src/random)
    const rel = files.map((f) => f.slice(ROOT.length + 1));
    expect(rel.filter((f) => f.startsWith('src/') && !/^src\/(random\/|core\/errors\.ts$)/.test(f))).toEqual([]);
  });

  it('built chunks reachable from dist/envs.js (when built)', () => {
    const entry = resolve(ROOT, 'dist/envs.js');
    if (!existsSync(entry)) return; // nothing built yet: the source scan above is the guard
    const { bare } = graph(entry, (from, s) => resolve(dirname(from), s));
    expect(bare.filter((b) => b.includes('tensorflow'))).toEqual([]);
  });
});
