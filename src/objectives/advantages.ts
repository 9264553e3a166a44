/**
 * Advantage estimation on plain typed arrays (float64, no tfjs): GAE with truncation bootstrapping, Monte-Carlo
 * returns, advantage normalisation and GRPO's group-relative advantages.
 *
 * Layout: a time-major rollout of T steps × N envs, flat index k = t·N + i (`numEnvs` = N, default 1).
 * @module
 */
import { assertFiniteNumber, assertOneOf } from '../core/assert.js';
import { ConfigError, NumericError, ShapeError } from '../core/errors.js';

/** Flags per step: numbers (0/1), booleans, or a typed array such as `Uint8Array`. */
export type StepFlags = ArrayLike<number | boolean>;

/** Result of {@link gae}. */
export interface GaeResult {
  /** Â_t, time-major like the inputs. */
  advantages: Float64Array;
  /** λ-returns Â_t + V(s_t), the value targets. */
  returns: Float64Array;
}

/** Arguments of {@link gae}. All arrays have length T·N, index t·N + i. */
export interface GaeArgs {
  /** r_t, rewards received after acting at step t. */
  rewards: ArrayLike<number>;
  /** V(s_t), the critic's values of the states acted in. */
  values: ArrayLike<number>;
  /** 1 where the episode ended in a terminal state at step t (no bootstrapping). */
  terminated: StepFlags;
  /** 1 where the episode was cut by a time limit at step t (bootstrapped from `bootstrapValues`). */
  truncated: StepFlags;
  /**
   * V(s′) of the true next state where it is not the following row's state: at truncated steps (the value of the final
   * observation) and at t = T−1 (the value of the observation after the rollout). Other entries are ignored but must be finite.
   */
  bootstrapValues: ArrayLike<number>;
  /** Discount γ ∈ [0, 1]. @defaultValue none; 0.99 is CleanRL/SB3's */
  gamma: number;
  /** GAE λ ∈ [0, 1]. @defaultValue none; 0.95 is CleanRL/SB3's */
  lambda: number;
  /** Number of parallel envs N. @defaultValue 1 */
  numEnvs?: number;
}

/** Arguments of {@link discountedReturns}; the same layout and cut rules as {@link gae}. */
export interface DiscountedReturnsArgs {
  /** r_t, length T·N. */
  rewards: ArrayLike<number>;
  /** 1 where the episode terminated at step t. */
  terminated: StepFlags;
  /** 1 where the episode was truncated at step t. */
  truncated: StepFlags;
  /** V(s′) at truncated steps and at t = T−1 (see {@link GaeArgs.bootstrapValues}). @defaultValue none: bootstrap 0 */
  bootstrapValues?: ArrayLike<number>;
  /** Discount γ ∈ [0, 1]. */
  gamma: number;
  /** Number of parallel envs N. @defaultValue 1 */
  numEnvs?: number;
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as { length?: unknown }).length === 'number';
}

/** Check the rollout layout and return [T, N]. */
function layout(fn: string, rewards: unknown, numEnvs: unknown): [number, number] {
  if (!isArrayLike(rewards))
    throw new ShapeError({ fn, arg: 'rewards', expected: 'an array of numbers of length T·N', got: rewards });
  const N = numEnvs === undefined ? 1 : numEnvs;
  assertFiniteNumber(fn, 'numEnvs', N, { min: 1, integer: true });
  if (rewards.length === 0 || rewards.length % N !== 0) {
    throw new ShapeError({
      fn,
      arg: 'rewards',
      expected: `of length T·N with an integer T ≥ 1 (N = ${N})`,
      got: `length ${rewards.length}`,
    });
  }
  return [rewards.length / N, N];
}

function checkNumbers(fn: string, arg: string, x: unknown, length: number): asserts x is ArrayLike<number> {
  if (!isArrayLike(x)) throw new ShapeError({ fn, arg, expected: `an array of ${length} numbers`, got: x });
  if (x.length !== length)
    throw new ShapeError({ fn, arg, expected: `of length T·N = ${length}`, got: `length ${x.length}` });
  for (let k = 0; k < length; k++) {
    const v = x[k];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new NumericError({ fn, arg: `${arg}[${k}]`, expected: 'a finite number', got: v });
  }
}

