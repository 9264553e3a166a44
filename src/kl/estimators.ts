/**
 * Per-sample estimators of KL(π‖ref) from actions sampled from π (Schulman 2020,
 * "Approximating KL Divergence", http://joschu.net/blog/kl-approx.html). With
 * `logProb = log π(a)` and `refLogProb = log ref(a)` for a ~ π, and log-ratio ℓ = logProb − refLogProb:
 *
 * - `k1`  = ℓ                         unbiased, high variance, can be negative
 * - `k2`  = ½ ℓ²                      biased (low for close pairs), ≥ 0, low variance
 * - `k3`  = (r − 1) − log r, r = e^(−ℓ) = ref/π   unbiased, ≥ 0, low variance
 * - `abs` = |ℓ|                       (TRL `kl_penalty="abs"`)
 * - `mse` = ½ ℓ²                      (TRL `kl_penalty="mse"`, the same as k2)
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertOneOf } from '../core/assert.js';
import { ConfigError, NumericError, ShapeError } from '../core/errors.js';

/** The sample estimators of KL(π‖ref). */
export type KlEstimator = 'k1' | 'k2' | 'k3' | 'abs' | 'mse';
/** All estimator names, for validation and help texts. */
export const KL_ESTIMATORS: readonly KlEstimator[] = Object.freeze(['k1', 'k2', 'k3', 'abs', 'mse'] as const);

/**
 * How far above 0 an array entry of `klEstimate` may be and still count as a log-probability: the rounding of
 * a float32 log-softmax read back into numbers (e.g. 1.2e-7 for an action of probability ≈ 1).
 */
const LOG_PROB_TOLERANCE = 1e-6;

/** Arguments of {@link klEstimate}: both log-probabilities of the same actions, sampled from π. */
export interface KlEstimateArgs<T> {
  /** Which estimator. */
  estimator: KlEstimator;
  /** log π(a) of actions a sampled from π (the policy whose KL to ref is estimated), shape [B] (any shape). */
  logProb: T;
  /** log ref(a) of the same actions under the reference policy, same shape. */
  refLogProb: T;
}

function estimateNumber(estimator: KlEstimator, lp: number, ref: number): number {
  const l = lp - ref;
  switch (estimator) {
    case 'k1':
      return l;
    case 'k2':
    case 'mse':
      return 0.5 * l * l;
    case 'abs':
      return Math.abs(l);
    case 'k3':
      // (r − 1) − log r with log r = −ℓ; expm1 keeps precision when ℓ ≈ 0. ℓ = −∞ (r = ∞) gives +∞, not ∞ − ∞.
      return l === -Infinity ? Infinity : Math.expm1(-l) + l;
  }
}

/**
 * Per-sample estimate of KL(π‖ref) from `logProb = log π(a)` and `refLogProb = log ref(a)`, a ~ π.
 * The mean over samples estimates the KL; k1 and k3 without bias, k2/mse with a bias that grows with the
 * distance between π and ref. See the module docs for the formulas.
 *
 * Accepts float32 tensors (returns a new tensor of the same shape; caller disposes) or number arrays / typed arrays
 * (returns a `Float64Array`, computed in float64). Arrays are checked as log-probabilities of discrete actions
 * (≤ 0, up to 1e-6 of float32 rounding); tensors are checked for dtype and shape only (their data is
 * not read), so log-densities of continuous actions, which may be positive, go through tensors.
 * @throws ConfigError for an unknown estimator, or (arrays) a log-probability above 0; ShapeError when the two
 *   inputs differ in kind, shape or length, are empty, or a tensor is not float32; NumericError (arrays only) for a
 *   non-finite `logProb` entry or a NaN / +∞ `refLogProb` entry.
 * @example
 * ```ts
 * klEstimate({ estimator: 'k3', logProb: [Math.log(0.7)], refLogProb: [Math.log(0.4)] }); // Float64Array [0.2 ...]
 * ```
 */
