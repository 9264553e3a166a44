/**
 * The run report: Vega-Lite v5 specs built from metric histories, rendered to SVG in Node with `vega` +
 * `vega-lite` (`vl.compile(spec).spec` → `new vega.View(vega.parse(…), { renderer: 'none' }).toSVG()`), and
 * assembled into one standalone HTML page (inline SVG, no scripts, no network references).
 * Several runs overlay by colour. Node only.
 * @module
 */
import type { MetricRecord } from '../training/metrics.js';
import { controllerVerdict, type VerdictControllerSettings } from '../training/controller_verdict.js';
import { hasKlTerm, lowerKlEdge, upperKlEdge } from '../training/kl_control.js';
import { isPlainObject } from '../core/assert.js';
import { NEAR_ZERO, formatNumber } from './format.js';
import { REPORT_GENERATOR, escapeHtml, htmlPage, htmlTable } from './html_page.js';
import { exactGridValues, gridLegendHtml, gridPolicySpec } from './report/grid.js';
import { differingSettings, runColour } from './report/settings.js';
import { CHART_CONFIG, renderSpecToSvg, type VegaLiteSpec } from './report/svg.js';
import { meanOfMetric, type RunSummary } from './run_folder.js';

export {
  ACTION_ARROWS,
  GRID_TILES,
  exactGridValues,
  gridLegendHtml,
  gridPolicySpec,
  gridTiles,
} from './report/grid.js';
export type { ExactGridValues, GridPictureOptions } from './report/grid.js';
export { renderSpecToSvg, type VegaLiteSpec } from './report/svg.js';

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
  /** Stable id (`return`, `kl_update`, `kl_step`, `kl_ref`, `beta`, `early_stop`, `clip_fraction`, `entropy`, `grids`, `frontier`). */
  id: string;
  /** Heading. */
  title: string;
  /** What to look for in the chart (HTML-escaped when rendered). */
  caption: string;
  /** The Vega-Lite spec (left out when the chart is a row of {@link ReportChart.panels}). */
  spec?: VegaLiteSpec;
  /** Small pictures drawn side by side, wrapping on narrow pages (the policy grids of several runs). */
  panels?: ReportPanel[];
  /** A legend shared by the panels, as trusted markup built with every text escaped (see `gridLegendHtml`). */
  legendHtml?: string;
  /** An optional table printed under the chart (cells are HTML-escaped when rendered). */
  table?: ReportTable;
}

/** One small picture of a row of panels. */
export interface ReportPanel {
  /** Stable id (`grid:<run>`). */
  id: string;
  /** Its caption (the run name). */
  title: string;
  /** The Vega-Lite spec. */
  spec: VegaLiteSpec;
}

