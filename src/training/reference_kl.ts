/**
 * KL to a frozen reference policy, placed in the reward (Ziegler et al. 2019 §2.2; TRL PPO): each step's reward
 * becomes r_t − β_ref·kl_t, with kl_t an estimate of KL(π‖π_ref) at s_t from the sampled action, so PPO maximises
 * E_π[Σ r] − β_ref·KL(π‖π_ref) along the visited states. The reference is the policy at the start of training
 * (TRL: the initial model). Its own controller adapts β_ref towards a target KL per step.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber } from '../core/assert.js';
import { KlipError, ShapeError } from '../core/errors.js';
import { klDivergence } from '../kl/exact.js';
import { klEstimate } from '../kl/estimators.js';
import { distributionFromParams } from '../distributions/from_params.js';
import type { Distribution } from '../distributions/types.js';
import type { ObsEncoder, Policy } from '../policies/types.js';
import { type RolloutBuffer, rolloutActions } from './buffer.js';
import type { Rollout } from './rollout.js';

/**
 * The per-step estimators of KL(π‖π_ref), in the reward or in the loss: the one list. With ℓ = log π(a|s) −
 * log π_ref(a|s): `k1` = ℓ (TRL's `kl`), `k3` = (e^(−ℓ) − 1) + ℓ (Schulman 2020; GRPO), `abs` = |ℓ|, `mse` = ½ℓ²
 * (TRL `kl_penalty`), and `full` = `exact` = Σ_a π(a|s)·log(π(a|s)/π_ref(a|s)), the exact KL at s (TRL calls it
 * `full`; `exact` is klip's word for the same number).
 */
export const REFERENCE_KL_ESTIMATORS = Object.freeze(['k1', 'k3', 'abs', 'mse', 'full', 'exact'] as const);
/** One of {@link REFERENCE_KL_ESTIMATORS}. */
export type ReferenceKlEstimator = (typeof REFERENCE_KL_ESTIMATORS)[number];

/**
 * Where the KL to the reference acts: `reward` (r_t − β_ref·kl_t, TRL PPO; Ziegler et al. 2019) or `loss`
 * (L + β_ref·mean kl_t, differentiated; GRPO, Shao et al. 2024 eq. 3).
 */
export const REFERENCE_KL_PLACEMENTS = Object.freeze(['reward', 'loss'] as const);
/** One of {@link REFERENCE_KL_PLACEMENTS}. */
export type ReferenceKlPlacement = (typeof REFERENCE_KL_PLACEMENTS)[number];

/** True for the estimators that are the exact KL at the state (`full`, `exact`). */
function isExact(estimator: ReferenceKlEstimator): estimator is 'full' | 'exact' {
  return estimator === 'full' || estimator === 'exact';
}

/** What the trainer measures of KL(π_rollout‖π_ref) on a rollout (`referenceKl` in `training/reference_kl.ts`). */
export interface ReferenceKl {
  /** kl_t per step (flat, env-major as the rollout), the value subtracted from r_t after scaling by β_ref. */
  perStep: Float64Array;
  /** Mean over the batch states of the exact KL(π_rollout(·|s)‖π_ref(·|s)). */
  exactMean: number;
  /** Mean of `perStep` (the estimate the controller sees). */
  estimateMean: number;
}

/**
 * KL(π_rollout‖π_ref) on a rollout, per step with `estimator` (k1 = log π(a|s) − log π_ref(a|s), TRL's `kl`;
 * k3 = (ρ − 1) − log ρ with ρ = π_ref(a|s)/π(a|s), Schulman 2020; abs = |k1|; mse = ½k1²; `full`/`exact` = the exact
 * KL at s, TRL's `full`) and exactly, averaged over the batch states.
 *
 * k1 in the reward keeps the policy gradient unbiased for E_π[R] − β·KL(π‖π_ref): the derivative of the penalty
 * through log π adds β·E_π[∇log π] = 0. `full` is the same for every action at s, so it moves the policy only
 * through the values of later states (it does nothing in a one-step bandit).
 * @param args.rollout The rollout (its observations and actions).
 * @param args.policy π_rollout: the policy that collected it, before any update.
 * @param args.reference π_ref (frozen).
 * @param args.encoder The observation encoder of both policies.
 * @param args.estimator One of {@link REFERENCE_KL_ESTIMATORS}.
 */
export async function referenceKl(args: {
  rollout: Rollout;
  policy: Policy;
  reference: Policy;
  encoder: ObsEncoder;
  estimator: ReferenceKlEstimator;
}): Promise<ReferenceKl> {
  const { rollout, policy, reference, encoder, estimator } = args;
  return klOnBatch(estimator, () => {
    const obs = encoder.encode(rollout.obs);
    const actions = rolloutActions(rollout);
    const pi = policy.distribution(obs);
    return { pi, ref: reference.distribution(obs), actions, logProb: pi.logProb(actions) };
  });
}

/**
 * {@link referenceKl} on a buffer that already holds π_rollout's and π_ref's parameters on every s_t
 * (`RolloutBuffer.attachReference`): the same numbers without forwarding either policy again.
 * @param buffer The update's buffer, with `refParams`.
 * @param estimator One of {@link REFERENCE_KL_ESTIMATORS}.
 * @throws KlipError when the buffer carries no reference parameters.
 */
