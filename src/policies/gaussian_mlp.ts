/**
 * Diagonal-Gaussian MLP policy for box action spaces: an MLP mean head and a state-independent log-std vector
 * (CleanRL `ppo_continuous_action.py` `Agent.actor_logstd`), with a separate critic network.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';
import { DiagGaussian } from '../distributions/diag_gaussian.js';
import { predictWith } from './predict.js';
import type { Rng } from '../random/rng.js';
import { MlpPolicyBase } from './mlp_base.js';
import {
  buildMlp,
  checkEncoded,
  checkRawObs,
  resolveMlpOptions,
  spaceSize,
  type Activation,
  type VariableSet,
} from './network.js';
import type { ActOptions, ActResult, BoxSpaceLike, Policy, SpaceLike, PredictOptions } from './types.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Options of {@link GaussianMlpPolicy}. */
export interface GaussianMlpPolicyOptions {
  /** Observation space (usually a box; a discrete space is one-hot encoded). */
  obsSpace: SpaceLike;
  /** Box action space; actions are flat vectors of D = Π shape numbers. */
  actionSpace: BoxSpaceLike;
  /**
   * Hidden layer widths of the mean network and of the critic.
   * @defaultValue [64, 64] (CleanRL `ppo_continuous_action.py`)
   */
  hidden?: readonly number[];
  /**
   * Hidden activation.
   * @defaultValue 'tanh' (CleanRL `ppo_continuous_action.py`)
   */
  activation?: Activation;
  /**
   * Initial value of every entry of log σ.
   * @defaultValue 0 (σ = 1; CleanRL `actor_logstd = nn.Parameter(torch.zeros(1, D))`)
   */
  initLogStd?: number;
  /**
   * Whether to build a critic V(s).
   * @defaultValue true
   */
  critic?: boolean;
  /** Stream for the initial weights. */
  rng: Rng;
}

/**
 * A diagonal Gaussian policy π_θ(a|s) = N(a; μ_θ(s), diag σ²) with σ = exp(logStd) independent of s, and a critic.
 *
 * μ_θ is an MLP (tanh, orthogonal init, gain √2 hidden and 0.01 on the mean head); the critic is a separate MLP
 * (gain 1 head), as CleanRL `ppo_continuous_action.py`. Actions are not clipped to the box (clip in the env, as
 * CleanRL's `ClipAction` wrapper does). Source: Schulman et al. (2017), PPO, https://arxiv.org/abs/1707.06347.
 * @example
 * ```ts
 * const policy = new GaussianMlpPolicy({ obsSpace: { kind: 'box', shape: [3] }, actionSpace: { kind: 'box', shape: [2] }, rng });
 * try { const { action } = policy.act([0.1, 0.2, 0.3], rng.fork('rollout')); } finally { policy.dispose(); }
 * ```
 */
export class GaussianMlpPolicy extends MlpPolicyBase<GaussianMlpPolicy> implements Policy {
  /** Always `'gaussian-mlp'`. */
  readonly kind = 'gaussian-mlp' as const;
  /** The box action space. */
  readonly actionSpace: BoxSpaceLike;
  /** Action dimension D. */
  readonly actionDim: number;
  readonly #logStdIndex: number;
  readonly #logStd: Float64Array;
  readonly #std: Float64Array;
  #sumLogStd = 0;

  /**
   * @param opts See {@link GaussianMlpPolicyOptions}.
   * @param adopt Internal: the copied variables `clone()`/`freeze()` pass (the options' `rng` is then unused).
   * @throws ConfigError for a bad space, width, activation, `initLogStd` or missing `rng`.
   */
  constructor(opts: GaussianMlpPolicyOptions, adopt?: VariableSet) {
    const fn = 'GaussianMlpPolicy';
    const from = adopt;
    const r = resolveMlpOptions(fn, opts, from === undefined);
    // Typed as a box space; an untyped caller may still pass a discrete space or nothing.
    const space: unknown = opts.actionSpace;
    if (space === null || typeof space !== 'object' || !('kind' in space) || space.kind !== 'box')
      throw new ConfigError({
        fn,
        arg: 'actionSpace',
        expected: "a box space { kind: 'box', shape } (use MlpPolicy for discrete actions)",
        got: opts.actionSpace,
      });
    const D = spaceSize(fn, 'actionSpace', opts.actionSpace);
    const initLogStd = opts.initLogStd ?? 0;
    assertFiniteNumber(fn, 'initLogStd', initLogStd);
    const { specs, layout } = buildMlp({
      inDim: r.inDim,
      outDim: D,
      hidden: r.hidden,
      shared: false,
      critic: r.critic,
      headGain: 0.01,
      rng: from ? null : opts.rng,
    });
    const logStdIndex = specs.length;
    specs.push({ name: 'actor/log_std', shape: [D], values: new Float64Array(D).fill(initLogStd) });
    super({ name: fn, prefix: 'gaussian', options: r, adopted: from, specs, layout });
    this.actionSpace = opts.actionSpace;
    this.actionDim = D;
    this.#logStdIndex = logStdIndex;
    this.#logStd = new Float64Array(D);
    this.#std = new Float64Array(D);
  }

