/**
 * `klip compare`: the ablation grid of the PPO paper's Table 1 on klip's worlds (objectives × KL controllers × seeds),
 * deterministic sharding (`--shard i/n`) so a batch engine (Slurm array, Kubernetes Jobs, CI matrix) can run the
 * slices, and `--merge` to join the slices' `compare.json` files. Node only.
 * @module
 */
import { existsSync, promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  CheckpointError,
  ConfigError,
  EnvError,
  KlipError,
  NumericError,
  ShapeError,
  type KlipErrorDetails,
} from '../core/errors.js';
import type { PpoConfigInput } from '../training/config.js';
import { hasKlTerm } from '../training/kl_control.js';
import type { MetricRecord } from '../training/metrics.js';
import { train } from '../training/trainer.js';
import { KLIP_VERSION } from '../version.js';
import { readJsonFile, writeFileAtomic, type KlipErrorClass } from './atomic.js';
import { escapeHtml, renderSpecToSvg, type VegaLiteSpec } from './report.js';
import { summarizeMetrics, type MetricSummary } from './run_folder.js';

/** The grid of a comparison: everything that decides which cells exist and what each one runs. */
export interface CompareGrid {
  /** Env preset id. */
  env: string;
  /** Objectives (rows of the ablation). */
  objectives: string[];
  /** KL controller kinds, used by the objectives with a KL term (`kl-penalty`, `clip+kl`). */
  controllers: string[];
  /** Seeds. */
  seeds: Array<number | string>;
  /** Env steps per cell. */
  totalSteps: number;
  /** Other config fields shared by every cell (from `--config`, `--backend`, …). */
  base: PpoConfigInput;
}

/** One cell of the grid. `controller` is `'-'` for objectives without a KL term (they ignore β). */
export interface CompareCell {
  /** Position in the full grid (0-based); sharding and merging key on it. */
  index: number;
  /** Objective. */
  objective: string;
  /** Controller kind or `'-'`. */
  controller: string;
  /** Seed. */
  seed: number | string;
}

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

/** Aggregated row of the comparison table: one per (objective, controller). */
export interface CompareRow {
  /** Objective. */
  objective: string;
  /** Controller kind or `'-'`. */
  controller: string;
  /** Seeds aggregated. */
  n: number;
  /** Mean and sample std (n − 1) of the final return over seeds. */
  returnMean: number | null;
  /** Sample standard deviation of the final return (0 for one seed). */
  returnStd: number | null;
  /** Mean over seeds of the mean per-step KL. */
  klMean: number | null;
  /** Sample std over seeds of the mean per-step KL. */
  klStd: number | null;
  /** Mean exact policy return (tabular worlds). */
  policyReturnMean: number | null;
  /** Exact optimum (tabular worlds). */
  optimalReturn: number | null;
}

/**
 * Enumerate the grid's cells in a fixed order: objective, then controller, then seed. Objectives without a KL
 * term get one controller `'-'` (β does not affect them, so running them per controller would repeat work).
 * @param grid The grid.
 * @returns Cells with their 0-based `index`.
 * @example
 * ```ts
 * compareCells({ env: 'bandit', objectives: ['clip', 'clip+kl'], controllers: ['fixed', 'adaptive'], seeds: [1, 2], totalSteps: 512, base: {} }).length; // 2 + 4 = 6
 * ```
 */
export function compareCells(grid: Pick<CompareGrid, 'objectives' | 'controllers' | 'seeds'>): CompareCell[] {
  const cells: CompareCell[] = [];
  for (const objective of grid.objectives) {
    const ctls = hasKlTerm(objective) ? grid.controllers : ['-'];
    for (const controller of ctls)
      for (const seed of grid.seeds) cells.push({ index: cells.length, objective, controller, seed });
  }
  return cells;
}

/** One deterministic slice of a compare grid: cells with `index % count === index − 1`. */
export interface Shard {
  /** The slice i, 1-based. */
  index: number;
  /** The number of slices n. */
  count: number;
}