export async function referenceKlOfBuffer(
  buffer: RolloutBuffer,
  estimator: ReferenceKlEstimator,
): Promise<ReferenceKl> {
  const refParams = buffer.refParams;
  if (!refParams)
    throw new KlipError({
      fn: 'referenceKlOfBuffer',
      arg: 'buffer.refParams',
      expected: "π_ref's parameters (RolloutBuffer.attachReference)",
      got: null,
    });
  return klOnBatch(estimator, () => ({
    pi: distributionFromParams(buffer.params),
    ref: distributionFromParams(refParams),
    actions: buffer.actions,
    logProb: buffer.oldLogProb,
  }));
}

/** kl_t per step and the exact KL per state, read back and averaged, from π and π_ref built inside one tidy. */
async function klOnBatch(
  estimator: ReferenceKlEstimator,
  build: () => { pi: Distribution; ref: Distribution; actions: tf.Tensor; logProb: tf.Tensor },
): Promise<ReferenceKl> {
  const [exact, perStep] = tf.tidy(() => {
    const { pi, ref, actions, logProb } = build();
    const exactKl = klDivergence(pi, ref);
    const est = isExact(estimator) ? exactKl : klEstimate({ estimator, logProb, refLogProb: ref.logProb(actions) });
    return [exactKl, est];
  });
  const [e, k] = (await Promise.all([exact.data(), perStep.data()])) as Float32Array[];
  tf.dispose([exact, perStep]);
  const out = Float64Array.from(k!);
  const B = out.length;
  let se = 0;
  let sk = 0;
  for (let i = 0; i < B; i++) {
    se += e![i]!;
    sk += out[i]!;
  }
  return { perStep: out, exactMean: se / B, estimateMean: sk / B };
}

/**
 * The KL-penalized rewards r_t − β·kl_t (a new array; the rollout's rewards are the environment's).
 * @param rewards r_t.
 * @param kl kl_t, same length.
 * @param beta β_ref ≥ 0.
 * @throws ConfigError for a negative or non-finite β; ShapeError when `kl` and `rewards` differ in length.
 * @example
 * ```ts
 * penalizedRewards(Float64Array.of(1, 0), Float64Array.of(0.5, -1), 0.2); // [0.9, 0.2]
 * ```
 */
export function penalizedRewards(rewards: Float64Array, kl: Float64Array, beta: number): Float64Array {
  const fn = 'penalizedRewards';
  assertFiniteNumber(fn, 'beta', beta, { min: 0 });
  if (kl.length !== rewards.length)
    throw new ShapeError({ fn, arg: 'kl', expected: `${rewards.length} values (one per reward)`, got: kl.length });
  const out = new Float64Array(rewards.length);
  for (let i = 0; i < rewards.length; i++) out[i] = rewards[i]! - beta * kl[i]!;
  return out;
}

/**
 * The reference penalty in the loss, for one minibatch: β_ref·klMean with, on states s_b and actions a_b sampled from
 * π_rollout,
 *
 * - `full` / `exact`: klMean = mean_b KL(π_θ(·|s_b)‖π_ref(·|s_b)), differentiated exactly;
 * - `k1` | `k3` | `abs` | `mse`: klMean = mean_b w_b·k(ℓ_b), ℓ_b = log π_θ(a_b|s_b) − log π_ref(a_b|s_b),
 *   w_b = π_θ(a_b|s_b)/π_rollout(a_b|s_b) with its gradient kept (TRL `use_bias_correction_kl`).
 *
 * With the weight, E_rollout[w·k(ℓ)] = E_θ[k(ℓ)], so the expected gradient is ∇E_θ[k(ℓ)]: for k1 and k3 exactly
 * ∇KL(π_θ‖π_ref) (both are unbiased estimators of it under π_θ), for `abs` and `mse` the gradient of E_θ|ℓ| and
 * E_θ[½ℓ²], other divergences with the same minimum π_θ = π_ref. Runs in the caller's tidy (the loss closure).
 *
 * Source: Shao et al. 2024, "DeepSeekMath" (https://arxiv.org/abs/2402.03300) eq. 3-4; TRL `grpo_trainer.py`
 * (`per_token_kl * coef_1` under `use_bias_correction_kl`); Schulman 2020, http://joschu.net/blog/kl-approx.html.
 * @param args.dist π_θ on the minibatch states (gradients flow).
 * @param args.refDist π_ref on the same states (constants).
 * @param args.actions The minibatch actions.
 * @param args.logProb log π_θ(a_b|s_b) (from `dist`).
 * @param args.oldLogProb log π_rollout(a_b|s_b) (constants).
 * @param args.estimator One of {@link REFERENCE_KL_ESTIMATORS}.
 * @returns klMean as a scalar (not yet multiplied by β_ref).
 */
export function referenceKlLossMean(args: {
  dist: Distribution;
  refDist: Distribution;
  actions: tf.Tensor;
  logProb: tf.Tensor;
  oldLogProb: tf.Tensor;
  estimator: ReferenceKlEstimator;
}): tf.Scalar {
  const { dist, refDist, actions, logProb, oldLogProb, estimator } = args;
  if (isExact(estimator)) return tf.mean(dist.kl(refDist)) as tf.Scalar;
  const k = klEstimate({ estimator, logProb, refLogProb: refDist.logProb(actions) });
  return tf.mean(tf.mul(tf.exp(tf.sub(logProb, oldLogProb)), k)) as tf.Scalar;
}
