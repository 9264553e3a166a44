/**
 * The controller verdict of a run: did β hold the KL of each update near its target? Counts over the metric
 * history, in the rule's own band. Plain numbers, no tfjs; used by the CLI summary, the report, the playground and
 * `npm run bench:learn`.
 * @module
 */
import type { MetricRecord } from './metrics.js';
import { lowerKlEdge, upperKlEdge } from './kl_control.js';

/** The controller settings the verdict needs (a resolved `klController`). */
export interface VerdictControllerSettings {
  /** The rule. */
  kind: string;
  /** Target KL per update (absent for the fixed rule). */
  target?: number;
  /** The adaptive rule's band. */
  band?: number;
  /** Lower bound on β, if any. */
  betaMin?: number;
  /** Upper bound on β, if any. */
  betaMax?: number;
}

/** How a run's KL of the update compared with the controller's target. */
export interface ControllerVerdict {
  /** Updates counted. */
  updates: number;
  /** The target KL per update d, or null (fixed rule, or an objective without a KL term). */
  target: number | null;
  /** The rule's band [lower, upper]: adaptive [d/band, d·band], rllib [d/2, 2d], proportional [d, d]; null without a target. */
  band: [number, number] | null;
  /** Updates whose KL of the update (kl/exact_rollout_end) lay inside the band. */
  inBand: number;
  /** Updates with KL of the update above 2·target. */
  over2x: number;
  /** Updates with KL of the update above 5·target. */
  over5x: number;
  /** Updates whose β sat on betaMin or betaMax. */
  betaAtBound: number;
  /** Updates whose β the trainer held (kl/coef_held = 1). */
  held: number;
  /** Updates ended by early stopping (kl/early_stopped = 1). */
  earlyStops: number;
}

/**
 * Count, over a run's records, the updates in band, above 2× and 5× the target, with β at a bound, with β held, and
 * early stopped. The KL of an update is `kl/exact_rollout_end`, KL(π_rollout‖π_end): what the controller sees.
 * @param history Metric records (one per update).
 * @param controller The resolved controller settings (`config.klController`).
 * @param hasKlTerm Whether the objective uses β (`kl-penalty`, `clip+kl`); without it there is no target.
 * @returns The counts (see {@link ControllerVerdict}).
 * @example
 * ```ts
 * const v = controllerVerdict(trainer.history, trainer.config.klController, true);
 * console.log(`${v.inBand}/${v.updates} updates in band`);
 * ```
 */
export function controllerVerdict(
  history: readonly MetricRecord[],
  controller: VerdictControllerSettings,
  hasKlTerm: boolean,
): ControllerVerdict {
  const d =
    hasKlTerm && controller.kind !== 'fixed' && typeof controller.target === 'number' ? controller.target : null;
  const band: [number, number] | null = d === null ? null : [lowerKlEdge(controller), upperKlEdge(controller)];
  const v: ControllerVerdict = {
    updates: history.length,
    target: d,
    band,
    inBand: 0,
    over2x: 0,
    over5x: 0,
    betaAtBound: 0,
    held: 0,
    earlyStops: 0,
  };
  for (const r of history) {
    const kl = r['kl/exact_rollout_end'];
    if (d !== null && band && typeof kl === 'number') {
      if (kl >= band[0] && kl <= band[1]) v.inBand++;
      if (kl > 2 * d) v.over2x++;
      if (kl > 5 * d) v.over5x++;
    }
    const beta = r['kl/coef'];
    if (
      hasKlTerm &&
      typeof beta === 'number' &&
      ((controller.betaMin !== undefined && beta <= controller.betaMin) ||
        (controller.betaMax !== undefined && beta >= controller.betaMax))
    ) {
      v.betaAtBound++;
    }
    if (r['kl/coef_held'] === 1) v.held++;
    if (r['kl/early_stopped'] === 1) v.earlyStops++;
  }
  return v;
}

/**
 * One line for people: `KL of the update in band [0.0067, 0.015] on 62/100 updates · over 2× target 1 · β at a bound
 * 0 · held 30 · early stops 5`.
 * @param v A verdict from {@link controllerVerdict}.
 * @returns The line (no trailing newline).
 */
export function formatControllerVerdict(v: ControllerVerdict): string {
  const parts: string[] = [];
  if (v.band && v.target !== null) {
    parts.push(
      `KL of the update in band [${v.band[0].toPrecision(2)}, ${v.band[1].toPrecision(2)}] on ${v.inBand}/${v.updates} updates`,
    );
    parts.push(`over 2× target ${v.over2x}`, `over 5× target ${v.over5x}`);
  } else {
    parts.push(`no KL target (${v.updates} updates)`);
  }
  parts.push(`β at a bound ${v.betaAtBound}`, `β held ${v.held}`, `early stops ${v.earlyStops}`);
  return parts.join(' · ');
}
