/**
 * `npm run bench`: run every `bench/*.ts` speed module except `harness.ts`, `index.ts`, the limit loop that
 * `train.ts` runs beside klip (`limit_ppo.ts`) and the learning benchmark (`learn.ts`, `learn_worker.ts`:
 * `npm run bench:learn`), in name order, by importing it
 * and calling its exported `main(opts)` with the parsed `--json --reps N --warmup N`.
 * `--only NAME[,NAME…]` keeps the modules whose file name (without `.ts`) is listed, e.g. `--only kl`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseBenchArgs, type BenchOptions } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : null;
if (only !== null && only.length === 0) throw new Error('bench: --only needs a module name, e.g. --only kl');

const NOT_SPEED = new Set(['harness.ts', 'index.ts', 'learn.ts', 'learn_worker.ts', 'limit_ppo.ts']);
const names = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !NOT_SPEED.has(f))
  .map((f) => f.slice(0, -3))
  .sort();
const selected = only ? names.filter((n) => only.includes(n)) : names;
if (only) {
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length)
    throw new Error(`bench: --only ${unknown.join(',')} matches no module; available: ${names.join(', ')}`);
}

const opts: BenchOptions = parseBenchArgs(argv);
for (const name of selected) {
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as {
    main?: (o: BenchOptions) => Promise<unknown>;
  };
  if (typeof mod.main !== 'function') throw new Error(`bench: bench/${name}.ts does not export main(opts)`);
  await mod.main(opts);
}
