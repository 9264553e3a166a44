/**
 * The PPO clipped surrogate loss (Schulman et al. 2017, "Proximal Policy Optimization Algorithms",
 * https://arxiv.org/abs/1707.06347, eq. 7), with the asymmetric "clip-higher" range of DAPO
 * (Yu et al. 2025, https://arxiv.org/abs/2503.14476) and the dual clip of Ye et al. 2020
 * (https://arxiv.org/abs/1912.09729). Shape of rlax `policy_gradients.py` `clipped_surrogate_pg_loss`.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber, assertNonEmpty, assertRank, assertSameShape } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';
import { klEstimate } from '../kl/estimators.js';

/** A clip range: ε for clip(r, 1−ε, 1+ε), or an asymmetric `{ low, high }` for clip(r, 1−low, 1+high). */
export type ClipRange = number | AsymmetricClip;

/** An asymmetric clip range, r ∈ [1 − low, 1 + high] (e.g. DAPO's clip-higher, https://arxiv.org/abs/2503.14476). */
export interface AsymmetricClip {
  /** How far below 1 the ratio may go (ε_low ≥ 0). */
  readonly low: number;
  /** How far above 1 the ratio may go (ε_high ≥ 0). */
  readonly high: number;
}

/** Arguments of {@link ppoClipLoss}. Give exactly one of `clip` and `epsilon`. */
export interface PpoClipLossArgs {
  /** log π_θ(a|s) of the taken actions under the policy being optimised (gradients flow here), shape [B]. */
  logProb: tf.Tensor;
  /** log π_θ_old(a|s) stored at rollout time (a constant), shape [B]. */
  oldLogProb: tf.Tensor;
  /** Advantage estimates Â (constants, usually normalised), shape [B]. */
  advantages: tf.Tensor;
  /**
   * ε ∈ (0, 1), or `{ low, high }` with low ∈ (0, 1) and high > 0 (DAPO "clip-higher", e.g. `{ low: 0.2, high: 0.28 }`).
   * @defaultValue none; 0.2 is CleanRL `clip_coef` / SB3 `clip_range`.
   */
  clip?: ClipRange;
  /** Alias of a numeric `clip` (rlax's `epsilon`). */
  epsilon?: number;
  /** Dual-clip constant c > 1 (Ye et al. 2020): for Â < 0 the objective is floored at c·Â. @defaultValue none (no dual clip) */
  dualClip?: number;
}

/** Scalars returned by {@link ppoClipLoss}; all are new tensors owned by the caller. */
export interface PpoClipLossResult {
  /** L = −mean(min(r·Â, clip(r)·Â)) (with the dual clip where requested). */
  loss: tf.Scalar;
  /** Fraction of samples whose ratio lies outside [1−low, 1+high] (CleanRL `clipfracs`). */
  clipFraction: tf.Scalar;
  /** mean(oldLogProb − logProb): k1 estimate of KL(π_old‖π_θ) from samples of π_old. */
  approxKlK1: tf.Scalar;
  /** mean((r − 1) − log r): k3 estimate of KL(π_old‖π_θ) from samples of π_old (CleanRL `approx_kl`). */
  approxKlK3: tf.Scalar;
  /** mean(r), r = exp(logProb − oldLogProb). */
  ratioMean: tf.Scalar;
}

