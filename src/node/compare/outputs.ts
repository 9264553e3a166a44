/**
 * What `klip compare` writes and prints: `compare.csv` (aggregated), `compare_runs.csv` (per cell), the plain-text
 * table, the per-seed chart, the return–KL scatter and `compare.html`, the cell run folders, and the writer of a
 * compare folder. Node only.
 * @module
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { formatNumber } from '../format.js';
import { COMPARE_GENERATOR, escapeHtml, htmlPage, htmlTable } from '../html_page.js';
import type { MetricRecord } from '../../training/metrics.js';
import { runColour } from '../report/settings.js';
import { CHART_CONFIG, renderSpecToSvg, type VegaLiteSpec } from '../report/svg.js';
import { aggregateCompare, type CompareRow } from './aggregate.js';
import { CELLS_DIR, cellFolderName, copyCellFolders, writeCellFolder } from './cells.js';
import { COMPARE_FILES, type CompareFile, type CompareResult } from './file.js';

/** A CSV cell: text as is, numbers at full precision, empty for a missing value. */
function csvCell(v: number | string | null): string {
  return typeof v === 'string' ? v : formatNumber(v, { exact: true, missing: '' });
}

function csvLines(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<number | string | null>>): string {
  return `${head.join(',')}\n${rows.map((r) => `${r.map(csvCell).join(',')}\n`).join('')}`;
}

/**
 * `compare.csv`: the aggregated table, one line per (objective, controller), numbers at full precision.
 * Columns: objective, controller, n, return_mean, return_std, kl_mean, kl_std, policy_return_mean, optimal_return.
 * @param rows From {@link aggregateCompare}.
 * @returns CSV text with a header line.
 * @example
 * ```ts
 * compareCsv(aggregateCompare(results)).split('\n')[0]; // "objective,controller,n,return_mean,…"
 * ```
 */
export function compareCsv(rows: readonly CompareRow[]): string {
  return csvLines(
    [
      'objective',
      'controller',
      'n',
      'return_mean',
      'return_std',
      'kl_mean',
      'kl_std',
      'policy_return_mean',
      'optimal_return',
    ],
    rows.map((r) => [
      r.objective,
      r.controller,
      r.n,
      r.returnMean,
      r.returnStd,
      r.klMean,
      r.klStd,
      r.policyReturnMean,
      r.optimalReturn,
    ]),
  );
}

/**
 * `compare_runs.csv`: one line per cell (objective, controller, seed, final numbers), wall time in ms precision.
 * @param results Cell results.
 * @returns CSV text with a header line.
 * @example
 * ```ts
 * compareRunsCsv(results);
 * ```
 */
export function compareRunsCsv(results: readonly CompareResult[]): string {
  return csvLines(
    [
      'index',
      'objective',
      'controller',
      'seed',
      'final_return',
      'success_rate',
      'policy_return',
      'optimal_return',
      'mean_step_kl',
      'final_beta',
      'updates',
      'wall_time_s',
    ],
    [...results]
      .sort((a, b) => a.index - b.index)
      .map((r) => [
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
      ]),
  );
}

/** A return in the tables: 3 decimals, zeros kept so the column aligns. */
const ret = (v: number | null): string => formatNumber(v, { digits: 3, fixed: true });
/** A KL in the tables: 5 decimals, zeros kept. */
const kl = (v: number | null): string => formatNumber(v, { digits: 5, fixed: true });

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
    `${ret(r.returnMean)} ± ${ret(r.returnStd)}`,
    `${kl(r.klMean)} ± ${kl(r.klStd)}`,
    ret(r.policyReturnMean),
    ret(r.optimalReturn),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]): string =>
    cols
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')}\n`;
}

/** The colour of each objective of a grid (grid order), as in a multi-run report's run colours. */
function objectiveColours(file: CompareFile): { domain: string[]; range: string[] } {
  const domain = [...new Set([...file.grid.objectives, ...file.results.map((r) => r.objective)])];
  return { domain, range: domain.map((_, i) => runColour(i)) };
}

