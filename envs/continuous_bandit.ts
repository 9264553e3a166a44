/**
 * A continuous-action bandit with a concave quadratic reward, whose optimum and KL-regularized optimum under a
 * Gaussian reference are known in closed form: the continuous counterpart of the Gaussian bandit, for testing
 * Gaussian policies and KL penalties exactly. Imports no tfjs.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import type { Rng } from '../src/random/rng.js';
import { checkBoxAction, EnvBase, nullableNumField, nullableVectorField } from './base.js';
import { Box, Discrete } from './spaces.js';
import type { ContinuousFrame, ResetResult, StepResult } from './types.js';

/** Largest action dimension d of a {@link ContinuousBandit}. */
export const MAX_CONTINUOUS_DIM = 1024;

/** Options of {@link ContinuousBandit}. */
export interface ContinuousBanditOptions {
  /** Action dimension d ≥ 1. @defaultValue 1, or the length of `optimum` */
  dim?: number;
  /** The optimal action a* ∈ ℝ^d (a number broadcasts). @defaultValue 1 in every coordinate */
  optimum?: number | readonly number[];
  /** σ ≥ 0, the standard deviation of the reward noise. @defaultValue 0.1 */
  std?: number;
}

/** A diagonal Gaussian N(mean, diag(std²)) over ℝ^d; `mean` and `std` may be numbers (broadcast to d). */
export interface DiagGaussian {
  /** μ, one per coordinate (a number broadcasts). */
  mean: number | ArrayLike<number>;
  /** σ > 0, one per coordinate (a number broadcasts). */
  std: number | ArrayLike<number>;
}

/** The KL-regularized optimum of a {@link ContinuousBandit} under a Gaussian reference. */
export interface KlRegularizedGaussianOptimum {
  /** μ*_i = (μ_ref,i/σ_ref,i² + a*_i·β⁻¹) / (1/σ_ref,i² + 1/β). */
  mean: Float64Array;
  /** σ*_i = (1/σ_ref,i² + 1/β)^(−1/2). */
  std: Float64Array;
  /** The optimal value J*_β = max_π E_π[r] − β·KL(π‖π_ref) = β·log E_{π_ref}[exp(r̄/β)] (r̄ the mean reward). */
  value: number;
}

function vec(
  fn: string,
  arg: string,
  x: unknown,
  d: number,
  check: (v: number) => boolean,
  expected: string,
): Float64Array {
  const out = new Float64Array(d);
  if (typeof x === 'number') {
    if (!check(x)) throw new EnvError({ fn, arg, expected, got: x });
    return out.fill(x);
  }
  const isArr = Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
  if (!isArr || !('length' in x) || x.length !== d)
    throw new EnvError({ fn, arg, expected: `a number or an array of ${d} numbers`, got: x });
  for (let i = 0; i < d; i++) {
    const v: unknown = x[i];
    if (typeof v !== 'number' || !check(v)) throw new EnvError({ fn, arg: `${arg}[${i}]`, expected, got: v });
    out[i] = v;
  }
  return out;
}

const finite = (v: number): boolean => Number.isFinite(v);
const isPositive = (v: number): boolean => Number.isFinite(v) && v > 0;

