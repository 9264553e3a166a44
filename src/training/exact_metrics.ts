/**
 * Exact metrics of worlds whose right answer is known: the policy's exact expected return, the best reachable
 * return, and the visitation-weighted exact KL between the policies before and after an update. Plain float64,
 * no tensors; the trainer hands in the policy as a probability table `probs[s·A + a]`.
 * @module
 */
import { KlipError } from '../core/errors.js';
import { klProbs } from '../kl/probs.js';
import { finiteHorizonValue, stateVisitation } from '../../envs/planning.js';
import { isTabularEnv } from '../../envs/registry.js';
import type { Env, TabularModel } from '../../envs/types.js';
import type { VectorEnv } from '../../envs/vector.js';

/**
 * Horizon of the exact values when the world has no time limit (CliffWalking): the expected return within 1000
 * steps. With γ = 1 a poor stochastic policy may take very long to terminate, so infinite-horizon policy evaluation
 * does not converge in reasonable time; 1000 steps is far beyond any sensible episode in these worlds.
 */
export const UNBOUNDED_HORIZON = 1000;

/**
 * The exact-metrics capability of a world, found by duck typing (no `instanceof`): policies that condition on the
 * discrete observation only, given as a float64 table `probs[s·A + a]`, can be scored exactly, and the best score is
 * known. Built by {@link exactEvaluator} from a tabular MDP (`P` table) or from a sequence world exposing
 * `expectedScore(table)` (the token bandit).
 */
export interface ExactEvaluator {
  /** Rows of the policy table (observation states). */
  nStates: number;
  /** Columns of the policy table (actions). */
  nActions: number;
  /** Horizon of the values: the time limit, {@link UNBOUNDED_HORIZON}, or the sequence length T. */
  horizon: number;
  /** Best expected return reachable (`charts/optimal_return`). */
  optimalReturn: number;
  /** Exact expected return of a policy table (`charts/policy_return`). */
  policyReturn(probs: Float64Array): number;
  /** The MDP model when the world has one (`kl/exact_visitation` needs its state visitation), else null. */
  model: TabularModel | null;
}

/** An env's time limit: its `TimeLimit` wrapper's `maxEpisodeSteps`, else its spec's, else undefined. */
export function episodeLimit(env: Env): number | undefined {
  return (env as { maxEpisodeSteps?: number }).maxEpisodeSteps ?? env.spec?.maxEpisodeSteps;
}

/** The horizon exact planning uses for an env: its finite time limit, else {@link UNBOUNDED_HORIZON}. */
export function planningHorizon(env: Env): number {
  const limit = episodeLimit(env);
  return limit !== undefined && Number.isFinite(limit) ? limit : UNBOUNDED_HORIZON;
}

/** A tabular MDP: exact values by finite-horizon dynamic programming (envs/planning.ts). */
function mdpEvaluator(one: Env<number, number>): ExactEvaluator | null {
  if (!isTabularEnv(one)) return null;
  const model: TabularModel = one;
  const horizon = planningHorizon(one);
  return {
    nStates: model.nStates,
    nActions: model.nActions,
    horizon,
    optimalReturn: finiteHorizonValue(model, { horizon }).startValue,
    policyReturn: (probs) => finiteHorizonValue(model, { horizon, policy: probs }).startValue,
    model,
  };
}

/**
 * What the trainer reads from a sequence world such as `TokenBandit` (observation = position t ∈ [0, T), action = a
 * token in [0, V)): the exact scorer `expectedScore(table)` and the best reachable score `optimalScore()`.
 */
interface SequenceScorer {
  readonly vocabSize: number;
  readonly length: number;
  expectedScore(policy: ArrayLike<number>): number;
  optimalScore(): number;
}

/** A sequence world with an exact scorer: policy return = expectedScore(table), optimum = optimalScore(). */
function sequenceEvaluator(one: unknown, obsN: number, actN: number): ExactEvaluator | null {
  const e = one as Partial<SequenceScorer> | null;
  if (
    !e ||
    typeof e.expectedScore !== 'function' ||
    typeof e.optimalScore !== 'function' ||
    e.length !== obsN ||
    e.vocabSize !== actN
  )
    return null;
  const scorer = e as SequenceScorer;
  let optimalReturn: number;
  try {
    optimalReturn = scorer.optimalScore();
  } catch (err) {
    if (err instanceof KlipError) return null; // a custom score too large to enumerate: no exact reference values
    throw err;
  }
  return {
    nStates: obsN,
    nActions: actN,
    horizon: obsN,
    optimalReturn,
    policyReturn: (probs) => scorer.expectedScore(probs),
    model: null,
  };
}

/**
 * The exact evaluator of a vector env's worlds (all copies are alike), or null when there is none: discrete
 * observations and actions, and either an explicit MDP table or a sequence scorer.
 * @param env The trainer's vector env.
 * @returns The evaluator, or null.
 */
