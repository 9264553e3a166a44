/**
 * The distribution contract shared by categorical and Gaussian policies. Structural: shared code
 * never uses `instanceof` (distrax style; it fails across separately bundled entry points).
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random/rng.js';

/**
 * The parameters that define a distribution, as tensors (distrax style: a distribution is its parameters).
 * Categorical: normalised log-probabilities `logits` [B, A]. Diagonal Gaussian: `mean` [B, D] and `logStd`, log σ
 * broadcast to the mean's shape. {@link Distribution.params} returns them; `distributionFromParams` rebuilds the view.
 * @example
 * ```ts
 * const p: DistributionParams = { kind: 'categorical', logits: tf.tensor2d([[-0.69, -0.69]]) };
 * ```
 */
export type DistributionParams =
  | {
      /** Discriminant. */
      kind: 'categorical';
      /** log π(a) per row, [B, A] or [A]. */
      logits: tf.Tensor;
    }
  | {
      /** Discriminant. */
      kind: 'diag-gaussian';
      /** μ per row, [B, D] or [D]. */
      mean: tf.Tensor;
      /** log σ broadcast to the mean's shape. */
      logStd: tf.Tensor;
    };

/**
 * An immutable view over distribution parameters (distrax style): it neither clones nor owns its
 * parameter tensors and has no `dispose()`. Create it inside the caller's `tf.tidy`; every method
 * returns new tensors owned by the caller (or by the surrounding tidy).
 *
 * Batch convention: parameters have a leading batch dimension [B, …] (or none for a single
 * distribution); per-row results have shape [B] (or []).
 */
export interface Distribution {
  /** `'categorical'` or `'diag-gaussian'`: lets shared code branch without `instanceof`. */
  readonly kind: 'categorical' | 'diag-gaussian';
  /** log p(value) per row. Categorical: `value` holds action indices [B]; Gaussian: vectors [B, D]. */
  logProb(value: tf.Tensor | number[] | number[][]): tf.Tensor;
  /** Entropy H(p) = −E_p[log p] per row, in nats. */
  entropy(): tf.Tensor;
  /** The most likely value per row (argmax, or the mean). */
  mode(): tf.Tensor;
  /** One draw per row, sampled in JS from `rng` (never `tf.multinomial`), returned as a new tensor. */
  sample(rng: Rng): tf.Tensor;
  /** Exact KL(this ‖ other) per row, in nats. `other` must be of the same kind and batch shape. */
  kl(other: Distribution): tf.Tensor;
  /** The defining parameters as new tensors (the caller owns them): what a rollout stores to rebuild π_rollout. */
  params(): DistributionParams;
}
