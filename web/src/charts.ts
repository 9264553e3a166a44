/**
 * Live training charts: Vega-Lite specs (the same encodings as the `klip report` charts: long-format rows
 * `{ update, series, value }`, dashed series per estimator, a black dashed rule for the exact optimum, the green
 * band [d_targ/1.5, 1.5·d_targ] of the adaptive KL rule) compiled once with `vega-lite` and rendered as SVG by
 * `vega`. New records are streamed in with `view.insert('table', rows)`, so a chart is never rebuilt mid-run.
 * @module
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { Record_ } from './protocol.js';

interface ChartDef {
  id: string;
  title: string;
  caption: string;
  yTitle: string;
  /** series label → metric key. */
  series: Record<string, string>;
  logY?: boolean;
  /** A symlog y axis (log-like on both sides of 0, linear within ±1e-7): KL charts, where k1 can be negative and a
   *  held update's KL can be 0. */
  symlogY?: boolean;
  /** Draw as a step line (β is constant within an update). */
  step?: boolean;
  /** Extra named datasets drawn before the lines ('optimum' rule or 'target' band). */
  extra?: 'optimum' | 'target';
}

const WIDTH = 380;
const HEIGHT = 150;

/** One layer of a chart (Vega-Lite `LayerSpec` or `UnitSpec`). */
type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

function lineLayer(def: ChartDef): Layer {
  const single = Object.keys(def.series).length === 1;
  return {
    data: { name: 'table' },
    mark: {
      type: 'line',
      point: { size: 14 },
      strokeWidth: 1.8,
      clip: true,
      ...(def.step ? { interpolate: 'step-after' } : {}),
    },
    encoding: {
      x: { field: 'update', type: 'quantitative', title: 'update', axis: { tickMinStep: 1, format: 'd' } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: def.yTitle,
        ...(def.symlogY
          ? {
              scale: { type: 'symlog', constant: 1e-7 },
              axis: { values: [-1e-2, -1e-4, 0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1], format: '~e' },
            }
          : def.logY
            ? { scale: { type: 'log' } }
            : { scale: { zero: false } }),
      },
      // A legend title is required: an empty/null one makes vega 5.33 size the view to Number.MAX_VALUE.
      color: {
        field: 'series',
        type: 'nominal',
        title: 'series',
        scale: { scheme: 'category10' },
        legend: single ? null : { orient: 'top', direction: 'horizontal' },
      },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        title: 'series',
        legend: single ? null : { orient: 'top', direction: 'horizontal' },
      },
      tooltip: [
        { field: 'series' },
        { field: 'update', type: 'quantitative' },
        { field: 'value', type: 'quantitative', format: '.4g' },
      ],
    },
  };
}

function specOf(def: ChartDef): TopLevelSpec {
  const layers: Layer[] = [];
  if (def.extra === 'optimum') {
    layers.push({
      data: { name: 'optimum' },
      mark: { type: 'rule', strokeDash: [6, 3], color: 'black' },
      encoding: {
        y: { field: 'value', type: 'quantitative' },
        tooltip: [{ field: 'label' }, { field: 'value', type: 'quantitative', format: '.4f' }],
      },
    });
  }
  if (def.extra === 'target') {
    layers.push({
      data: { name: 'target' },
      mark: { type: 'rect', color: '#2ca02c', opacity: 0.12 },
      encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
    });
    layers.push({
      data: { name: 'target' },
      mark: { type: 'rule', color: '#2ca02c', strokeDash: [4, 2] },
      encoding: { y: { field: 'target', type: 'quantitative' } },
    });
  }
  layers.push(lineLayer(def));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    // Re-run the layout on every update: axis labels widen as data streams in (vega's default sizes once).
    autosize: { type: 'pad', resize: true },
    config: {
      font: 'system-ui, sans-serif',
      axis: { labelFontSize: 10, titleFontSize: 11 },
      legend: { labelFontSize: 11 },
    },
    layer: layers,
  };
}

