/**
 * The run report: Vega-Lite v5 specs built from metric histories, rendered to SVG in Node with `vega` +
 * `vega-lite` (`vl.compile(spec).spec` → `new vega.View(vega.parse(…), { renderer: 'none' }).toSVG()`), and
 * assembled into one standalone HTML page (inline SVG, no scripts, no network references).
 * Several runs overlay by colour. Node only.
 * @module
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { METRICS, type MetricRecord } from '../training/metrics.js';
import { controllerVerdict, type VerdictControllerSettings } from '../training/controller_verdict.js';
import { hasKlTerm, lowerKlEdge, upperKlEdge } from '../training/kl_control.js';
import type { RenderFrame } from '../../envs/types.js';
import { isPlainObject } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';
import { formatNumber } from './format.js';
import { REPORT_GENERATOR, escapeHtml, htmlPage, htmlTable } from './html_page.js';
import { meanOfMetric, type RunSummary } from './run_folder.js';

/** A Vega-Lite v5 specification as a plain JSON object. */
export type VegaLiteSpec = Record<string, unknown>;

/** One run as the report sees it. */
export interface ReportRun {
  /** Label (the run folder name). */
  name: string;
  /** The resolved config (shown in the header; `klController.target` draws the target band). */
  config: Record<string, unknown>;
  /** One record per update. */
  metrics: MetricRecord[];
  /** `summary.json`, when the run finished (gives the grid picture for tabular worlds). */
  summary?: RunSummary | null;
}

/** One chart of the report. */
export interface ReportChart {
  /** Stable id (`return`, `kl_update`, `kl_step`, `beta`, `clip_fraction`, `entropy`, `grid:<run>`, `frontier`). */
  id: string;
  /** Heading. */
  title: string;
  /** What the chart shows (HTML-escaped when rendered). */
  caption: string;
  /** The Vega-Lite spec. */
  spec: VegaLiteSpec;
  /** An optional table printed under the chart (cells are HTML-escaped when rendered). */
  table?: ReportTable;
}

/** A plain table under a report chart. */
export interface ReportTable {
  /** Column heads. */
  head: string[];
  /** Rows of cell texts, one entry per column. */
  rows: string[][];
}

/** Arrow glyph per action of a gridworld: 0 = left, 1 = down, 2 = right, 3 = up (FrozenLake order). */
export const ACTION_ARROWS: readonly string[] = Object.freeze(['←', '↓', '→', '↑']);

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const WIDTH = 560;
const HEIGHT = 220;

interface Row {
  run: string;
  step: number;
  update: number;
  series: string;
  value: number;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Long-format rows of `keys` (label → metric key) for every run, skipping null / non-finite values. */
function longRows(runs: readonly ReportRun[], keys: Record<string, string>): Row[] {
  const rows: Row[] = [];
  for (const run of runs) {
    run.metrics.forEach((r, i) => {
      const update = isNum(r.update) ? r.update : i + 1;
      const step = isNum(r.global_step) ? r.global_step : update;
      for (const [series, key] of Object.entries(keys)) {
        const v = r[key];
        if (isNum(v)) rows.push({ run: run.name, step, update, series, value: v });
      }
    });
  }
  return rows;
}

function caption(keys: readonly string[], extra = ''): string {
  const parts = keys.map((k) => `${k}: ${(METRICS as Record<string, string>)[k] ?? ''}`);
  return [...parts, ...(extra ? [extra] : [])].join(' ');
}

/**
 * A y axis for KL values: log when every value is > 0; symlog (log-like on both sides of 0, linear within ±c) when
 * some are ≤ 0 (k1 can be negative), with c a decade below the smallest non-zero |value| and a tick per decade.
 */
function klAxis(rows: readonly Row[]): { scale: Record<string, unknown>; axis?: Record<string, unknown> } {
  if (rows.every((r) => r.value > 0)) return { scale: { type: 'log' } };
  const mags = rows.map((r) => Math.abs(r.value)).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.max(Math.min(...mags), 1e-12)));
  const hi = Math.ceil(Math.log10(Math.max(...mags, 1e-12)));
  const step = Math.max(1, Math.ceil((hi - lo) / 6)); // at most ~6 decades labelled per side
  const decades: number[] = [];
  for (let e = hi; e >= lo; e -= step) decades.push(10 ** e);
  const values = [...(rows.some((r) => r.value < 0) ? decades.map((d) => -d) : []), 0, ...decades].sort(
    (a, b) => a - b,
  );
  return { scale: { type: 'symlog', constant: 10 ** lo / 10 }, axis: { values, format: '~e' } };
}

