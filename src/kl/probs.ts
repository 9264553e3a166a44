/**
 * Divergences between categorical distributions given as plain probability vectors, in float64 with no tensors
 * (the tabular path: bandits, gridworld policies, the `klip kl` command). All results are in nats.
 *
 * Conventions (as in scipy `scipy.special.rel_entr` and distrax `categorical.py`): 0·log 0 = 0 and
 * 0·log(0/q) = 0, so actions with p(a) = 0 contribute nothing; p(a) > 0 = q(a) makes KL(p‖q) = +∞.
 * Every function validates its inputs: a probability vector has finite entries ≥ 0 that sum to 1 within 1e-6.
 * @module
 */
import { assertProbabilities, assertSameLength } from '../core/assert.js';
import { NumericError, ShapeError } from '../core/errors.js';

/** Tolerance on Σp = 1 used by every function of this module. */
const SUM_TOL = 1e-6;

function checkPair(fn: string, p: ArrayLike<number>, q: ArrayLike<number>): void {
  assertProbabilities(fn, 'p', p, SUM_TOL);
  assertProbabilities(fn, 'q', q, SUM_TOL);
  assertSameLength(fn, 'p', p, 'q', q);
}

/**
 * Kullback–Leibler divergence KL(p‖q) of two probability vectors, in nats.
 *
 * KL(p‖q) = Σ_a p(a) · log(p(a) / q(a)), with 0·log(0/q) = 0.
 *
 * Returns `Infinity` when some action has q(a) = 0 < p(a) (p is not absolutely continuous w.r.t. q).
 * Not symmetric: with p = the data/teacher it is the "forward" KL, with p = the model it is the "reverse" KL
 * (see `docs/concepts/kl.md`). Allocates nothing (hot in tabular code).
 *
 * Source: Kullback & Leibler (1951), "On Information and Sufficiency"; Cover & Thomas, *Elements of Information
 * Theory*, eq. 2.26.
 * @param p Probabilities p(a), length A (finite, ≥ 0, Σ = 1 ± 1e-6).
 * @param q Probabilities q(a), length A.
 * @returns KL(p‖q) ≥ 0 in nats, or `Infinity`.
 * @throws NumericError for NaN/±Infinity entries; ConfigError for negative entries or a sum ≠ 1;
 *   ShapeError for empty vectors or different lengths.
 * @example
 * ```ts
 * klProbs([0.7, 0.3], [0.4, 0.6]); // 0.18378...
 * klProbs([0.5, 0.5], [1, 0]);     // Infinity
 * ```
 */
export function klProbs(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkPair('klProbs', p, q);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi === 0) continue;
    const qi = q[i]!;
    if (qi === 0) return Infinity;
    // log p − log q, not log(p/q): p/q overflows to ∞ for a subnormal q.
    s += pi * (Math.log(pi) - Math.log(qi));
  }
  // Rounding can leave a tiny negative value for p ≈ q; KL is ≥ 0 (Gibbs' inequality).
  return s > 0 ? s : 0;
}

/**
 * Cross-entropy H(p, q) of two probability vectors, in nats.
 *
 * H(p, q) = −Σ_a p(a) · log q(a) = H(p) + KL(p‖q), with 0·log q = 0.
 *
 * Returns `Infinity` when q(a) = 0 < p(a).
 * Source: Cover & Thomas, *Elements of Information Theory*, §2.3 (the identity H(p, q) = H(p) + KL(p‖q)).
 * @param p The "true" distribution (weights), length A.
 * @param q The model distribution (inside the log), length A.
 * @returns H(p, q) ≥ H(p) ≥ 0 in nats, or `Infinity`.
 * @throws NumericError / ConfigError / ShapeError as {@link klProbs}.
 * @example
 * ```ts
 * crossEntropyProbs([0.7, 0.3], [0.4, 0.6]); // 0.79465...
 * ```
 */
export function crossEntropyProbs(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkPair('crossEntropyProbs', p, q);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi === 0) continue;
    const qi = q[i]!;
    if (qi === 0) return Infinity;
    s -= pi * Math.log(qi);
  }
  return s > 0 ? s : 0;
}

/**
 * Shannon entropy H(p) of a probability vector, in nats.
 *
 * H(p) = −Σ_a p(a) · log p(a), with 0·log 0 = 0.
 *
 * Source: Shannon (1948), "A Mathematical Theory of Communication".
 * @param p Probabilities, length A.
 * @returns H(p) ∈ [0, log A] in nats.
 * @throws NumericError / ConfigError / ShapeError for an invalid probability vector.
 * @example
 * ```ts
 * entropyProbs([0.5, 0.5]); // 0.693147... = ln 2
 * ```
 */