/** The playground's charts, in page order. */
function chartDefs(opts: { logBeta: boolean }): ChartDef[] {
  return [
    {
      id: 'return',
      title: 'Return vs the exact optimum',
      yTitle: 'return',
      extra: 'optimum',
      caption:
        'Mean return of the last 100 episodes, and the exact expected return of the current policy. Dashed black: the exact optimum.',
      series: { 'episodic return': 'charts/episodic_return', 'policy return (exact)': 'charts/policy_return' },
    },
    {
      id: 'kl_update',
      title: 'KL of the update vs its target',
      yTitle: 'KL (nats)',
      extra: 'target',
      symlogY: true,
      caption:
        "KL(π_rollout‖π_end): how far one update moved the policy, what the KL controller sees (log-like axis). Green: the target d and the rule's band (adaptive [d/1.5, 1.5·d], RLlib [d/2, 2·d]).",
      series: { exact: 'kl/exact_rollout_end', k3: 'kl/k3_rollout_end' },
    },
    {
      id: 'kl',
      title: 'KL per optimizer step: exact vs k1/k3',
      yTitle: 'KL (nats)',
      symlogY: true,
      caption:
        'KL(π_before‖π_after) of one optimizer step, averaged over the update (log-like axis; k1 can be negative): far smaller than the KL of the update, which adds up epochs × minibatches steps.',
      series: { exact: 'kl/exact_old_new', k1: 'kl/k1', k3: 'kl/k3' },
    },
    {
      id: 'beta',
      title: 'KL coefficient β',
      yTitle: 'β',
      logY: opts.logBeta,
      step: true,
      caption: `β used in each update, set by the KL controller${opts.logBeta ? ' (log scale)' : ''}. Flat stretches: the trainer held β (no reward yet, or the penalty was not what stopped the update). It matters for the kl-penalty and clip+kl objectives.`,
      series: { β: 'kl/coef' },
    },
    {
      id: 'clip',
      title: 'Clip fraction',
      yTitle: 'fraction',
      caption:
        'Share of samples whose ratio π_new/π_old left [1−ε, 1+ε]. It matters for the clip and clip+kl objectives.',
      series: { 'clip fraction': 'policy/clip_fraction' },
    },
  ];
}

/** Long-format rows of one record for one chart (null and non-finite values skipped). */
export function rowsOf(
  record: Record_,
  series: Record<string, string>,
  logY = false,
): { update: number; series: string; value: number }[] {
  const update = typeof record.update === 'number' ? record.update : 0;
  const out: { update: number; series: string; value: number }[] = [];
  for (const [label, key] of Object.entries(series)) {
    const v = record[key];
    if (typeof v === 'number' && Number.isFinite(v) && (!logY || v > 0)) out.push({ update, series: label, value: v });
  }
  return out;
}

/** A set of live Vega charts inside one container element. */
export class LiveCharts {
  private views: { def: ChartDef; view: vega.View }[] = [];
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly container: HTMLElement) {}

  /**
   * Rebuild every chart for a new run.
   * @param opts.optimum Exact optimal return (null: no rule). @param opts.target Controller target KL and its rule's band (null: none).
   */
  reset(opts: {
    optimum: number | null;
    target: { target: number; lo: number; hi: number } | null;
    logBeta: boolean;
  }): void {
    for (const { view } of this.views) view.finalize();
    this.views = [];
    this.container.replaceChildren();
    for (const def of chartDefs(opts)) {
      const figure = document.createElement('figure');
      figure.className = 'chart';
      figure.dataset.chart = def.id;
      const h = document.createElement('h3');
      h.textContent = def.title;
      const host = document.createElement('div');
      host.className = 'chart-host';
      const cap = document.createElement('figcaption');
      cap.textContent = def.caption;
      figure.append(h, host, cap);
      this.container.appendChild(figure);
      const compiled = compile(specOf(def)).spec;
      const view = new vega.View(vega.parse(compiled), { renderer: 'svg', container: host, hover: true });
      if (def.extra === 'optimum' && opts.optimum !== null)
        view.insert('optimum', [{ value: opts.optimum, label: 'exact optimum' }]);
      if (def.extra === 'target' && opts.target !== null) view.insert('target', [opts.target]);
      this.views.push({ def, view });
    }
    this.pending = Promise.all(this.views.map(({ view }) => view.runAsync()));
  }

  /** Append one metric record to every chart. */
  push(record: Record_): Promise<unknown> {
    const views = this.views;
    this.pending = this.pending.then(() =>
      Promise.all(
        views.map(({ def, view }) => {
          const rows = rowsOf(record, def.series, def.logY === true);
          return rows.length ? view.insert('table', rows).runAsync() : undefined;
        }),
      ),
    );
    return this.pending;
  }

  /** Resolves when every queued render is done. */
  idle(): Promise<unknown> {
    return this.pending;
  }
}
