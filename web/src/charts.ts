/**
 * Live training charts: Vega-Lite specs (the same encodings as the `klip report` charts: long-format rows
 * `{ update, series, value, run }`, dashed series per estimator — or, comparing two runs, A solid and B dashed —, a
 * black dashed rule for the exact optimum, the green band [d_targ/1.5, 1.5·d_targ] of the adaptive KL rule) compiled
 * once with `vega-lite` and rendered as SVG by `vega`. New records are streamed in with `view.insert('table', rows)`,
 * batched, so a chart is never rebuilt mid-run. A crosshair reads values under the pointer or a finger.
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
  /** Values the y axis always shows, so a flat start (all 0) is drawn on a readable axis, not a degenerate one. */
  yInclude?: number[];
  /** Draw as a step line (β is constant within an update). */
  step?: boolean;
  /** Extra named datasets drawn before the lines ('optimum' rule or 'target' band). */
  extra?: 'optimum' | 'target';
}

/** Widest plot area (px); narrower when the chart column is narrower (phones). */
const MAX_WIDTH = 380;
const MIN_WIDTH = 200;
const HEIGHT = 150;
/** Room for the y axis, its title and the padding around a plot (px). */
const AXIS_ROOM = 90;
/** Gap between chart redraws while training streams in (ms): many records, one layout. */
const REDRAW_MS = 80;

/** One layer of a chart (Vega-Lite `LayerSpec` or `UnitSpec`). */
type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/**
 * Axis labels with at most 4 significant digits and no trailing zeros ("0", "0.05", "-4902"); tiny or huge values
 * in exponent form ("1e-6"), never "0.000000".
 */
const LABEL_EXPR =
  "datum.value == 0 ? '0' : abs(datum.value) < 1e-3 || abs(datum.value) >= 1e5 ? format(datum.value, '.2~e') : format(datum.value, '.4~r')";

function lineLayer(def: ChartDef, ab: boolean): Layer {
  const single = Object.keys(def.series).length === 1;
  return {
    data: { name: 'table' },
    mark: {
      type: 'line',
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
              // An explicit domain would split the y scale from the other layers': only single-layer charts set one.
              scale: def.yInclude
                ? { type: 'symlog', constant: 1e-7, domain: { unionWith: def.yInclude } }
                : { type: 'symlog', constant: 1e-7 },
              axis: { values: [-1e-2, -1e-4, 0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1], labelExpr: LABEL_EXPR },
            }
          : def.logY
            ? { scale: { type: 'log' }, axis: { labelExpr: LABEL_EXPR } }
            : {
                scale: def.yInclude ? { zero: false, domain: { unionWith: def.yInclude } } : { zero: false },
                axis: { labelExpr: LABEL_EXPR, tickCount: 5 },
              }),
      },
      // A legend title is required: an empty/null one makes vega 5.33 size the view to Number.MAX_VALUE.
      color: {
        field: 'series',
        type: 'nominal',
        title: 'series',
        scale: { scheme: 'category10' },
        legend: single ? null : { orient: 'top', direction: 'horizontal' },
      },
      // A/B: solid A, dashed B (the page's own legend says which is which); otherwise one dash per estimator.
      strokeDash: ab
        ? {
            field: 'run',
            type: 'nominal',
            title: 'run',
            scale: {
              domain: ['A', 'B'],
              range: [
                [1, 0],
                [6, 3],
              ],
            },
            legend: null,
          }
        : {
            field: 'series',
            type: 'nominal',
            title: 'series',
            legend: single ? null : { orient: 'top', direction: 'horizontal' },
          },
      detail: { field: 'run', type: 'nominal' },
    },
  };
}