/**
 * A one-step continuous-action bandit: the agent picks a ∈ ℝ^d and gets
 *
 *   r(a) = −‖a − a*‖² / 2 + σ·ε,  ε ~ N(0, 1) (one normal draw from the env's Rng per step),
 *
 * then the episode terminates. The observation is the constant 0 (`Discrete(1)`, like a one-context bandit); the
 * action space is the unbounded `Box(−∞, ∞, [d])` (a Gaussian policy's samples are all valid actions).
 *
 * Closed forms (the reward is concave quadratic, so everything is Gaussian):
 * - optimum a*, optimal expected return max_a E[r(a)] = 0 ({@link ContinuousBandit.optimalReturn});
 * - a Gaussian policy N(μ, diag σ_π²) has E[r] = −(‖μ − a*‖² + Σ_i σ_π,i²)/2 ({@link ContinuousBandit.expectedReturn});
 * - for a Gaussian reference N(μ_ref, diag σ_ref²) and β > 0, the KL-regularized optimum
 *   π*_β = argmax_π E_π[r] − β·KL(π‖π_ref) ∝ π_ref·exp(r̄/β) is Gaussian with precision 1/σ_ref² + 1/β and mean
 *   (μ_ref/σ_ref² + a*·β⁻¹)/(1/σ_ref² + 1/β) per coordinate, and J*_β = β·log Z with
 *   Z = Π_i √(β/(β+σ_ref,i²))·exp(−(μ_ref,i − a*_i)²/(2(β+σ_ref,i²))) ({@link ContinuousBandit.klRegularizedOptimum}).
 *
 * Source: the Gibbs form of the KL-regularized optimum, Rafailov et al. 2023 (DPO, https://arxiv.org/abs/2305.18290)
 * eq. 4 and Korbak et al. 2022 (https://arxiv.org/abs/2205.11275); the product of Gaussians, Bishop, *Pattern
 * Recognition and Machine Learning* (2006) §2.3.3 / eq. 2.115.
 * @example
 * ```ts
 * const env = new ContinuousBandit({ optimum: [0.5] });
 * env.reset({ seed: 0 });
 * env.step([0.5]).reward;       // ~ N(0, 0.1²)
 * env.klRegularizedOptimum({ mean: 0, std: 1 }, 1); // mean 0.25, std √0.5
 * ```
 */
export class ContinuousBandit extends EnvBase<number, ArrayLike<number>> {
  /** Discrete(1): the constant observation 0. */
  readonly observationSpace = new Discrete(1);
  /** Box(−∞, ∞, [d]). */
  readonly actionSpace: Box;
  /** The action dimension d. */
  readonly dim: number;
  /** σ, the reward noise standard deviation. */
  readonly std: number;
  readonly #optimum: Float64Array;
  #lastAction: Float64Array | null = null;
  #lastReward: number | null = null;

  /**
   * @param options `{ dim?, optimum?, std? }`.
   * @throws EnvError for a dimension outside [1, 1024], a non-finite or mis-sized optimum, or σ < 0.
   */
  constructor(options: ContinuousBanditOptions = {}) {
    super('ContinuousBandit', 'continuous-bandit');
    const fn = 'ContinuousBandit';
    if (options === null || typeof options !== 'object')
      throw new EnvError({ fn, arg: 'options', expected: 'an object { dim?, optimum?, std? }', got: options });
    const opt = options.optimum;
    const dim = options.dim ?? (Array.isArray(opt) ? opt.length : 1);
    if (!Number.isSafeInteger(dim) || dim < 1 || dim > MAX_CONTINUOUS_DIM)
      throw new EnvError({ fn, arg: 'dim', expected: `an integer in [1, ${MAX_CONTINUOUS_DIM}]`, got: dim });
    const std = options.std ?? 0.1;
    if (typeof std !== 'number' || !Number.isFinite(std) || std < 0)
      throw new EnvError({ fn, arg: 'std', expected: 'a finite number ≥ 0', got: std });
    this.dim = dim;
    this.std = std;
    this.#optimum = vec(fn, 'optimum', opt ?? 1, dim, finite, 'a finite number');
    this.actionSpace = new Box(-Infinity, Infinity, [dim]);
  }

  /** The optimal action a* (a copy). */
  get optimalAction(): Float64Array {
    return Float64Array.from(this.#optimum);
  }

  /** max_a E[r(a)] = 0, reached at a = a*. */
  get optimalReturn(): number {
    return 0;
  }

  /**
   * The mean reward r̄(a) = −‖a − a*‖²/2 of an action.
   * @param action d finite numbers.
   * @returns r̄(a) ≤ 0.
   * @throws EnvError for a mis-sized or non-finite action.
   */
  meanReward(action: ArrayLike<number>): number {
    checkBoxAction('ContinuousBandit.meanReward', action, this.dim);
    return this.#meanReward(action);
  }

  #meanReward(a: ArrayLike<number>): number {
    let s = 0;
    for (let i = 0; i < this.dim; i++) {
      const e = a[i]! - this.#optimum[i]!;
      s += e * e;
    }
    return 0 - s / 2; // 0, not −0, at the optimum
  }

