/**
 * The total PPO loss of `ppoUpdateStep` (`src/training/update.ts`) for a categorical head, evaluated on typed arrays
 * together with its gradient with respect to the network outputs (logits and values). Samples point at rows
 * (`rowOf`), so several samples of the same state share one row of logits and their gradients add up in it.
 *
 * With q = softmax(z) of a row, log π(a|s) = z_a − logsumexp(z), r = exp(log π − log π_old), Â the advantages:
 * - clip (Schulman et al. 2017 eq. 7; dual clip Ye et al. 2020): L_clip = −mean(max_{Â<0}(min(r·Â, clip(r)·Â), c·Â));
 * - pg (Williams 1992): −mean(log π·Â); kl-penalty (Schulman et al. 2017 §4): −mean(r·Â) + β·KL̄;
 *   clip+kl: L_clip + β·KL̄, KL̄ = mean of the exact KL(π_old‖π_θ) (clamped at 0, as `Categorical.kl`), of
 *   k1 = log π_old − log π, or of k3 = (r − 1) − log r (Schulman 2020, "Approximating KL Divergence");
 * - value (CleanRL `ppo.py`): ½·mean((V − R)²) or ½·mean(max((V − R)², (V_old + clip(V − V_old, ±c) − R)²));
 * - entropy bonus (Mnih et al. 2016): −entCoef·mean H(π(·|s)).
 * Total = policy + β·KL̄ + vfCoef·value − entCoef·entropy. Gradients follow the tfjs kernels' conventions at ties
 * (`minimum` passes to its first argument when a ≤ b, `maximum` when a ≥ b, `clipByValue` inside the closed range,
 * `relu` only for x > 0), so the fused gradient equals the tfjs one, not just almost everywhere.
 * Partial derivatives used: ∂log π_a/∂z_j = [j = a] − q_j; ∂H/∂z_j = −q_j(log q_j + H); ∂KL(p‖q)/∂z_j = q_j·Σp − p_j.
 * @module
 */
import type { StepCoefficients } from '../training/update.js';
import { finishTerms, type LossTerms, type SurrogateSums, surrogateSample, valueSample } from './surrogate.js';

/** The per-sample inputs of the loss (one entry per sample; `oldLogits` `[n, A]`, normalised log π_rollout). */
export interface LossSamples {
  /** Number of samples. */
  n: number;
  /** Row of the network output that sample i reads. */
  rowOf: Int32Array;
  /** Actions per sample. */
  actions: Int32Array;
  /** log π_rollout(a|s) per sample. */
  oldLogProb: Float32Array | Float64Array;
  /** Advantages per sample. */
  advantages: Float32Array | Float64Array;
  /** λ-returns per sample. */
  returns: Float32Array | Float64Array;
  /** V_rollout(s) per sample. */
  oldValues: Float32Array | Float64Array;
  /** Normalised log π_rollout `[n, A]`. */
  oldLogits: Float32Array | Float64Array;
}

/**
 * Row-wise log-softmax: logq[r] = z[r] − max − log Σ exp(z[r] − max) (the stable form of `tf.logSoftmax`), and the
 * entropy H[r] = −Σ_{q>0} q log q.
 */
export function logSoftmaxRows(rows: number, A: number, z: Float64Array, logq: Float64Array, H: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * A;
    let max = -Infinity;
    for (let a = 0; a < A; a++) if (z[o + a]! > max) max = z[o + a]!;
    let sum = 0;
    for (let a = 0; a < A; a++) sum += Math.exp(z[o + a]! - max);
    const lse = max + Math.log(sum);
    let h = 0;
    for (let a = 0; a < A; a++) {
      const l = z[o + a]! - lse;
      logq[o + a] = l;
      const q = Math.exp(l);
      if (q > 0) h -= q * l;
    }
    H[r] = h;
  }
}

/**
 * Evaluate the loss of `ppoUpdateStep` and its gradient with respect to the outputs.
 * @param rows Number of distinct output rows.
 * @param A Number of actions.
 * @param logq Normalised log-probabilities per row `[rows, A]` ({@link logSoftmaxRows}).
 * @param H Entropy per row.
 * @param values V(row) `[rows]`.
 * @param s The samples.
 * @param coef The step coefficients (objective, clip, dual clip, β and estimator, entCoef, vfCoef, value clip).
 * @param dLogits Output: ∂L/∂z `[rows, A]` (overwritten).
 * @param dValues Output: ∂L/∂V `[rows]` (overwritten).
 * @param logProb Output: log π(a_i|s_i) per sample.
 * @param sums Scratch sums (reset here).
 * @returns The scalar terms.
 */
export function categoricalPpoLoss(
  rows: number,
  A: number,
  logq: Float64Array,
  H: Float64Array,
  values: Float64Array,
  s: LossSamples,
  coef: StepCoefficients,
  dLogits: Float64Array,
  dValues: Float64Array,
  logProb: Float64Array,
  sums: SurrogateSums,
): LossTerms {
  const n = s.n;
  const invN = 1 / n;
  dLogits.fill(0, 0, rows * A);
  dValues.fill(0, 0, rows);
  sums.reset(coef);
  const exactKl = sums.penalty && coef.klEstimator === 'exact';
  const beta = sums.beta;
  const we = coef.entCoef * invN;
  let exactSum = 0;
  let entSum = 0;
  for (let i = 0; i < n; i++) {
    const r = s.rowOf[i]!;
    const o = r * A;
    const a = s.actions[i]!;
    const lp = logq[o + a]!;
    logProb[i] = lp;
    const gLp = surrogateSample(sums, lp, s.oldLogProb[i]!, s.advantages[i]!) * invN;
    // Exact KL(π_old‖π_θ) of this sample's state.
    let kl = 0;
    let pSum = 0;
    for (let j = 0; j < A; j++) {
      const ol = s.oldLogits[i * A + j]!;
      const p = Math.exp(ol);
      if (p > 0) {
        kl += p * (ol - logq[o + j]!);
        pSum += p;
      }
    }
    const klPos = kl > 0;
    exactSum += klPos ? kl : 0;
    if (exactKl && klPos) {
      const w = beta * invN;
      for (let j = 0; j < A; j++) {
        const p = Math.exp(s.oldLogits[i * A + j]!);
        if (p > 0) dLogits[o + j]! += w * (Math.exp(logq[o + j]!) * pSum - p);
      }
    }
    const h = H[r]!;
    entSum += h;
    for (let j = 0; j < A; j++) {
      const l = logq[o + j]!;
      const q = Math.exp(l);
      let d = gLp * ((j === a ? 1 : 0) - q);
      if (q > 0) d += we * q * (l + h);
      dLogits[o + j]! += d;
    }
    dValues[r]! += valueSample(sums, values[r]!, s.returns[i]!, s.oldValues[i]!) * invN;
  }
  return finishTerms(sums, n, exactSum, entSum, coef.entCoef);
}