/** Result of {@link mergeCompare}. */
export interface MergedCompare {
  /** One compare file holding every shard's results. */
  merged: CompareFile;
  /** Cells of the grid that no shard delivered. */
  missing: CompareCell[];
}

/**
 * Parse `--shard i/n` (1-based i, 1 ≤ i ≤ n).
 * @param text e.g. `"2/4"`.
 * @returns `{ index: i, count: n }`.
 * @throws ConfigError for anything else, naming the expected form.
 * @example
 * ```ts
 * parseShard('2/4'); // { index: 2, count: 4 }
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(n >= 1) || !(i >= 1) || i > n) {
    throw new ConfigError({ fn: 'compare', arg: '--shard', expected: 'i/n with 1 ≤ i ≤ n (e.g. 1/4)', got: text });
  }
  return { index: i, count: n };
}

/**
 * The i-th of n deterministic slices of the cells: every cell whose index ≡ i − 1 (mod n). Round-robin spreads
 * the objectives evenly; the union of the n slices is the whole grid, and they are disjoint.
 * @param cells All cells (from {@link compareCells}).
 * @param shard `{ index: i, count: n }`, 1-based.
 * @returns The slice, in grid order.
 * @example
 * ```ts
 * shardCells(compareCells(grid), { index: 1, count: 2 }); // cells 0, 2, 4, …
 * ```
 */
export function shardCells(cells: readonly CompareCell[], shard: Shard): CompareCell[] {
  return cells.filter((c) => c.index % shard.count === shard.index - 1);
}

/**
 * The config of one cell: the grid's base, then env, steps, objective, controller kind and seed. A controller kind
 * other than the base's starts from the base's β (`fixed` needs one; default: the default config's initial β, 1).
 * @param grid The grid.
 * @param cell The cell.
 * @returns A partial config for `Trainer.create`.
 * @example
 * ```ts
 * cellConfig(grid, cells[0]).objective;
 * ```
 */
export function cellConfig(grid: CompareGrid, cell: CompareCell): PpoConfigInput {
  const base = { ...grid.base };
  const cfg: PpoConfigInput = {
    ...base,
    env: grid.env,
    totalSteps: grid.totalSteps,
    objective: cell.objective as never,
    seed: cell.seed,
  };
  if (cell.controller !== '-') {
    const baseCtl = base.klController;
    const kind = cell.controller as NonNullable<PpoConfigInput['klController']>['kind'];
    cfg.klController =
      baseCtl && baseCtl.kind === kind
        ? { ...baseCtl }
        : kind === 'fixed'
          ? { kind, beta: baseCtl?.beta ?? 1 }
          : { kind }; // fixed: the base's β, else 1 (resolvePpoConfig's default)
  }
  return cfg;
}

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

function meanStd(xs: number[]): { mean: number | null; std: number | null } {
  if (xs.length === 0) return { mean: null, std: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return { mean, std: 0 };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, std: Math.sqrt(v) };
}

function nums(xs: Array<number | null>): number[] {
  return xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
}

/**
 * Aggregate results per (objective, controller) over seeds: mean ± sample std (n − 1) of the final return and of the
 * mean per-step KL, mean exact policy return and the optimum. Rows follow the grid order.
 * @param results Cell results.
 * @returns One row per (objective, controller).
 * @example
 * ```ts
 * aggregateCompare(results)[0].returnMean;
 * ```
 */
export function aggregateCompare(results: readonly CompareResult[]): CompareRow[] {
  const groups = new Map<string, CompareResult[]>();
  for (const r of [...results].sort((a, b) => a.index - b.index)) {
    const k = `${r.objective}\u0000${r.controller}`;
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(r);
  }
  return [...groups.values()].map((g) => {
    const ret = meanStd(nums(g.map((r) => r.finalReturn)));
    const kl = meanStd(nums(g.map((r) => r.meanStepKl)));
    const opt = nums(g.map((r) => r.optimalReturn));
    return {
      objective: g[0]!.objective,
      controller: g[0]!.controller,
      n: g.length,
      returnMean: ret.mean,
      returnStd: ret.std,
      klMean: kl.mean,
      klStd: kl.std,
      policyReturnMean: meanStd(nums(g.map((r) => r.policyReturn))).mean,
      optimalReturn: opt.length ? opt[0]! : null,
    };
  });
}

