/**
 * The report's picture of a gridworld policy: every cell shows all four action probabilities as arrows whose length
 * and opacity are π(a|s), on a light fill by the exact value V^π(s) (finite-horizon policy evaluation on the world's
 * transition table, envs/planning.ts), with the optimal first actions as an overlay and a legend of the tiles the map
 * actually has. Node only.
 * @module
 */
import { finiteHorizonValue } from '../../../envs/planning.js';
import { isTabularEnv, makeEnv } from '../../../envs/registry.js';
import type { Env, RenderFrame, TabularModel } from '../../../envs/types.js';
import { isPlainObject } from '../../core/assert.js';
import { planningHorizon, UNBOUNDED_HORIZON } from '../../training/exact_metrics.js';
import type { VegaLiteSpec } from './svg.js';

/** Arrow glyph per action of a gridworld: 0 = left, 1 = down, 2 = right, 3 = up (FrozenLake order). */
export const ACTION_ARROWS: readonly string[] = Object.freeze(['←', '↓', '→', '↑']);

/** Unit step (dx, dy) per action on the picture, y pointing down: left, down, right, up. */
const ACTION_DIRS: readonly (readonly [number, number])[] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];
/** Vega point shape of an arrow head per action. */
const ACTION_HEADS = ['triangle-left', 'triangle-down', 'triangle-right', 'triangle-up'];

/** A map letter's tile: what the legend calls it, its fill and glyph (free and start cells are filled by V^π). */
export const GRID_TILES: Readonly<Record<string, { name: string; fill: string; glyph: string }>> = Object.freeze({
  H: { name: 'hole (episode ends, no reward)', fill: '#4d4d4d', glyph: '✕' },
  G: { name: 'goal', fill: '#ffd54f', glyph: '★' },
  C: { name: 'cliff (back to start)', fill: '#b39ddb', glyph: '▼' },
  W: { name: 'wall', fill: '#9e9e9e', glyph: '■' },
  '#': { name: 'wall', fill: '#9e9e9e', glyph: '■' },
});

/** The light colour ramp of V^π (dark arrows stay readable on every cell). */
const VALUE_RANGE = ['#f9f9f4', '#8cc3e0'];

/** The exact quantities of a policy on a tabular world, for the grid picture. */
export interface ExactGridValues {
  /** V^π(s): expected return from s within the horizon under the policy. */
  values: number[];
  /** `optimal[s]`: the actions a with Q*(s, a) within 1e-9 of the best (empty when all actions tie). */
  optimal: number[][];
  /** The horizon H of the values (the time limit, or {@link UNBOUNDED_HORIZON} without one). */
  horizon: number;
}

/**
 * The exact V^π and the optimal first actions of a run's final policy, when its world is a registered tabular preset
 * (the `config.env` and `config.envOptions` a run folder records): finite-horizon policy evaluation and backward
 * induction (`finiteHorizonValue`) over the world's transition table, with the time limit as horizon (as the
 * trainer's `charts/policy_return`).
 * @param config The run's resolved config.
 * @param probs π(a|s) per state (rows are renormalised: float32 snapshots may miss 1 by ~1e-7).
 * @returns The values and optimal actions, or null when the world cannot be rebuilt here (a user's world module, a
 *   non-tabular world, sizes that do not match).
 * @example
 * ```ts
 * exactGridValues({ env: 'frozenlake4x4', envOptions: {} }, summary.policy.probs)?.values[0]; // V^π(start)
 * ```
 */