  /**
   * E_π[r] for a Gaussian policy π = N(μ, diag σ²): −(‖μ − a*‖² + Σ_i σ_i²)/2 (bias² plus variance).
   * @param policy `{ mean, std }` (numbers broadcast to d; std ≥ 0 here).
   * @returns The expected reward of one pull.
   * @throws EnvError for mis-sized or non-finite parameters or a negative std.
   */
  expectedReturn(policy: DiagGaussian): number {
    const fn = 'ContinuousBandit.expectedReturn';
    const p = policyParams(fn, 'policy', policy, this.dim, (v) => Number.isFinite(v) && v >= 0);
    let s = 0;
    for (let i = 0; i < this.dim; i++) {
      const e = p.mean[i]! - this.#optimum[i]!;
      s += e * e + p.std[i]! * p.std[i]!;
    }
    return 0 - s / 2; // 0, not −0, at the optimum
  }

  /**
   * The KL-regularized objective J_β(π) = E_π[r] − β·KL(π‖π_ref) of a Gaussian policy, in closed form:
   * KL(N(μ,σ²)‖N(μ_r,σ_r²)) = Σ_i log(σ_r,i/σ_i) + (σ_i² + (μ_i − μ_r,i)²)/(2σ_r,i²) − 1/2.
   * @param policy π = N(μ, diag σ²), σ > 0.
   * @param reference π_ref = N(μ_ref, diag σ_ref²), σ_ref > 0.
   * @param beta β > 0.
   * @returns J_β(π) (≤ {@link KlRegularizedGaussianOptimum.value}, with equality at π*_β).
   * @throws EnvError for bad parameters.
   */
  regularizedObjective(policy: DiagGaussian, reference: DiagGaussian, beta: number): number {
    const fn = 'ContinuousBandit.regularizedObjective';
    checkBeta(fn, beta);
    const p = policyParams(fn, 'policy', policy, this.dim, isPositive);
    const r = policyParams(fn, 'reference', reference, this.dim, isPositive);
    let kl = 0;
    for (let i = 0; i < this.dim; i++) {
      const s = p.std[i]!;
      const sr = r.std[i]!;
      const dm = p.mean[i]! - r.mean[i]!;
      kl += Math.log(sr / s) + (s * s + dm * dm) / (2 * sr * sr) - 0.5;
    }
    return this.expectedReturn(policy) - beta * kl;
  }