function specOf(def: ChartDef, width: number, ab: boolean): TopLevelSpec {
  const layers: Layer[] = [];
  if (def.extra === 'optimum') {
    layers.push({
      data: { name: 'optimum' },
      mark: { type: 'rule', strokeDash: [6, 3], color: 'black' },
      encoding: { y: { field: 'value', type: 'quantitative' } },
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
  layers.push(lineLayer(def, ab));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width,
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
      yInclude: [0, 1e-5],
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
      id: 'entropy',
      title: 'Policy entropy',
      yTitle: 'entropy (nats)',
      caption:
        'Mean entropy H(π(·|s)) of the policy over the states it visited (nats). High: still trying every action (ln 4 ≈ 1.39 for four equally likely moves); it falls as the policy commits to its best actions.',
      series: { entropy: 'policy/entropy' },
      yInclude: [0],
    },
    {
      id: 'clip',
      title: 'Clip fraction',
      yTitle: 'fraction',
      caption:
        'Share of samples whose ratio π_new/π_old left [1−ε, 1+ε]. It matters for the clip and clip+kl objectives.',
      series: { 'clip fraction': 'policy/clip_fraction' },
      yInclude: [0, 0.01],
    },
  ];
}

/** One row of a chart's long-format table. */
export interface Row {
  update: number;
  series: string;
  value: number;
  /** 'A' (the only run outside A/B mode) or 'B'. */
  run: string;
}

/** Long-format rows of one record for one chart (null and non-finite values skipped; non-positive ones on a log axis). */
export function rowsOf(record: Record_, series: Record<string, string>, logY = false, run = 'A'): Row[] {
  const update = typeof record.update === 'number' ? record.update : 0;
  const out: Row[] = [];
  for (const [label, key] of Object.entries(series)) {
    const v = record[key];
    if (typeof v === 'number' && Number.isFinite(v) && (!logY || v > 0))
      out.push({ update, series: label, value: v, run });
  }
  return out;
}

/** A value for the readout: 4 significant digits, exponent form when tiny or huge. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e5 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/** The update nearest to `u` among 1…`last` (null when nothing is drawn yet). */
export function nearestUpdate(u: number, last: number): number | null {
  if (last < 1 || !Number.isFinite(u)) return last < 1 ? null : last;
  return Math.min(last, Math.max(1, Math.round(u)));
}

/** A run drawn on the charts: its id ('A' or 'B') and what it is, for the legend. */
export interface RunInfo {
  id: string;
  label: string;
}

interface ChartView {
  def: ChartDef;
  view: vega.View;
  host: HTMLElement;
  queued: Row[];
  /** The update the readout shows (null: hidden); redrawn after each flush, as the x axis grows. */
  shown: number | null;
}

/** A set of live Vega charts inside one container element, with a crosshair readout on each. */
export class LiveCharts {
  private views: ChartView[] = [];
  private pending: Promise<unknown> = Promise.resolve();
  private flushScheduled = false;
  private runs: RunInfo[] = [];
  /** Records received so far, per run (index = update − 1). */
  private records: Record_[][] = [];

  constructor(private readonly container: HTMLElement) {}

  /**
   * Rebuild every chart for a new run (or an A/B pair).
   * @param opts.optimum Exact optimal return (null: no rule). @param opts.targets Controller target KL and its rule's
   * band, one per run that has one. @param opts.runs The runs drawn (one, or A and B).
   */
  reset(opts: {
    optimum: number | null;
    targets: { target: number; lo: number; hi: number }[];
    logBeta: boolean;
    runs: RunInfo[];
  }): void {
    for (const { view } of this.views) view.finalize();
    this.views = [];
    this.runs = opts.runs;
    this.records = opts.runs.map(() => []);
    this.container.replaceChildren();
    const ab = opts.runs.length > 1;
    if (ab) {
      const legend = document.createElement('p');
      legend.className = 'ab-legend';
      legend.dataset.testid = 'ab-legend';
      legend.innerHTML =
        '<svg width="28" height="8" aria-hidden="true"><line x1="0" y1="4" x2="28" y2="4" stroke="#334e68" stroke-width="2"/></svg> ' +
        `<span></span> · <svg width="28" height="8" aria-hidden="true"><line x1="0" y1="4" x2="28" y2="4" stroke="#334e68" stroke-width="2" stroke-dasharray="6 3"/></svg> <span></span>`;
      const spans = legend.querySelectorAll('span');
      spans[0]!.textContent = `A: ${opts.runs[0]!.label}`;
      spans[1]!.textContent = `B: ${opts.runs[1]!.label}`;
      legend.setAttribute('aria-label', `A: ${opts.runs[0]!.label} · B: ${opts.runs[1]!.label}`);
      this.container.appendChild(legend);
    }
    const grid = document.createElement('div');
    grid.className = 'charts-grid';
    this.container.appendChild(grid);
    const width = Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, (this.container.clientWidth || 1000) - AXIS_ROOM));
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
      grid.appendChild(figure);
      const compiled = compile(specOf(def, width, ab)).spec;
      const view = new vega.View(vega.parse(compiled), { renderer: 'svg', container: host, hover: false });
      if (def.extra === 'optimum' && opts.optimum !== null)
        view.insert('optimum', [{ value: opts.optimum, label: 'exact optimum' }]);
      if (def.extra === 'target' && opts.targets.length) view.insert('target', opts.targets);
      const cv: ChartView = { def, view, host, queued: [], shown: null };
      this.attachCrosshair(cv);
      this.views.push(cv);
    }
    this.flushScheduled = false;
    this.pending = Promise.all(this.views.map(({ view }) => view.runAsync()));
  }

  /** Append one metric record of run `run` (0 = A, 1 = B) to every chart; charts redraw at most every 80 ms. */
  push(record: Record_, run = 0): Promise<unknown> {
    this.records[run]?.push(record);
    const id = this.runs[run]?.id ?? 'A';
    for (const cv of this.views) cv.queued.push(...rowsOf(record, cv.def.series, cv.def.logY === true, id));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      const views = this.views;
      this.pending = this.pending
        .then(() => new Promise((r) => setTimeout(r, REDRAW_MS)))
        .then(() => {
          this.flushScheduled = false;
          return Promise.all(
            views.map((cv) => {
              const rows = cv.queued;
              cv.queued = [];
              if (!rows.length) return undefined;
              return cv.view
                .insert('table', rows)
                .runAsync()
                .then(() => {
                  if (cv.shown !== null) this.drawReadout(cv, cv.shown);
                });
            }),
          );
        });
    }
    return this.pending;
  }

  /** Resolves when every queued render is done. */
  idle(): Promise<unknown> {
    return this.pending;
  }

  /** Show the readout of update `u` on chart `id` (what pointer or touch input does; used by the tests). */
  showAt(id: string, u: number): void {
    const cv = this.views.find((v) => v.def.id === id);
    if (cv) this.drawReadout(cv, u);
  }

  /**
   * The crosshair: on pointer move or touch over the plot, a vertical line at the nearest update and a box with every
   * series' value there (for A and B). Mouse: hides when the pointer leaves; touch: stays until the next touch.
   */
  private attachCrosshair(cv: ChartView): void {
    const line = document.createElement('div');
    line.className = 'xhair';
    line.hidden = true;
    const box = document.createElement('div');
    box.className = 'readout';
    box.hidden = true;
    cv.host.append(line, box);
    const onPointer = (ev: PointerEvent): void => {
      const svg = cv.host.querySelector('svg');
      if (!svg) return;
      const rect = svg.getBoundingClientRect();
      const scale = rect.width / (Number(svg.getAttribute('width')) || rect.width);
      const [ox] = cv.view.origin();
      const xScale = cv.view.scale('x') as ((x: number) => number) & { invert(px: number): number };
      this.drawReadout(cv, xScale.invert((ev.clientX - rect.left) / scale - ox));
    };
    cv.host.addEventListener('pointermove', onPointer);
    cv.host.addEventListener('pointerdown', onPointer);
    cv.host.addEventListener('pointerleave', (ev) => {
      if (ev.pointerType !== 'mouse') return;
      line.hidden = true;
      box.hidden = true;
      cv.shown = null;
    });
  }

  private drawReadout(cv: ChartView, at: number): void {
    const line = cv.host.querySelector<HTMLElement>('.xhair');
    const box = cv.host.querySelector<HTMLElement>('.readout');
    const svg = cv.host.querySelector('svg');
    if (!line || !box || !svg) return;
    const last = Math.max(0, ...this.records.map((r) => r.length));
    const u = nearestUpdate(at, last);
    cv.shown = u;
    if (u === null) {
      line.hidden = true;
      box.hidden = true;
      return;
    }
    const rect = svg.getBoundingClientRect();
    const hostRect = cv.host.getBoundingClientRect();
    const scale = rect.width / (Number(svg.getAttribute('width')) || rect.width);
    const [ox, oy] = cv.view.origin();
    const xScale = cv.view.scale('x') as (x: number) => number;
    const left = rect.left - hostRect.left + (ox + xScale(u)) * scale;
    line.style.left = `${left}px`;
    line.style.top = `${rect.top - hostRect.top + oy * scale}px`;
    line.style.height = `${cv.view.height() * scale}px`;
    line.hidden = false;
    const lines = [`update ${u}`];
    for (const [label, key] of Object.entries(cv.def.series)) {
      const parts = this.runs.map((run, i) => {
        const v = this.records[i]?.[u - 1]?.[key];
        const text = typeof v === 'number' && Number.isFinite(v) ? formatValue(v) : '—';
        return this.runs.length > 1 ? `${run.id} ${text}` : text;
      });
      lines.push(`${label}: ${parts.join(' · ')}`);
    }
    box.textContent = lines.join('\n');
    box.dataset.update = String(u);
    box.hidden = false;
    // Keep the box inside the chart: right of the line, or left of it near the right edge.
    const boxWidth = box.offsetWidth;
    const x = left + 8 + boxWidth > hostRect.width ? Math.max(0, left - 8 - boxWidth) : left + 8;
    box.style.left = `${x}px`;
    box.style.top = `${rect.top - hostRect.top + oy * scale}px`;
  }
}