function checkFlags(fn: string, arg: string, x: unknown, length: number): asserts x is StepFlags {
  if (!isArrayLike(x))
    throw new ShapeError({ fn, arg, expected: `an array of ${length} flags (0/1 or booleans)`, got: x });
  if (x.length !== length)
    throw new ShapeError({ fn, arg, expected: `of length T·N = ${length}`, got: `length ${x.length}` });
  for (let k = 0; k < length; k++) {
    const v = x[k];
    if (!(v === 0 || v === 1 || v === true || v === false)) {
      throw new ConfigError({ fn, arg: `${arg}[${k}]`, expected: '0, 1, true or false', got: v });
    }
  }
}

/**
 * Generalized Advantage Estimation with the Gymnasium terminated/truncated split.
 *
 * next_t = 0 if terminated_t; bootstrapValues_t if truncated_t or t = T−1; else V(s_{t+1})
 * δ_t = r_t + γ·next_t − V(s_t)
 * A_t = δ_t + γλ·(1 − terminated_t)(1 − truncated_t)·A_{t+1}   (A_T = 0),   returns R_t = A_t + V(s_t)
 *
 * Unlike CleanRL `ppo.py` (which treats truncation as termination), a time-limit cut bootstraps from the value of the
 * final observation (Pardo et al. 2018, https://arxiv.org/abs/1712.00378; SB3 `on_policy_algorithm.py` does the same
 * through the reward). When both flags are set, termination wins.
 *
 * Source: Schulman et al. 2016, "High-Dimensional Continuous Control Using Generalized Advantage Estimation"
 * (https://arxiv.org/abs/1506.02438) eq. 16; SB3 `buffers.py` `compute_returns_and_advantage`.
 *
 * @param args see {@link GaeArgs}; every array has length T·N, time-major.
 * @returns `{ advantages, returns }`, new `Float64Array`s of length T·N.
 * @throws ShapeError for wrong lengths; NumericError naming the index of a NaN/±Infinity (or when inputs near the float64
 *   limit overflow the sums); ConfigError for γ or λ outside [0, 1], a bad `numEnvs` or a flag that is not 0/1.
 * @example
 * ```ts
 * const { advantages, returns } = gae({
 *   rewards: [0, 1], values: [0.5, 0.6], terminated: [0, 1], truncated: [0, 0],
 *   bootstrapValues: [0, 0], gamma: 0.99, lambda: 0.95,
 * });
 * ```
 */
export function gae(args: GaeArgs): GaeResult {
  const fn = 'gae';
  if (args === null || typeof args !== 'object') {
    throw new ConfigError({
      fn,
      arg: 'args',
      expected: 'an object { rewards, values, terminated, truncated, bootstrapValues, gamma, lambda, numEnvs? }',
      got: args,
    });
  }
  const { rewards, values, terminated, truncated, bootstrapValues, gamma, lambda } = args;
  const [T, N] = layout(fn, rewards, args.numEnvs);
  const n = T * N;
  checkNumbers(fn, 'rewards', rewards, n);
  checkNumbers(fn, 'values', values, n);
  checkFlags(fn, 'terminated', terminated, n);
  checkFlags(fn, 'truncated', truncated, n);
  checkNumbers(fn, 'bootstrapValues', bootstrapValues, n);
  assertFiniteNumber(fn, 'gamma', gamma, { min: 0, max: 1 });
  assertFiniteNumber(fn, 'lambda', lambda, { min: 0, max: 1 });
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);
  for (let i = 0; i < N; i++) {
    let next = 0; // A_{t+1}
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      const term = Boolean(terminated[k]);
      const trunc = Boolean(truncated[k]);
      const nextValue = term ? 0 : trunc || t === T - 1 ? bootstrapValues[k]! : values[k + N]!;
      const delta = rewards[k]! + gamma * nextValue - values[k]!;
      const carry = term || trunc || t === T - 1 ? 0 : next;
      next = delta + gamma * lambda * carry;
      advantages[k] = next;
      returns[k] = next + values[k]!;
    }
  }
  checkOverflow(fn, advantages);
  checkOverflow(fn, returns);
  return { advantages, returns };
}

