/**
 * The per-cell run folders of a comparison: each cell of `klip compare` keeps its metric history under
 * `OUT/cells/<name>/` as a small run folder (`klip.json`, `config.json`, `metrics.jsonl`, `metrics.csv`,
 * `summary.json`; no checkpoint), so `klip report OUT/cells/a OUT/cells/b` overlays any cells. Node only.
 * @module
 */
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { resolvePpoConfig } from '../../training/config.js';
import type { MetricRecord } from '../../training/metrics.js';
import { KLIP_VERSION } from '../../version.js';
import { createRun, type RunSummary } from '../run_folder.js';
import type { CompareResult } from './file.js';
import { cellConfig, type CompareCell, type CompareGrid } from './grid.js';

/** The folder of a comparison that holds one run folder per cell. */
export const CELLS_DIR = 'cells';

/**
 * The folder name of a cell: its grid index (zero-padded, so names sort in grid order), objective, controller and
 * seed, with anything but letters, digits, `+`, `.` and `-` replaced by `_`.
 * @param cell The cell.
 * @returns e.g. `03-clip+kl-adaptive-seed1` (`-` controllers are left out: `00-clip-seed1`).
 * @example
 * ```ts
 * cellFolderName({ index: 3, objective: 'clip+kl', controller: 'adaptive', seed: 1 }); // "03-clip+kl-adaptive-seed1"
 * ```
 */
export function cellFolderName(cell: CompareCell): string {
  const parts = [
    String(cell.index).padStart(2, '0'),
    cell.objective,
    ...(cell.controller === '-' ? [] : [cell.controller]),
    `seed${String(cell.seed)}`,
  ];
  return parts.join('-').replace(/[^A-Za-z0-9+.-]/g, '_');
}

/**
 * Write one cell's run folder under `dir/cells/`: its resolved config, its metric history and a summary built from
 * its result (enough for `klip report`; no policy picture, as the cell's trainer is gone).
 * @param dir The comparison's output folder.
 * @param grid The grid.
 * @param result The cell's result.
 * @param metrics The cell's metric history.
 * @returns The cell folder's path.
 * @throws KlipError naming the path when a file cannot be written.
 * @example
 * ```ts
 * await writeCellFolder('runs/cmp', grid, results[0], metrics);
 * ```
 */
export async function writeCellFolder(
  dir: string,
  grid: CompareGrid,
  result: CompareResult,
  metrics: readonly MetricRecord[],
): Promise<string> {
  const name = cellFolderName(result);
  const path = join(dir, CELLS_DIR, name);
  const config = resolvePpoConfig(cellConfig(grid, result));
  const run = await createRun(path, { config, force: true });
  await run.rewriteMetrics(metrics);
  const last = metrics[metrics.length - 1];
  const summary: RunSummary = {
    run: name,
    klipVersion: KLIP_VERSION,
    env: grid.env,
    objective: result.objective,
    controller: result.controller,
    seed: result.seed,
    backend: config.backend,
    updates: result.updates,
    envSteps: typeof last?.global_step === 'number' ? last.global_step : result.updates * config.batchSize,
    wallTimeSeconds: result.wallTimeSeconds,
    complete: result.updates === config.numIterations,
    finalReturn: result.finalReturn,
    successRate: result.successRate,
    policyReturn: result.policyReturn,
    optimalReturn: result.optimalReturn,
    meanStepKl: result.meanStepKl,
    finalBeta: result.finalBeta,
  };
  await run.writeSummary(summary);
  return path;
}

/**
 * Copy the cell folders of shard folders into a merged comparison's `cells/` (`klip compare --merge`). Shards
 * written by an older klip have none; they are skipped.
 * @param shards The shard folders (or their compare.json paths).
 * @param dir The merged output folder.
 * @returns The number of shards whose cells were copied.
 * @example
 * ```ts
 * await copyCellFolders(['runs/cmp-1', 'runs/cmp-2'], 'runs/cmp');
 * ```
 */
export async function copyCellFolders(shards: readonly string[], dir: string): Promise<number> {
  let n = 0;
  for (const s of shards) {
    const from = join(s.endsWith('.json') ? join(s, '..') : s, CELLS_DIR);
    if (!existsSync(from)) continue;
    await fsp.cp(from, join(dir, CELLS_DIR), { recursive: true, force: true });
    n += 1;
  }
  return n;
}