/** A plain table under a report chart. */
export interface ReportTable {
  /** Column heads. */
  head: string[];
  /** Rows of cell texts, one entry per column. */
  rows: string[][];
  /** Optional `#rrggbb` swatch per row (the run's chart colour), drawn before the first cell. */
  swatches?: string[];
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
/** Plot size of the line charts: narrow enough to stay legible when scaled down to a phone. */
const WIDTH = 460;
const HEIGHT = 220;
/** The dash of each series of a chart (solid, long dashes, dots), the same in every chart and its legend. */
const DASHES: readonly number[][] = [
  [1, 0],
  [7, 3],
  [2, 2.5],
  [9, 3, 2, 3],
];

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

/** A caption: what to look for, then the metric keys drawn (docs/metrics.md describes each). */
function caption(lookFor: string, keys: readonly string[]): string {
  return `${lookFor} Metrics: ${keys.join(', ')}.`;
}

/** The run colour scale: one colour per run, in report order (the summary table's swatches use the same). */
function runScale(runs: readonly ReportRun[]): Record<string, unknown> {
  return { domain: runs.map((r) => r.name), range: runs.map((_, i) => runColour(i)) };
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
  runs: readonly ReportRun[],
  rows: Row[],
  yTitle: string,
  opts: {
    logY?: boolean;
    scale?: Record<string, unknown>;
    axis?: Record<string, unknown>;
    /** Dash by series, with this legend title (e.g. `estimator (line style)`). */
    dashBySeries?: string;
    step?: boolean;
  } = {},
): VegaLiteSpec {
  const scale = opts.scale ?? (opts.logY ? { type: 'log' } : undefined);
  const series = [...new Set(rows.map((r) => r.series))];
  return {
    data: { values: rows },
    // the hover text of a point: run, series, update and value (Vega's default lists every encoded field twice)
    transform: [
      {
        calculate:
          "datum.run + ' · ' + datum.series + ' · update ' + datum.update + ' (' + format(datum.step, ',') + ' env steps): ' + format(datum.value, '.4~g')",
        as: 'tip',
      },
    ],
    mark: {
      type: 'line',
      point: rows.length < 60 ? { size: 18 } : false,
      strokeWidth: 2,
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
      color: { field: 'run', type: 'nominal', title: 'run (colour)', scale: runScale(runs) },
      ...(opts.dashBySeries
        ? {
            strokeDash: {
              field: 'series',
              type: 'nominal',
              title: opts.dashBySeries,
              scale: { domain: series, range: series.map((_, i) => DASHES[i % DASHES.length]) },
              legend: { symbolStrokeWidth: 2, symbolSize: 300, symbolStrokeColor: '#333' },
            },
          }
        : {}),
      detail: { field: 'series', type: 'nominal' },
      description: { field: 'tip' },
      tooltip: [
        { field: 'run' },
        { field: 'series' },
        { field: 'update', type: 'quantitative' },
        { field: 'step', type: 'quantitative', title: 'env steps' },
        { field: 'value', type: 'quantitative', format: '.4~g' },
      ],
    },
  };
}

/** Horizontal dashed rules at `y` of each value, coloured by its run like the lines (targets, β bounds). */
function runRules(
  runs: readonly ReportRun[],
  values: object[],
  y: string,
  dash: number[],
  tooltip: object[],
): VegaLiteSpec {
  return {
    data: { values },
    mark: { type: 'rule', strokeDash: dash },
    encoding: {
      y: { field: y, type: 'quantitative' },
      color: { field: 'run', type: 'nominal', title: 'run (colour)', scale: runScale(runs) },
      tooltip,
    },
  };
}

function chart(id: string, title: string, cap: string, layers: VegaLiteSpec[]): ReportChart {
  return {
    id,
    title,
    caption: cap,
    spec: {
      $schema: SCHEMA,
      width: WIDTH,
      height: HEIGHT,
      background: 'white',
      config: CHART_CONFIG,
      layer: layers,
    },
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
 * The time-series charts of a report as Vega-Lite specs (one per metric family), overlaying every run by colour (one
 * colour per run, in report order) and telling series apart by dash (exact / k1 / k3, episodic / exact return):
 * episodic return against the exact optimum, per-update KL(π_rollout‖π_after) exact vs k1/k3 with the target band
 * [d_targ/1.5, 1.5·d_targ] (PPO paper §4), per-optimizer-step KL, β, clip fraction and entropy, then the final
 * policies of gridworld runs side by side on one colour scale. Charts with no data in any run are left out.
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
    'episodic return (sampled)': 'charts/episodic_return',
    'policy return (exact)': 'charts/policy_return',
  });
  const optimum = [...new Set(longRows(runs, { optimum: 'charts/optimal_return' }).map((r) => r.value))].map(
    (value) => ({ value, series: 'exact optimum' }),
  );
  if (ret.length) {
    const layers: VegaLiteSpec[] = [lineLayer(runs, ret, 'return', { dashBySeries: 'series (line style)' })];
    if (optimum.length) {
      layers.push({
        data: { values: optimum },
        mark: { type: 'rule', strokeDash: [6, 3], color: 'black', strokeWidth: 1.5 },
        encoding: {
          y: { field: 'value', type: 'quantitative' },
          tooltip: [{ field: 'series' }, { field: 'value', type: 'quantitative', format: '.4~g' }],
        },
      });
    }
    out.push(
      chart(
        'return',
        'Return against the exact optimum',
        caption(
          optimum.length
            ? 'The return should rise toward the dashed black optimum. A plateau well below it means the policy settled on a worse route (or too much KL pressure held it near its start); the exact policy return (dashed) is the noise-free version of the sampled episodic return (solid).'
            : 'The return should rise and level off; the exact policy return (dashed, tabular worlds) is the noise-free version of the sampled episodic return (solid).',
          ['charts/episodic_return', 'charts/policy_return', 'charts/optimal_return'],
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
          // the band is faint, its legend swatch is not: it matches the table's swatch
          color: {
            field: 'run',
            type: 'nominal',
            title: 'run (colour)',
            scale: runScale(runs),
            legend: { symbolOpacity: 1, symbolType: 'square' },
          },
          tooltip: [{ field: 'run' }, { field: 'lo', title: 'band low' }, { field: 'hi', title: 'band high' }],
        },
      });
      layers.push(runRules(runs, bands, 'target', [4, 2], [{ field: 'run' }, { field: 'target', title: 'target KL' }]));
    }
    layers.push(
      lineLayer(runs, klUpdate, 'KL (nats)', { dashBySeries: 'estimator (line style)', ...klAxis(klUpdate) }),
    );
    const verdicts = runs.map((r) => ({ run: r, ctl: controllerOf(r.config) })).filter((x) => x.ctl !== null);
    const c = chart(
      'kl_update',
      'How far each update moved the policy: KL(π_rollout‖π_end)',
      caption(
        bands.length
          ? "Each run's shaded band is its controller's target zone (adaptive [d/1.5, 1.5·d], RLlib [d/2, 2·d]; dashed: the target d). A working controller keeps the exact KL (solid) inside its band; points far above it are updates the trust region did not hold. k1/k3 (dashed, dotted) are the sampled estimates: where they drift from the exact line, a controller fed by them is steering on noise."
          : 'Small, steady values mean gentle updates; spikes are updates that moved the policy a lot. k1/k3 (dashed, dotted) are sampled estimates of the exact KL (solid): the closer, the better they would steer a controller.',
        ['kl/exact_rollout_end', 'kl/k1_rollout_end', 'kl/k3_rollout_end'],
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
        swatches: verdicts.map(({ run }) => runColour(runs.indexOf(run))),
      };
    }
    out.push(c);
  }

  const klStep = longRows(runs, { exact: 'kl/exact_old_new', k1: 'kl/k1', k3: 'kl/k3' });
  if (klStep.length) {
    out.push(
      chart(
        'kl_step',
        'KL per optimizer step: KL(π_before‖π_after)',
        caption(
          'One update takes epochs × minibatches optimizer steps, so these are far smaller than the KL of the update above. A value that grows over training means steps are getting bolder (a learning rate too high for the late phase).',
          ['kl/exact_old_new', 'kl/k1', 'kl/k3'],
        ),
        [
          lineLayer(runs, klStep, 'KL (nats)', {
            dashBySeries: 'estimator (line style)',
            ...klAxis(klStep),
          }),
        ],
      ),
    );
  }

  const refKl = longRows(runs, { exact: 'kl/ref_exact', estimate: 'kl/ref_estimate' });
  if (refKl.length) {
    out.push(
      chart(
        'kl_ref',
        'KL to the reference: KL(π‖π_ref)',
        caption(
          'How far the policy has moved from the frozen reference (referenceKl). It starts at 0 when π_ref is the initial policy and rises as the policy learns; with a fixed β_ref it levels off where reward and penalty balance, and a curve that keeps climbing means β_ref is too small to hold it. Solid: exact over the batch states; dashed: the estimate that went into the reward or the loss.',
          ['kl/ref_exact', 'kl/ref_estimate', 'kl/ref_coef'],
        ),
        [lineLayer(runs, refKl, 'KL (nats)', { dashBySeries: 'estimator (line style)', ...klAxis(refKl) })],
      ),
    );
  }

  const klRuns = runs.filter((r) => controllerOf(r.config) !== null);
  const beta = longRows(klRuns, { beta: 'kl/coef' });
  if (beta.length) {
    const logY = beta.every((r) => r.value > 0);
    const layers: VegaLiteSpec[] = [lineLayer(runs, beta, 'β', { logY, step: true })];
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
          runs,
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
          `β should settle once the KL sits in its band; a β that keeps climbing (or pins at a bound${bounds.length ? ', dotted' : ''}) means the penalty alone cannot hold the KL down. Flat stretches are updates where the trainer held β (no learning signal, or the penalty was not what stopped the update).${logY ? ' Log scale.' : ''}`,
          ['kl/coef', 'kl/coef_held'],
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
          `Dashed: the full epochs × minibatches. Updates below it were cut short once their KL passed the threshold (${thresholds.join('; ')}); many cut updates mean the step size, not the threshold, is doing the work.`,
          ['kl/optimizer_steps', 'kl/early_stopped'],
        ),
        [
          lineLayer(runs, optSteps, 'optimizer steps'),
          {
            data: { values: full },
            mark: { type: 'rule', strokeDash: [6, 3] },
            encoding: {
              y: { field: 'value', type: 'quantitative' },
              color: { field: 'run', type: 'nominal', title: 'run (colour)', scale: runScale(runs) },
            },
          },
        ],
      ),
    );
  }

  const clip = longRows(runs, { 'clip fraction': 'policy/clip_fraction' });
  if (clip.length)
    out.push(
      chart(
        'clip_fraction',
        'Clip fraction',
        caption(
          'The share of samples whose probability ratio left [1−ε, 1+ε]. Around 0.1–0.3 is usual for PPO; near 0 the clip never acts, well above it the updates are pushing hard against it.',
          ['policy/clip_fraction'],
        ),
        [lineLayer(runs, clip, 'fraction')],
      ),
    );

  const ent = longRows(runs, { entropy: 'policy/entropy' });
  if (ent.length)
    out.push(
      chart(
        'entropy',
        'Policy entropy',
        caption(
          'Entropy falls as the policy commits to actions. A collapse to 0 early, before the return has risen, means it stopped exploring too soon; a flat line means it is not learning.',
          ['policy/entropy'],
        ),
        [lineLayer(runs, ent, 'entropy (nats)')],
      ),
    );

  const grids = gridChart(runs);
  if (grids) out.push(grids);
  return out;
}