function cell(v: number | null | string): string {
  return v === null ? '' : String(v);
}

/**
 * `compare.csv`: the aggregated table, one line per (objective, controller).
 * Columns: objective, controller, n, return_mean, return_std, kl_mean, kl_std, policy_return_mean, optimal_return.
 * @param rows From {@link aggregateCompare}.
 * @returns CSV text with a header line.
 * @example
 * ```ts
 * compareCsv(aggregateCompare(results)).split('\n')[0]; // "objective,controller,n,return_mean,…"
 * ```
 */
export function compareCsv(rows: readonly CompareRow[]): string {
  const head = 'objective,controller,n,return_mean,return_std,kl_mean,kl_std,policy_return_mean,optimal_return\n';
  return (
    head +
    rows
      .map(
        (r) =>
          `${[
            r.objective,
            r.controller,
            r.n,
            r.returnMean,
            r.returnStd,
            r.klMean,
            r.klStd,
            r.policyReturnMean,
            r.optimalReturn,
          ]
            .map(cell)
            .join(',')}\n`,
      )
      .join('')
  );
}

/**
 * `compare_runs.csv`: one line per cell (objective, controller, seed, final numbers).
 * @param results Cell results.
 * @returns CSV text with a header line.
 * @example
 * ```ts
 * compareRunsCsv(results);
 * ```
 */
export function compareRunsCsv(results: readonly CompareResult[]): string {
  const head =
    'index,objective,controller,seed,final_return,success_rate,policy_return,optimal_return,mean_step_kl,final_beta,updates,wall_time_s\n';
  return (
    head +
    [...results]
      .sort((a, b) => a.index - b.index)
      .map(
        (r) =>
          `${[
            r.index,
            r.objective,
            r.controller,
            r.seed,
            r.finalReturn,
            r.successRate,
            r.policyReturn,
            r.optimalReturn,
            r.meanStepKl,
            r.finalBeta,
            r.updates,
            Number(r.wallTimeSeconds.toFixed(3)),
          ]
            .map(cell)
            .join(',')}\n`,
      )
      .join('')
  );
}

function f(v: number | null, d = 3): string {
  if (v === null) return '–';
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return v.toFixed(d);
}

/**
 * The printed comparison table: mean ± std final return and mean per-step KL per objective and controller.
 * @param rows From {@link aggregateCompare}.
 * @returns Aligned plain-text table.
 * @example
 * ```ts
 * console.log(formatCompareTable(aggregateCompare(results)));
 * ```
 */
export function formatCompareTable(rows: readonly CompareRow[]): string {
  const head = [
    'objective',
    'controller',
    'seeds',
    'final return (mean ± std)',
    'mean per-step KL (± std)',
    'policy return',
    'optimum',
  ];
  const body = rows.map((r) => [
    r.objective,
    r.controller,
    String(r.n),
    `${f(r.returnMean)} ± ${f(r.returnStd)}`,
    `${f(r.klMean, 5)} ± ${f(r.klStd, 5)}`,
    f(r.policyReturnMean),
    f(r.optimalReturn),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]): string =>
    cols
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')}\n`;
}

/**
 * A Vega-Lite chart of the comparison: each seed's final return as a point and the mean as a tick, per
 * objective/controller.
 * @param results Cell results.
 * @returns The spec.
 * @example
 * ```ts
 * await renderSpecToSvg(compareSpec(results));
 * ```
 */
export function compareSpec(results: readonly CompareResult[]): VegaLiteSpec {
  const values = results
    .filter((r) => r.finalReturn !== null)
    .map((r) => ({
      group: `${r.objective} / ${r.controller}`,
      seed: String(r.seed),
      finalReturn: r.finalReturn,
      meanStepKl: r.meanStepKl,
    }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 480,
    background: 'white',
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 60, opacity: 0.7 },
        encoding: {
          y: { field: 'group', type: 'nominal', title: 'objective / controller' },
          x: { field: 'finalReturn', type: 'quantitative', title: 'final return' },
          color: { field: 'seed', type: 'nominal' },
        },
      },
      {
        mark: { type: 'tick', color: 'black', thickness: 2 },
        encoding: {
          y: { field: 'group', type: 'nominal' },
          x: { aggregate: 'mean', field: 'finalReturn', type: 'quantitative' },
        },
      },
    ],
  };
}