export function exactGridValues(config: Record<string, unknown>, probs: readonly number[][]): ExactGridValues | null {
  if (typeof config.env !== 'string') return null;
  let env: Env<number, number>;
  try {
    env = makeEnv(config.env as never, isPlainObject(config.envOptions) ? config.envOptions : {}) as never;
  } catch {
    return null; // not a preset (e.g. --env-module) or options this klip does not know
  }
  if (!isTabularEnv(env)) return null;
  const model: TabularModel = env;
  if (model.nStates !== probs.length || probs.some((p) => p.length !== model.nActions)) return null;
  const horizon = planningHorizon(env);
  const policy = probs.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((p) => p / s);
  });
  const V = finiteHorizonValue(model, { horizon, policy }).V;
  const { Q } = finiteHorizonValue(model, { horizon });
  const A = model.nActions;
  const optimal = Array.from({ length: model.nStates }, (_, s) => {
    const q = Array.from(Q.subarray(s * A, (s + 1) * A));
    const best = Math.max(...q);
    const ties = q.flatMap((v, a) => (v >= best - 1e-9 ? [a] : []));
    return ties.length === A ? [] : ties;
  });
  return { values: Array.from(V), optimal, horizon };
}

/** What {@link gridPolicySpec} draws besides the policy. */
export interface GridPictureOptions {
  /** The cell values to fill by (the exact V^π, else the critic's V). @defaultValue `policy.values` */
  values?: readonly number[] | null;
  /** What the values are, for the legend. @defaultValue 'V(s), critic' */
  valueTitle?: string;
  /** The optimal actions per state (overlay). @defaultValue none */
  optimal?: readonly (readonly number[])[] | null;
  /** The colour domain of the values, shared by every grid of a report. @defaultValue the values' own range */
  valueDomain?: readonly [number, number];
  /**
   * Draw the legends (value ramp, tiles, optimal mark) inside the picture; a page showing several grids leaves them
   * out and prints one shared legend ({@link gridLegendHtml}). @defaultValue true
   */
  legend?: boolean;
}

interface CellRow {
  state: number;
  row: number;
  col: number;
  code: string;
  tile: string | null;
  glyph: string;
  value: number | null;
  probs: string;
  optimal: string;
  tip: string;
}

/** The hover text of a cell: state, map letter or tile, value, the four probabilities and the optimal actions. */
function cellTip(
  s: number,
  code: string,
  tile: string | null,
  value: number | null,
  p: readonly number[],
  best: readonly number[],
  valueTitle: string,
): string {
  if (tile !== null) return `state ${s}: ${tile}`;
  const probs = ACTION_ARROWS.map((a, i) => `${a} ${isNum(p[i]) ? p[i].toFixed(2) : '–'}`).join(' ');
  const v = value === null ? '' : `; ${valueTitle} = ${value.toFixed(3)}`;
  const opt = best.length ? `; optimal: ${best.map((a) => ACTION_ARROWS[a] ?? String(a)).join(' ')}` : '';
  return `state ${s}${code === 'S' ? ' (start)' : ''}${v}; π: ${probs}${opt}`;
}

/**
 * A Vega-Lite layered spec picturing a gridworld policy. Free and start cells are filled by their value on a light
 * ramp; hole, goal, cliff and wall cells get their own fill and glyph ({@link GRID_TILES}), with a legend listing
 * only the tiles the map has. Each free cell has four arrows from its centre, one per action, of length and opacity
 * ∝ π(a|s); the optimal first actions are marked by red hollow heads at the cell edge. Every cell's hover text gives
 * its state, value and the four probabilities. State s is the cell (s div cols, s mod cols), as in Gymnasium
 * FrozenLake.
 * @param frame A grid frame (`renderFrame()` of a klip gridworld).
 * @param policy `probs[s][a]` and optional critic values `values[s]`.
 * @param opts Exact values, optimal actions and a shared colour domain.
 * @returns The spec, or null when the frame is not a grid or sizes do not match.
 * @example
 * ```ts
 * const spec = gridPolicySpec(env.renderFrame(), await trainer.policySnapshot());
 * ```
 */
