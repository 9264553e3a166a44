/**
 * The vanilla policy-gradient loss (REINFORCE with a baseline-corrected advantage) and the entropy bonus.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertNonEmpty, assertRank, assertSameShape } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';

/** A loss term: `{ loss }`, a new scalar tensor the caller disposes. */
export interface LossResult {
  /** The scalar loss to minimise. */
  loss: tf.Scalar;
}

/** Arguments of {@link reinforceLoss}. */
export interface ReinforceLossArgs {
  /** log π_θ(a|s) of the taken actions (gradients flow here), shape [B]. */
  logProb: tf.Tensor;
  /** Advantages or returns Â (constants), shape [B]. */
  advantages: tf.Tensor;
}

/**
 * REINFORCE loss: minimising it follows the policy gradient E[Â·∇ log π_θ(a|s)].
 *
 * L = −mean(logProb·Â)
 *
 * Source: Williams 1992, "Simple statistical gradient-following algorithms for connectionist reinforcement
 * learning" (https://doi.org/10.1007/BF00992696); rlax `policy_gradient_loss`.
 *
 * @param args.logProb log π_θ(a|s), [B].
 * @param args.advantages Â, [B].
 * @returns `{ loss }` scalar. Returns new tensors; caller disposes.
 * @throws ShapeError for a rank other than 1, an empty batch or mismatched shapes.
 * @example
 * ```ts
 * const { loss } = reinforceLoss({ logProb: tf.tensor1d([-0.1, -2]), advantages: tf.tensor1d([1, -0.5]) });
 * ```
 */
export function reinforceLoss(args: ReinforceLossArgs): LossResult {
  const fn = 'reinforceLoss';
  if (args === null || typeof args !== 'object') {
    throw new ConfigError({ fn, arg: 'args', expected: 'an object { logProb, advantages }', got: args });
  }
  const { logProb, advantages } = args;
  if (!(logProb instanceof tf.Tensor))
    throw new ConfigError({ fn, arg: 'logProb', expected: 'a tensor of shape [B]', got: logProb });
  if (!(advantages instanceof tf.Tensor))
    throw new ConfigError({ fn, arg: 'advantages', expected: 'a tensor of shape [B]', got: advantages });
  assertRank(fn, 'logProb', logProb, [1]);
  assertNonEmpty(fn, 'logProb', logProb);
  assertSameShape(fn, 'logProb', logProb, 'advantages', advantages);
  return tf.tidy(() => ({ loss: tf.neg(tf.mean(tf.mul(logProb, advantages))) as tf.Scalar }));
}

/**
 * Entropy bonus: the mean entropy of the policy over the batch. The trainer subtracts `entCoef·bonus` from the loss
 * (CleanRL `ppo.py`: `loss = pg_loss - ent_coef * entropy_loss + v_loss * vf_coef`).
 *
 * bonus = mean_i H(π_θ(·|s_i))
 *
 * Source: Mnih et al. 2016, "Asynchronous Methods for Deep RL" (https://arxiv.org/abs/1602.01783) §4; rlax `entropy_loss`.
 *
 * @param entropy per-state entropies H(π_θ(·|s)) in nats, shape [B] (e.g. `dist.entropy()`).
 * @returns the mean entropy (scalar). Returns a new tensor; caller disposes.
 * @throws ShapeError when `entropy` is not of rank 1 or is empty.
 * @example
 * ```ts
 * const bonus = entropyBonus(dist.entropy()); // loss = policyLoss − entCoef·bonus
 * ```
 */
export function entropyBonus(entropy: tf.Tensor): tf.Scalar {
  if (!(entropy instanceof tf.Tensor)) {
    throw new ConfigError({ fn: 'entropyBonus', arg: 'entropy', expected: 'a tensor of shape [B]', got: entropy });
  }
  assertRank('entropyBonus', 'entropy', entropy, [1]);
  assertNonEmpty('entropyBonus', 'entropy', entropy);
  return tf.tidy(() => tf.mean(entropy) as tf.Scalar);
}
