/**
 * `klip compare`: the ablation grid over objectives, controllers and seeds. Node only.
 * @module
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BackendName } from '../../backend/backend.js';
import type { KlControllerKind } from '../../controllers/types.js';
import { isPlainObject } from '../../core/assert.js';
import { ConfigError } from '../../core/errors.js';
import { resolvePpoConfig, type ObjectiveKind, type PpoConfigInput } from '../../training/config.js';
import { ENV_IDS } from '../../../envs/registry.js';
import { readJsonFile } from '../atomic.js';
import { aggregateCompare } from '../compare/aggregate.js';
import { compareFile, readCompareFiles } from '../compare/file.js';
import { cellConfig, compareCells, parseShard, shardCells, type CompareGrid } from '../compare/grid.js';
import { mergeCompare } from '../compare/merge.js';
import { formatCompareTable, writeCompareOutputs } from '../compare/outputs.js';
import { defaultCompareWorkers, runCompare } from '../compare/run.js';
import { formatNumber } from '../format.js';
import { usage } from '../flags.js';
import { type CliIo, timestamp } from './shared.js';

/** The parsed options of `klip compare` (docs/cli.md lists each flag). */
export interface CompareOpts {
  env: string;
  objectives: ObjectiveKind[];
  controllers: KlControllerKind[];
  seeds: number | number[];
  steps: number;
  backend?: BackendName;
  config?: string;
  shard?: string;
  merge?: string[];
  out?: string;
  force?: boolean;
  workers?: number;
}

/** Run `klip compare` with parsed options; returns the exit code. */
export async function runCompareCmd(o: CompareOpts, io: CliIo): Promise<number> {
  if (o.merge) {
    const files = await readCompareFiles(o.merge.map((p) => resolve(io.cwd, p)));
    const { merged, missing } = mergeCompare(files);
    if (missing.length) {
      throw usage(
        'compare --merge',
        'folders',
        'shards that together cover the grid',
        `${files.length} folder(s)`,
        `Missing cells: ${missing.map((c) => `${c.index} (${c.objective}/${c.controller}/seed ${String(c.seed)})`).join(', ')}`,
      );
    }
    const outDir = resolve(io.cwd, o.out ?? `runs/compare-${merged.grid.env}-merged-${timestamp()}`);
    await writeCompareOutputs(outDir, merged);
    io.stdout.write(formatCompareTable(aggregateCompare(merged.results)));
    io.stdout.write(`Wrote ${outDir}/{compare.json, compare.csv, compare_runs.csv, compare.html}\n`);
    return 0;
  }
  if (!(ENV_IDS as readonly string[]).includes(o.env))
    throw usage('compare', '--env', `one of ${ENV_IDS.join(', ')}`, o.env);
  let base: PpoConfigInput = {};
  if (o.config !== undefined) {
    const file = await readJsonFile(resolve(io.cwd, o.config), { fn: 'compare', arg: '--config' });
    if (!isPlainObject(file)) throw usage('compare', '--config', 'a JSON object of PpoConfig fields', file);
    base = file as PpoConfigInput;
  }
  if (o.backend !== undefined) base = { ...base, backend: o.backend };
  const grid: CompareGrid = {
    env: o.env,
    objectives: o.objectives,
    controllers: o.controllers,
    seeds: Array.isArray(o.seeds) ? o.seeds : Array.from({ length: o.seeds }, (_, i) => i + 1),
    totalSteps: o.steps,
    base,
  };
  const shard = o.shard !== undefined ? parseShard(o.shard) : null;
  const all = compareCells(grid);
  const cells = shard ? shardCells(all, shard) : all;
  try {
    for (const c of cells.slice(0, 1)) resolvePpoConfig(cellConfig(grid, c)); // fail fast on a bad grid, before any file
  } catch (e) {
    if (e instanceof ConfigError && e.arg === 'totalSteps') throw usage('compare', '--steps', e.expected, e.got);
    throw e;
  }
  const outArg = o.out ?? `runs/compare-${o.env}${shard ? `-shard${shard.index}of${shard.count}` : ''}-${timestamp()}`;
  const outDir = resolve(io.cwd, outArg);
  if (existsSync(join(outDir, 'compare.json')) && !o.force) {
    throw usage('compare', '--out', 'a folder without a compare.json', outArg, 'Pick another --out or pass --force');
  }
  if (o.workers !== undefined && o.workers < 0)
    throw usage('compare', '--workers', 'an integer ≥ 0 (0 or 1 = in-process)', o.workers);
  const workers = Math.min(o.workers ?? defaultCompareWorkers(cells.length), cells.length);
  const results = await runCompare(grid, cells, {
    workers,
    onStart: ({ workers: used }) =>
      io.stderr.write(
        `Comparing ${cells.length}${shard ? ` of ${all.length}` : ''} runs on ${o.env} (${o.steps} env steps each)${shard ? `, shard ${shard.index}/${shard.count}` : ''}, ${used > 1 ? `${used} worker threads` : 'in-process'}\n`,
      ),
    onResult: (r, done, total) =>
      io.stderr.write(
        `  [${done}/${total}] ${r.objective} / ${r.controller} / seed ${String(r.seed)}: final return ${formatNumber(r.finalReturn)}, KL per optimizer step (mean) ${formatNumber(r.meanStepKl, { digits: 6 })}\n`,
      ),
  });
  const file = compareFile(grid, shard, results);
  await writeCompareOutputs(outDir, file, { html: shard === null });
  io.stdout.write(formatCompareTable(aggregateCompare(results)));
  io.stdout.write(
    shard
      ? `Wrote shard ${shard.index}/${shard.count} to ${outArg}/compare.json; join the shards with: klip compare --merge <shard folders…>\n`
      : `Wrote ${outArg}/{compare.json, compare.csv, compare_runs.csv, compare.html}\n`,
  );
  return 0;
}
