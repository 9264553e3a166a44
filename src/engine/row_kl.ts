/**
 * The exact KL of one row between two policies' outputs, as the fused engine computes it for the per-step KL and for
 * the KL of an update: categorical from normalised log-probabilities, diagonal Gaussian in closed form.
 * @module
 */

/**
 * KL(p‖q) = Σ_a p_a (log p_a − log q_a) of one categorical row, with p_a = exp(log p_a) and 0·log 0 = 0.
 * @param lp Normalised log-probabilities of p; the row starts at `po`.
 * @param lq Normalised log-probabilities of q; the row starts at `qo`.
 * @param A Number of actions.
 * @returns The KL in nats (≥ 0 up to rounding).
 * @example
 * ```ts
 * categoricalRowKl(Float64Array.of(Math.log(0.5), Math.log(0.5)), 0, Float64Array.of(Math.log(0.9), Math.log(0.1)), 0, 2); // 0.5108
 * ```
 */
export function categoricalRowKl(
  lp: ArrayLike<number>,
  po: number,
  lq: ArrayLike<number>,
  qo: number,
  A: number,
): number {
  let kl = 0;
  for (let a = 0; a < A; a++) {
    const l = lp[po + a]!;
    const p = Math.exp(l);
    if (p > 0) kl += p * (l - lq[qo + a]!);
  }
  return kl;
}

/**
 * KL(N(μ_p, diag σ_p²)‖N(μ_q, diag σ_q²)) = Σ_d [log σ_q − log σ_p + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − ½] of one row
 * (the closed form of the KL between two Gaussians, coordinate by coordinate).
 * @param muP Means of p (row at `po`); `lsP` its log-std (row at `lpo`).
 * @param muQ Means of q (row at `qo`); `lsQ` its log-std (row at `lqo`).
 * @param D Number of coordinates.
 * @returns The KL in nats.
 * @example
 * ```ts
 * gaussianRowKl([0], 0, [0], 0, [1], 0, [0], 0, 1); // ½ (unit variances, means 1 apart)
 * ```
 */
export function gaussianRowKl(
  muP: ArrayLike<number>,
  po: number,
  lsP: ArrayLike<number>,
  lpo: number,
  muQ: ArrayLike<number>,
  qo: number,
  lsQ: ArrayLike<number>,
  lqo: number,
  D: number,
): number {
  let kl = 0;
  for (let d = 0; d < D; d++) {
    const sp = lsP[lpo + d]!;
    const sq = lsQ[lqo + d]!;
    const dm = (muP[po + d]! - muQ[qo + d]!) * Math.exp(-sq);
    kl += sq - sp + 0.5 * (Math.exp(2 * (sp - sq)) + dm * dm - 1);
  }
  return kl;
}
