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

/** The per-sample inputs of the loss (one entry per sample; `oldLogits` `[n, A]`, normalised log π_rollout). */
export interface LossSamples {
  /** Number of samples. */
  n: number;
  /** Row of the network output that sample i reads. */
  rowOf: Int32Array;
  actions: Int32Array;
  oldLogProb: Float32Array | Float64Array;
  advantages: Float32Array | Float64Array;
  returns: Float32Array | Float64Array;
  oldValues: Float32Array | Float64Array;
  oldLogits: Float32Array | Float64Array;
}

/** The scalar terms of one minibatch loss (the `StepScalars` of `ppoUpdateStep` before the step). */
export interface LossTerms {
  policyLoss: number;
  valueLoss: number;
  klPenalty: number;
  entropy: number;
  clipFraction: number;
  totalLoss: number;
  rolloutKlExact: number;
  rolloutKlK1: number;
  rolloutKlK3: number;
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
): LossTerms {
  const n = s.n;
  const invN = 1 / n;
  dLogits.fill(0, 0, rows * A);
  dValues.fill(0, 0, rows);
  const low = typeof coef.clip === 'number' ? coef.clip : coef.clip.low;
  const high = typeof coef.clip === 'number' ? coef.clip : coef.clip.high;
  const lo = 1 - low;
  const hi = 1 + high;
  const dual = coef.dualClip;
  const obj = coef.objective;
  const penalty = obj === 'kl-penalty' || obj === 'clip+kl';
  const est = coef.klEstimator;
  const beta = penalty ? coef.beta : 0;
  const ent = coef.entCoef;
  const vf = coef.vfCoef;
  const vc = coef.valueClip;
  let clipSum = 0;
  let surrSum = 0;
  let pgSum = 0;
  let outside = 0;
  let k1Sum = 0;
  let k3Sum = 0;
  let exactSum = 0;
  let entSum = 0;
  let vSum = 0;
  for (let i = 0; i < n; i++) {
    const r = s.rowOf[i]!;
    const o = r * A;
    const a = s.actions[i]!;
    const lp = logq[o + a]!;
    logProb[i] = lp;
    const old = s.oldLogProb[i]!;
    const adv = s.advantages[i]!;
    const logRatio = lp - old;
    const ratio = Math.exp(logRatio);
    // Clipped surrogate and d(objective)/d(ratio).
    const s1 = ratio * adv;
    const rc = ratio < lo ? lo : ratio > hi ? hi : ratio;
    const s2 = rc * adv;
    let ob: number;
    let dRatio: number;
    if (s1 <= s2) {
      ob = s1;
      dRatio = adv;
    } else {
      ob = s2;
      dRatio = ratio >= lo && ratio <= hi ? adv : 0;
    }
    if (dual !== null && adv < 0) {
      const floor = dual * adv;
      if (!(ob >= floor)) {
        ob = floor;
        dRatio = 0;
      }
    }
    clipSum += ob;
    surrSum += s1;
    pgSum += lp * adv;
    if (ratio < lo || ratio > hi) outside++;
    k1Sum += -logRatio;
    k3Sum += ratio - 1 - logRatio;
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
    entSum += H[r]!;
    // ∂L/∂log π(a|s) of this sample.
    let gLp: number;
    if (obj === 'clip' || obj === 'clip+kl') gLp = -dRatio * ratio * invN;
    else if (obj === 'pg') gLp = -adv * invN;
    else gLp = -adv * ratio * invN;
    if (penalty) {
      if (est === 'k1') gLp -= beta * invN;
      else if (est === 'k3') gLp += beta * (ratio - 1) * invN;
      else if (klPos) {
        const w = beta * invN;
        for (let j = 0; j < A; j++) {
          const p = Math.exp(s.oldLogits[i * A + j]!);
          if (p > 0) dLogits[o + j]! += w * (Math.exp(logq[o + j]!) * pSum - p);
        }
      }
    }
    const h = H[r]!;
    const we = ent * invN;
    for (let j = 0; j < A; j++) {
      const l = logq[o + j]!;
      const q = Math.exp(l);
      let d = gLp * ((j === a ? 1 : 0) - q);
      if (q > 0) d += we * q * (l + h);
      dLogits[o + j]! += d;
    }
    // Value loss.
    const v = values[r]!;
    const R = s.returns[i]!;
    const u = (v - R) * (v - R);
    let dv: number;
    if (vc === null) {
      vSum += u;
      dv = v - R;
    } else {
      const oldV = s.oldValues[i]!;
      const dvo = v - oldV;
      const vcl = oldV + (dvo < -vc ? -vc : dvo > vc ? vc : dvo);
      const cl = (vcl - R) * (vcl - R);
      if (u >= cl) {
        vSum += u;
        dv = v - R;
      } else {
        vSum += cl;
        dv = dvo >= -vc && dvo <= vc ? vcl - R : 0;
      }
    }
    dValues[r]! += vf * invN * dv;
  }
  const klMean = est === 'k1' ? k1Sum * invN : est === 'k3' ? k3Sum * invN : exactSum * invN;
  const klPenalty = penalty ? beta * klMean : 0;
  const clipLoss = -clipSum * invN;
  const policyLoss = obj === 'clip' || obj === 'clip+kl' ? clipLoss : obj === 'pg' ? -pgSum * invN : -surrSum * invN;
  const valueLoss = 0.5 * vSum * invN;
  const entropy = entSum * invN;
  return {
    policyLoss,
    valueLoss,
    klPenalty,
    entropy,
    clipFraction: outside * invN,
    totalLoss: policyLoss + klPenalty + vf * valueLoss - ent * entropy,
    rolloutKlExact: exactSum * invN,
    rolloutKlK1: k1Sum * invN,
    rolloutKlK3: k3Sum * invN,
  };
}
