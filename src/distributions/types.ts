/**
 * The distribution contract shared by categorical and Gaussian policies. Structural: shared code
 * never uses `instanceof` (distrax style; it fails across separately bundled entry points).
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random/rng.js';

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
}