function lineLayer(
  rows: Row[],
  yTitle: string,
  opts: {
    logY?: boolean;
    scale?: Record<string, unknown>;
    axis?: Record<string, unknown>;
    dashBySeries?: boolean;
    step?: boolean;
  } = {},
): VegaLiteSpec {
  const scale = opts.scale ?? (opts.logY ? { type: 'log' } : undefined);
  return {
    data: { values: rows },
    mark: {
      type: 'line',
      point: rows.length < 60,
      strokeWidth: 1.8,
      ...(opts.step ? { interpolate: 'step-after' } : {}),
    },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'env steps' },
      y: {
        field: 'value',
        type: 'quantitative',
        title: yTitle,
        ...(scale ? { scale } : {}),
        ...(opts.axis ? { axis: opts.axis } : {}),
      },
      color: { field: 'run', type: 'nominal', title: 'run', scale: { scheme: 'category10' } },
      ...(opts.dashBySeries ? { strokeDash: { field: 'series', type: 'nominal', title: 'series' } } : {}),
      detail: { field: 'series', type: 'nominal' },
      tooltip: [
        { field: 'run' },
        { field: 'series' },
        { field: 'update', type: 'quantitative' },
        { field: 'value', type: 'quantitative' },
      ],
    },
  };
}

/** Horizontal dashed rules at `y` of each value, coloured by its run like the lines (targets, β bounds). */
function runRules(values: object[], y: string, dash: number[], tooltip: object[]): VegaLiteSpec {
  return {
    data: { values },
    mark: { type: 'rule', strokeDash: dash },
    encoding: {
      y: { field: y, type: 'quantitative' },
      color: { field: 'run', type: 'nominal', scale: { scheme: 'category10' }, legend: null },
      tooltip,
    },
  };
}

function chart(id: string, title: string, cap: string, layers: VegaLiteSpec[]): ReportChart {
  return {
    id,
    title,
    caption: cap,
    spec: { $schema: SCHEMA, width: WIDTH, height: HEIGHT, background: 'white', layer: layers },
  };
}

/** The controller settings of a run whose objective uses β, else null. */
function controllerOf(config: Record<string, unknown>): VerdictControllerSettings | null {
  const ctl = config.klController;
  if (
    !isPlainObject(ctl) ||
    typeof ctl.kind !== 'string' ||
    typeof config.objective !== 'string' ||
    !hasKlTerm(config.objective)
  )
    return null;
  const out: VerdictControllerSettings = { kind: ctl.kind };
  if (isNum(ctl.target)) out.target = ctl.target;
  if (isNum(ctl.band)) out.band = ctl.band;
  if (isNum(ctl.betaMin)) out.betaMin = ctl.betaMin;
  if (isNum(ctl.betaMax)) out.betaMax = ctl.betaMax;
  return out;
}

/** The KL target of a run and its rule's band [lower, upper] (adaptive [d/band, d·band], rllib [d/2, 2d]), or null. */
function bandOf(config: Record<string, unknown>): { target: number; lo: number; hi: number } | null {
  const ctl = controllerOf(config);
  if (!ctl || ctl.kind === 'fixed' || !isNum(ctl.target)) return null;
  return { target: ctl.target, lo: lowerKlEdge(ctl), hi: upperKlEdge(ctl) };
}

/**
 * The time-series charts of a report as Vega-Lite specs (one per metric family), overlaying every run by colour:
 * episodic return against the exact optimum, per-update KL(π_rollout‖π_after) exact vs k1/k3 with the target band
 * [d_targ/1.5, 1.5·d_targ] (PPO paper §4), per-optimizer-step KL, β, clip fraction and entropy.
 * Charts with no data in any run are left out.
 * @param runs The runs to overlay.
 * @returns Plain JSON specs (no rendering).
 * @example
 * ```ts
 * const charts = reportCharts([{ name: 'a', config, metrics }]);
 * charts.map((c) => c.id); // ['return', 'kl_update', …]
 * ```
 */