export function exactEvaluator(env: VectorEnv): ExactEvaluator | null {
  const one = env.envs[0] as Env<number, number> | undefined;
  const os = env.singleObservationSpace;
  const as = env.singleActionSpace;
  if (!one || os.kind !== 'discrete' || as.kind !== 'discrete') return null;
  return mdpEvaluator(one) ?? sequenceEvaluator(one, os.n, as.n);
}

/** What the trainer reads from a one-state world with box actions whose expected reward has a closed form. */
interface GaussianScorer {
  readonly optimalReturn: number;
  expectedReturn(policy: { mean: ArrayLike<number>; std: ArrayLike<number> }): number;
}

/** The exact evaluator of a one-state world with box actions and a Gaussian policy (the continuous bandit). */
export interface GaussianExactEvaluator {
  /** The best expected return (`charts/optimal_return`). */
  optimalReturn: number;
  /** The exact expected return of the Gaussian policy N(mean, diag std²) (`charts/policy_return`). */
  policyReturn(mean: Float64Array, std: Float64Array): number;
}

/**
 * The exact evaluator of a world with one observation state and box actions that scores a Gaussian policy in closed
 * form (`ContinuousBandit.expectedReturn`: E_π[r] = −(‖μ − a*‖² + Σσ²)/2), or null.
 * @param env The trainer's vector env.
 */
export function gaussianEvaluator(env: VectorEnv): GaussianExactEvaluator | null {
  const os = env.singleObservationSpace;
  const as = env.singleActionSpace;
  if (os.kind !== 'discrete' || os.n !== 1 || as.kind !== 'box') return null;
  const inner: unknown = env.envs[0]?.unwrapped;
  if (inner === null || typeof inner !== 'object') return null;
  const scorer = inner as Partial<GaussianScorer>;
  if (typeof scorer.expectedReturn !== 'function' || typeof scorer.optimalReturn !== 'number') return null;
  const score = scorer.expectedReturn.bind(inner);
  return {
    optimalReturn: scorer.optimalReturn,
    policyReturn: (mean, std) => score({ mean, std }),
  };
}

/**
 * Visitation-weighted exact KL between the policies before and after an update:
 *
 * KL_d = Σ_s d_before(s) · KL(π_before(·|s) ‖ π_after(·|s)),
 *
 * with d_before the before-policy's expected state visitation within the horizon (`stateVisitation`), so states the
 * agent actually reaches count in proportion to how often it reaches them (Kakade & Langford 2002, the
 * policy-advantage bound; Schulman et al. 2015, TRPO eq. 12, average KL over the state distribution).
 * @param model The MDP.
 * @param before π_before as a row-major probability table nStates × nActions.
 * @param after π_after, same layout.
 * @param horizon Episode length limit for the visitation.
 * @returns KL_d ≥ 0 in nats (`Infinity` when π_after drops an action π_before uses in a visited state).
 * @example
 * ```ts
 * visitationKl(frozenLake4x4(), before, after, 100);
 * ```
 */
export function visitationKl(model: TabularModel, before: Float64Array, after: Float64Array, horizon: number): number {
  const d = stateVisitation(model, before, horizon);
  const A = model.nActions;
  let total = 0;
  for (let s = 0; s < d.length; s++) {
    const w = d[s]!;
    if (w === 0) continue;
    total += w * klProbs(before.subarray(s * A, (s + 1) * A), after.subarray(s * A, (s + 1) * A));
  }
  return total;
}

/**
 * The optimal expected return of a linear-quadratic world within its time limit, or null: for an env whose unwrapped
 * world offers `finiteHorizonOptimum(H, γ)` (`PointMassLqr`) and whose episodes are cut at H steps, the optimum of
 * the undiscounted H-step return (γ = 1, what `charts/episodic_return` sums) from the start distribution,
 * −(tr(P₀Σ₀) + μ₀ᵀP₀μ₀) − c₀ by the finite-horizon Riccati recursion (Bertsekas, *Dynamic Programming and Optimal
 * Control* Vol. I, §3.2). The return of the trained (nonlinear MLP) policy has no closed form: evaluation measures it.
 * @param env The trainer's vector env.
 */
export function lqrOptimalReturn(env: VectorEnv): number | null {
  const one = env.envs[0];
  const inner: unknown = one?.unwrapped;
  if (inner === null || typeof inner !== 'object') return null;
  const solver = (inner as { finiteHorizonOptimum?: unknown }).finiteHorizonOptimum;
  if (typeof solver !== 'function') return null;
  const limit = one ? episodeLimit(one) : undefined;
  if (limit === undefined || !Number.isSafeInteger(limit) || limit < 1) return null;
  const opt: unknown = (solver as (h: number, g: number) => unknown).call(inner, limit, 1);
  const v = (opt as { startValue?: unknown } | null)?.startValue;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
