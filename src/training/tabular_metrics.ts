/**
 * Exact quantities for tabular worlds, on plain float64 arrays (no tensors): the state-visitation distribution
 * of a policy within a horizon, and the visitation-weighted KL between two tabular policies.
 * @module
 */
import { ConfigError } from '../core/errors.js';

/** The pieces of a tabular env this module reads. */
export interface TabularModel {
  nStates: number;
  nActions: number;
  P: ReadonlyArray<ReadonlyArray<ReadonlyArray<{ prob: number; next: number; terminated: boolean }>>>;
  initialStateDistribution: ArrayLike<number>;
}

/**
 * Normalised expected state-visitation distribution of `policy` over one episode of at most `horizon` steps:
 * d(s) ∝ Σ_{t<H} Pr(s_t = s, episode not ended before t), with Pr(s_0) the initial distribution and
 * Pr(s_{t+1} = s′) = Σ_s Pr(s_t = s) Σ_a π(a|s) P(s′, not terminal | s, a) (Sutton & Barto 2018 §9.2, on-policy
 * distribution for episodic tasks). Stops early once the surviving mass is below 1e-12.
 * @param policy Row-major probabilities, nStates × nActions.
 * @param horizon Maximum episode length (the time limit); use a large number for envs without one.
 * @returns A new `Float64Array(nStates)` summing to 1.
 */
export function stateVisitation(env: TabularModel, policy: ArrayLike<number>, horizon: number): Float64Array {
  const { nStates: S, nActions: A } = env;
  if (policy.length !== S * A) {
    throw new ConfigError({ fn: 'stateVisitation', arg: 'policy', expected: `${S}×${A} = ${S * A} probabilities`, got: `${policy.length} values` });
  }
  if (!Number.isSafeInteger(horizon) || horizon < 1) throw new ConfigError({ fn: 'stateVisitation', arg: 'horizon', expected: 'a positive integer', got: horizon });
  let cur = Float64Array.from(env.initialStateDistribution);
  let nxt = new Float64Array(S);
  const d = new Float64Array(S);
  for (let t = 0; t < horizon; t++) {
    let mass = 0;
    for (let s = 0; s < S; s++) {
      d[s]! += cur[s]!;
      mass += cur[s]!;
    }
    if (mass < 1e-12) break;
    nxt.fill(0);
    for (let s = 0; s < S; s++) {
      const ps = cur[s]!;
      if (ps === 0) continue;
      for (let a = 0; a < A; a++) {
        const pa = ps * policy[s * A + a]!;
        if (pa === 0) continue;
        for (const tr of env.P[s]![a]!) if (!tr.terminated) nxt[tr.next]! += pa * tr.prob;
      }
    }
    [cur, nxt] = [nxt, cur];
  }
  let total = 0;
  for (let s = 0; s < S; s++) total += d[s]!;
  for (let s = 0; s < S; s++) d[s]! /= total;
  return d;
}

/**
 * Visitation-weighted exact KL between two tabular policies: Σ_s d(s) · KL(p(·|s) ‖ q(·|s)), with 0·log 0 = 0.
 * @param p,q Row-major probability tables nStates × nActions.
 * @param weights State weights d(s) summing to 1 (e.g. from {@link stateVisitation}).
 */
export function weightedTabularKl(p: ArrayLike<number>, q: ArrayLike<number>, weights: ArrayLike<number>, nActions: number): number {
  let total = 0;
  for (let s = 0; s < weights.length; s++) {
    const w = weights[s]!;
    if (w === 0) continue;
    let kl = 0;
    for (let a = 0; a < nActions; a++) {
      const pa = p[s * nActions + a]!;
      if (pa > 0) kl += pa * (Math.log(pa) - Math.log(q[s * nActions + a]!));
    }
    total += w * kl;
  }
  return total;
}