export function reportCharts(runs: readonly ReportRun[]): ReportChart[] {
  const out: ReportChart[] = [];

  const ret = longRows(runs, {
    'episodic return': 'charts/episodic_return',
    'policy return (exact)': 'charts/policy_return',
  });
  const optimum = [...new Set(longRows(runs, { optimum: 'charts/optimal_return' }).map((r) => r.value))].map(
    (value) => ({ value, series: 'exact optimum' }),
  );
  if (ret.length) {
    const layers: VegaLiteSpec[] = [lineLayer(ret, 'return', { dashBySeries: true })];
    if (optimum.length) {
      layers.push({
        data: { values: optimum },
        mark: { type: 'rule', strokeDash: [6, 3], color: 'black' },
        encoding: {
          y: { field: 'value', type: 'quantitative' },
          tooltip: [{ field: 'series' }, { field: 'value', type: 'quantitative' }],
        },
      });
    }
    out.push(
      chart(
        'return',
        'Return against the exact optimum',
        caption(
          ['charts/episodic_return', 'charts/policy_return', 'charts/optimal_return'],
          optimum.length ? 'The dashed black rule is the exact optimum.' : '',
        ),
        layers,
      ),
    );
  }

  const klUpdate = longRows(runs, { exact: 'kl/exact_rollout_end', k1: 'kl/k1_rollout_end', k3: 'kl/k3_rollout_end' });
  if (klUpdate.length) {
    const layers: VegaLiteSpec[] = [];
    const bands = runs
      .map((r) => ({ run: r.name, band: bandOf(r.config) }))
      .filter((b) => b.band !== null)
      .map((b) => ({ run: b.run, ...b.band! }));
    if (bands.length) {
      layers.push({
        data: { values: bands },
        mark: { type: 'rect', opacity: 0.1 },
        encoding: {
          y: { field: 'lo', type: 'quantitative' },
          y2: { field: 'hi' },
          color: { field: 'run', type: 'nominal', scale: { scheme: 'category10' }, legend: null },
          tooltip: [{ field: 'run' }, { field: 'lo', title: 'band low' }, { field: 'hi', title: 'band high' }],
        },
      });
      layers.push(runRules(bands, 'target', [4, 2], [{ field: 'run' }, { field: 'target', title: 'target KL' }]));
    }
    layers.push(lineLayer(klUpdate, 'KL (nats)', { dashBySeries: true, ...klAxis(klUpdate) }));
    const verdicts = runs.map((r) => ({ run: r, ctl: controllerOf(r.config) })).filter((x) => x.ctl !== null);
    const c = chart(
      'kl_update',
      'KL of the update: KL(π_rollout‖π_end), exact vs k1/k3, against the target',
      caption(
        ['kl/exact_rollout_end', 'kl/k1_rollout_end', 'kl/k3_rollout_end'],
        bands.length
          ? "Shaded: each run's band in its own rule's edges (adaptive [d/1.5, 1.5·d], RLlib [d/2, 2·d]); dashed: the target d. The controller keeps the exact KL inside it; points far above it are updates the trust region did not hold."
          : '',
      ),
      layers,
    );
    if (verdicts.length) {
      c.table = {
        head: ['run', 'target', 'in band', 'over 2× target', 'over 5× target', 'β at a bound', 'β held', 'early stops'],
        rows: verdicts.map(({ run, ctl }) => {
          const v = controllerVerdict(run.metrics, ctl!, true);
          return [
            run.name,
            v.target === null ? '–' : String(v.target),
            `${v.inBand}/${v.updates}`,
            String(v.over2x),
            String(v.over5x),
            String(v.betaAtBound),
            String(v.held),
            String(v.earlyStops),
          ];
        }),
      };
    }
    out.push(c);
  }

  const klStep = longRows(runs, { exact: 'kl/exact_old_new', k1: 'kl/k1', k3: 'kl/k3' });
  if (klStep.length) {
    out.push(
      chart(
        'kl_step',
        'KL per optimizer step: KL(π_before‖π_after), exact vs k1/k3 estimates',
        caption(
          ['kl/exact_old_new', 'kl/k1', 'kl/k3'],
          'One update takes epochs × minibatches optimizer steps, so this is far smaller than the KL of the update.',
        ),
        [lineLayer(klStep, 'KL (nats)', { dashBySeries: true, ...klAxis(klStep) })],
      ),
    );
  }

  const klRuns = runs.filter((r) => controllerOf(r.config) !== null);
  const beta = longRows(klRuns, { beta: 'kl/coef' });
  if (beta.length) {
    const logY = beta.every((r) => r.value > 0);
    const layers: VegaLiteSpec[] = [lineLayer(beta, 'β', { logY, step: true })];
    const bounds: Array<{ run: string; bound: string; value: number }> = [];
    for (const r of klRuns) {
      const ctl = controllerOf(r.config)!;
      if (isNum(ctl.betaMin) && (!logY || ctl.betaMin > 0))
        bounds.push({ run: r.name, bound: 'betaMin', value: ctl.betaMin });
      if (isNum(ctl.betaMax)) bounds.push({ run: r.name, bound: 'betaMax', value: ctl.betaMax });
    }
    if (bounds.length) {
      layers.push(
        runRules(
          bounds,
          'value',
          [2, 2],
          [{ field: 'run' }, { field: 'bound' }, { field: 'value', type: 'quantitative' }],
        ),
      );
    }
    out.push(
      chart(
        'beta',
        'KL coefficient β per update',
        caption(
          ['kl/coef', 'kl/coef_held'],
          `A step line: β is constant within an update.${logY ? ' Log scale.' : ''}${bounds.length ? ' Dotted: betaMin/betaMax.' : ''} Flat stretches are updates where the trainer held β (no learning signal, or the penalty was not what stopped the update).`,
        ),
        layers,
      ),
    );
  }

  const optSteps = longRows(runs, { 'optimizer steps': 'kl/optimizer_steps' });
  const stopping = runs.filter((r) => isNum(r.config.earlyStopKl));
  if (optSteps.length && stopping.length) {
    const full = runs
      .map((r) => ({
        run: r.name,
        value:
          (isNum(r.config.epochs) ? r.config.epochs : 0) *
          (isNum(r.config.numMinibatches) ? r.config.numMinibatches : 0),
      }))
      .filter((x) => x.value > 0);
    const thresholds = stopping.map(
      (r) =>
        `${r.name}: ${isNum(r.config.earlyStopFactor) ? r.config.earlyStopFactor : 1.5} × ${String(r.config.earlyStopKl)} (${String(r.config.earlyStopStatistic ?? 'exact')})`,
    );
    out.push(
      chart(
        'early_stop',
        'Early stopping: optimizer steps taken per update',
        caption(
          ['kl/optimizer_steps', 'kl/early_stopped'],
          `Dashed: the full epochs × minibatches. An update below it was stopped once its KL passed the threshold ${thresholds.join('; ')}.`,
        ),
        [
          lineLayer(optSteps, 'optimizer steps'),
          {
            data: { values: full },
            mark: { type: 'rule', strokeDash: [6, 3] },
            encoding: {
              y: { field: 'value', type: 'quantitative' },
              color: { field: 'run', type: 'nominal', scale: { scheme: 'category10' }, legend: null },
            },
          },
        ],
      ),
    );
  }

  const clip = longRows(runs, { 'clip fraction': 'policy/clip_fraction' });
  if (clip.length)
    out.push(chart('clip_fraction', 'Clip fraction', caption(['policy/clip_fraction']), [lineLayer(clip, 'fraction')]));

  const ent = longRows(runs, { entropy: 'policy/entropy' });
  if (ent.length)
    out.push(chart('entropy', 'Policy entropy', caption(['policy/entropy']), [lineLayer(ent, 'entropy (nats)')]));

  for (const run of runs) {
    const s = run.summary;
    if (s?.frame && s.policy && s.frame.kind === 'grid') {
      const spec = gridPolicySpec(s.frame, s.policy);
      if (spec) {
        out.push({
          id: `grid:${run.name}`,
          title: `Final policy of ${run.name}`,
          caption:
            'Cells are coloured by the critic’s state value V(s); each arrow is the greedy action, its opacity ∝ π(greedy|s). Outlined: holes, cliffs and goals (terminal cells have no arrow).',
          spec,
        });
      }
    }
  }
  return out;
}

