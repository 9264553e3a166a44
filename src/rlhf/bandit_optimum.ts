/**
 * The closed-form optimum of the KL-regularized bandit, the problem every RLHF KL penalty solves in miniature:
 *
 * max_π  J(π) = E_{a∼π}[r(a)] − β·KL(π‖π_ref)
 *
 * whose maximiser is the Gibbs (Boltzmann) tilt of the reference, π*(a) = π_ref(a)·exp(r(a)/β) / Z. Plain float64
 * numbers, no tensors.
 * @module
 */
import { assertFiniteNumber, assertProbabilities, assertSameLength } from '../core/assert.js';
import { NumericError, ShapeError } from '../core/errors.js';
import { klProbs } from '../kl/probs.js';

/** The optimum of {@link klRegularizedOptimum} and its statistics. */
export interface KlRegularizedOptimum {
  /** π*(a) = π_ref(a)·exp(r(a)/β)/Z, a new `Float64Array` of length K. */
  probs: Float64Array;
  /** The optimal value J* = β·log Σ_a π_ref(a)·exp(r(a)/β) = E_π*[r] − β·KL(π*‖π_ref). */
  value: number;
  /** E_{a∼π*}[r(a)]. */
  expectedReward: number;
  /** KL(π*‖π_ref) in nats. */
  kl: number;
  /** The β it was computed for. */
  beta: number;
}

function checkInputs(fn: string, piRef: ArrayLike<number>, rewards: ArrayLike<number>, beta: number): void {
  assertProbabilities(fn, 'piRef', piRef);
  if (rewards === null || typeof rewards !== 'object' || typeof rewards.length !== 'number') {
    throw new ShapeError({ fn, arg: 'rewards', expected: 'an array of numbers', got: rewards });
  }
  assertSameLength(fn, 'piRef', piRef, 'rewards', rewards);
  for (let a = 0; a < rewards.length; a++) {
    const r = rewards[a];
    if (typeof r !== 'number' || !Number.isFinite(r))
      throw new NumericError({ fn, arg: `rewards[${a}]`, expected: 'a finite number', got: r });
  }
  assertFiniteNumber(fn, 'beta', beta, { min: 0, minExclusive: true });
}

/**
 * The maximiser of E_π[r] − β·KL(π‖π_ref) over distributions π on K arms, in closed form.
 *
 * π*(a) = π_ref(a)·exp(r(a)/β) / Z,  Z = Σ_a π_ref(a)·exp(r(a)/β)
 * J* = β·log Z = E_π*[r] − β·KL(π*‖π_ref)
 *
 * Computed with a log-sum-exp shift, so large r/β is safe; arms with π_ref(a) = 0 get π*(a) = 0. As β → 0 π* tends to
 * the best arm(s) in the support of π_ref; as β → ∞ it tends to π_ref.
 *
 * Source: the Gibbs variational principle (Donsker–Varadhan); in RLHF, Korbak et al. 2022 "RL with KL penalties is
 * better viewed as Bayesian inference" (https://arxiv.org/abs/2205.11275) eq. 3, and Rafailov et al. 2023 (DPO,
 * https://arxiv.org/abs/2305.18290) eq. 4.
 *
 * @param piRef the reference distribution π_ref, length K (probabilities summing to 1).
 * @param rewards r(a) per arm, length K (finite).
 * @param beta β > 0, the KL coefficient (nats⁻¹ per unit of reward).
 * @returns `{ probs, value, expectedReward, kl, beta }` (plain numbers; `probs` is a new Float64Array).
 * @throws ConfigError for β ≤ 0 or a π_ref that is not a probability vector; ShapeError for different lengths;
 *   NumericError for a non-finite reward.
 * @example
 * ```ts
 * const opt = klRegularizedOptimum([0.5, 0.5], [1, 0], 1);
 * opt.probs; // [e/(1+e), 1/(1+e)] ≈ [0.731, 0.269]
 * opt.value; // log((e + 1)/2) ≈ 0.620
 * ```
 */