/** Validate and normalise a clip range to `{ low, high }` (internal; shared with kl_penalty.ts). */
export function resolveClipRange(fn: string, clip: unknown, epsilon: unknown): { low: number; high: number } {
  const hasClip = clip !== undefined;
  const hasEps = epsilon !== undefined;
  if (hasClip === hasEps) {
    throw new ConfigError({
      fn,
      arg: 'clip',
      expected: 'given exactly once, as `clip` or its alias `epsilon`',
      got: hasClip ? { clip, epsilon } : 'neither',
    });
  }
  if (hasEps) {
    assertFiniteNumber(fn, 'epsilon', epsilon, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    return { low: epsilon, high: epsilon };
  }
  if (typeof clip === 'number') {
    assertFiniteNumber(fn, 'clip', clip, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    return { low: clip, high: clip };
  }
  if (clip === null || typeof clip !== 'object' || Array.isArray(clip)) {
    throw new ConfigError({ fn, arg: 'clip', expected: 'a number in (0, 1) or an object { low, high }', got: clip });
  }
  const extra = Object.keys(clip).filter((k) => k !== 'low' && k !== 'high');
  if (extra.length > 0) {
    throw new ConfigError({ fn, arg: 'clip', expected: "an object with keys 'low' and 'high' only", got: clip });
  }
  const { low, high } = clip as { low?: unknown; high?: unknown };
  assertFiniteNumber(fn, 'clip.low', low, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  assertFiniteNumber(fn, 'clip.high', high, { min: 0, minExclusive: true });
  return { low, high };
}

/** Check the three [B] tensors of a policy loss (internal). */
export function checkPolicyInputs(fn: string, logProb: tf.Tensor, oldLogProb: tf.Tensor, advantages: tf.Tensor): void {
  for (const [name, t] of [
    ['logProb', logProb],
    ['oldLogProb', oldLogProb],
    ['advantages', advantages],
  ] as const) {
    if (!(t instanceof tf.Tensor)) throw new ConfigError({ fn, arg: name, expected: 'a tensor of shape [B]', got: t });
  }
  assertRank(fn, 'logProb', logProb, [1]);
  assertNonEmpty(fn, 'logProb', logProb);
  assertSameShape(fn, 'logProb', logProb, 'oldLogProb', oldLogProb);
  assertSameShape(fn, 'logProb', logProb, 'advantages', advantages);
}

/**
 * PPO clipped surrogate loss with its diagnostics.
 *
 * r = exp(logProb − oldLogProb),  L = −mean_i min(r_i·Â_i, clip(r_i, 1−low, 1+high)·Â_i)
 *
 * With `dualClip` c > 1, for Â_i < 0 the per-sample objective becomes max(min(r·Â, clip(r)·Â), c·Â)
 * (Ye et al. 2020, arXiv:1912.09729), which bounds the loss when r ≫ 1 on a negative advantage.
 * The `min` makes the objective a pessimistic bound: moving r outside the range never increases it, so the
 * gradient vanishes for samples clipped in the direction of their advantage (r > 1+high with Â > 0,
 * r < 1−low with Â < 0). Gradients flow through `logProb` only.
 *
 * Source: Schulman et al. 2017 (https://arxiv.org/abs/1707.06347) eq. 7; rlax `clipped_surrogate_pg_loss`;
 * diagnostics as CleanRL `ppo.py` (`clipfracs`, `old_approx_kl`, `approx_kl`), computed with {@link klEstimate}.
 *
 * @param args.logProb log π_θ(a|s), [B].
 * @param args.oldLogProb log π_old(a|s), [B].
 * @param args.advantages Â, [B].
 * @param args.clip ε ∈ (0, 1) or `{ low, high }` (or `epsilon`, exactly one of the two).
 * @param args.dualClip optional c > 1.
 * @returns `{ loss, clipFraction, approxKlK1, approxKlK3, ratioMean }` scalars. Returns new tensors; caller disposes.
 * @throws ShapeError for a rank other than 1, an empty batch or mismatched shapes; ConfigError for a bad clip or dualClip.
 * @example
 * ```ts
 * const { loss, clipFraction } = ppoClipLoss({
 *   logProb: tf.tensor1d([-0.5, -1.2]), oldLogProb: tf.tensor1d([-0.7, -1.0]),
 *   advantages: tf.tensor1d([1, -1]), clip: 0.2,
 * });
 * ```
 */
export function ppoClipLoss(args: PpoClipLossArgs): PpoClipLossResult {
  const fn = 'ppoClipLoss';
  if (args === null || typeof args !== 'object') {
    throw new ConfigError({
      fn,
      arg: 'args',
      expected: 'an object { logProb, oldLogProb, advantages, clip, dualClip? }',
      got: args,
    });
  }
  const { logProb, oldLogProb, advantages, dualClip } = args;
  checkPolicyInputs(fn, logProb, oldLogProb, advantages);
  const { low, high } = resolveClipRange(fn, args.clip, args.epsilon);
  if (dualClip !== undefined) assertFiniteNumber(fn, 'dualClip', dualClip, { min: 1, minExclusive: true });
  return tf.tidy(() => {
    const logRatio = tf.sub(logProb, oldLogProb);
    const ratio = tf.exp(logRatio);
    const surr1 = tf.mul(ratio, advantages);
    const surr2 = tf.mul(tf.clipByValue(ratio, 1 - low, 1 + high), advantages);
    let objective = tf.minimum(surr1, surr2);
    if (dualClip !== undefined) {
      objective = tf.where(tf.less(advantages, 0), tf.maximum(objective, tf.mul(dualClip, advantages)), objective);
    }
    const loss = tf.neg(tf.mean(objective)) as tf.Scalar;
    const outside = tf.logicalOr(tf.less(ratio, 1 - low), tf.greater(ratio, 1 + high));
    const clipFraction = tf.mean(tf.cast(outside, 'float32')) as tf.Scalar;
    // KL(π_old‖π_θ) from samples of π_old: π_old plays the sampling policy, π_θ the reference.
    const approxKlK1 = tf.mean(klEstimate({ estimator: 'k1', logProb: oldLogProb, refLogProb: logProb })) as tf.Scalar;
    const approxKlK3 = tf.mean(klEstimate({ estimator: 'k3', logProb: oldLogProb, refLogProb: logProb })) as tf.Scalar;
    const ratioMean = tf.mean(ratio) as tf.Scalar;
    return { loss, clipFraction, approxKlK1, approxKlK3, ratioMean };
  });
}
