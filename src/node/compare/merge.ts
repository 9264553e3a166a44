/**
 * `klip compare --merge`: join the `compare.json` of the shards of one grid. Node only.
 * @module
 */
import { ConfigError } from '../../core/errors.js';
import { compareFile, type CompareFile, type CompareResult } from './file.js';
import { compareCells, type CompareCell } from './grid.js';

/** Result of {@link mergeCompare}. */
export interface MergedCompare {
  /** One compare file holding every shard's results. */
  merged: CompareFile;
  /** Cells of the grid that no shard delivered. */
  missing: CompareCell[];
}

/**
 * Join shard results: all files must describe the same grid; cells are unioned by index (a cell found twice must
 * carry the same numbers, wall time aside).
 * @param files Shard files.
 * @returns The merged file and the cells still missing.
 * @throws ConfigError when the grids differ or a cell has two different results.
 * @example
 * ```ts
 * const { merged, missing } = mergeCompare(await readCompareFiles(dirs));
 * ```
 */
export function mergeCompare(files: readonly CompareFile[]): MergedCompare {
  if (files.length === 0)
    throw new ConfigError({
      fn: 'compare --merge',
      arg: 'folders',
      expected: 'at least one folder written by `klip compare`',
      got: [],
    });
  const grid = files[0]!.grid;
  const key = JSON.stringify(grid);
  const byIndex = new Map<number, CompareResult>();
  files.forEach((f, i) => {
    if (JSON.stringify(f.grid) !== key) {
      throw new ConfigError({
        fn: 'compare --merge',
        arg: `folder ${i + 1}`,
        expected: 'the same grid as the first folder (same env, objectives, controllers, seeds, steps, config)',
        got: f.grid,
      });
    }
    for (const r of f.results) {
      const prev = byIndex.get(r.index);
      if (prev && JSON.stringify({ ...prev, wallTimeSeconds: 0 }) !== JSON.stringify({ ...r, wallTimeSeconds: 0 })) {
        throw new ConfigError({
          fn: 'compare --merge',
          arg: `cell ${r.index}`,
          expected: 'identical results in every folder that holds it',
          got: r,
        });
      }
      if (!prev) byIndex.set(r.index, r);
    }
  });
  const missing = compareCells(grid).filter((c) => !byIndex.has(c.index));
  return { merged: compareFile(grid, null, [...byIndex.values()]), missing };
}
