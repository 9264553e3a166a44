/**
 * `compare.json`: the results of a compare grid (or of one shard of it), how a cell's metric history becomes its
 * result, and how a folder written by `klip compare` is recognised and read. Node only.
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isPlainObject } from '../../core/assert.js';
import { ConfigError } from '../../core/errors.js';
import type { MetricRecord } from '../../training/metrics.js';
import { KLIP_VERSION } from '../../version.js';
import { readJsonFile } from '../atomic.js';
import { summarizeMetrics, type MetricSummary } from '../run_folder.js';
import type { CompareCell, CompareGrid, Shard } from './grid.js';

/** The outcome of one cell. */
export interface CompareResult extends CompareCell, MetricSummary {
  /** Updates run. */
  updates: number;
  /** Wall time of the cell in seconds (not deterministic). */
  wallTimeSeconds: number;
}

/** What `compare.json` holds (one per shard, or merged). */
export interface CompareFile {
  /** Format tag. */
  format: 'klip-compare';
  /** Schema version. */
  version: 1;
  /** klip version that wrote it. */
  klipVersion: string;
  /** The grid. */
  grid: CompareGrid;
  /** Which slice these results are (`null` for a full or merged grid). */
  shard: Shard | null;
  /** Results, sorted by cell index. */
  results: CompareResult[];
}

/** File names inside a folder written by `klip compare`. */
export const COMPARE_FILES = Object.freeze({
  /** The grid and every cell's result ({@link CompareFile}). */
  data: 'compare.json',
  /** The aggregated table, one line per (objective, controller). */
  table: 'compare.csv',
  /** One line per cell. */
  runs: 'compare_runs.csv',
  /** The standalone page (full or merged grids only). */
  html: 'compare.html',
} as const);

/**
 * Turn a cell's metric history into its result (see {@link summarizeMetrics}).
 * @param cell The cell.
 * @param metrics Its history.
 * @param wallTimeSeconds Wall time it took.
 * @returns The result record.
 * @example
 * ```ts
 * resultFromMetrics(cell, trainer.history, 3.2).finalReturn;
 * ```
 */
export function resultFromMetrics(
  cell: CompareCell,
  metrics: readonly MetricRecord[],
  wallTimeSeconds: number,
): CompareResult {
  const s = summarizeMetrics(metrics);
  return { ...cell, ...s, updates: metrics.length, wallTimeSeconds };
}

/**
 * Build a `compare.json` record.
 * @param grid The grid.
 * @param shard The slice, or null.
 * @param results Results.
 * @returns The file content.
 * @example
 * ```ts
 * compareFile(grid, null, results).format; // 'klip-compare'
 * ```
 */
export function compareFile(grid: CompareGrid, shard: Shard | null, results: CompareResult[]): CompareFile {
  return {
    format: 'klip-compare',
    version: 1,
    klipVersion: KLIP_VERSION,
    grid,
    shard,
    results: [...results].sort((a, b) => a.index - b.index),
  };
}

/**
 * Whether a parsed JSON value is a `compare.json` record: format `klip-compare`, version 1, a grid with its lists
 * and a results array. (The cells' numbers are not checked one by one.)
 * @param x A parsed JSON value.
 * @returns True for a compare record, narrowing `x`.
 * @example
 * ```ts
 * isCompareFile(JSON.parse(readFileSync('runs/cmp/compare.json', 'utf8')));
 * ```
 */
export function isCompareFile(x: unknown): x is CompareFile {
  if (!isPlainObject(x) || x.format !== 'klip-compare' || x.version !== 1 || !Array.isArray(x.results)) return false;
  const g = x.grid;
  return (
    isPlainObject(g) &&
    typeof g.env === 'string' &&
    Array.isArray(g.objectives) &&
    Array.isArray(g.controllers) &&
    Array.isArray(g.seeds) &&
    typeof g.totalSteps === 'number'
  );
}

/**
 * True when `dir` is a folder written by `klip compare` (it holds `compare.json`).
 * @param dir Folder path.
 * @returns Whether the folder holds a comparison.
 * @example
 * ```ts
 * isCompareFolder('runs/cmp'); // true after `klip compare --out runs/cmp`
 * ```
 */
export function isCompareFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, COMPARE_FILES.data));
  } catch {
    return false;
  }
}

/**
 * Read the `compare.json` of each folder (or a compare.json path) for `--merge`.
 * @param paths Folders written by `klip compare` (shards), or their compare.json files.
 * @returns The parsed files.
 * @throws ConfigError `compare: --merge must be …, got PATH` for a missing, malformed or foreign file.
 * @example
 * ```ts
 * const files = await readCompareFiles(['runs/cmp-1', 'runs/cmp-2']);
 * ```
 */
export async function readCompareFiles(paths: readonly string[]): Promise<CompareFile[]> {
  const out: CompareFile[] = [];
  for (const p of paths) {
    const file = p.endsWith('.json') ? p : join(p, COMPARE_FILES.data);
    const x = await readJsonFile(file, { fn: 'compare', arg: '--merge' });
    if (!isCompareFile(x)) {
      throw new ConfigError({
        fn: 'compare',
        arg: '--merge',
        expected: 'folders written by `klip compare` (a compare.json of format "klip-compare", version 1)',
        got: file,
      });
    }
    out.push(x);
  }
  return out;
}