export function klEstimate(args: KlEstimateArgs<tf.Tensor>): tf.Tensor;
export function klEstimate(args: KlEstimateArgs<ArrayLike<number>>): Float64Array;
export function klEstimate(args: KlEstimateArgs<tf.Tensor | ArrayLike<number>>): tf.Tensor | Float64Array {
  if (args === null || typeof args !== 'object') {
    throw new ConfigError({
      fn: 'klEstimate',
      arg: 'args',
      expected: 'an object { estimator, logProb, refLogProb }',
      got: args,
    });
  }
  const { estimator, logProb, refLogProb } = args;
  assertOneOf('klEstimate', 'estimator', estimator, KL_ESTIMATORS);
  if (logProb instanceof tf.Tensor || refLogProb instanceof tf.Tensor) {
    if (!(logProb instanceof tf.Tensor) || !(refLogProb instanceof tf.Tensor)) {
      throw new ShapeError({
        fn: 'klEstimate',
        arg: 'refLogProb',
        expected: 'of the same kind as logProb (both tensors or both arrays)',
        got: refLogProb,
      });
    }
    for (const [arg, t] of [
      ['logProb', logProb],
      ['refLogProb', refLogProb],
    ] as const) {
      if (t.dtype !== 'float32')
        throw new ShapeError({
          fn: 'klEstimate',
          arg,
          expected: 'a float32 tensor of log-probabilities',
          got: `dtype ${t.dtype}`,
        });
    }
    if (logProb.size === 0)
      throw new ShapeError({ fn: 'klEstimate', arg: 'logProb', expected: 'a non-empty tensor', got: logProb });
    if (logProb.rank !== refLogProb.rank || logProb.shape.some((d, i) => d !== refLogProb.shape[i])) {
      throw new ShapeError({
        fn: 'klEstimate',
        arg: 'refLogProb',
        expected: `of the same shape as logProb [${logProb.shape.join(',')}]`,
        got: refLogProb,
      });
    }
    return tf.tidy(() => {
      const l = tf.sub(logProb, refLogProb);
      switch (estimator) {
        case 'k1':
          return l;
        case 'k2':
        case 'mse':
          return tf.mul(0.5, tf.square(l));
        case 'abs':
          return tf.abs(l);
        case 'k3':
          return tf.add(tf.sub(tf.exp(tf.neg(l)), 1), l);
      }
    });
  }
  const isArrayLike = (x: unknown): x is ArrayLike<number> =>
    x !== null && typeof x === 'object' && typeof (x as { length?: unknown }).length === 'number';
  if (!isArrayLike(logProb))
    throw new ShapeError({
      fn: 'klEstimate',
      arg: 'logProb',
      expected: 'a tensor or an array of numbers',
      got: logProb,
    });
  if (!isArrayLike(refLogProb))
    throw new ShapeError({
      fn: 'klEstimate',
      arg: 'refLogProb',
      expected: 'a tensor or an array of numbers',
      got: refLogProb,
    });
  if (logProb.length !== refLogProb.length) {
    throw new ShapeError({
      fn: 'klEstimate',
      arg: 'refLogProb',
      expected: `of the same length as logProb (${logProb.length})`,
      got: `length ${refLogProb.length}`,
    });
  }
  if (logProb.length === 0)
    throw new ShapeError({ fn: 'klEstimate', arg: 'logProb', expected: 'a non-empty array', got: logProb });
  const out = new Float64Array(logProb.length);
  for (let i = 0; i < out.length; i++) {
    const lp = logProb[i];
    const rp = refLogProb[i];
    // log π(a) of a sampled action is finite; log ref(a) may be −∞ (an action ref never takes: the KL is +∞).
    if (typeof lp !== 'number' || !Number.isFinite(lp)) {
      throw new NumericError({
        fn: 'klEstimate',
        arg: `logProb[${i}]`,
        expected: 'a finite number (the log-probability of a sampled action)',
        got: lp,
      });
    }
    if (typeof rp !== 'number' || Number.isNaN(rp) || rp === Infinity) {
      throw new NumericError({
        fn: 'klEstimate',
        arg: `refLogProb[${i}]`,
        expected: 'a finite number or -Infinity',
        got: rp,
      });
    }
    if (lp > LOG_PROB_TOLERANCE || rp > LOG_PROB_TOLERANCE) {
      const arg = lp > LOG_PROB_TOLERANCE ? `logProb[${i}]` : `refLogProb[${i}]`;
      throw new ConfigError({
        fn: 'klEstimate',
        arg,
        expected: 'a log-probability ≤ 0 (a probability ≤ 1; for log-densities, pass tensors)',
        got: lp > LOG_PROB_TOLERANCE ? lp : rp,
      });
    }
    out[i] = estimateNumber(estimator, lp, rp);
  }
  return out;
}