  /**
   * The KL-regularized optimum π*_β ∝ π_ref·exp(r̄/β) for a Gaussian reference: Gaussian, per coordinate with
   * precision 1/σ_ref² + 1/β and mean (μ_ref/σ_ref² + a*·β⁻¹)/(1/σ_ref² + 1/β); its value
   * J*_β = β·Σ_i [½·log(β/(β+σ_ref,i²)) − (μ_ref,i − a*_i)²/(2(β+σ_ref,i²))] (β·log of the Gaussian integral Z).
   * The reward noise does not change it (it has mean 0).
   * @param reference π_ref = N(μ_ref, diag σ_ref²), σ_ref > 0 (numbers broadcast).
   * @param beta β > 0.
   * @returns `{ mean, std, value }`.
   * @throws EnvError for a bad reference or β.
   * @example
   * ```ts
   * new ContinuousBandit({ optimum: 2 }).klRegularizedOptimum({ mean: 0, std: 1 }, 1); // mean [1], std [√½]
   * ```
   */
  klRegularizedOptimum(reference: DiagGaussian, beta: number): KlRegularizedGaussianOptimum {
    const fn = 'ContinuousBandit.klRegularizedOptimum';
    checkBeta(fn, beta);
    const r = policyParams(fn, 'reference', reference, this.dim, isPositive);
    const mean = new Float64Array(this.dim);
    const std = new Float64Array(this.dim);
    let value = 0;
    for (let i = 0; i < this.dim; i++) {
      const v = r.std[i]! * r.std[i]!;
      const prec = 1 / v + 1 / beta;
      mean[i] = (r.mean[i]! / v + this.#optimum[i]! / beta) / prec;
      std[i] = 1 / Math.sqrt(prec);
      const d = r.mean[i]! - this.#optimum[i]!;
      value += 0.5 * Math.log(beta / (beta + v)) - (d * d) / (2 * (beta + v));
    }
    return { mean, std, value: beta * value };
  }

  /** Actions are d finite numbers. */
  protected checkAction(fn: string, action: ArrayLike<number>): void {
    checkBoxAction(fn, action, this.dim);
  }

  /**
   * Start an episode (no draw: the observation is the constant 0).
   * @returns `{ obs: 0, info: {} }`.
   */
  protected resetState(): ResetResult<number> {
    return { obs: 0, info: {} };
  }

  /**
   * Pull: one normal draw ε, reward −‖a − a*‖²/2 + σ·ε; the episode terminates.
   * @returns `{ obs: 0, reward, terminated: true, truncated: false, info: { meanReward } }`.
   */
  protected stepState(action: ArrayLike<number>, rng: Rng): StepResult<number> {
    const mean = this.#meanReward(action);
    const reward = mean + this.std * rng.normal();
    this.#lastAction = Float64Array.from(action);
    this.#lastReward = reward;
    return { obs: 0, reward, terminated: true, truncated: false, info: { meanReward: mean } };
  }

  /** `{ lastAction, lastReward }` of the JSON snapshot. */
  protected saveState(): Record<string, unknown> {
    return { lastAction: this.#lastAction ? Array.from(this.#lastAction) : null, lastReward: this.#lastReward };
  }

  /** Restore `lastAction` and `lastReward`. */
  protected restoreState(fn: string, s: Record<string, unknown>): void {
    const lastAction = nullableVectorField(fn, s, 'lastAction', this.dim);
    const lastReward = nullableNumField(fn, s, 'lastReward');
    this.#lastAction = lastAction;
    this.#lastReward = lastReward;
  }

  /**
   * The target and the last pull as text.
   * @returns One line.
   */
  render(): string {
    const f = (v: ArrayLike<number>): string => `[${Array.from(v, (x) => x.toFixed(3)).join(', ')}]`;
    const last = this.#lastAction ? `  last ${f(this.#lastAction)} reward ${String(this.#lastReward)}` : '';
    return `optimum ${f(this.#optimum)}${last}\n`;
  }

  /**
   * The last pull as a point next to the optimum.
   * @returns A new {@link ContinuousFrame} (`position` = the last action).
   */
  renderFrame(): ContinuousFrame {
    const last = this.#lastAction ? Array.from(this.#lastAction) : null;
    return {
      kind: 'continuous',
      position: last,
      velocity: null,
      target: Array.from(this.#optimum),
      lastAction: last ? [...last] : null,
      lastReward: this.#lastReward,
    };
  }
}

function checkBeta(fn: string, beta: unknown): void {
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta <= 0)
    throw new EnvError({ fn, arg: 'beta', expected: 'a finite number > 0', got: beta });
}

function policyParams(
  fn: string,
  arg: string,
  g: unknown,
  d: number,
  stdOk: (v: number) => boolean,
): { mean: Float64Array; std: Float64Array } {
  if (g === null || typeof g !== 'object' || !('mean' in g) || !('std' in g))
    throw new EnvError({ fn, arg, expected: 'a Gaussian { mean, std }', got: g });
  return {
    mean: vec(fn, `${arg}.mean`, g.mean, d, finite, 'a finite number'),
    std: vec(fn, `${arg}.std`, g.std, d, stdOk, 'a finite number > 0 (≥ 0 for expectedReturn)'),
  };
}