/** The row label of a cell: `objective / controller`, the same in the table and the charts. */
const groupOf = (r: { objective: string; controller: string }): string =>
  r.controller === '-' ? r.objective : `${r.objective} / ${r.controller}`;

/** The optimum of a comparison (every cell of one world shares it), or null. */
function optimumOf(results: readonly CompareResult[]): number | null {
  return results.find((r) => r.optimalReturn !== null)?.optimalReturn ?? null;
}

/** The compare charts' look: klip's chart look, with axis labels never truncated (long cell labels). */
const COMPARE_CONFIG = { ...CHART_CONFIG, axis: { ...CHART_CONFIG.axis, labelLimit: 0 } };

/**
 * A Vega-Lite chart of the comparison: each seed's final return as a point (spread vertically within its row) and
 * the mean as a black tick, one row per objective/controller in the table's order, coloured by objective, on an x
 * axis zoomed to the data (not from 0), with the exact optimum as a dashed rule when known.
 * @param results Cell results.
 * @param file The comparison (for the objective colours); defaults to the results' own objectives.
 * @returns The spec.
 * @example
 * ```ts
 * await renderSpecToSvg(compareSpec(results));
 * ```
 */
export function compareSpec(results: readonly CompareResult[], file?: CompareFile): VegaLiteSpec {
  const values = results
    .filter((r) => r.finalReturn !== null)
    .map((r) => ({
      group: groupOf(r),
      objective: r.objective,
      controller: r.controller,
      seed: String(r.seed),
      finalReturn: r.finalReturn,
      meanStepKl: r.meanStepKl,
    }));
  const order = aggregateCompare(results).map(groupOf);
  const colours = objectiveColours(file ?? ({ grid: { objectives: [] }, results } as unknown as CompareFile));
  const opt = optimumOf(results);
  const x = { field: 'finalReturn', type: 'quantitative', title: 'final return', scale: { zero: false } };
  const y = { field: 'group', type: 'nominal', title: null, sort: order };
  const layers: VegaLiteSpec[] = [
    {
      mark: { type: 'point', filled: true, size: 70, opacity: 0.8 },
      encoding: {
        y,
        x,
        yOffset: { field: 'seed', type: 'nominal' },
        color: { field: 'objective', type: 'nominal', title: 'objective', scale: colours },
        tooltip: [
          { field: 'objective' },
          { field: 'controller' },
          { field: 'seed' },
          { field: 'finalReturn', type: 'quantitative', title: 'final return', format: '.4~g' },
        ],
      },
    },
    {
      mark: { type: 'tick', color: 'black', thickness: 2 },
      encoding: {
        y,
        x: { aggregate: 'mean', field: 'finalReturn', type: 'quantitative' },
        tooltip: [
          { field: 'group', title: 'objective / controller' },
          { aggregate: 'mean', field: 'finalReturn', type: 'quantitative', title: 'mean final return', format: '.4~g' },
        ],
      },
    },
  ];
  if (opt !== null)
    layers.push({
      data: { values: [{ optimum: opt, label: 'exact optimum' }] },
      mark: { type: 'rule', strokeDash: [6, 3], color: 'black' },
      encoding: {
        x: { field: 'optimum', type: 'quantitative' },
        tooltip: [{ field: 'label' }, { field: 'optimum', format: '.4~g' }],
      },
    });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 340,
    height: Math.max(1, order.length) * 44,
    background: 'white',
    config: COMPARE_CONFIG,
    data: { values },
    layer: layers,
  };
}

/**
 * The return–KL trade-off of a comparison: one point per cell at (mean per-step KL, final return), coloured by
 * objective and shaped by controller, with the exact optimum as a dashed rule. Up and to the left is better: more
 * return for less policy movement. KL on a log axis when every value is > 0.
 * @param results Cell results.
 * @param file The comparison (for the objective colours).
 * @returns The spec.
 * @example
 * ```ts
 * await renderSpecToSvg(compareScatterSpec(file.results, file));
 * ```
 */