  /**
   * A new `GaussianMlpPolicy` with the same options (adopts the variables passed by `clone`/`freeze`).
   * @returns The new policy.
   */
  protected override rebuild(vars: VariableSet): GaussianMlpPolicy {
    // rng is not used when the constructor adopts copied variables (clone/freeze); initLogStd is overwritten too.
    return new GaussianMlpPolicy(
      {
        obsSpace: this.obsSpace,
        actionSpace: this.actionSpace,
        hidden: this.hidden,
        activation: this.activation,
        critic: this.hasCritic,
      } as GaussianMlpPolicyOptions,
      vars,
    );
  }

  /**
   * π_θ(·|s) on a batch of encoded observations: N(μ_θ(obs), diag exp(logStd)²), logStd `[D]` broadcast over rows.
   * @param obs Encoded float32 observations `[B, encoder.size]`.
   * @returns A `DiagGaussian` view over a new mean `[B, D]` (owned by the caller's tidy) and the log-std variable.
   * @throws ShapeError for another shape or dtype.
   * @example
   * ```ts
   * const lp = tf.tidy(() => policy.distribution(x).logProb(actions)); // actions [B, D]
   * ```
   */
  distribution(obs: tf.Tensor): DiagGaussian {
    const fn = 'GaussianMlpPolicy.distribution';
    this.alive('distribution');
    const x = checkEncoded(fn, obs, this.inDim);
    const mean = tf.tidy(() => this.net.forward(x, true, false).actor!);
    return DiagGaussian.create({ mean, logStd: this.net.vars.variables[this.#logStdIndex]! });
  }

  /**
   * Copy the weights into the float64 fast path now (`act` also does it by itself when `weightsVersion` changed).
   * @example
   * ```ts
   * optimizer.applyGradients(grads); policy.syncFastPath();
   * ```
   */
  syncFastPath(): void {
    this.alive('syncFastPath');
    const data = this.net.sync();
    this.#logStd.set(data[this.#logStdIndex]!);
    let s = 0;
    for (let d = 0; d < this.actionDim; d++) {
      this.#std[d] = Math.exp(this.#logStd[d]!);
      s += this.#logStd[d]!;
    }
    this.#sumLogStd = s;
  }

  /**
   * Sample a = μ_θ(s) + σ ⊙ ε, ε_d ~ N(0, 1) from `rng.normal()`, in float64 JS without tensors;
   * log π(a|s) = Σ_d (−½ ε_d² − log σ_d − ½ log 2π).
   * @param obs A state index (discrete obs space) or `encoder.size` numbers (box).
   * @param rng The rollout stream (D normals).
   * @param opts `value: false` skips the critic (value NaN).
   * @returns `{ action: Float64Array(D), logProb, value }` (value `NaN` without a critic).
   * @throws ConfigError / ShapeError for a bad observation.
   * @example
   * ```ts
   * const { action } = policy.act([0, 0, 0], rng);
   * ```
   */
  act(obs: number | ArrayLike<number>, rng: Rng, opts?: ActOptions): ActResult {
    const o = checkRawObs('GaussianMlpPolicy.act', this.obsSpace, this.inDim, obs);
    if (this.net.stale || this.net.vars.isDisposed) this.syncFastPath();
    const mu = this.net.fast(o, opts?.value !== false);
    const D = this.actionDim;
    const action = new Float64Array(D);
    let sq = 0;
    for (let d = 0; d < D; d++) {
      const eps = rng.normal();
      action[d] = mu[d]! + this.#std[d]! * eps;
      sq += eps * eps;
    }
    return { action, logProb: -0.5 * sq - this.#sumLogStd - D * HALF_LOG_2PI, value: this.net.lastValue };
  }

  /** The mean action μ(obs) or a sample; see {@link Policy.predict}. */
  predict(obs: number | ArrayLike<number>, opts: PredictOptions): Float64Array {
    return predictWith(
      'GaussianMlpPolicy.predict',
      opts,
      () => {
        const o = checkRawObs('GaussianMlpPolicy.predict', this.obsSpace, this.inDim, obs);
        if (this.net.stale || this.net.vars.isDisposed) this.syncFastPath();
        return Float64Array.from(this.net.fast(o).subarray(0, this.actionDim));
      },
      (rng) => this.act(obs, rng).action,
    ) as Float64Array;
  }
}
