/**
 * Exact divergences between two distributions of the same kind and batch shape, per row, as tensors:
 * KL (both directions, by argument order), Jensen–Shannon, total variation and cross-entropy.
 * For plain probability vectors in float64 see `src/kl/probs.ts`.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { asCategoricalLike, positiveMask, type Categorical } from '../distributions/categorical.js';
import { asGaussianLike, type DiagGaussian } from '../distributions/diag_gaussian.js';
import type { Distribution } from '../distributions/types.js';

function checkPair(fn: string, p: Distribution, q: Distribution): void {
  for (const [arg, d] of [
    ['p', p],
    ['q', q],
  ] as const) {
    if (d === null || typeof d !== 'object' || (d.kind !== 'categorical' && d.kind !== 'diag-gaussian')) {
      throw new ConfigError({ fn, arg, expected: 'a Distribution (Categorical or DiagGaussian)', got: d });
    }
  }
  if (p.kind !== q.kind) {
    throw new ConfigError({
      fn,
      arg: 'q',
      expected: `a distribution of the same kind as p ('${p.kind}')`,
      got: q.kind,
    });
  }
}

function categoricalPair(fn: string, p: Distribution, q: Distribution): [Categorical, Categorical] {
  const pc = p as Categorical;
  if (typeof pc.logitsUnscoped !== 'function') {
    throw new ConfigError({ fn, arg: 'p', expected: 'a Categorical', got: p.kind });
  }
  return [pc, asCategoricalLike(fn, 'q', pc, q)];
}

/** log x where x > 0, 0 elsewhere, with finite gradients everywhere (the masked branch never sees log 0). */
function safeLog(x: tf.Tensor, pos: tf.Tensor): tf.Tensor {
  return tf.where(pos, tf.log(tf.where(pos, x, tf.onesLike(x))), tf.zerosLike(x));
}

/**
 * Exact Kullback–Leibler divergence KL(p‖q) per row, in nats.
 *
 * KL(p‖q) = Σ_a p(a) log(p(a)/q(a))   (categorical; 0·log(0/q) = 0, +∞ where q(a) = 0 < p(a))
 * KL(p‖q) = Σ_d [log(σ_q/σ_p) + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − ½]   (diagonal Gaussians)
 *
 * **Which argument is which.** The expectation is under the first argument `p`. Not symmetric:
 * - `klDivergence(p, q)` with p = the data / teacher / reference and q = the model being trained is the
 *   **forward** KL; minimised over q it is *mode-covering* (q must put mass wherever p has mass).
 * - With p = the model being trained and q = the data / reference it is the **reverse** KL; minimised over p it
 *   is *mode-seeking* (p may drop modes of q but is penalised for mass where q has little).
 * The RLHF penalty KL(π_θ‖π_ref) is a reverse KL: `klDivergence(policyDist, refDist)`.
 *
 * Source: Kullback & Leibler (1951); distrax `categorical.py` / `normal.py` KL registrations; forward vs reverse:
 * Murphy, *Probabilistic Machine Learning: An Introduction* (2022), §6.2.
 * @param p The distribution the expectation is taken under; shape [B, …] or [...] (a view).
 * @param q The distribution compared against; same kind, batch shape and number of actions / dimension.
 * @returns A new tensor of the batch shape ([] or [B]); caller disposes.
 * @throws ConfigError when the kinds differ or an argument is not a distribution; ShapeError for different batch
 *   shapes, numbers of actions or dimensions.
 * @example
 * ```ts
 * const kl = tf.tidy(() => klDivergence(Categorical.fromProbs([0.7, 0.3]), Categorical.fromProbs([0.4, 0.6])));
 * // ≈ 0.18378 nats
 * ```
 */
export function klDivergence(p: Distribution, q: Distribution): tf.Tensor {
  checkPair('klDivergence', p, q);
  if (p.kind === 'categorical') {
    const [pc, qc] = categoricalPair('klDivergence', p, q);
    return pc.kl(qc);
  }
  const pg = p as DiagGaussian;
  if (typeof (pg as { logStd?: unknown }).logStd !== 'function') {
    throw new ConfigError({ fn: 'klDivergence', arg: 'p', expected: 'a DiagGaussian', got: p.kind });
  }
  return pg.kl(asGaussianLike('klDivergence', 'q', pg, q));
}

/**
 * Jensen–Shannon divergence per row, in nats (categorical only).
 *
 * JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m), m = ½(p + q); symmetric, always finite, 0 ≤ JS ≤ ln 2.
 *
 * Source: Lin (1991), "Divergence measures based on the Shannon entropy", IEEE Trans. Inf. Theory 37(1).
 * @param p A categorical, [A] or [B, A].
 * @param q A categorical of the same batch shape and A.
 * @returns A new tensor of the batch shape; caller disposes.
 * @throws ConfigError for Gaussians (JS has no closed form for Gaussians) or different kinds; ShapeError for
 *   different batch shapes or A.
 * @example
 * ```ts
 * tf.tidy(() => jsDivergence(Categorical.fromProbs([1, 0]), Categorical.fromProbs([0, 1]))); // ln 2
 * ```
 */
