/**
 * Running a compare grid: each cell trains in-process or in a pool of worker threads (`klip compare --workers N`),
 * with identical results either way (every cell is seeded and independent). Node only.
 * @module
 */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../../core/errors.js';
import type { PpoConfigInput } from '../../training/config.js';
import type { MetricRecord } from '../../training/metrics.js';
import { train } from '../../training/trainer.js';
import { resolveWorkerScript, runWorkerPool } from '../worker_pool.js';
import { resultFromMetrics, type CompareResult } from './file.js';
import { cellConfig, type CompareCell, type CompareGrid } from './grid.js';

/** Options of {@link runCompare}. */
export interface RunCompareOptions {
  /**
   * Run one cell and return its metric history. @defaultValue `runCellWithTrainer` (a Trainer run to the end). A custom runner runs
   * in-process only (a function cannot be sent to a worker thread), so it requires `workers` ≤ 1.
   */
  runCell?: (config: PpoConfigInput, cell: CompareCell) => Promise<MetricRecord[]>;
  /** Called once per cell, in cell order (progress), whatever order the workers finish in. */
  onResult?: (result: CompareResult, done: number, total: number) => void;
  /**
   * Called once per cell with its result and its metric history (e.g. to keep the history in a cell run folder),
   * in cell order.
   */
  onMetrics?: (result: CompareResult, metrics: readonly MetricRecord[]) => void;
  /**
   * Worker threads to run cells in parallel (each has its own tfjs); 0 or 1 runs in-process. Capped at the number of
   * cells. When the worker script cannot be loaded (e.g. sources run without a TypeScript loader) the cells run
   * in-process. Results are identical either way: every cell is seeded and independent.
   * @defaultValue 1
   */
  workers?: number;
  /** Wall clock in ms (in-process runs). @defaultValue performance.now */
  now?: () => number;
  /** Called once before the first cell with the number of threads actually used (1 = in-process, e.g. after a fallback). */
  onStart?: (info: { workers: number }) => void;
}

/** What a compare worker sends back for one cell. */
export interface CellOutcome {
  /** The cell's metric history. */
  metrics: MetricRecord[];
  /** Wall time of the cell in seconds. */
  wallTimeSeconds: number;
}

/**
 * The default cell runner: `train(config)` (create a Trainer, step until done, dispose), returning the metric history.
 * @param config A cell's config (see {@link cellConfig}).
 * @returns One metric record per update (copies); the trainer is disposed.
 * @throws the errors of `Trainer.create` and `Trainer.step`.
 * @example
 * ```ts
 * const metrics = await runCellWithTrainer(cellConfig(grid, cells[0]));
 * ```
 */
export async function runCellWithTrainer(config: PpoConfigInput): Promise<MetricRecord[]> {
  return (await train(config)).history;
}

/**
 * One cell as a compare worker runs it: {@link runCellWithTrainer} and its wall time.
 * @param config The cell's config.
 * @returns Its metrics and wall time.
 * @example
 * ```ts
 * serveWorkerJobs(parentPort, runCellTimed);
 * ```
 */
export async function runCellTimed(config: PpoConfigInput): Promise<CellOutcome> {
  const t0 = performance.now();
  const metrics = await runCellWithTrainer(config);
  return { metrics, wallTimeSeconds: (performance.now() - t0) / 1000 };
}

/**
 * The default `--workers` of `klip compare`: min(os.availableParallelism(), cells).
 * @param cells Number of cells to run.
 * @returns A worker count ≥ 1.
 * @example
 * ```ts
 * defaultCompareWorkers(12); // 2 on a 2-core machine
 * ```
 */
export function defaultCompareWorkers(cells: number): number {
  return Math.max(1, Math.min(availableParallelism(), cells));
}

/**
 * Run cells with `opts.runCell` (in-process) or in `opts.workers` worker threads (`compare_worker.js` beside this
 * module, started through `resolveWorkerScript` of worker_pool.ts), and collect their results.
 * @param grid The grid.
 * @param cells The cells to run (all, or one shard).
 * @param opts The cell runner, worker count and a progress callback.
 * @returns Results in cell order (identical for any worker count, wall times aside).
 * @throws ConfigError for a bad `workers` or a custom `runCell` with `workers` > 1; a cell's error (the same
 *   class and message in a worker as in-process).
 * @example
 * ```ts
 * const results = await runCompare(grid, shardCells(compareCells(grid), shard), { workers: 2 });
 * ```
 */
export async function runCompare(
  grid: CompareGrid,
  cells: readonly CompareCell[],
  opts: RunCompareOptions = {},
): Promise<CompareResult[]> {
  const workers = opts.workers ?? 1;
  if (!Number.isSafeInteger(workers) || workers < 0)
    throw new ConfigError({ fn: 'compare', arg: '--workers', expected: 'an integer ≥ 0', got: workers });
  if (workers > 1 && opts.runCell) {
    throw new ConfigError({
      fn: 'runCompare',
      arg: 'runCell',
      expected: 'left out when workers > 1 (worker threads run the built-in Trainer runner)',
      got: 'a function',
    });
  }
  const n = Math.min(workers, cells.length);
  if (n > 1) {
    const script = resolveWorkerScript(new URL('./compare_worker.js', import.meta.url));
    if (script) {
      const outcomes = await runWorkerPool<PpoConfigInput, CellOutcome>({
        script,
        jobs: cells.map((c) => cellConfig(grid, c)),
        size: n,
        fn: 'compare',
        onStarted: () => opts.onStart?.({ workers: n }),
        onResult: (o, pos) => {
          const r = resultFromMetrics(cells[pos]!, o.metrics, o.wallTimeSeconds);
          opts.onMetrics?.(r, o.metrics);
          opts.onResult?.(r, pos + 1, cells.length);
        },
      });
      if (outcomes) return outcomes.map((o, pos) => resultFromMetrics(cells[pos]!, o.metrics, o.wallTimeSeconds));
    }
  }
  opts.onStart?.({ workers: 1 });
  const now = opts.now ?? (() => performance.now());
  const runCell = opts.runCell ?? runCellWithTrainer;
  const out: CompareResult[] = [];
  for (const c of cells) {
    const t0 = now();
    const metrics = await runCell(cellConfig(grid, c), c);
    const r = resultFromMetrics(c, metrics, (now() - t0) / 1000);
    out.push(r);
    opts.onMetrics?.(r, metrics);
    opts.onResult?.(r, out.length, cells.length);
  }
  return out;
}
