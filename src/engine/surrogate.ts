/**
 * The per-sample parts of the `ppoUpdateStep` loss (`src/training/update.ts`) that do not depend on the action
 * distribution: the policy objective as a function of log π(a|s) (clip with the dual clip, pg, kl-penalty
 * surrogate, the k1/k3 penalty), the value loss as a function of V(s), and the diagnostics. Shared by the categorical
 * and Gaussian heads of the fused engine.
 *
 * With r = exp(log π − log π_old): clip objective min(r·Â, clip(r, 1−low, 1+high)·Â), floored at c·Â for Â < 0
 * (Schulman et al. 2017 eq. 7; Ye et al. 2020); pg −log π·Â (Williams 1992); kl-penalty −r·Â + β·KL (Schulman et al.
 * 2017 §4) with k1 = log π_old − log π or k3 = (r − 1) − log r (Schulman 2020, "Approximating KL Divergence"); value
 * ½(V − R)² or ½·max((V − R)², (V_old + clip(V − V_old, ±c) − R)²) (CleanRL `ppo.py`). Gradients follow the tfjs
 * kernels at ties: `minimum` → first argument when a ≤ b, `maximum` → first when a ≥ b, `clipByValue` inside the
 * closed range.
 * @module
 */
import type { StepCoefficients } from '../training/update.js';

/** The coefficients unpacked once per step, and the running sums of one minibatch. */
export class SurrogateSums {
  lo = 0;
  hi = 0;
  dual: number | null = null;
  objective: StepCoefficients['objective'] = 'clip';
  penalty = false;
  estimator: StepCoefficients['klEstimator'] = 'k3';
  beta = 0;
  vfCoef = 0;
  valueClip: number | null = null;
  clip = 0;
  surr = 0;
  pg = 0;
  outside = 0;
  k1 = 0;
  k3 = 0;
  value = 0;

  /** Reset the sums and unpack `coef`. */
  reset(coef: StepCoefficients): void {
    const low = typeof coef.clip === 'number' ? coef.clip : coef.clip.low;
    const high = typeof coef.clip === 'number' ? coef.clip : coef.clip.high;
    this.lo = 1 - low;
    this.hi = 1 + high;
    this.dual = coef.dualClip;
    this.objective = coef.objective;
    this.penalty = coef.objective === 'kl-penalty' || coef.objective === 'clip+kl';
    this.estimator = coef.klEstimator;
    this.beta = this.penalty ? coef.beta : 0;
    this.vfCoef = coef.vfCoef;
    this.valueClip = coef.valueClip;
    this.clip = 0;
    this.surr = 0;
    this.pg = 0;
    this.outside = 0;
    this.k1 = 0;
    this.k3 = 0;
    this.value = 0;
  }
}

/**
 * Add one sample's policy terms to the sums and return ∂L/∂log π(a|s) times n (the caller divides by n), without
 * the exact-KL penalty (which depends on the whole distribution and is added by the head).
 */
export function surrogateSample(t: SurrogateSums, lp: number, old: number, adv: number): number {
  const logRatio = lp - old;
  const ratio = Math.exp(logRatio);
  const s1 = ratio * adv;
  const rc = ratio < t.lo ? t.lo : ratio > t.hi ? t.hi : ratio;
  const s2 = rc * adv;
  let ob: number;
  let dRatio: number;
  if (s1 <= s2) {
    ob = s1;
    dRatio = adv;
  } else {
    ob = s2;
    dRatio = ratio >= t.lo && ratio <= t.hi ? adv : 0;
  }
  if (t.dual !== null && adv < 0) {
    const floor = t.dual * adv;
    if (!(ob >= floor)) {
      ob = floor;
      dRatio = 0;
    }
  }
  t.clip += ob;
  t.surr += s1;
  t.pg += lp * adv;
  if (ratio < t.lo || ratio > t.hi) t.outside++;
  t.k1 -= logRatio;
  t.k3 += ratio - 1 - logRatio;
  const obj = t.objective;
  let g = obj === 'clip' || obj === 'clip+kl' ? -dRatio * ratio : obj === 'pg' ? -adv : -adv * ratio;
  if (t.penalty) {
    if (t.estimator === 'k1') g -= t.beta;
    else if (t.estimator === 'k3') g += t.beta * (ratio - 1);
  }
  return g;
}

/** Add one sample's value loss to the sums and return ∂(vfCoef·½(…)²)/∂V times n (the caller divides by n). */
export function valueSample(t: SurrogateSums, v: number, R: number, oldV: number): number {
  const u = (v - R) * (v - R);
  const c = t.valueClip;
  if (c === null) {
    t.value += u;
    return t.vfCoef * (v - R);
  }
  const d = v - oldV;
  const vcl = oldV + (d < -c ? -c : d > c ? c : d);
  const cl = (vcl - R) * (vcl - R);
  if (u >= cl) {
    t.value += u;
    return t.vfCoef * (v - R);
  }
  t.value += cl;
  return d >= -c && d <= c ? t.vfCoef * (vcl - R) : 0;
}

/** The scalar terms of one minibatch loss (the `StepScalars` of `ppoUpdateStep` before the step). */
export interface LossTerms {
  /** Policy loss (clip, pg or kl-penalty surrogate). */
  policyLoss: number;
  /** ½·mean of the (clipped) squared value error. */
  valueLoss: number;
  /** β·mean KL(π_old‖π_θ) (0 without a KL term). */
  klPenalty: number;
  /** Mean entropy of π_θ(·|s). */
  entropy: number;
  /** Fraction of ratios outside [1 − low, 1 + high]. */
  clipFraction: number;
  /** policy + β·KL + vfCoef·value − entCoef·entropy. */
  totalLoss: number;
  /** Pre-step exact KL(π_rollout‖π_θ), mean over samples. */
  rolloutKlExact: number;
  /** Pre-step k1 estimate of KL(π_rollout‖π_θ). */
  rolloutKlK1: number;
  /** Pre-step k3 estimate of KL(π_rollout‖π_θ). */
  rolloutKlK3: number;
}

/**
 * The scalar terms from the sums: total = policy + β·KL̄ + vfCoef·value − entCoef·entropy.
 * @param exactSum Σ of the per-sample exact KL(π_old‖π_θ) (each clamped at 0).
 * @param entSum Σ of the per-sample entropies.
 */
export function finishTerms(t: SurrogateSums, n: number, exactSum: number, entSum: number, entCoef: number): LossTerms {
  const inv = 1 / n;
  const klMean = t.estimator === 'k1' ? t.k1 * inv : t.estimator === 'k3' ? t.k3 * inv : exactSum * inv;
  const klPenalty = t.penalty ? t.beta * klMean : 0;
  const obj = t.objective;
  const policyLoss = obj === 'clip' || obj === 'clip+kl' ? -t.clip * inv : obj === 'pg' ? -t.pg * inv : -t.surr * inv;
  const valueLoss = 0.5 * t.value * inv;
  const entropy = entSum * inv;
  return {
    policyLoss,
    valueLoss,
    klPenalty,
    entropy,
    clipFraction: t.outside * inv,
    totalLoss: policyLoss + klPenalty + t.vfCoef * valueLoss - entCoef * entropy,
    rolloutKlExact: exactSum * inv,
    rolloutKlK1: t.k1 * inv,
    rolloutKlK3: t.k3 * inv,
  };
}