const CELL_KIND: Record<string, string> = { H: 'hole', G: 'goal', C: 'cliff', S: 'start', W: 'wall', '#': 'wall' };

/**
 * A Vega-Lite layered spec picturing a gridworld policy: `rect` cells coloured by V(s), `text` arrows for the
 * greedy action with opacity ∝ its probability, outlines for holes / goals / cliffs, and the cell letters.
 * State s is the cell (s div cols, s mod cols), as in Gymnasium FrozenLake.
 * @param frame A grid frame (`renderFrame()` of a klip gridworld).
 * @param policy `probs[s][a]` and optional values `values[s]`.
 * @returns The spec, or null when the frame is not a grid or sizes do not match.
 * @example
 * ```ts
 * const spec = gridPolicySpec(env.renderFrame(), await trainer.policySnapshot());
 * ```
 */
export function gridPolicySpec(
  frame: RenderFrame,
  policy: { probs: number[][]; values: number[] | null },
): VegaLiteSpec | null {
  // summary.json comes from disk: check the shape, not only the type
  if (frame.kind !== 'grid' || !isNum(frame.rows) || !isNum(frame.cols) || !Array.isArray(frame.cells)) return null;
  const { rows, cols, cells } = frame;
  if (policy.probs.length !== rows * cols) return null;
  const data: Record<string, unknown>[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = r * cols + c;
      const code = String(cells[r]?.[c] ?? '');
      const kind = CELL_KIND[code.toUpperCase()] ?? 'free';
      const p = policy.probs[s] ?? [];
      let a = 0;
      for (let i = 1; i < p.length; i++) if ((p[i] ?? 0) > (p[a] ?? 0)) a = i;
      const terminal = kind === 'hole' || kind === 'goal' || kind === 'cliff' || kind === 'wall';
      data.push({
        state: s,
        row: r,
        col: c,
        code,
        kind,
        value: policy.values ? (policy.values[s] ?? null) : null,
        arrow: terminal ? '' : (ACTION_ARROWS[a] ?? String(a)),
        prob: p[a] ?? 0,
        outline: kind === 'free' ? null : kind,
      });
    }
  }
  const size = 44;
  const x = { field: 'col', type: 'ordinal', axis: null };
  const y = { field: 'row', type: 'ordinal', axis: null };
  const hasValues = policy.values !== null;
  return {
    $schema: SCHEMA,
    width: cols * size,
    height: rows * size,
    background: 'white',
    data: { values: data },
    layer: [
      {
        mark: { type: 'rect', stroke: '#999', strokeWidth: 0.5 },
        encoding: {
          x,
          y,
          ...(hasValues
            ? { color: { field: 'value', type: 'quantitative', title: 'V(s)', scale: { scheme: 'blues' } } }
            : { color: { value: '#eeeeee' } }),
          tooltip: [
            { field: 'state' },
            { field: 'code' },
            { field: 'value', type: 'quantitative' },
            { field: 'prob', type: 'quantitative' },
          ],
        },
      },
      {
        transform: [{ filter: 'datum.outline != null' }],
        mark: { type: 'rect', fill: null, strokeWidth: 3 },
        encoding: {
          x,
          y,
          stroke: {
            field: 'outline',
            type: 'nominal',
            title: 'cell',
            scale: {
              domain: ['start', 'hole', 'cliff', 'goal', 'wall'],
              range: ['#1f77b4', '#d62728', '#9467bd', '#2ca02c', '#333333'],
            },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 24, fontWeight: 'bold', color: '#111' },
        encoding: {
          x,
          y,
          text: { field: 'arrow' },
          opacity: { field: 'prob', type: 'quantitative', scale: { domain: [0, 1], range: [0.1, 1] }, legend: null },
        },
      },
      {
        mark: { type: 'text', fontSize: 9, dx: -size / 2 + 8, dy: -size / 2 + 8, color: '#444' },
        encoding: { x, y, text: { field: 'code' } },
      },
    ],
  };
}