export function jsDivergence(p: Distribution, q: Distribution): tf.Tensor {
  checkPair('jsDivergence', p, q);
  if (p.kind !== 'categorical') {
    throw new ConfigError({
      fn: 'jsDivergence',
      arg: 'p',
      expected: 'a categorical distribution',
      got: p.kind,
      hint: 'The Jensen–Shannon divergence has no closed form for Gaussians; estimate it by sampling or use klDivergence',
    });
  }
  const [pc, qc] = categoricalPair('jsDivergence', p, q);
  return tf.tidy(() => {
    const P = tf.exp(pc.logitsUnscoped());
    const Q = tf.exp(qc.logitsUnscoped());
    const M = tf.mul(0.5, tf.add(P, Q));
    const pPos = positiveMask(P);
    const qPos = positiveMask(Q);
    const mPos = positiveMask(M);
    const logM = safeLog(M, mPos);
    const termP = tf.mul(P, tf.sub(safeLog(P, pPos), tf.where(pPos, logM, tf.zerosLike(logM))));
    const termQ = tf.mul(Q, tf.sub(safeLog(Q, qPos), tf.where(qPos, logM, tf.zerosLike(logM))));
    return tf.mul(0.5, tf.sum(tf.add(termP, termQ), -1));
  });
}

/**
 * Total variation distance per row (categorical only).
 *
 * TV(p, q) = ½ Σ_a |p(a) − q(a)| ∈ [0, 1]; Pinsker: TV ≤ √(KL(p‖q)/2).
 *
 * Source: Tsybakov, *Introduction to Nonparametric Estimation* (2009), §2.4.
 * @param p A categorical, [A] or [B, A].
 * @param q A categorical of the same batch shape and A.
 * @returns A new tensor of the batch shape; caller disposes.
 * @throws ConfigError for Gaussians (no closed form for the TV between Gaussians) or different kinds; ShapeError for
 *   different batch shapes or A.
 * @example
 * ```ts
 * tf.tidy(() => totalVariation(Categorical.fromProbs([0.7, 0.3]), Categorical.fromProbs([0.4, 0.6]))); // 0.3
 * ```
 */
export function totalVariation(p: Distribution, q: Distribution): tf.Tensor {
  checkPair('totalVariation', p, q);
  if (p.kind !== 'categorical') {
    throw new ConfigError({
      fn: 'totalVariation',
      arg: 'p',
      expected: 'a categorical distribution',
      got: p.kind,
      hint: 'The total variation distance has no closed form for Gaussians; estimate it by sampling or bound it with Pinsker, TV ≤ √(KL/2)',
    });
  }
  const [pc, qc] = categoricalPair('totalVariation', p, q);
  return tf.tidy(() =>
    tf.mul(0.5, tf.sum(tf.abs(tf.sub(tf.exp(pc.logitsUnscoped()), tf.exp(qc.logitsUnscoped()))), -1)),
  );
}

/**
 * Cross-entropy per row, in nats.
 *
 * H(p, q) = −Σ_a p(a) log q(a) = H(p) + KL(p‖q)   (0·log q = 0; +∞ where q(a) = 0 < p(a)).
 * For diagonal Gaussians the closed form H(p) + KL(p‖q) is used.
 *
 * Source: Cover & Thomas, *Elements of Information Theory*, §2.3; the distillation / maximum-likelihood loss with
 * p = the data or teacher and q = the model.
 * @param p The distribution the expectation is under (data / teacher).
 * @param q The distribution inside the log (model); same kind and batch shape.
 * @returns A new tensor of the batch shape; caller disposes.
 * @throws ConfigError for different kinds; ShapeError for different batch shapes or sizes.
 * @example
 * ```ts
 * tf.tidy(() => crossEntropy(Categorical.fromProbs([0.7, 0.3]), Categorical.fromProbs([0.4, 0.6]))); // ≈ 0.79466
 * ```
 */
export function crossEntropy(p: Distribution, q: Distribution): tf.Tensor {
  checkPair('crossEntropy', p, q);
  if (p.kind !== 'categorical') {
    const pg = p as DiagGaussian;
    const qg = asGaussianLike('crossEntropy', 'q', pg, q);
    return tf.tidy(() => tf.add(pg.entropy(), pg.kl(qg)));
  }
  const [pc, qc] = categoricalPair('crossEntropy', p, q);
  return tf.tidy(() => {
    const P = tf.exp(pc.logitsUnscoped());
    const logQ = qc.logitsUnscoped();
    const pos = positiveMask(P);
    return tf.neg(tf.sum(tf.mul(P, tf.where(pos, logQ, tf.zerosLike(logQ))), -1));
  });
}
