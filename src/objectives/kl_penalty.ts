/**
 * The KL-penalty objective of PPO (Schulman et al. 2017, https://arxiv.org/abs/1707.06347 §4), and the
 * `clip+kl` combination of the clipped surrogate with the same penalty.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber, assertOneOf, assertSameShape } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';
import { klEstimate } from '../kl/estimators.js';
import { checkPolicyInputs, ppoClipLoss, type PpoClipLossArgs, type PpoClipLossResult } from './ppo_clip.js';

/** Sample estimators accepted for the penalty's KL(π_old‖π_θ) (both unbiased in value and gradient). */
export type PenaltyKlEstimator = 'k1' | 'k3';
/** The estimator names accepted by {@link klPenaltyLoss}. */
export const PENALTY_KL_ESTIMATORS: readonly PenaltyKlEstimator[] = Object.freeze(['k1', 'k3'] as const);

/** Arguments of {@link klPenaltyLoss}. */
export interface KlPenaltyLossArgs {
  /** log π_θ(a|s) of the taken actions (gradients flow here), shape [B]. */
  logProb: tf.Tensor;
  /** log π_old(a|s) stored at rollout time, shape [B]. */
  oldLogProb: tf.Tensor;
  /** Advantage estimates Â, shape [B]. */
  advantages: tf.Tensor;
  /** KL coefficient β ≥ 0 (a number; usually `controller.coef(state)`). */
  beta: number;
  /**
   * Per-sample KL(π_old‖π_θ): a tensor [B] of exact values (the caller computes `oldDist.kl(newDist)`), or the
   * name of a sample estimator computed from `oldLogProb`/`logProb` (samples come from π_old).
   */
  kl: tf.Tensor | PenaltyKlEstimator;
}

/** Scalars returned by {@link klPenaltyLoss}; new tensors owned by the caller. */
export interface KlPenaltyLossResult {
  /** L = surrogate + β·klMean. */
  loss: tf.Scalar;
  /** −mean(r·Â), the unclipped surrogate. */
  surrogate: tf.Scalar;
  /** mean KL(π_old‖π_θ) (exact or estimated). */
  klMean: tf.Scalar;
}

/** mean KL(π_old‖π_θ) from a per-sample tensor or an estimator name (internal; runs in the caller's tidy). */
function penaltyKlMean(fn: string, logProb: tf.Tensor, oldLogProb: tf.Tensor, kl: unknown): tf.Scalar {
  if (kl instanceof tf.Tensor) {
    assertSameShape(fn, 'logProb', logProb, 'kl', kl);
    return tf.mean(kl) as tf.Scalar;
  }
  assertOneOf(fn, 'kl', kl, PENALTY_KL_ESTIMATORS);
  return tf.mean(klEstimate({ estimator: kl, logProb: oldLogProb, refLogProb: logProb })) as tf.Scalar;
}

function checkArgs(fn: string, args: unknown): void {
  if (args === null || typeof args !== 'object') {
    throw new ConfigError({
      fn,
      arg: 'args',
      expected: 'an object { logProb, oldLogProb, advantages, beta, kl }',
      got: args,
    });
  }
}

/**
 * PPO's KL-penalised surrogate (the "adaptive KL penalty" objective when β comes from a controller).
 *
 * r = exp(logProb − oldLogProb),  L = −mean(r·Â) + β·mean KL(π_old‖π_θ)
 *
 * With an estimator name the per-sample KL is k1 = oldLogProb − logProb or k3 = (r − 1) − log r
 * ({@link klEstimate} with π_old as the sampling policy); both have expected gradient −E_old[∇ log π_θ], the exact
 * gradient of KL(π_old‖π_θ). Gradients flow through `logProb` (and through `kl` when it is a tensor built from
 * π_θ); `oldLogProb` and `advantages` are constants.
 *
 * Source: Schulman et al. 2017 (https://arxiv.org/abs/1707.06347) §4, eq. 8.
 *
 * @param args.logProb log π_θ(a|s), [B].
 * @param args.oldLogProb log π_old(a|s), [B].
 * @param args.advantages Â, [B].
 * @param args.beta β ≥ 0.
 * @param args.kl per-sample KL tensor [B], or `'k1'` | `'k3'`.
 * @returns `{ loss, surrogate, klMean }` scalars. Returns new tensors; caller disposes.
 * @throws ShapeError on shape mismatch; ConfigError for a negative/NaN β or an unknown estimator.
 * @example
 * ```ts
 * const { loss, klMean } = klPenaltyLoss({ logProb, oldLogProb, advantages, beta: 0.5, kl: 'k3' });
 * ```
 */
