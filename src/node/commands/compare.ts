/**
 * `klip compare`: the ablation grid over objectives, controllers and seeds. Node only.
 * @module
 */
import { existsSync, promises as fsp } from 'node:fs';
import { resolve } from 'node:path';
import type { BackendName } from '../../backend/backend.js';
import type { KlControllerKind } from '../../controllers/types.js';
import { isPlainObject } from '../../core/assert.js';
import { ConfigError } from '../../core/errors.js';
import { resolvePpoConfig, type ObjectiveKind, type PpoConfigInput } from '../../training/config.js';
import type { MetricRecord } from '../../training/metrics.js';
import { ENV_IDS } from '../../../envs/registry.js';
import { readJsonFile } from '../atomic.js';
import { aggregateCompare } from '../compare/aggregate.js';
import { compareFile, isCompareFolder, readCompareFiles, type CompareFile } from '../compare/file.js';
import { cellConfig, compareCells, parseShard, shardCells, type CompareGrid } from '../compare/grid.js';
import { mergeCompare } from '../compare/merge.js';
import { formatCompareTable, writeCompareOutputs, type CompareCellOutputs } from '../compare/outputs.js';
import { defaultCompareWorkers, runCompare } from '../compare/run.js';
import { formatNumber } from '../format.js';
import { acquireOutputLock } from '../lock.js';
import { checkCreatable } from '../run_folder.js';
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

/** What `--force` may replace: a folder written by `klip compare`. */
const COMPARE_OWNER = { is: isCompareFolder, what: 'klip compare folder' };

/**
 * Write a comparison into `outDir` as its one writer: the folder must be new, empty, or (with `force`) a klip compare
 * folder ({@link checkCreatable}); `klip.lock` is held while `produce` runs and the files are written. A folder this
 * call created is removed again when `produce` fails before anything was written.
 */
async function writeAsOwner(
  outDir: string,
  force: boolean,
  produce: () => Promise<CompareFile>,
  html: boolean,
  cells: CompareCellOutputs,
): Promise<CompareFile> {
  checkCreatable(outDir, force, 'compare', COMPARE_OWNER);
  const existed = existsSync(outDir);
  const lock = acquireOutputLock(outDir, 'compare');
  let file: CompareFile;
  try {
    file = await produce();
    await writeCompareOutputs(outDir, file, { html, cells });
  } catch (e) {
    lock.release();
    if (!existed) await fsp.rmdir(outDir).catch(() => undefined); // only when still empty
    throw e;
  }
  lock.release();
  return file;
}

/** `klip compare --merge`: join shard folders of one grid into `--out`. */
async function runMerge(o: CompareOpts, merge: readonly string[], io: CliIo): Promise<number> {
  const paths = merge.map((p) => resolve(io.cwd, p));
  const files = await readCompareFiles(paths);
  const { merged, missing } = mergeCompare(files, merge);
  if (missing.length) {
    throw usage(
      'compare',
      '--merge',
      'shards that together cover the grid',
      `${files.length} folder(s)`,
      `Missing cells: ${missing.map((c) => `${c.index} (${c.objective}/${c.controller}/seed ${String(c.seed)})`).join(', ')}`,
    );
  }
  const outArg = o.out ?? `runs/compare-${merged.grid.env}-merged-${timestamp()}`;
  const outDir = resolve(io.cwd, outArg);
  await writeAsOwner(outDir, o.force ?? false, async () => merged, true, { copyFrom: paths });
  io.stdout.write(formatCompareTable(aggregateCompare(merged.results)));
  io.stdout.write(`Wrote ${outDir}/{compare.json, compare.csv, compare_runs.csv, compare.html, cells/}\n`);
  return 0;
}

/** Run `klip compare` with parsed options; returns the exit code. */
export async function runCompareCmd(o: CompareOpts, io: CliIo): Promise<number> {
  if (o.merge) return runMerge(o, o.merge, io);
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
  if (o.workers !== undefined && o.workers < 0)
    throw usage('compare', '--workers', 'an integer ≥ 0 (0 or 1 = in-process)', o.workers);
  const workers = Math.min(o.workers ?? defaultCompareWorkers(cells.length), cells.length);
  const metrics = new Map<number, readonly MetricRecord[]>();
  const file = await writeAsOwner(
    outDir,
    o.force ?? false,
    async () =>
      compareFile(
        grid,
        shard,
        await runCompare(grid, cells, {
          workers,
          onMetrics: (r, m) => metrics.set(r.index, m),
          onStart: ({ workers: used }) =>
            io.stderr.write(
              `Comparing ${cells.length}${shard ? ` of ${all.length}` : ''} runs on ${o.env} (${o.steps} env steps each)${shard ? `, shard ${shard.index}/${shard.count}` : ''}, ${used > 1 ? `${used} worker threads` : 'in-process'}\n`,
            ),
          onResult: (r, done, total) =>
            io.stderr.write(
              `  [${done}/${total}] ${r.objective} / ${r.controller} / seed ${String(r.seed)}: final return ${formatNumber(r.finalReturn)}, KL per optimizer step (mean) ${formatNumber(r.meanStepKl, { digits: 6 })}\n`,
            ),
        }),
      ),
    shard === null,
    { metrics },
  );
  io.stdout.write(formatCompareTable(aggregateCompare(file.results)));
  io.stdout.write(
    shard
      ? `Wrote shard ${shard.index}/${shard.count} to ${outArg}/{compare.json, cells/}; join the shards with: klip compare --merge <shard folders…>\n`
      : `Wrote ${outArg}/{compare.json, compare.csv, compare_runs.csv, compare.html, cells/}\n`,
  );
  return 0;
}