/**
 * Render one Vega-Lite spec to an SVG string in Node (no canvas, no network): compile to Vega, parse, and run
 * a headless `View` with `renderer: 'none'`. The XML namespace attributes are dropped, as inline SVG in HTML5
 * does not need them, so the page carries no URL at all.
 * @param spec A Vega-Lite v5 spec with inline data.
 * @returns The `<svg>…</svg>` markup.
 * @example
 * ```ts
 * const svg = await renderSpecToSvg(reportCharts(runs)[0].spec);
 * ```
 */
export async function renderSpecToSvg(spec: VegaLiteSpec): Promise<string> {
  if (!isTopLevelSpec(spec))
    throw new ConfigError({
      fn: 'renderSpecToSvg',
      arg: 'spec',
      expected: 'a Vega-Lite v5 spec with a mark, layer, concat, facet or repeat',
      got: Object.keys(spec),
    });
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '');
  } finally {
    view.finalize();
  }
}

/**
 * Whether a JSON object is a top-level Vega-Lite spec: it has a view (`mark`, `layer`, a concat, `facet` or
 * `repeat`). The fields themselves are checked by `vl.compile`.
 */
function isTopLevelSpec(spec: unknown): spec is TopLevelSpec {
  return (
    isPlainObject(spec) &&
    ['mark', 'layer', 'hconcat', 'vconcat', 'concat', 'facet', 'repeat'].some((k) => spec[k] !== undefined)
  );
}