export function klPenaltyLoss(args: KlPenaltyLossArgs): KlPenaltyLossResult {
  const fn = 'klPenaltyLoss';
  checkArgs(fn, args);
  const { logProb, oldLogProb, advantages, beta, kl } = args;
  checkPolicyInputs(fn, logProb, oldLogProb, advantages);
  assertFiniteNumber(fn, 'beta', beta, { min: 0 });
  if (!(kl instanceof tf.Tensor)) assertOneOf(fn, 'kl', kl, PENALTY_KL_ESTIMATORS);
  else assertSameShape(fn, 'logProb', logProb, 'kl', kl);
  return tf.tidy(() => {
    const ratio = tf.exp(tf.sub(logProb, oldLogProb));
    const surrogate = tf.neg(tf.mean(tf.mul(ratio, advantages))) as tf.Scalar;
    const klMean = penaltyKlMean(fn, logProb, oldLogProb, kl);
    const loss = tf.add(surrogate, tf.mul(tf.scalar(beta), klMean)) as tf.Scalar;
    return { loss, surrogate, klMean };
  });
}

/** Arguments of {@link ppoClipKlLoss}: those of {@link ppoClipLoss} plus β and the KL source. */
export interface PpoClipKlLossArgs extends PpoClipLossArgs {
  /** KL coefficient β ≥ 0. */
  beta: number;
  /** Per-sample KL(π_old‖π_θ) tensor [B], or `'k1'` | `'k3'` (see {@link klPenaltyLoss}). */
  kl: tf.Tensor | PenaltyKlEstimator;
}

/** Scalars returned by {@link ppoClipKlLoss}: the clip diagnostics, the clipped loss alone and the KL mean. */
export interface PpoClipKlLossResult extends PpoClipLossResult {
  /** L = clipLoss + β·klMean. */
  loss: tf.Scalar;
  /** The clipped surrogate loss alone (ppoClipLoss(...).loss). */
  clipLoss: tf.Scalar;
  /** mean KL(π_old‖π_θ). */
  klMean: tf.Scalar;
}

/**
 * The `clip+kl` objective: the clipped surrogate plus a KL penalty (used e.g. by RLlib's PPO and in RLHF).
 *
 * L = −mean(min(r·Â, clip(r)·Â)) + β·mean KL(π_old‖π_θ)
 *
 * It composes {@link ppoClipLoss} and the KL mean of {@link klPenaltyLoss}; no maths is duplicated.
 * Source: Schulman et al. 2017 (https://arxiv.org/abs/1707.06347) §4, RLlib `ppo_torch_learner.py` (clip loss + kl_coeff·mean_kl).
 *
 * @param args see {@link ppoClipLoss}, plus `beta` (≥ 0) and `kl` (tensor [B] or `'k1'` | `'k3'`).
 * @returns `{ loss, clipLoss, klMean, clipFraction, approxKlK1, approxKlK3, ratioMean }` scalars. Returns new tensors; caller disposes.
 * @throws as {@link ppoClipLoss} and {@link klPenaltyLoss}.
 * @example
 * ```ts
 * const { loss } = ppoClipKlLoss({ logProb, oldLogProb, advantages, clip: 0.2, beta: 0.1, kl: 'k3' });
 * ```
 */
export function ppoClipKlLoss(args: PpoClipKlLossArgs): PpoClipKlLossResult {
  const fn = 'ppoClipKlLoss';
  checkArgs(fn, args);
  const { beta, kl, ...clipArgs } = args;
  checkPolicyInputs(fn, args.logProb, args.oldLogProb, args.advantages);
  assertFiniteNumber(fn, 'beta', beta, { min: 0 });
  if (!(kl instanceof tf.Tensor)) assertOneOf(fn, 'kl', kl, PENALTY_KL_ESTIMATORS);
  else assertSameShape(fn, 'logProb', args.logProb, 'kl', kl);
  return tf.tidy(() => {
    const clipped = ppoClipLoss(clipArgs);
    const klMean = penaltyKlMean(fn, args.logProb, args.oldLogProb, kl);
    const loss = tf.add(clipped.loss, tf.mul(tf.scalar(beta), klMean)) as tf.Scalar;
    return { ...clipped, loss, clipLoss: clipped.loss, klMean };
  });
}