/**
 * `compare.html`: the grid, the aggregated table and the per-seed chart, standalone (inline SVG, no network).
 * @param file The (merged) comparison.
 * @returns HTML text.
 * @example
 * ```ts
 * await writeFile('compare.html', await renderCompareHtml(file));
 * ```
 */
export async function renderCompareHtml(file: CompareFile): Promise<string> {
  const rows = aggregateCompare(file.results);
  const head = [
    'objective',
    'controller',
    'seeds',
    'final return mean',
    '± std',
    'mean per-step KL',
    '± std',
    'policy return',
    'optimum',
  ];
  const table = `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${[r.objective, r.controller, String(r.n), f(r.returnMean), f(r.returnStd), f(r.klMean, 5), f(r.klStd, 5), f(r.policyReturnMean), f(r.optimalReturn)].map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
  const svg = file.results.some((r) => r.finalReturn !== null)
    ? await renderSpecToSvg(compareSpec(file.results))
    : '<p>No finished episodes.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>klip compare: ${escapeHtml(file.grid.env)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:980px;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}td:first-child,td:nth-child(2){text-align:left}pre{background:#f6f6f6;padding:.6rem}</style></head>
<body><h1>klip compare on ${escapeHtml(file.grid.env)}</h1>
<p>${file.results.length} runs, ${escapeHtml(String(file.grid.totalSteps))} env steps each. Final return: mean of the last 100 episodes at the end of training; KL: mean over updates of the exact per-optimizer-step KL old→new (kl/exact_old_new), in nats.</p>
${table}
<figure>${svg}<figcaption>Each point is one seed's final return; the black tick is the mean.</figcaption></figure>
<details><summary>grid</summary><pre>${escapeHtml(JSON.stringify(file.grid, null, 2))}</pre></details>
</body></html>
`;
}

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
 * Run cells with `opts.runCell` (in-process) or in `opts.workers` worker threads, and collect their results.
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
    const script = compareWorkerScript();
    if (script) {
      const out = await runInWorkers(script, grid, cells, n, opts.onResult, () => opts.onStart?.({ workers: n }));
      if (out) return out;
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
    opts.onResult?.(r, out.length, cells.length);
  }
  return out;
}

/** Messages between {@link runCompare} and `compare_worker.ts`. */
type WorkerRequest = { type: 'run'; pos: number; config: PpoConfigInput };
type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; pos: number; metrics: MetricRecord[]; wallTimeSeconds: number }
  | { type: 'error'; pos: number; error: SerializedError };

/** An error as it crosses a thread boundary (class name + KlipError fields, or message + stack). */
export interface SerializedError {
  /** Class name (`ConfigError`, …, or `Error`). */
  name: string;
  /** The message. */
  message: string;
  /** The stack, when there is one. */
  stack?: string;
  /** KlipError fields, when it is one. */
  details?: KlipErrorDetails;
}

const ERROR_CLASSES: Record<string, KlipErrorClass> = {
  KlipError,
  ShapeError,
  ConfigError,
  EnvError,
  CheckpointError,
  NumericError,
};

/**
 * Turn an error into a structured-cloneable record (used by the compare worker); {@link deserializeError} rebuilds it.
 * @param e Anything thrown.
 * @returns The record.
 * @example
 * ```ts
 * deserializeError(serializeError(new ConfigError({ fn: 'f', arg: 'x', expected: 'y', got: 1 }))).message; // "f: x must be y, got 1"
 * ```
 */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof KlipError) {
    let got: unknown = e.got;
    try {
      structuredClone(got);
    } catch {
      got = String(got); // not cloneable (a function, …): keep its text
    }
    const details: KlipErrorDetails = {
      fn: e.fn,
      arg: e.arg,
      expected: e.expected,
      got,
      ...(e.hint ? { hint: e.hint } : {}),
    };
    return { name: e.constructor.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}), details };
  }
  if (e instanceof Error) return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  return { name: 'Error', message: String(e) };
}

