/**
 * What tells runs apart in a multi-run report: each run's colour (the same in the charts and in the table swatches)
 * and the settings whose values differ between the runs' configs (W&B's "differing columns": a column appears only
 * when at least two runs disagree on it). Node only.
 * @module
 */
import { isPlainObject } from '../../core/assert.js';
import { hasKlTerm } from '../../training/kl_control.js';
import { formatNumber } from '../format.js';

/** The run colours (Vega's `category10`, in order): run i of a report is drawn in `RUN_COLOURS[i mod 10]`. */
export const RUN_COLOURS: readonly string[] = Object.freeze([
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
]);

/**
 * The colour of run number `i` (0-based) of a report.
 * @param i Position of the run in the report (the table row and legend order).
 * @returns A `#rrggbb` colour from {@link RUN_COLOURS}.
 * @example
 * ```ts
 * runColour(0); // "#1f77b4"
 * ```
 */
export function runColour(i: number): string {
  return RUN_COLOURS[((i % RUN_COLOURS.length) + RUN_COLOURS.length) % RUN_COLOURS.length]!;
}

/** One column of settings that differ between runs. */
export interface DifferingSetting {
  /** Column head, e.g. `β` or `target KL`. */
  label: string;
  /** The value of each run as printed (`–` where the run has no such setting, e.g. β of a clip run). */
  values: string[];
}

/** A config setting the report may show: its column head and how to read it from a config (undefined = n/a). */
interface SettingReader {
  label: string;
  read: (c: Record<string, unknown>) => unknown;
}

const ctl = (c: Record<string, unknown>): Record<string, unknown> =>
  isPlainObject(c.klController) ? c.klController : {};
/** Settings of the KL term only count for objectives that have one. */
const klOnly =
  (read: (c: Record<string, unknown>) => unknown) =>
  (c: Record<string, unknown>): unknown =>
    typeof c.objective === 'string' && hasKlTerm(c.objective) ? read(c) : undefined;

/** The settings compared, in column order. */
const SETTINGS: readonly SettingReader[] = [
  { label: 'env', read: (c) => c.env },
  { label: 'objective', read: (c) => c.objective },
  { label: 'controller', read: klOnly((c) => ctl(c).kind) },
  { label: 'β (initial)', read: klOnly((c) => ctl(c).beta) },
  { label: 'target KL', read: klOnly((c) => (ctl(c).kind === 'fixed' ? undefined : ctl(c).target)) },
  { label: 'KL estimator', read: klOnly((c) => c.klEstimator) },
  { label: 'lr', read: (c) => c.lr },
  { label: 'clip ε', read: (c) => c.clipEpsilon },
  { label: 'entropy coef', read: (c) => c.entCoef },
  { label: 'epochs', read: (c) => c.epochs },
  { label: 'minibatches', read: (c) => c.numMinibatches },
  { label: 'envs', read: (c) => c.numEnvs },
  { label: 'steps per env', read: (c) => c.nSteps },
  { label: 'total steps', read: (c) => c.totalSteps },
  { label: 'early stop KL', read: (c) => c.earlyStopKl },
  { label: 'env options', read: (c) => c.envOptions },
  { label: 'seed', read: (c) => c.seed },
];

/** A setting's value as one short text: numbers by the shared formatter, objects as compact JSON. */
function show(v: unknown): string {
  if (v === undefined || v === null) return '–';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/**
 * The settings whose values differ between runs, in a fixed column order (env, objective, controller, initial β,
 * target KL, KL estimator, lr, clip ε, entropy coefficient, epochs, minibatches, envs, steps per env, total steps,
 * early-stop KL, env options, seed). A setting the objective does not use (β, controller, target, estimator of a
 * run without a KL term) reads `–`. With fewer than two runs nothing differs.
 * @param configs Each run's `config.json`, in report order.
 * @returns One column per differing setting.
 * @example
 * ```ts
 * differingSettings([{ objective: 'clip', seed: 1 }, { objective: 'clip', seed: 2 }]);
 * // [{ label: 'seed', values: ['1', '2'] }]
 * ```
 */
export function differingSettings(configs: readonly Record<string, unknown>[]): DifferingSetting[] {
  if (configs.length < 2) return [];
  const out: DifferingSetting[] = [];
  for (const s of SETTINGS) {
    const values = configs.map((c) => show(s.read(c)));
    if (new Set(values).size > 1) out.push({ label: s.label, values });
  }
  return out;
}
