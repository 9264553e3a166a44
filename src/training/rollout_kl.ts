/**
 * The KL of an update: KL(π_rollout‖π_current) on the rollout's states, exact and estimated from the rollout's
 * actions, and the surrogate gain the update bought (what the KL controller and early stopping read).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { distributionFromParams } from '../distributions/from_params.js';
import { klEstimate } from '../kl/estimators.js';
import type { Policy } from '../policies/types.js';
import type { RolloutBuffer } from './buffer.js';

/** What {@link rolloutToCurrentKl} measures. */
export interface RolloutKl {
  /** mean_t KL(π_rollout(·|s_t) ‖ π_current(·|s_t)), exact. */
  exact: number;
  /** mean_t of k1 = log π_rollout(a_t|s_t) − log π_current(a_t|s_t) (the actions were drawn from π_rollout). */
  k1: number;
  /** mean_t of k3 = (r − 1) − log r with r = π_current/π_rollout (Schulman 2020, "Approximating KL divergence"). */
  k3: number;
  /** Surrogate gain mean_t (r_t − 1)·Â_t; NaN when no advantages were given. */
  gain: number;
  /** Clipped surrogate gain mean_t [min(r_t·Â_t, clip(r_t, 1 ± ε)·Â_t) − Â_t]; NaN when no advantages were given. */
  clipGain: number;
}

/**
 * KL(π_rollout‖π_current) on the whole batch of `buffer`, with `policy` as π_current: exact (from the stored
 * rollout parameters), k1 and k3 (from the rollout actions); with `advantages`, also the surrogate gain
 * L(π_current) − L(π_rollout), L = mean(r·Â), plain and clipped (PPO, Schulman et al. 2017, eq. 7).
 * @param buffer The update's buffer (π_rollout's parameters, log-probabilities and actions).
 * @param policy The current policy.
 * @param opts `advantages` Â for the gain (float64, length B) and the clip range `epsilon` of the clipped gain.
 * @returns Plain numbers.
 * @example
 * ```ts
 * const { exact, k1, k3 } = await rolloutToCurrentKl(buffer, policy); // 0 before the first optimizer step
 * ```
 */
export async function rolloutToCurrentKl(
  buffer: RolloutBuffer,
  policy: Policy,
  opts: { advantages?: Float64Array; epsilon?: number } = {},
): Promise<RolloutKl> {
  const epsilon = opts.epsilon ?? 0.2;
  const t = tf.tidy(() => {
    const dist = policy.distribution(buffer.obs);
    const rolloutDist = distributionFromParams(buffer.params);
    const lp = dist.logProb(buffer.actions);
    // Estimates of KL(π_rollout‖π_current) from the rollout actions: logProb = log π_rollout, refLogProb = log π_current.
    const est = { logProb: buffer.oldLogProb, refLogProb: lp };
    const out = [
      tf.mean(rolloutDist.kl(dist)),
      tf.mean(klEstimate({ estimator: 'k1', ...est })),
      tf.mean(klEstimate({ estimator: 'k3', ...est })),
    ];
    if (opts.advantages) {
      const adv = tf.tensor1d(Float32Array.from(opts.advantages));
      const ratio = tf.exp(tf.sub(lp, buffer.oldLogProb));
      const plain = tf.mul(tf.sub(ratio, 1), adv);
      const clipped = tf.sub(
        tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 1 - epsilon, 1 + epsilon), adv)),
        adv,
      );
      out.push(tf.mean(plain), tf.mean(clipped));
    }
    return tf.stack(out);
  });
  const [exact, k1, k3, gain, clipGain] = Array.from(await t.data());
  t.dispose();
  return { exact: exact!, k1: k1!, k3: k3!, gain: gain ?? NaN, clipGain: clipGain ?? NaN };
}
