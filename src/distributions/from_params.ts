/**
 * Rebuild a distribution view from its parameters (the inverse of {@link Distribution.params}).
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import { Categorical } from './categorical.js';
import { DiagGaussian } from './diag_gaussian.js';
import type { Distribution, DistributionParams } from './types.js';

/**
 * The distribution whose parameters are `p`, as a view over the given tensors (no copy, not owned).
 *
 * categorical → Categorical.fromLogits(logits); diag-gaussian → DiagGaussian.create({ mean, logStd }).
 * @param p Parameters from {@link Distribution.params} (or built by hand).
 * @returns A view; create it inside the caller's `tf.tidy`.
 * @example
 * ```ts
 * const pi = distributionFromParams({ kind: 'categorical', logits: tf.tensor1d([0, Math.log(3)]) });
 * pi.logProb([1]); // [log 0.75] = [-0.2877]
 * ```
 */
export function distributionFromParams(p: DistributionParams): Distribution {
  return p.kind === 'categorical'
    ? Categorical.fromLogits(p.logits)
    : DiagGaussian.create({ mean: p.mean, logStd: p.logStd });
}

/**
 * The tensors of a parameter set, to keep or dispose them together: `[logits]` or `[mean, logStd]`.
 * @example
 * ```ts
 * tf.dispose(paramsTensors(dist.params()));
 * ```
 */
export function paramsTensors(p: DistributionParams): tf.Tensor[] {
  return p.kind === 'categorical' ? [p.logits] : [p.mean, p.logStd];
}