/**
 * Discounted Monte-Carlo returns with the same cut rules as {@link gae}.
 *
 * G_t = r_t + γ·next_t,  next_t = 0 if terminated_t; bootstrapValues_t (or 0 without them) if truncated_t or t = T−1;
 * else G_{t+1}
 *
 * With λ = 1, `gae(...).advantages` equals `discountedReturns(...) − values` (same bootstrap values).
 * Source: Sutton & Barto 2018, *Reinforcement Learning: An Introduction*, eq. 3.8; SB3 `buffers.py`.
 *
 * @param args see {@link DiscountedReturnsArgs}; every array has length T·N, time-major.
 * @returns a new `Float64Array` of length T·N.
 * @throws as {@link gae}.
 * @example
 * ```ts
 * discountedReturns({ rewards: [1, 1], terminated: [0, 1], truncated: [0, 0], gamma: 0.5 }); // [1.5, 1]
 * ```
 */
export function discountedReturns(args: DiscountedReturnsArgs): Float64Array {
  const fn = 'discountedReturns';
  if (args === null || typeof args !== 'object') {
    throw new ConfigError({
      fn,
      arg: 'args',
      expected: 'an object { rewards, terminated, truncated, bootstrapValues?, gamma, numEnvs? }',
      got: args,
    });
  }
  const { rewards, terminated, truncated, bootstrapValues, gamma } = args;
  const [T, N] = layout(fn, rewards, args.numEnvs);
  const n = T * N;
  checkNumbers(fn, 'rewards', rewards, n);
  checkFlags(fn, 'terminated', terminated, n);
  checkFlags(fn, 'truncated', truncated, n);
  if (bootstrapValues !== undefined) checkNumbers(fn, 'bootstrapValues', bootstrapValues, n);
  assertFiniteNumber(fn, 'gamma', gamma, { min: 0, max: 1 });
  const out = new Float64Array(n);
  for (let i = 0; i < N; i++) {
    let g = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      const next = terminated[k] ? 0 : truncated[k] || t === T - 1 ? (bootstrapValues?.[k] ?? 0) : g;
      g = rewards[k]! + gamma * next;
      out[k] = g;
    }
  }
  checkOverflow(fn, out);
  return out;
}

/** Finite inputs near the float64 limit (|x| ≈ 1e308) can overflow in the sums: refuse rather than return ±∞/NaN. */
function checkOverflow(fn: string, out: Float64Array, arg = 'rewards'): void {
  for (let k = 0; k < out.length; k++) {
    if (!Number.isFinite(out[k])) {
      throw new NumericError({
        fn,
        arg,
        expected: 'of a magnitude whose sums stay finite in float64',
        got: `an overflow at index ${k}`,
      });
    }
  }
}

/** Options of {@link normalizeAdvantages}. */
export interface NormalizeAdvantagesOptions {
  /** Added to the std before dividing. @defaultValue 1e-8 (CleanRL `ppo.py` `norm_adv`) */
  eps?: number;
}

/**
 * Normalise advantages to zero mean and unit (unbiased) standard deviation.
 *
 * Â_i = (A_i − mean(A)) / (std(A) + ε),  std with the n − 1 denominator as `torch.Tensor.std()`
 *
 * Apply per batch or per minibatch (CleanRL normalises per minibatch). A single element has no sample std; it is
 * taken as 0, so the result is 0. Source: CleanRL `ppo.py` (`norm_adv`); SB3 `ppo.py` (`normalize_advantage`).
 *
 * @param advantages A, any length.
 * @param opts.eps ε > 0.
 * @returns a new `Float64Array`.
 * @throws NumericError naming the index of a NaN/±Infinity (or an overflow of inputs near the float64 limit);
 *   ConfigError for ε ≤ 0.
 * @example
 * ```ts
 * normalizeAdvantages([1, 2, 3]); // [-1, 0, 1] (std = 1)
 * ```
 */