/**
 * Rebuild an error from {@link serializeError}: the same KlipError subclass and message, or a plain Error.
 * @param s The record.
 * @returns The error (not thrown).
 * @example
 * ```ts
 * throw deserializeError(msg.error);
 * ```
 */
export function deserializeError(s: SerializedError): Error {
  if (s.details) {
    const e = new (ERROR_CLASSES[s.name] ?? KlipError)(s.details);
    e.message = s.message; // the original words (a hint, a `got` that was not cloneable)
    if (s.stack) e.stack = s.stack;
    return e;
  }
  const e = new Error(s.message);
  e.name = s.name;
  if (s.stack) e.stack = s.stack;
  return e;
}

/**
 * How to start a compare worker: `compare_worker.js` next to this module (the built package), else, in a source
 * checkout, a small eval'd bootstrap that registers tsx's ESM hooks (`tsx/esm/api` `register()`) and then imports
 * `compare_worker.ts`. (Node 20 does not apply `--import tsx` from a worker's execArgv to its entry file, hence the
 * bootstrap.) Null when neither is available: the caller runs in-process.
 */
function compareWorkerScript(): { url: URL } | { code: string } | null {
  try {
    const js = new URL('./compare_worker.js', import.meta.url);
    if (js.protocol === 'file:' && existsSync(fileURLToPath(js))) return { url: js };
    const ts = new URL('./compare_worker.ts', import.meta.url);
    if (ts.protocol !== 'file:' || !existsSync(fileURLToPath(ts))) return null;
    // require-resolution gives tsx's CJS build of the API; its ESM twin sits beside it
    const api = createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs');
    if (!existsSync(api)) return null;
    const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); })`;
    return { code };
  } catch {
    return null;
  }
}

/**
 * Run the cells in `n` worker threads, each taking the next cell when it finishes one. Returns null (nothing run)
 * when the first worker cannot start, so the caller falls back to in-process. Results are reported in cell order.
 */
async function runInWorkers(
  script: { url: URL } | { code: string },
  grid: CompareGrid,
  cells: readonly CompareCell[],
  n: number,
  onResult: RunCompareOptions['onResult'],
  onStarted: () => void,
): Promise<CompareResult[] | null> {
  const start = (): Worker => ('url' in script ? new Worker(script.url) : new Worker(script.code, { eval: true }));
  // Probe: the first worker must say 'ready' before anything is run in it.
  const first = start();
  const ready = await new Promise<boolean>((res) => {
    first.once('message', (m: WorkerReply) => res(m.type === 'ready'));
    first.once('error', () => res(false));
    first.once('exit', () => res(false));
  });
  if (!ready) {
    first.removeAllListeners();
    await first.terminate();
    return null;
  }
  onStarted();
  const pool: Worker[] = [first];
  const results: Array<CompareResult | undefined> = new Array(cells.length);
  let next = 0;
  let reported = 0;
  try {
    await new Promise<void>((resolveAll, rejectAll) => {
      let failed = false;
      let active = 0;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        rejectAll(e);
      };
      const give = (w: Worker): void => {
        if (failed) return;
        if (next >= cells.length) {
          if (active === 0) resolveAll();
          return;
        }
        const pos = next++;
        active += 1;
        w.postMessage({ type: 'run', pos, config: cellConfig(grid, cells[pos]!) } satisfies WorkerRequest);
      };
      const attach = (w: Worker, isReady: boolean): void => {
        w.on('message', (m: WorkerReply) => {
          if (m.type === 'ready') return give(w);
          active -= 1;
          if (m.type === 'error') return fail(deserializeError(m.error));
          results[m.pos] = resultFromMetrics(cells[m.pos]!, m.metrics, m.wallTimeSeconds);
          while (reported < cells.length && results[reported]) {
            reported += 1;
            onResult?.(results[reported - 1]!, reported, cells.length);
          }
          give(w);
        });
        w.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
        w.on('exit', (code) => {
          if (!failed && (next < cells.length || active > 0))
            fail(new Error(`compare: a worker thread exited with code ${code} before its cells were done`));
        });
        if (isReady) give(w);
      };
      attach(first, true);
      for (let i = 1; i < n; i++) {
        const w = start();
        pool.push(w);
        attach(w, false);
      }
    });
  } finally {
    for (const w of pool) w.removeAllListeners();
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results as CompareResult[];
}

/**
 * The body of a compare worker thread (`compare_worker.ts` calls it with its `parentPort`): say 'ready', then run
 * each requested cell with {@link runCellWithTrainer} and post its metrics, or its error (serialized).
 * @param port The worker's `parentPort`.
 * @example
 * ```ts
 * serveCompareCells(parentPort!);
 * ```
 */
export function serveCompareCells(port: {
  on(ev: 'message', fn: (m: unknown) => void): unknown;
  postMessage(m: unknown): void;
}): void {
  port.on('message', (raw) => {
    const m = raw as WorkerRequest;
    if (m.type !== 'run') return;
    const t0 = performance.now();
    runCellWithTrainer(m.config).then(
      (metrics) =>
        port.postMessage({
          type: 'done',
          pos: m.pos,
          metrics,
          wallTimeSeconds: (performance.now() - t0) / 1000,
        } satisfies WorkerReply),
      (e: unknown) => port.postMessage({ type: 'error', pos: m.pos, error: serializeError(e) } satisfies WorkerReply),
    );
  });
  port.postMessage({ type: 'ready' } satisfies WorkerReply);
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

function validateCompareFile(x: unknown, where: string): CompareFile {
  const o = x as Partial<CompareFile> | null;
  if (
    !o ||
    typeof o !== 'object' ||
    o.format !== 'klip-compare' ||
    o.version !== 1 ||
    !o.grid ||
    !Array.isArray(o.results)
  ) {
    throw new ConfigError({
      fn: 'compare --merge',
      arg: where,
      expected: 'a klip compare.json (format "klip-compare", version 1)',
      got: x,
    });
  }
  return o as CompareFile;
}

/**
 * Read the `compare.json` of each folder (or a compare.json path) for `--merge`.
 * @param paths Folders written by `klip compare` (shards), or their compare.json files.
 * @returns The parsed files.
 * @throws ConfigError for a missing or malformed file.
 * @example
 * ```ts
 * const files = await readCompareFiles(['runs/cmp-1', 'runs/cmp-2']);
 * ```
 */
export async function readCompareFiles(paths: readonly string[]): Promise<CompareFile[]> {
  const out: CompareFile[] = [];
  for (const p of paths) {
    const file = p.endsWith('.json') ? p : join(p, 'compare.json');
    out.push(validateCompareFile(await readJsonFile(file, { fn: 'compare --merge', arg: 'folder' }), file));
  }
  return out;
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

/**
 * Write `compare.json`, `compare.csv`, `compare_runs.csv` and (unless `html: false`) `compare.html` into `dir`
 * (atomic writes).
 * @param dir Output folder (created).
 * @param file The comparison.
 * @param opts.html Also render the HTML page. @defaultValue true
 * @returns The paths written.
 * @example
 * ```ts
 * await writeCompareOutputs('runs/cmp', compareFile(grid, null, results));
 * ```
 */
export async function writeCompareOutputs(
  dir: string,
  file: CompareFile,
  opts: { html?: boolean } = {},
): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true });
  const written: string[] = [];
  const put = async (name: string, data: string): Promise<void> => {
    const p = join(dir, name);
    await writeFileAtomic(p, data);
    written.push(p);
  };
  await put('compare.json', `${JSON.stringify(file, null, 2)}\n`);
  await put('compare.csv', compareCsv(aggregateCompare(file.results)));
  await put('compare_runs.csv', compareRunsCsv(file.results));
  if (opts.html ?? true) await put('compare.html', await renderCompareHtml(file));
  return written;
}
