/**
 * The trust-region loop around a KL controller: when the trainer lets a controller rule see an update's KL, and
 * when it holds β. Plain numbers, no tfjs. The rules themselves (`createKlController`) stay exactly as published;
 * this module decides which updates are evidence for them.
 *
 * Why: every adaptive rule reads "KL below target" as "β too large" and lowers β. That reading is right only when
 * the penalty is what stopped the update. Two kinds of update violate it, and on them an unguarded rule runs β
 * towards 0 (the trace in docs/concepts/kl_penalty.md, "The controller loop"):
 * 1. **No learning signal**: every reward of the rollout is 0 (or all equal and no episode ended), so no action is
 *    better than another and the policy has nothing to move for. KL ≈ 0 says nothing about β.
 * 2. **Penalty not binding**: the update ended (learning rate, number of optimizer steps, clipping) long before the
 *    penalty would have stopped it. In a quadratic model of one update — surrogate gain g·Δ, KL ≈ ½ΔᵀFΔ — the
 *    penalized optimum Δ* = F⁻¹g/β satisfies gain = 2β·KL, and a step that goes a fraction f of the way to Δ* has
 *    ρ = 2β·KL / gain = f. So ρ measures how far towards the penalty's own stopping point the update went; when
 *    ρ < {@link MIN_PENALTY_BINDING}, lowering β cannot raise the KL, and the trainer holds β instead.
 * Raising β (KL above the rule's upper edge) is never held, signal or not: a too-large update is always evidence.
 * @module
 */

/**
 * Whether an objective has a KL term, i.e. uses the controller's β: `kl-penalty` and `clip+kl`.
 * @param objective An objective name.
 * @returns true for `kl-penalty` and `clip+kl`.
 */
export function hasKlTerm(objective: string): boolean {
  return objective === 'kl-penalty' || objective === 'clip+kl';
}

/**
 * Below this binding ratio ρ = 2β·KL/gain, a KL under the rule's lower edge does not lower β.
 * @defaultValue 0.5 (the update went less than half of the way to the penalized optimum; klip's choice, measured
 *   with the sweeps in docs/benchmarks.md)
 */
export const MIN_PENALTY_BINDING = 0.5;

/** What the trainer did with an update's KL. */
export type ControllerDecision =
  /** The rule saw the KL and updated β. */
  | 'applied'
  /** The objective has no KL term: β is not used, so it is not adapted. */
  | 'held-no-kl-term'
  /** The rollout carried no learning signal (see {@link rolloutHasSignal}). */
  | 'held-no-signal'
  /** The KL was under the rule's lower edge but the penalty was not what stopped the update (ρ < MIN_PENALTY_BINDING). */
  | 'held-not-binding';

/**
 * Whether a rollout can teach the policy anything: false when every reward is equal and either that reward is 0 or no
 * episode ended inside the batch (then every return is the same function of time alone, and the advantages are
 * only the critic's errors).
 * @param rollout `rewards`, `terminated`, `truncated` of the batch, `[T·N]` flat.
 * @returns true when some reward differs from the others, or a constant non-zero reward meets an episode end.
 * @example
 * ```ts
 * rolloutHasSignal({ rewards: new Float64Array(8), terminated: new Uint8Array(8), truncated: new Uint8Array(8) }); // false
 * ```
 */
export function rolloutHasSignal(rollout: {
  rewards: ArrayLike<number>;
  terminated: ArrayLike<number>;
  truncated: ArrayLike<number>;
}): boolean {
  const { rewards, terminated, truncated } = rollout;
  if (rewards.length === 0) return false;
  const r0 = rewards[0]!;
  for (let i = 1; i < rewards.length; i++) if (rewards[i] !== r0) return true;
  if (r0 === 0) return false;
  for (let i = 0; i < terminated.length; i++) if (terminated[i] || truncated[i]) return true;
  return false;
}

/**
 * The binding ratio ρ = 2β·KL / gain of one update (see the module comment): ≈ 1 when the penalty stopped the
 * update, ≈ f when the update went only a fraction f of the way to the penalized optimum.
 * @param args `beta` the coefficient used, `kl` the update's KL(π_rollout‖π_end) (nats), `gain` the surrogate gain
 *   L(π_end) − L(π_rollout) on the batch with batch-normalized advantages.
 * @returns ρ ≥ 0, or `null` when the update gained nothing (gain ≤ 0): then there is no step to compare with.
 * @example
 * ```ts
 * penaltyBindingRatio({ beta: 1, kl: 0.01, gain: 0.02 }); // 1: the penalty stopped it
 * ```
 */
export function penaltyBindingRatio(args: { beta: number; kl: number; gain: number }): number | null {
  const { beta, kl, gain } = args;
  if (!(gain > 0) || !Number.isFinite(gain)) return null;
  return (2 * beta * Math.max(kl, 0)) / gain;
}

/**
 * The KL below which a rule lowers β: adaptive target/band, rllib target/2, proportional the target itself (its
 * error turns negative there), fixed never (−∞).
 * @param settings The resolved controller settings.
 * @returns The lower edge in nats.
 */
export function lowerKlEdge(settings: { kind: string; target?: number; band?: number }): number {
  const d = settings.target ?? 0;
  switch (settings.kind) {
    case 'adaptive':
      return d / (settings.band ?? 1.5);
    case 'rllib':
      return d / 2;
    case 'proportional':
      return d;
    default:
      return -Infinity;
  }
}

/**
 * The KL above which a rule raises β: adaptive target·band, rllib 2·target, proportional the target, fixed never.
 * @param settings The resolved controller settings.
 * @returns The upper edge in nats.
 */
export function upperKlEdge(settings: { kind: string; target?: number; band?: number }): number {
  const d = settings.target ?? 0;
  switch (settings.kind) {
    case 'adaptive':
      return d * (settings.band ?? 1.5);
    case 'rllib':
      return 2 * d;
    case 'proportional':
      return d;
    default:
      return Infinity;
  }
}

/**
 * Decide whether an update's KL goes to the controller rule (see the module comment for the reasons).
 * @param args `hasKlTerm` whether the objective uses β; `signal` from {@link rolloutHasSignal}; `kl` the observed
 *   KL of the update; `lowerEdge`/`upperEdge` from {@link lowerKlEdge}/{@link upperKlEdge}; `binding` from
 *   {@link penaltyBindingRatio}.
 * @returns The decision; only `'applied'` updates β.
 * @example
 * ```ts
 * controllerDecision({ hasKlTerm: true, signal: true, kl: 0.001, lowerEdge: 0.0067, upperEdge: 0.015, binding: 0.1 }); // 'held-not-binding'
 * ```
 */
export function controllerDecision(args: {
  hasKlTerm: boolean;
  signal: boolean;
  kl: number;
  lowerEdge: number;
  upperEdge: number;
  binding: number | null;
}): ControllerDecision {
  if (!args.hasKlTerm) return 'held-no-kl-term';
  if (args.kl > args.upperEdge) return 'applied';
  if (!args.signal) return 'held-no-signal';
  if (args.kl < args.lowerEdge && (args.binding === null || args.binding < MIN_PENALTY_BINDING))
    return 'held-not-binding';
  return 'applied';
}