export function compareScatterSpec(results: readonly CompareResult[], file?: CompareFile): VegaLiteSpec {
  const values = results
    .filter((r) => r.finalReturn !== null && r.meanStepKl !== null)
    .map((r) => ({
      objective: r.objective,
      controller: r.controller,
      seed: String(r.seed),
      finalReturn: r.finalReturn,
      meanStepKl: r.meanStepKl,
    }));
  const colours = objectiveColours(file ?? ({ grid: { objectives: [] }, results } as unknown as CompareFile));
  const opt = optimumOf(results);
  const log = values.length > 0 && values.every((v) => (v.meanStepKl ?? 0) > 0);
  const layers: VegaLiteSpec[] = [
    {
      data: { values },
      mark: { type: 'point', filled: true, size: 80, opacity: 0.85 },
      encoding: {
        x: {
          field: 'meanStepKl',
          type: 'quantitative',
          title: 'mean KL per optimizer step (nats)',
          scale: log ? { type: 'log', nice: false, padding: 14 } : { zero: false, padding: 14 },
          axis: { format: '~e' },
        },
        y: { field: 'finalReturn', type: 'quantitative', title: 'final return', scale: { zero: false } },
        color: { field: 'objective', type: 'nominal', title: 'objective (colour)', scale: colours },
        shape: { field: 'controller', type: 'nominal', title: 'controller (shape)' },
        tooltip: [
          { field: 'objective' },
          { field: 'controller' },
          { field: 'seed' },
          { field: 'finalReturn', type: 'quantitative', title: 'final return', format: '.4~g' },
          { field: 'meanStepKl', type: 'quantitative', title: 'mean KL per step', format: '.3~e' },
        ],
      },
    },
  ];
  if (opt !== null)
    layers.push({
      data: { values: [{ optimum: opt, label: 'exact optimum' }] },
      mark: { type: 'rule', strokeDash: [6, 3], color: 'black' },
      encoding: {
        y: { field: 'optimum', type: 'quantitative' },
        tooltip: [{ field: 'label' }, { field: 'optimum', format: '.4~g' }],
      },
    });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 360,
    height: 260,
    background: 'white',
    config: COMPARE_CONFIG,
    layer: layers,
  };
}

/**
 * `compare.html`: the aggregated table (a swatch per objective colour), the per-seed chart (rows in the table's
 * order), the return–KL scatter, the per-cell table naming each cell's run folder, and the grid; standalone (inline
 * SVG, no network), fitting any page width.
 * @param file The (merged) comparison.
 * @returns HTML text.
 * @example
 * ```ts
 * await writeFile('compare.html', await renderCompareHtml(file));
 * ```
 */
export async function renderCompareHtml(file: CompareFile): Promise<string> {
  const rows = aggregateCompare(file.results);
  const colours = objectiveColours(file);
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
  const table = htmlTable(
    head,
    rows.map((r) => [
      r.objective,
      r.controller,
      String(r.n),
      ret(r.returnMean),
      ret(r.returnStd),
      kl(r.klMean),
      kl(r.klStd),
      ret(r.policyReturnMean),
      ret(r.optimalReturn),
    ]),
    undefined,
    rows.map((r) => colours.range[colours.domain.indexOf(r.objective)] ?? ''),
  );
  const finished = file.results.some((r) => r.finalReturn !== null);
  const opt = optimumOf(file.results);
  const svg = finished ? await renderSpecToSvg(compareSpec(file.results, file)) : '<p>No finished episodes.</p>';
  const scatter =
    finished && file.results.some((r) => r.meanStepKl !== null)
      ? `<h2>Return against KL</h2><figure>${await renderSpecToSvg(compareScatterSpec(file.results, file))}<figcaption>One point per cell: how much return it reached for how far its updates moved the policy. Up and to the left is better; a colour whose points sit low and right pays in KL without earning return.${opt !== null ? ' Dashed: the exact optimum.' : ''}</figcaption></figure>`
      : '';
  const cells = [...file.results].sort((a, b) => a.index - b.index);
  const cellTable = htmlTable(
    [`${CELLS_DIR}/…`, 'objective', 'controller', 'seed', 'final return', 'mean per-step KL', 'updates'],
    cells.map((r) => [
      cellFolderName(r),
      r.objective,
      r.controller,
      String(r.seed),
      ret(r.finalReturn),
      kl(r.meanStepKl),
      String(r.updates),
    ]),
    undefined,
    cells.map((r) => colours.range[colours.domain.indexOf(r.objective)] ?? ''),
  );
  const env = escapeHtml(file.grid.env);
  return htmlPage({
    title: `klip compare: ${file.grid.env}`,
    generator: COMPARE_GENERATOR,
    head: '<style>td:nth-child(2){text-align:left}</style>',
    body: `<h1>klip compare on ${env}</h1>
<p>${file.results.length} runs, ${escapeHtml(String(file.grid.totalSteps))} env steps each. Final return: mean of the last 100 episodes at the end of training; KL: mean over updates of the exact per-optimizer-step KL old→new (kl/exact_old_new), in nats. Colours are objectives.</p>
${table}
<h2>Final return per seed</h2>
<figure>${svg}<figcaption>Each point is one seed's final return, the black tick the mean of its row${opt !== null ? ', the dashed rule the exact optimum' : ''}. Rows far apart with tight points are a real difference; overlapping spreads are seed noise. The x axis spans the data and the optimum; it is not forced to start at 0.</figcaption></figure>
${scatter}
<details><summary>cells: each keeps its metrics in ${CELLS_DIR}/&lt;name&gt;/ (overlay any with <code>klip report OUT/${CELLS_DIR}/a OUT/${CELLS_DIR}/b</code>)</summary>${cellTable}</details>
<details><summary>grid</summary><pre>${escapeHtml(JSON.stringify(file.grid, null, 2))}</pre></details>`,
  });
}