export function klRegularizedOptimum(
  piRef: ArrayLike<number>,
  rewards: ArrayLike<number>,
  beta: number,
): KlRegularizedOptimum {
  const fn = 'klRegularizedOptimum';
  checkInputs(fn, piRef, rewards, beta);
  const K = piRef.length;
  // Shift the rewards by their maximum over the support of π_ref first: (r − r_max)/β ≤ 0 cannot overflow to +∞
  // for a tiny β (r/β would, and ∞ − ∞ = NaN). J* = r_max + β·log Σ_a π_ref(a)·exp((r(a) − r_max)/β).
  let rMax = -Infinity;
  for (let a = 0; a < K; a++) if (piRef[a]! > 0 && rewards[a]! > rMax) rMax = rewards[a]!;
  const logits = new Float64Array(K);
  let max = -Infinity;
  for (let a = 0; a < K; a++) {
    logits[a] = piRef[a]! > 0 ? Math.log(piRef[a]!) + (rewards[a]! - rMax) / beta : -Infinity;
    if (logits[a]! > max) max = logits[a]!;
  }
  let sum = 0;
  for (let a = 0; a < K; a++) sum += Math.exp(logits[a]! - max);
  const logZ = max + Math.log(sum);
  const probs = new Float64Array(K);
  let expectedReward = 0;
  for (let a = 0; a < K; a++) {
    probs[a] = Math.exp(logits[a]! - logZ);
    expectedReward += probs[a]! * rewards[a]!;
  }
  const kl = klProbs(probs, piRef);
  return { probs, value: rMax + beta * logZ, expectedReward, kl, beta };
}

/**
 * The KL-regularized objective of any policy π on the bandit (what {@link klRegularizedOptimum} maximises).
 *
 * J(π) = Σ_a π(a)·r(a) − β·KL(π‖π_ref)
 *
 * Source: Ziegler et al. 2019 (https://arxiv.org/abs/1909.08593) eq. 2 with a single-token "sequence".
 *
 * @param pi the policy π, length K (probabilities).
 * @param piRef π_ref, length K.
 * @param rewards r(a), length K.
 * @param beta β > 0.
 * @returns J(π) (−∞ when π puts mass outside the support of π_ref).
 * @throws the same errors as {@link klRegularizedOptimum}, and for an invalid `pi`.
 * @example
 * ```ts
 * klRegularizedObjective([0.5, 0.5], [0.5, 0.5], [1, 0], 1); // 0.5 (KL = 0)
 * ```
 */
export function klRegularizedObjective(
  pi: ArrayLike<number>,
  piRef: ArrayLike<number>,
  rewards: ArrayLike<number>,
  beta: number,
): number {
  const fn = 'klRegularizedObjective';
  checkInputs(fn, piRef, rewards, beta);
  assertProbabilities(fn, 'pi', pi);
  assertSameLength(fn, 'piRef', piRef, 'pi', pi);
  let er = 0;
  for (let a = 0; a < pi.length; a++) er += pi[a]! * rewards[a]!;
  return er - beta * klProbs(pi, piRef);
}

/** One point of the closed-form reward–KL frontier. */
export interface FrontierPoint {
  /** The β of this point. */
  beta: number;
  /** E_π*[r] at this β. */
  expectedReward: number;
  /** KL(π*‖π_ref) at this β (nats). */
  kl: number;
  /** J* = E_π*[r] − β·KL. */
  value: number;
}

/**
 * The closed-form reward–KL frontier: (KL(π*_β‖π_ref), E_π*_β[r]) for each β. No policy reaches more expected
 * reward for the same KL budget, so trained policies lie on or below this curve.
 *
 * for each β:  π*_β ∝ π_ref·exp(r/β),  point = (KL(π*_β‖π_ref), E_π*_β[r])
 *
 * Source: the Lagrangian dual of max E_π[r] s.t. KL(π‖π_ref) ≤ ε (β is the multiplier); Gao et al. 2022 "Scaling
 * Laws for Reward Model Overoptimization" (https://arxiv.org/abs/2210.10760) plot reward against KL the same way.
 *
 * @param piRef π_ref, length K.
 * @param rewards r(a), length K.
 * @param betas the β values (each > 0), in any order.
 * @returns one {@link FrontierPoint} per β, in the order given.
 * @throws the errors of {@link klRegularizedOptimum}, naming `betas[i]` for a bad β.
 * @example
 * ```ts
 * const curve = klRegularizedFrontier([0.25, 0.25, 0.25, 0.25], [1, 0.5, 0, 0], [0.1, 1, 10]);
 * curve.map((p) => [p.kl, p.expectedReward]);
 * ```
 */
export function klRegularizedFrontier(
  piRef: ArrayLike<number>,
  rewards: ArrayLike<number>,
  betas: readonly number[],
): FrontierPoint[] {
  const fn = 'klRegularizedFrontier';
  if (!Array.isArray(betas) || betas.length === 0)
    throw new ShapeError({ fn, arg: 'betas', expected: 'a non-empty array of numbers > 0', got: betas });
  betas.forEach((b, i) => {
    assertFiniteNumber(fn, `betas[${i}]`, b, { min: 0, minExclusive: true });
  });
  return betas.map((beta) => {
    const o = klRegularizedOptimum(piRef, rewards, beta);
    return { beta, expectedReward: o.expectedReward, kl: o.kl, value: o.value };
  });
}
