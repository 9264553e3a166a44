/**
 * The layer rules of the package, made executable: each module imports only from layers below it.
 * Deliberate deviation (see README "Design notes"): `src/core/errors.ts` imports nothing, so the tfjs-free
 * layers (`src/random`, `src/controllers`, `envs/`) may use it to throw typed errors.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function walk(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(join(ROOT, dir));
  } catch {
    return out;
  }
  for (const name of entries) {
    const rel = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(join(ROOT, rel)).isDirectory()) out = out.concat(walk(rel));
    else if (/\.(ts|tsx|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Runtime imports (type-only imports are erased and do not count). */
function importsOf(source: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
  for (let m = re.exec(source); m; m = re.exec(source)) if (!m[2]) specs.push(m[3]!);
  const dyn = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = dyn.exec(source); m; m = dyn.exec(source)) specs.push(m[1]!);
  return specs;
}

function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts');
}

type Rule = { files: RegExp; allow: RegExp[]; why: string };
const ERRORS = /^src\/core\/errors\.ts$/;
const RULES: Rule[] = [
  {
    files: /^envs\//,
    allow: [/^envs\//, /^src\/random\//, ERRORS],
    why: 'envs import only src/random and core/errors (never tfjs)',
  },
  { files: /^src\/random\//, allow: [/^seedrandom$/, /^src\/random\//, ERRORS], why: 'random imports only seedrandom' },
  {
    files: /^src\/controllers\//,
    allow: [/^src\/controllers\//, ERRORS, /^src\/core\/assert\.ts$/],
    why: 'controllers are plain numbers',
  },
  { files: /^src\/core\//, allow: [/^@tensorflow\/tfjs$/, /^src\/core\//], why: 'core sits at the bottom' },
  {
    files: /^src\/backend\//,
    allow: [/^@tensorflow\/tfjs(-backend-wasm)?$/, /^src\/core\//, /^src\/backend\//],
    why: 'backend sits at the bottom',
  },
  {
    files: /^src\/distributions\//,
    allow: [/^@tensorflow\/tfjs$/, /^src\/(core|random|distributions)\//],
    why: 'distributions → core, random',
  },
  {
    files: /^src\/kl\/probs\.ts$/,
    allow: [/^src\/core\/(errors|assert)\.ts$/],
    why: 'kl/probs is float64 with no tensors',
  },
  {
    files: /^src\/kl\//,
    allow: [/^@tensorflow\/tfjs$/, /^src\/(core|random|distributions|kl)\//],
    why: 'kl → distributions, core',
  },
  {
    files: /^src\/objectives\/advantages\.ts$/,
    allow: [/^src\/core\/(errors|assert)\.ts$/],
    why: 'advantages are typed arrays, no tfjs',
  },
  {
    files: /^src\/objectives\//,
    allow: [/^@tensorflow\/tfjs$/, /^src\/(core|kl|distributions|objectives)\//],
    why: 'objectives → kl, distributions, core',
  },
  {
    files: /^src\/policies\//,
    allow: [
      /^@tensorflow\/tfjs$/,
      /^src\/(core|random|backend|distributions|kl|policies)\//,
      /^envs\/(types|spaces)\.ts$/,
    ],
    why: 'policies → distributions, core, random, backend, env types',
  },
  {
    files: /^src\/engine\//,
    allow: [/^@tensorflow\/tfjs$/, /^src\/(core|random|engine)\//, /^src\/objectives\/advantages\.ts$/],
    why: 'engine → core, random, advantages (policies and training as types only); it runs in the browser too',
  },
  {
    files: /^src\/(training|rlhf|distill)\//,
    allow: [
      /^src\/version\.ts$/,
      /^@tensorflow\/tfjs$/,
      /^src\/(core|random|backend|distributions|kl|objectives|controllers|policies|engine|training|rlhf|distill)\//,
      /^envs\//,
    ],
    why: 'training/rlhf/distill → the core layers, the fused engine and envs',
  },
  {
    files: /^src\/node\//,
    allow: [/^node:/, /^(?!\.)[^/]/, /^@/, /^src\//, /^envs\//],
    why: 'node may use everything',
  },
  { files: /^src\/index\.ts$/, allow: [/^src\//, /^envs\//], why: 'barrel' },
  { files: /^src\/version\.ts$/, allow: [], why: 'a constant, imports nothing' },
  {
    files: /^(examples|web)\//,
    allow: [
      /^klip(\/envs|\/node)?$/,
      /^node:/,
      /^(?!\.)(?!src\/)(?!envs\/)[^/]/,
      /^@(?!tensorflow\/tfjs-node)/,
      /^(examples|web)\//,
    ],
    why: 'examples and the web page use only the public entries',
  },
];

const FILES = [...walk('src'), ...walk('envs'), ...walk('examples'), ...walk('web/src')];

describe('architecture: layer rules', () => {
  it('finds the source files', () => {
    expect(FILES.length).toBeGreaterThan(10);
  });

  it('every runtime import follows the layer rules', () => {
    const violations: string[] = [];
    for (const file of FILES) {
      const rule = RULES.find((r) => r.files.test(file));
      if (!rule) {
        violations.push(`${file}: no layer rule covers this file`);
        continue;
      }
      for (const spec of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
        const t = target(file, spec);
        if (!rule.allow.some((a) => a.test(t))) violations.push(`${file} imports ${spec} (${rule.why})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('nothing but src/node touches fs, process or Math.random; nobody imports tfjs-node', () => {
    const bad: string[] = [];
    for (const file of FILES) {
      const src = readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/Math\.random\s*\(/.test(src)) bad.push(`${file}: Math.random`);
      if (src.includes('@tensorflow/tfjs-node')) bad.push(`${file}: @tensorflow/tfjs-node`);
      if (
        !file.startsWith('src/node/') &&
        !file.startsWith('examples/') &&
        /\bprocess\.(?!env\.NODE_ENV)|from ['"](node:)?fs['"]/.test(src)
      ) {
        bad.push(`${file}: fs/process outside src/node`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the import scanner sees runtime imports and ignores type-only ones', () => {
    const src =
      "import type { A } from './a.js';\nimport * as tf from '@tensorflow/tfjs';\nexport { b } from './b.js';\nconst m = await import('./c.js');";
    expect(importsOf(src)).toEqual(['@tensorflow/tfjs', './b.js', './c.js']);
  });
});