export function entropyProbs(p: ArrayLike<number>): number {
  assertProbabilities('entropyProbs', 'p', p, SUM_TOL);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi > 0) s -= pi * Math.log(pi);
  }
  return s > 0 ? s : 0;
}

/**
 * Jensen–Shannon divergence of two probability vectors, in nats.
 *
 * JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m), m = ½(p + q); symmetric, finite, 0 ≤ JS ≤ ln 2.
 *
 * Source: Lin (1991), "Divergence measures based on the Shannon entropy", IEEE Trans. Inf. Theory 37(1).
 * @param p Probabilities, length A.
 * @param q Probabilities, length A.
 * @returns JS(p, q) ∈ [0, ln 2] in nats.
 * @throws NumericError / ConfigError / ShapeError as {@link klProbs}.
 * @example
 * ```ts
 * jsProbs([1, 0], [0, 1]); // 0.693147... = ln 2
 * ```
 */
export function jsProbs(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkPair('jsProbs', p, q);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    const qi = q[i]!;
    const m = 0.5 * (pi + qi);
    if (pi > 0) s += 0.5 * pi * Math.log(pi / m);
    if (qi > 0) s += 0.5 * qi * Math.log(qi / m);
  }
  if (s < 0) return 0;
  return s > Math.LN2 ? Math.LN2 : s;
}

/**
 * Total variation distance of two probability vectors.
 *
 * TV(p, q) = ½ Σ_a |p(a) − q(a)| = max over events E of |p(E) − q(E)|; 0 ≤ TV ≤ 1, and Pinsker:
 * TV ≤ √(KL(p‖q)/2).
 *
 * Source: Tsybakov, *Introduction to Nonparametric Estimation* (2009), §2.4 (definition and Pinsker's inequality).
 * @param p Probabilities, length A.
 * @param q Probabilities, length A.
 * @returns TV(p, q) ∈ [0, 1] (no unit).
 * @throws NumericError / ConfigError / ShapeError as {@link klProbs}.
 * @example
 * ```ts
 * tvProbs([0.7, 0.3], [0.4, 0.6]); // 0.3
 * ```
 */
export function tvProbs(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkPair('tvProbs', p, q);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i]! - q[i]!);
  const tv = 0.5 * s;
  return tv > 1 ? 1 : tv;
}

/**
 * Numerically stable softmax of a logit vector, in float64.
 *
 * softmax(x)_a = exp(x_a − max x) / Σ_b exp(x_b − max x).
 *
 * `-Infinity` logits are valid and give probability 0. Source: the max-subtraction trick as in tfjs
 * `tfjs-core/src/ops/log_softmax.ts` and scipy `scipy.special.softmax`.
 * @param logits Unnormalised log-probabilities, length A ≥ 1: finite numbers or `-Infinity`.
 * @returns A new `Float64Array` of probabilities summing to 1.
 * @throws ShapeError for an empty or non-array input; NumericError for NaN or `+Infinity` entries, or when every
 *   entry is `-Infinity` (no probability mass anywhere).
 * @example
 * ```ts
 * softmax([0, Math.log(3)]);      // Float64Array [0.25, 0.75]
 * softmax([0, -Infinity]);        // Float64Array [1, 0]
 * ```
 */
export function softmax(logits: ArrayLike<number>): Float64Array {
  if (logits === null || typeof logits !== 'object' || typeof logits.length !== 'number') {
    throw new ShapeError({ fn: 'softmax', arg: 'logits', expected: 'an array of numbers', got: logits });
  }
  if (logits.length === 0)
    throw new ShapeError({ fn: 'softmax', arg: 'logits', expected: 'a non-empty array', got: logits });
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    if (typeof x !== 'number' || Number.isNaN(x) || x === Infinity) {
      throw new NumericError({ fn: 'softmax', arg: `logits[${i}]`, expected: 'a finite number or -Infinity', got: x });
    }
    if (x > max) max = x;
  }
  if (max === -Infinity) {
    throw new NumericError({
      fn: 'softmax',
      arg: 'logits',
      expected: 'a vector with at least one finite entry',
      got: logits,
    });
  }
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    const e = Math.exp(logits[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}
