/**
 * `klip compare --merge`: join the `compare.json` of the shards of one grid. Node only.
 * @module
 */
import { ConfigError } from '../../core/errors.js';
import { compareFile, type CompareFile, type CompareResult } from './file.js';
import { compareCells, type CompareCell, type CompareGrid } from './grid.js';

/** Result of {@link mergeCompare}. */
export interface MergedCompare {
  /** One compare file holding every shard's results. */
  merged: CompareFile;
  /** Cells of the grid that no shard delivered. */
  missing: CompareCell[];
}

/** The grid fields whose values differ between two grids (`base` compared whole). */
function gridDifferences(a: CompareGrid, b: CompareGrid): string[] {
  const keys: Array<keyof CompareGrid> = ['env', 'objectives', 'controllers', 'seeds', 'totalSteps', 'base'];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/**
 * Join shard results: all files must describe the same grid; cells are unioned by index (a cell found twice must
 * carry the same numbers, wall time aside).
 * @param files Shard files.
 * @param sources Where each file came from (the `--merge` folders), named in the errors. @defaultValue "folder i"
 * @returns The merged file and the cells still missing.
 * @throws ConfigError naming `--merge` when there is no file, when the grids differ (the error names the folder and
 *   the grid fields that differ) or when a cell has two different results.
 * @example
 * ```ts
 * const { merged, missing } = mergeCompare(await readCompareFiles(dirs), dirs);
 * ```
 */
export function mergeCompare(files: readonly CompareFile[], sources: readonly string[] = []): MergedCompare {
  const name = (i: number): string => sources[i] ?? `folder ${i + 1}`;
  if (files.length === 0)
    throw new ConfigError({
      fn: 'compare',
      arg: '--merge',
      expected: 'at least one folder written by `klip compare`',
      got: [],
    });
  const grid = files[0]!.grid;
  const byIndex = new Map<number, { result: CompareResult; from: number }>();
  files.forEach((f, i) => {
    const diff = gridDifferences(grid, f.grid);
    if (diff.length > 0) {
      throw new ConfigError({
        fn: 'compare',
        arg: '--merge',
        expected: 'shards of one grid (same env, objectives, controllers, seeds, steps and config)',
        got: name(i),
        hint: `Its ${diff.join(', ')} differ from those of ${name(0)}`,
      });
    }
    for (const r of f.results) {
      const prev = byIndex.get(r.index);
      const same = (a: CompareResult): boolean =>
        JSON.stringify({ ...a, wallTimeSeconds: 0 }) === JSON.stringify({ ...r, wallTimeSeconds: 0 });
      if (prev && !same(prev.result)) {
        throw new ConfigError({
          fn: 'compare',
          arg: '--merge',
          expected: 'shards whose common cells have identical results',
          got: name(i),
          hint: `Cell ${r.index} (${r.objective} / ${r.controller} / seed ${String(r.seed)}) differs from the one in ${name(prev.from)}`,
        });
      }
      if (!prev) byIndex.set(r.index, { result: r, from: i });
    }
  });
  const missing = compareCells(grid).filter((c) => !byIndex.has(c.index));
  return {
    merged: compareFile(
      grid,
      null,
      [...byIndex.values()].map((v) => v.result),
    ),
    missing,
  };
}