export function gridPolicySpec(
  frame: RenderFrame,
  policy: { probs: number[][]; values: number[] | null },
  opts: GridPictureOptions = {},
): VegaLiteSpec | null {
  // summary.json comes from disk: check the shape, not only the type
  if (frame.kind !== 'grid' || !isNum(frame.rows) || !isNum(frame.cols) || !Array.isArray(frame.cells)) return null;
  const { rows, cols, cells } = frame;
  if (!Array.isArray(policy?.probs) || policy.probs.length !== rows * cols) return null;
  const values = opts.values !== undefined ? opts.values : policy.values;
  const valueTitle = opts.valueTitle ?? 'V(s), critic';
  const data: CellRow[] = [];
  const arrows: Record<string, unknown>[] = [];
  const optimal: Record<string, unknown>[] = [];
  const len = 0.4; // the longest arrow (π = 1) reaches 0.4 cell from the centre
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = r * cols + c;
      const code = String(cells[r]?.[c] ?? '').toUpperCase();
      const tile = GRID_TILES[code] ?? null;
      const p = policy.probs[s] ?? [];
      const best = opts.optimal?.[s] ?? [];
      const v = values?.[s];
      data.push({
        state: s,
        row: r,
        col: c,
        code,
        tile: tile?.name ?? null,
        glyph: tile?.glyph ?? (code === 'S' ? 'S' : ''),
        value: tile === null && isNum(v) ? v : null,
        probs: ACTION_ARROWS.map((a, i) => `${a} ${isNum(p[i]) ? p[i].toFixed(2) : '–'}`).join('  '),
        tip: cellTip(s, code, tile?.name ?? null, tile === null && isNum(v) ? v : null, p, best, valueTitle),
        optimal: tile === null ? best.map((a) => ACTION_ARROWS[a] ?? String(a)).join(' ') : '',
      });
      if (tile !== null) continue; // no actions are taken on terminal / cliff / wall tiles
      ACTION_DIRS.forEach(([dx, dy], a) => {
        const prob = p[a] ?? 0;
        if (!isNum(prob)) return;
        const cx = c + 0.5;
        const cy = r + 0.5;
        arrows.push({
          state: s,
          action: ACTION_ARROWS[a],
          prob,
          tip: `state ${s}: π(${ACTION_ARROWS[a]}|s) = ${prob.toFixed(3)}`,
          x: cx,
          y: cy,
          x2: cx + dx * len * prob,
          y2: cy + dy * len * prob,
          head: ACTION_HEADS[a],
        });
      });
      for (const a of best) {
        const [dx, dy] = ACTION_DIRS[a] ?? [0, 0];
        optimal.push({
          state: s,
          action: ACTION_ARROWS[a],
          x: c + 0.5 + dx * 0.46,
          y: r + 0.5 + dy * 0.46,
          head: ACTION_HEADS[a],
          mark: 'optimal action (exact)',
          tip: `state ${s}: ${ACTION_ARROWS[a]} is an optimal first action`,
        });
      }
    }
  }
  const size = Math.max(28, Math.min(60, Math.floor(300 / cols)));
  const nums = data.map((d) => d.value).filter(isNum);
  const domain = opts.valueDomain ?? [Math.min(0, ...nums), Math.max(1e-9, ...nums)];
  const x = { field: 'col', type: 'quantitative', scale: { domain: [0, cols], nice: false }, axis: null };
  const y = {
    field: 'row',
    type: 'quantitative',
    scale: { domain: [0, rows], nice: false, reverse: true },
    axis: null,
  };
  const ax = { field: 'x', type: 'quantitative', scale: { domain: [0, cols], nice: false }, axis: null };
  const ay = { field: 'y', type: 'quantitative', scale: { domain: [0, rows], nice: false, reverse: true }, axis: null };
  const tileNames = [...new Set(data.map((d) => d.tile).filter((t): t is string => t !== null))];
  const legends = opts.legend ?? true;
  const legend = (l: Record<string, unknown>): Record<string, unknown> | null => (legends ? l : null);
  const tileFill = tileNames.map((n) => Object.values(GRID_TILES).find((t) => t.name === n)!.fill);
  const cellTooltip = [
    { field: 'state', title: 'state' },
    { field: 'code', title: 'map letter' },
    { field: 'value', type: 'quantitative', title: valueTitle, format: '.3f' },
    { field: 'probs', title: 'π(a|s)' },
    { field: 'optimal', title: 'optimal actions' },
  ];
  // One rect per cell: floor cells painted by V, tiles (holes, goal, …) by their own colours.
  const cellRects = (filter: string, paint: Record<string, unknown>): VegaLiteSpec => ({
    transform: [{ filter }, { calculate: 'datum.col + 1', as: 'col2' }, { calculate: 'datum.row + 1', as: 'row2' }],
    mark: { type: 'rect', stroke: '#bbbbbb', strokeWidth: 0.5 },
    encoding: {
      x,
      x2: { field: 'col2' },
      y,
      y2: { field: 'row2' },
      ...paint,
      description: { field: 'tip' },
      tooltip: cellTooltip,
    },
  });
  const layers: VegaLiteSpec[] = [
    cellRects('datum.tile == null', {
      fill: values
        ? {
            field: 'value',
            type: 'quantitative',
            title: valueTitle,
            scale: { domain: [...domain], range: VALUE_RANGE },
            legend: legend({ orient: 'bottom', direction: 'horizontal', gradientLength: 160, titleLimit: 0 }),
          }
        : { value: VALUE_RANGE[0] },
    }),
  ];
  if (tileNames.length) {
    layers.push(
      cellRects('datum.tile != null', {
        color: {
          field: 'tile',
          type: 'nominal',
          title: 'tile',
          scale: { domain: tileNames, range: tileFill },
          legend: legend({ orient: 'bottom', direction: 'vertical', labelLimit: 0, symbolType: 'square' }),
        },
      }),
    );
  }
  layers.push({
    transform: [
      { filter: "datum.glyph != ''" },
      { calculate: "datum.code === 'S' ? datum.col + 0.14 : datum.col + 0.5", as: 'cx' },
      { calculate: "datum.code === 'S' ? datum.row + 0.17 : datum.row + 0.5", as: 'cy' },
    ],
    mark: { type: 'text', baseline: 'middle', align: 'center' },
    encoding: {
      x: { ...x, field: 'cx' },
      y: { ...y, field: 'cy' },
      text: { field: 'glyph' },
      size: { condition: { test: "datum.code === 'S'", value: size * 0.24 }, value: size * 0.42 },
      color: { condition: { test: "datum.code === 'H'", value: '#ffffff' }, value: '#333333' },
      description: { field: 'tip' },
      tooltip: cellTooltip,
    },
  });
  // Shaft and head of each arrow fade with π(a|s) alike and read out the same tooltip.
  const arrowReadout = {
    opacity: { field: 'prob', type: 'quantitative', scale: { domain: [0, 1], range: [0.25, 1] }, legend: null },
    description: { field: 'tip' },
    tooltip: [
      { field: 'state' },
      { field: 'action' },
      { field: 'prob', type: 'quantitative', title: 'π(a|s)', format: '.3f' },
    ],
  };
  layers.push({
    data: { values: arrows },
    mark: { type: 'rule', color: '#1a1a1a', strokeCap: 'round' },
    encoding: {
      x: ax,
      x2: { field: 'x2' },
      y: ay,
      y2: { field: 'y2' },
      strokeWidth: { field: 'prob', type: 'quantitative', scale: { domain: [0, 1], range: [0.6, 3.2] }, legend: null },
      ...arrowReadout,
    },
  });
  layers.push({
    data: { values: arrows },
    transform: [{ filter: 'datum.prob >= 0.05' }],
    mark: { type: 'point', filled: true, color: '#1a1a1a' },
    encoding: {
      x: { ...ax, field: 'x2' },
      y: { ...ay, field: 'y2' },
      shape: { field: 'head', type: 'nominal', scale: null, legend: null },
      size: { field: 'prob', type: 'quantitative', scale: { domain: [0, 1], range: [8, size * 2.6] }, legend: null },
      ...arrowReadout,
    },
  });
  if (optimal.length) {
    layers.push({
      data: { values: optimal },
      mark: { type: 'point', filled: false, strokeWidth: 1.6, size: size * 1.6 },
      encoding: {
        x: ax,
        y: ay,
        shape: { field: 'head', type: 'nominal', scale: null, legend: null },
        stroke: {
          field: 'mark',
          type: 'nominal',
          title: null,
          scale: { domain: ['optimal action (exact)'], range: ['#d62728'] },
          legend: legend({ orient: 'bottom', labelLimit: 0, symbolType: 'triangle-right' }),
        },
        description: { field: 'tip' },
        tooltip: [{ field: 'state' }, { field: 'action', title: 'optimal action' }],
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: cols * size,
    height: rows * size,
    background: 'white',
    config: { view: { stroke: null }, legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 0 } },
    data: { values: data },
    layer: layers,
    resolve: { scale: { color: 'independent', shape: 'independent', size: 'independent', opacity: 'independent' } },
  };
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * The tiles a grid frame actually has, in {@link GRID_TILES} order of first appearance (row by row): what its legend
 * lists (a FrozenLake map has holes and a goal, no cliff or wall).
 * @param frame A grid frame.
 * @returns The tiles present, each once.
 * @example
 * ```ts
 * gridTiles(frozenLake4x4().renderFrame()).map((t) => t.name); // ['hole (episode ends, no reward)', 'goal']
 * ```
 */
export function gridTiles(frame: RenderFrame): Array<{ name: string; fill: string; glyph: string }> {
  if (frame.kind !== 'grid' || !Array.isArray(frame.cells)) return [];
  const seen = new Map<string, { name: string; fill: string; glyph: string }>();
  for (const row of frame.cells)
    for (const code of Array.isArray(row) ? row : []) {
      const t = GRID_TILES[String(code).toUpperCase()];
      if (t && !seen.has(t.name)) seen.set(t.name, t);
    }
  return [...seen.values()];
}

/**
 * One HTML legend shared by a row of grid pictures drawn without their own legends: the value ramp with its domain,
 * the tiles the grids have ({@link gridTiles}), the start mark, the arrows and (when drawn) the optimal-action mark.
 * Every text is escaped by the caller's `escape`.
 * @param o The value title and domain, the frames shown, whether optimal actions are marked, and an HTML escaper.
 * @returns The legend markup (`<div class="legend">…</div>`).
 * @example
 * ```ts
 * gridLegendHtml({ valueTitle: 'V^π(s), exact', domain: [0, 1], frames: [frame], optimal: true, escape: escapeHtml });
 * ```
 */
export function gridLegendHtml(o: {
  valueTitle: string;
  domain: readonly [number, number];
  frames: readonly RenderFrame[];
  optimal: boolean;
  escape: (s: string) => string;
}): string {
  const tiles = new Map<string, { name: string; fill: string; glyph: string }>();
  for (const f of o.frames) for (const t of gridTiles(f)) tiles.set(t.name, t);
  const num = (v: number): string => String(Number(v.toFixed(3)));
  const item = (swatch: string, label: string): string =>
    `<span class="legend-item">${swatch}${o.escape(label)}</span>`;
  const items = [
    item(
      `<span class="ramp" style="background:linear-gradient(90deg,${VALUE_RANGE[0]},${VALUE_RANGE[1]})"></span>`,
      `${o.valueTitle}: ${num(o.domain[0])} → ${num(o.domain[1])}`,
    ),
    ...[...tiles.values()].map((t) =>
      item(
        `<span class="tile" style="background:${t.fill};color:${t.fill === GRID_TILES.H!.fill ? '#fff' : '#333'}">${o.escape(t.glyph)}</span>`,
        t.name,
      ),
    ),
    item('<span class="tile glyph">S</span>', 'start'),
    item('<span class="tile glyph">→</span>', 'π(a|s): arrow length and darkness'),
    ...(o.optimal ? [item('<span class="tile glyph opt">▷</span>', 'optimal first action (exact)')] : []),
  ];
  return `<div class="legend">${items.join('')}</div>`;
}