export function normalizeAdvantages(
  advantages: ArrayLike<number>,
  opts: NormalizeAdvantagesOptions = {},
): Float64Array {
  const fn = 'normalizeAdvantages';
  const eps = opts.eps ?? 1e-8;
  assertFiniteNumber(fn, 'eps', eps, { min: 0, minExclusive: true });
  if (!isArrayLike(advantages))
    throw new ShapeError({ fn, arg: 'advantages', expected: 'an array of numbers', got: advantages });
  const n = advantages.length;
  checkNumbers(fn, 'advantages', advantages, n);
  const out = new Float64Array(n);
  if (n === 0) return out;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += advantages[k]!;
  mean /= n;
  let ss = 0;
  for (let k = 0; k < n; k++) ss += (advantages[k]! - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  for (let k = 0; k < n; k++) out[k] = (advantages[k]! - mean) / (std + eps);
  checkOverflow(fn, out, 'advantages');
  return out;
}

/** How {@link groupRelativeAdvantages} scales the centred rewards. */
export type GroupScale = 'group' | 'batch' | 'none';
/** The allowed `scale` values. */
export const GROUP_SCALES: readonly GroupScale[] = Object.freeze(['group', 'batch', 'none'] as const);

/** Options of {@link groupRelativeAdvantages}. */
export interface GroupRelativeOptions {
  /** Completions per prompt G; `rewards.length` must be a multiple of it (groups are consecutive). */
  groupSize: number;
  /** `group`: divide by the group std; `batch`: by the std of the whole batch; `none`: no division. @defaultValue 'group' (TRL `scale_rewards`) */
  scale?: GroupScale;
  /** Added to the std. @defaultValue 1e-4 (TRL `grpo_trainer.py`) */
  eps?: number;
}

/**
 * GRPO's group-relative advantages: each reward centred on its group's mean, optionally scaled.
 *
 * Â_i = (r_i − mean_{g(i)}(r)) / (std + ε),  std = std_{g(i)}(r) (`group`), std(r) over the batch (`batch`), or no division (`none`);
 * stds are unbiased (n − 1, `torch.Tensor.std()`); a group of one has std 0.
 *
 * Source: Shao et al. 2024, DeepSeekMath (https://arxiv.org/abs/2402.03300) §4.1.2; TRL `trainer/grpo_trainer.py`
 * (`scale_rewards`).
 *
 * @param rewards one scalar reward per completion, consecutive groups of `groupSize`.
 * @param opts see {@link GroupRelativeOptions}.
 * @returns a new `Float64Array` of the same length.
 * @throws ShapeError when the length is not a positive multiple of `groupSize`; NumericError for NaN/±Infinity (or an overflow of inputs near
 *   the float64 limit); ConfigError for bad options.
 * @example
 * ```ts
 * groupRelativeAdvantages([1, 0, 0, 1], { groupSize: 2, scale: 'none' }); // [0.5, -0.5, -0.5, 0.5]
 * ```
 */
export function groupRelativeAdvantages(rewards: ArrayLike<number>, opts: GroupRelativeOptions): Float64Array {
  const fn = 'groupRelativeAdvantages';
  if (opts === null || typeof opts !== 'object')
    throw new ConfigError({ fn, arg: 'opts', expected: 'an object { groupSize, scale?, eps? }', got: opts });
  const { groupSize } = opts;
  const scale = opts.scale ?? 'group';
  const eps = opts.eps ?? 1e-4;
  assertFiniteNumber(fn, 'groupSize', groupSize, { min: 1, integer: true });
  assertOneOf(fn, 'scale', scale, GROUP_SCALES);
  assertFiniteNumber(fn, 'eps', eps, { min: 0, minExclusive: true });
  if (!isArrayLike(rewards))
    throw new ShapeError({ fn, arg: 'rewards', expected: 'an array of numbers', got: rewards });
  const n = rewards.length;
  if (n === 0 || n % groupSize !== 0) {
    throw new ShapeError({
      fn,
      arg: 'rewards',
      expected: `of a positive length that is a multiple of groupSize (${groupSize})`,
      got: `length ${n}`,
    });
  }
  checkNumbers(fn, 'rewards', rewards, n);
  const std = (from: number, to: number): number => {
    const m = to - from;
    if (m < 2) return 0;
    let mu = 0;
    for (let k = from; k < to; k++) mu += rewards[k]!;
    mu /= m;
    let ss = 0;
    for (let k = from; k < to; k++) ss += (rewards[k]! - mu) ** 2;
    return Math.sqrt(ss / (m - 1));
  };
  const batchStd = scale === 'batch' ? std(0, n) : 0;
  const out = new Float64Array(n);
  for (let g = 0; g < n; g += groupSize) {
    let mu = 0;
    for (let k = g; k < g + groupSize; k++) mu += rewards[k]!;
    mu /= groupSize;
    const denom = scale === 'none' ? 1 : (scale === 'batch' ? batchStd : std(g, g + groupSize)) + eps;
    for (let k = g; k < g + groupSize; k++) out[k] = (rewards[k]! - mu) / denom;
  }
  checkOverflow(fn, out);
  return out;
}