/** A number of the summary table (4 decimals, trailing zeros dropped). */
const fmt = (v: unknown, digits = 4): string => formatNumber(v, { digits });

function summaryTable(runs: readonly ReportRun[]): string {
  const head = [
    'run',
    'env',
    'objective',
    'updates',
    'env steps',
    'final return',
    'success rate',
    'policy return',
    'optimum',
    'KL of the update (mean)',
    'KL per optimizer step (mean)',
    'final β',
  ];
  const body = runs.map((run) => {
    const s = run.summary;
    const last = run.metrics[run.metrics.length - 1] ?? {};
    const cells = [
      run.name,
      String(run.config.env ?? s?.env ?? ''),
      String(run.config.objective ?? s?.objective ?? ''),
      fmt(s?.updates ?? last.update, 0),
      fmt(s?.envSteps ?? last.global_step, 0),
      fmt(s?.finalReturn),
      fmt(s?.successRate),
      fmt(s?.policyReturn),
      fmt(s?.optimalReturn),
      fmt(s?.meanUpdateKl ?? meanOfMetric(run.metrics, 'kl/exact_rollout_end')),
      fmt(s?.meanStepKl),
      typeof run.config.objective === 'string' && !hasKlTerm(run.config.objective) ? '–' : fmt(s?.finalBeta),
    ];
    return cells;
  });
  return htmlTable(head, body, 'summary');
}

/**
 * Build the standalone HTML report of one or more runs: a header with the run names and their configs, a summary
 * table, then one inline-SVG chart per metric family (runs overlaid by colour) with a caption taken from
 * `METRICS`, and for gridworlds a picture of each run's final policy. No scripts, no external resources.
 * Extra charts (e.g. the reward–KL frontier of `klip frontier` folders) come first, each with its optional table.
 * @param runs The training runs (may be empty when `opts.charts` is given).
 * @param opts.title Page title. @defaultValue 'klip report'
 * @param opts.charts Extra charts rendered before the run charts (e.g. `frontierChart(…)`). @defaultValue []
 * @param opts.sources Names of the `klip frontier` folders shown in the header. @defaultValue []
 * @returns The HTML text.
 * @example
 * ```ts
 * await writeFile('report.html', await renderReportHtml([{ name: 'a', config, metrics, summary }]));
 * ```
 */
export async function renderReportHtml(
  runs: readonly ReportRun[],
  opts: { title?: string; charts?: readonly ReportChart[]; sources?: readonly string[] } = {},
): Promise<string> {
  const title = opts.title ?? 'klip report';
  const charts = [...(opts.charts ?? []), ...reportCharts(runs)];
  const names = [...runs.map((r) => r.name), ...(opts.sources ?? [])];
  const sections: string[] = [];
  for (const c of charts) {
    const svg = await renderSpecToSvg(c.spec);
    const table = c.table ? htmlTable(c.table.head, c.table.rows) : '';
    sections.push(
      `<section id="${escapeHtml(c.id)}"><h2>${escapeHtml(c.title)}</h2><figure>${svg}<figcaption>${escapeHtml(c.caption)}</figcaption></figure>${table}</section>`,
    );
  }
  const configs = runs
    .map(
      (r) =>
        `<details><summary>config of <b>${escapeHtml(r.name)}</b></summary><pre>${escapeHtml(JSON.stringify(r.config, null, 2))}</pre></details>`,
    )
    .join('\n');
  return htmlPage({
    title: `${title}: ${names.join(', ')}`,
    generator: REPORT_GENERATOR,
    body: `<h1>${escapeHtml(title)}</h1>
${
  runs.length
    ? `<p class="muted">Runs: ${runs.map((r) => `<b>${escapeHtml(r.name)}</b>`).join(', ')}. x axes are env steps; colours are runs.</p>
${summaryTable(runs)}`
    : ''
}${opts.sources?.length ? `<p class="muted">Frontiers: ${opts.sources.map((n) => `<b>${escapeHtml(n)}</b>`).join(', ')}.</p>` : ''}
${configs}
${sections.join('\n')}
${charts.length === 0 ? '<p>No metrics recorded yet.</p>' : ''}`,
  });
}
