/**
 * KL to a frozen reference policy, placed in the reward (Ziegler et al. 2019 §2.2; TRL PPO): each step's reward
 * becomes r_t − β_ref·kl_t, with kl_t an estimate of KL(π‖π_ref) at s_t from the sampled action, so PPO maximises
 * E_π[Σ r] − β_ref·KL(π‖π_ref) along the visited states. The reference is the policy at the start of training
 * (TRL: the initial model). Its own controller adapts β_ref towards a target KL per step.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber } from '../core/assert.js';
import { ShapeError } from '../core/errors.js';
import { klDivergence } from '../kl/exact.js';
import { klEstimate } from '../kl/estimators.js';
import type { ObsEncoder, Policy } from '../policies/types.js';
import { rolloutActions } from './buffer.js';
import type { Rollout } from './rollout.js';

/** The per-step estimators of KL(π‖π_ref) that may go into the reward: the one list. */
export const REFERENCE_KL_ESTIMATORS = Object.freeze(['k1', 'k3', 'full'] as const);
/** One of {@link REFERENCE_KL_ESTIMATORS}. */
export type ReferenceKlEstimator = (typeof REFERENCE_KL_ESTIMATORS)[number];

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
 * k3 = (ρ − 1) − log ρ with ρ = π_ref(a|s)/π(a|s), Schulman 2020; `full` = the exact KL at s, TRL's `full`) and
 * exactly, averaged over the batch states.
 *
 * k1 in the reward keeps the policy gradient unbiased for E_π[R] − β·KL(π‖π_ref): the derivative of the penalty
 * through log π adds β·E_π[∇log π] = 0. `full` is the same for every action at s, so it moves the policy only
 * through the values of later states (it does nothing in a one-step bandit).
 * @param args.rollout The rollout (its observations and actions).
 * @param args.policy π_rollout: the policy that collected it, before any update.
 * @param args.reference π_ref (frozen).
 * @param args.encoder The observation encoder of both policies.
 * @param args.estimator `k1` | `k3` | `full`.
 */
export async function referenceKl(args: {
  rollout: Rollout;
  policy: Policy;
  reference: Policy;
  encoder: ObsEncoder;
  estimator: ReferenceKlEstimator;
}): Promise<ReferenceKl> {
  const { rollout, policy, reference, encoder, estimator } = args;
  const B = rollout.T * rollout.N;
  const [exact, perStep] = tf.tidy(() => {
    const obs = encoder.encode(rollout.obs);
    const actions = rolloutActions(rollout);
    const pi = policy.distribution(obs);
    const ref = reference.distribution(obs);
    const exactKl = klDivergence(pi, ref);
    const est =
      estimator === 'full'
        ? exactKl
        : klEstimate({ estimator, logProb: pi.logProb(actions), refLogProb: ref.logProb(actions) });
    return [exactKl, est];
  });
  const [e, k] = (await Promise.all([exact.data(), perStep.data()])) as Float32Array[];
  tf.dispose([exact, perStep]);
  const out = Float64Array.from(k!);
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
