/**
 * What `klip compare` writes and prints: `compare.csv` (aggregated), `compare_runs.csv` (per cell), the plain-text
 * table, the per-seed chart and `compare.html`, and the writer of a compare folder. Node only.
 * @module
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { formatNumber } from '../format.js';
import { COMPARE_GENERATOR, escapeHtml, htmlPage, htmlTable } from '../html_page.js';
import { renderSpecToSvg, type VegaLiteSpec } from '../report.js';
import { aggregateCompare, type CompareRow } from './aggregate.js';
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
  );
  const svg = file.results.some((r) => r.finalReturn !== null)
    ? await renderSpecToSvg(compareSpec(file.results))
    : '<p>No finished episodes.</p>';
  const env = escapeHtml(file.grid.env);
  return htmlPage({
    title: `klip compare: ${file.grid.env}`,
    generator: COMPARE_GENERATOR,
    head: '<style>td:nth-child(2){text-align:left}</style>',
    body: `<h1>klip compare on ${env}</h1>
<p>${file.results.length} runs, ${escapeHtml(String(file.grid.totalSteps))} env steps each. Final return: mean of the last 100 episodes at the end of training; KL: mean over updates of the exact per-optimizer-step KL old→new (kl/exact_old_new), in nats.</p>
${table}
<figure>${svg}<figcaption>Each point is one seed's final return; the black tick is the mean.</figcaption></figure>
<details><summary>grid</summary><pre>${escapeHtml(JSON.stringify(file.grid, null, 2))}</pre></details>`,
  });
}

/**
 * Write `compare.json`, `compare.csv`, `compare_runs.csv` and (unless `html: false`) `compare.html` into `dir`
 * (atomic writes); with `html: false` an older `compare.html` is removed, so the folder never shows another
 * comparison's page. The caller checks that the folder may be written (`klip compare` holds its lock).
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
  await put(COMPARE_FILES.data, `${JSON.stringify(file, null, 2)}\n`);
  await put(COMPARE_FILES.table, compareCsv(aggregateCompare(file.results)));
  await put(COMPARE_FILES.runs, compareRunsCsv(file.results));
  if (opts.html ?? true) await put(COMPARE_FILES.html, await renderCompareHtml(file));
  else await fsp.rm(join(dir, COMPARE_FILES.html), { force: true });
  return written;
}