/**
 * The final policies of the gridworld runs as one row of panels (wrapping on narrow pages), all on one colour scale:
 * the exact V^π when the world can be rebuilt from the run's config (else the critic's V), and the optimal actions.
 */
function gridChart(runs: readonly ReportRun[]): ReportChart | null {
  const found = runs.flatMap((run) => {
    const s = run.summary;
    if (!s?.frame || !s.policy || s.frame.kind !== 'grid' || !Array.isArray(s.policy.probs)) return [];
    const exact = exactGridValues(run.config, s.policy.probs);
    return [{ run, frame: s.frame, policy: s.policy, exact }];
  });
  if (!found.length) return null;
  const allExact = found.every((f) => f.exact !== null);
  const nums = found.flatMap((f) => (allExact ? f.exact!.values : (f.policy.values ?? []))).filter(isNum);
  const valueDomain: [number, number] = [Math.min(0, ...nums), Math.max(1e-9, ...nums)];
  const panels: ReportPanel[] = [];
  for (const f of found) {
    const spec = gridPolicySpec(f.frame, f.policy, {
      values: allExact ? f.exact!.values : f.policy.values,
      valueTitle: allExact ? 'V^π(s), exact' : 'V(s), critic',
      optimal: f.exact?.optimal ?? null,
      valueDomain,
      legend: false,
    });
    if (spec) panels.push({ id: `grid:${f.run.name}`, title: f.run.name, spec });
  }
  if (!panels.length) return null;
  const horizons = [...new Set(found.map((f) => f.exact?.horizon).filter(isNum))];
  return {
    id: 'grids',
    title: panels.length > 1 ? 'Final policies' : `Final policy of ${panels[0]!.title}`,
    caption: `Each cell shows all four actions as arrows whose length and darkness are π(a|s); a single long arrow is a committed policy, four short ones a policy still undecided. ${
      allExact
        ? `The fill is the exact value V^π(s): the expected return from that cell under this policy within ${horizons.join('/')} steps (policy evaluation on the world's transition table), on one scale for every panel.`
        : "The fill is the critic's estimate V(s) (the exact value needs one of klip's preset worlds), on one scale for every panel."
    }${found.some((f) => f.exact) ? ' Red hollow heads at a cell edge mark the optimal first actions: a dark arrow pointing at one means the policy found it.' : ''} Hover a cell for its numbers.`,
    panels,
    legendHtml: gridLegendHtml({
      valueTitle: allExact ? 'V^π(s), exact' : 'V(s), critic',
      domain: valueDomain,
      frames: found.map((f) => f.frame),
      optimal: found.some((f) => f.exact !== null),
      escape: escapeHtml,
    }),
  };
}

/** A number of the summary table (4 decimals, trailing zeros dropped, round-off printed as ≈ 0). */
const fmt = (v: unknown, digits = 4): string => formatNumber(v, { digits, nearZero: NEAR_ZERO });

/**
 * The summary table: one row per run in legend order, a colour swatch per run, the settings that differ between the
 * runs' configs ({@link differingSettings}), then the final numbers.
 */
function summaryTable(runs: readonly ReportRun[]): string {
  const settings = differingSettings(runs.map((r) => r.config));
  const head = [
    'run',
    ...settings.map((s) => s.label),
    ...(runs.length === 1 ? ['env', 'objective'] : []),
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
  const body = runs.map((run, i) => {
    const s = run.summary;
    const last = run.metrics[run.metrics.length - 1] ?? {};
    return [
      run.name,
      ...settings.map((c) => c.values[i]!),
      ...(runs.length === 1
        ? [String(run.config.env ?? s?.env ?? ''), String(run.config.objective ?? s?.objective ?? '')]
        : []),
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
  });
  return htmlTable(
    head,
    body,
    'summary',
    runs.map((_, i) => runColour(i)),
  );
}

/** One chart as a page section: heading, the SVG (or a row of panels), caption and optional table. */
async function chartSection(c: ReportChart): Promise<string> {
  let figure = '';
  if (c.panels?.length) {
    const figs: string[] = [];
    for (const p of c.panels)
      figs.push(
        `<figure id="${escapeHtml(p.id)}">${await renderSpecToSvg(p.spec)}<figcaption>${escapeHtml(p.title)}</figcaption></figure>`,
      );
    figure = `${c.legendHtml ?? ''}<div class="panels">${figs.join('')}</div><p class="caption">${escapeHtml(c.caption)}</p>`;
  } else if (c.spec) {
    figure = `<figure>${await renderSpecToSvg(c.spec)}<figcaption>${escapeHtml(c.caption)}</figcaption></figure>`;
  }
  const table = c.table ? htmlTable(c.table.head, c.table.rows, undefined, c.table.swatches) : '';
  return `<section id="${escapeHtml(c.id)}"><h2>${escapeHtml(c.title)}</h2>${figure}${table}</section>`;
}

/**
 * Build the standalone HTML report of one or more runs: a header with the run names and their configs, a summary
 * table (a colour swatch per run, the settings that differ between runs), then one inline-SVG chart per metric
 * family (runs overlaid by colour, series by dash) with a caption saying what to look for, and for gridworlds the
 * final policies side by side. No scripts, no external resources; the page fits any width (charts scale, tables
 * scroll inside their own box). Extra charts (e.g. the reward–KL frontier of `klip frontier` folders) come first,
 * each with its optional table.
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
  for (const c of charts) sections.push(await chartSection(c));
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
    ? `<p class="muted">Runs: ${runs.map((r) => `<b>${escapeHtml(r.name)}</b>`).join(', ')}. x axes are env steps; ${runs.length > 1 ? 'each run has one colour (its swatch in the table), and line styles tell the series of a chart apart.' : 'line styles tell the series of a chart apart.'} Hover a mark for its numbers.</p>
${summaryTable(runs)}`
    : ''
}${opts.sources?.length ? `<p class="muted">Frontiers: ${opts.sources.map((n) => `<b>${escapeHtml(n)}</b>`).join(', ')}.</p>` : ''}
${configs}
${sections.join('\n')}
${charts.length === 0 ? '<p>No metrics recorded yet.</p>' : ''}`,
  });
}