/** Per-cell metric histories to keep as cell run folders (see {@link writeCompareOutputs}). */
export interface CompareCellOutputs {
  /** Each cell's metric history, by cell index (cells run by this process). */
  metrics?: ReadonlyMap<number, readonly MetricRecord[]>;
  /** Shard folders whose `cells/` are copied in (`--merge`). */
  copyFrom?: readonly string[];
}

/**
 * Write `compare.json`, `compare.csv`, `compare_runs.csv`, the cell run folders `cells/<name>/` (from `opts.cells`)
 * and (unless `html: false`) `compare.html` into `dir` (atomic writes); with `html: false` an older `compare.html`
 * is removed, and an older `cells/` always is, so the folder never shows another comparison's page or cells. The
 * caller checks that the folder may be written (`klip compare` holds its lock).
 * @param dir Output folder (created).
 * @param file The comparison.
 * @param opts.html Also render the HTML page. @defaultValue true
 * @param opts.cells Cell histories to write, or shard folders to copy cells from. @defaultValue none
 * @returns The paths written (the cell folders last).
 * @example
 * ```ts
 * await writeCompareOutputs('runs/cmp', compareFile(grid, null, results), { cells: { metrics } });
 * ```
 */
export async function writeCompareOutputs(
  dir: string,
  file: CompareFile,
  opts: { html?: boolean; cells?: CompareCellOutputs } = {},
): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true });
  const written: string[] = [];
  const put = async (name: string, data: string): Promise<void> => {
    const p = join(dir, name);
    await writeFileAtomic(p, data);
    written.push(p);
  };
  await put(COMPARE_FILES.data, `${JSON.stringify(file, null, 2)}\n`);
  await put(COMPARE_FILES.table, compareCsv(aggregateCompare(file.results)));
  await put(COMPARE_FILES.runs, compareRunsCsv(file.results));
  if (opts.html ?? true) await put(COMPARE_FILES.html, await renderCompareHtml(file));
  else await fsp.rm(join(dir, COMPARE_FILES.html), { force: true });
  await fsp.rm(join(dir, CELLS_DIR), { recursive: true, force: true });
  if (opts.cells?.copyFrom?.length) await copyCellFolders(opts.cells.copyFrom, dir);
  const metrics = opts.cells?.metrics;
  if (metrics) {
    for (const r of file.results) {
      const m = metrics.get(r.index);
      if (m) written.push(await writeCellFolder(dir, file.grid, r, m));
    }
  }
  return written;
}
