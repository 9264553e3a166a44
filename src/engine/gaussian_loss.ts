/**
 * The total PPO loss of `ppoUpdateStep` (`src/training/update.ts`) for a diagonal Gaussian head with a
 * state-independent log-std (`GaussianMlpPolicy`, as CleanRL `ppo_continuous_action.py`), on typed arrays, with its
 * gradient with respect to the means, the log-std vector and the values.
 *
 * With z_d = (x_d − μ_d)·e^{−ℓ_d} (ℓ = log σ): log π(x|s) = Σ_d (−½z_d² − ℓ_d − ½log 2π), H = Σ_d (ℓ_d + ½log 2πe),
 * KL(p‖q) = max(0, Σ_d ℓq_d − ℓp_d + ½(e^{2(ℓp_d−ℓq_d)} + ((μp_d − μq_d)e^{−ℓq_d})² − 1)) (`DiagGaussian`,
 * `src/distributions/diag_gaussian.ts`; distrax `mvn_diag.py`). Partial derivatives used:
 * ∂log π/∂μ_d = z_d e^{−ℓ_d}, ∂log π/∂ℓ_d = z_d² − 1, ∂H/∂ℓ_d = 1,
 * ∂KL/∂μq_d = (μq_d − μp_d)e^{−2ℓq_d}, ∂KL/∂ℓq_d = 1 − e^{2(ℓp_d−ℓq_d)} − (μp_d − μq_d)² e^{−2ℓq_d}.
 * The policy and value terms shared with the categorical head are in `surrogate.ts`.
 * @module
 */
import type { StepCoefficients } from '../training/update.js';
import { finishTerms, type LossTerms, type SurrogateSums, surrogateSample, valueSample } from './surrogate.js';

/** ½ log 2π. */
export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const HALF_LOG_2PIE = 0.5 * Math.log(2 * Math.PI * Math.E);

/** The per-sample inputs of the Gaussian loss (`actions`, `oldMean`, `oldLogStd` `[n, D]`). */
export interface GaussianSamples {
  /** Number of samples. */
  n: number;
  /** Row of the network output that sample i reads. */
  rowOf: Int32Array;
  /** Actions per sample. */
  actions: Float32Array | Float64Array;
  /** log π_rollout(a|s) per sample. */
  oldLogProb: Float32Array | Float64Array;
  /** Advantages per sample. */
  advantages: Float32Array | Float64Array;
  /** λ-returns per sample. */
  returns: Float32Array | Float64Array;
  /** V_rollout(s) per sample. */
  oldValues: Float32Array | Float64Array;
  /** π_rollout means `[n, D]`. */
  oldMean: Float32Array | Float64Array;
  /** π_rollout log-std `[n, D]`. */
  oldLogStd: Float32Array | Float64Array;
}

/** log N(x; μ, diag e^{2ℓ}) of one sample. */
export function gaussianLogProb(
  D: number,
  x: ArrayLike<number>,
  xo: number,
  mean: ArrayLike<number>,
  mo: number,
  logStd: ArrayLike<number>,
): number {
  let lp = 0;
  for (let d = 0; d < D; d++) {
    const l = logStd[d]!;
    const z = (x[xo + d]! - mean[mo + d]!) * Math.exp(-l);
    lp += -0.5 * z * z - l - HALF_LOG_2PI;
  }
  return lp;
}

/**
 * Evaluate the Gaussian-head loss of `ppoUpdateStep` and its gradient.
 * @param rows Number of distinct output rows.
 * @param D Action dimension.
 * @param mean μ per row `[rows, D]`.
 * @param logStd ℓ `[D]`.
 * @param values V per row `[rows]`.
 * @param s The samples.
 * @param coef The step coefficients.
 * @param dMean Output: ∂L/∂μ `[rows, D]` (overwritten).
 * @param dLogStd Output: ∂L/∂ℓ `[D]` (overwritten).
 * @param dValues Output: ∂L/∂V `[rows]` (overwritten).
 * @param logProb Output: log π(a_i|s_i) per sample.
 * @param sums Scratch sums (reset here).
 * @returns The scalar terms.
 */
export function gaussianPpoLoss(
  rows: number,
  D: number,
  mean: Float64Array,
  logStd: Float32Array,
  values: Float64Array,
  s: GaussianSamples,
  coef: StepCoefficients,
  dMean: Float64Array,
  dLogStd: Float64Array,
  dValues: Float64Array,
  logProb: Float64Array,
  sums: SurrogateSums,
): LossTerms {
  const n = s.n;
  const invN = 1 / n;
  dMean.fill(0, 0, rows * D);
  dLogStd.fill(0);
  dValues.fill(0, 0, rows);
  sums.reset(coef);
  const exactKl = sums.penalty && coef.klEstimator === 'exact';
  const w = sums.beta * invN;
  let exactSum = 0;
  let entSum = 0;
  let ent = 0;
  for (let d = 0; d < D; d++) ent += logStd[d]! + HALF_LOG_2PIE;
  for (let i = 0; i < n; i++) {
    const r = s.rowOf[i]!;
    const o = r * D;
    const io = i * D;
    const lp = gaussianLogProb(D, s.actions, io, mean, o, logStd);
    logProb[i] = lp;
    const gLp = surrogateSample(sums, lp, s.oldLogProb[i]!, s.advantages[i]!) * invN;
    let kl = 0;
    for (let d = 0; d < D; d++) {
      const lq = logStd[d]!;
      const lpo = s.oldLogStd[io + d]!;
      const dm = (s.oldMean[io + d]! - mean[o + d]!) * Math.exp(-lq);
      kl += lq - lpo + 0.5 * (Math.exp(2 * (lpo - lq)) + dm * dm - 1);
    }
    const klPos = kl > 0;
    exactSum += klPos ? kl : 0;
    entSum += ent;
    for (let d = 0; d < D; d++) {
      const l = logStd[d]!;
      const inv = Math.exp(-l);
      const z = (s.actions[io + d]! - mean[o + d]!) * inv;
      let gm = gLp * z * inv;
      let gl = gLp * (z * z - 1);
      if (exactKl && klPos) {
        const lpo = s.oldLogStd[io + d]!;
        const diff = s.oldMean[io + d]! - mean[o + d]!;
        const inv2 = inv * inv;
        gm += w * -diff * inv2;
        gl += w * (1 - Math.exp(2 * (lpo - l)) - diff * diff * inv2);
      }
      dMean[o + d]! += gm;
      dLogStd[d]! += gl;
    }
    dValues[r]! += valueSample(sums, values[r]!, s.returns[i]!, s.oldValues[i]!) * invN;
  }
  for (let d = 0; d < D; d++) dLogStd[d]! -= coef.entCoef;
  return finishTerms(sums, n, exactSum, entSum, coef.entCoef);
}
