/**
 * Diagonal-Gaussian MLP policy for box action spaces: an MLP mean head and a state-independent log-std vector
 * (CleanRL `ppo_continuous_action.py` `Agent.actor_logstd`), with a separate critic network.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';
import { DiagGaussian } from '../distributions/diag_gaussian.js';
import type { Rng } from '../random/rng.js';
import { encoderFor } from './encoders.js';
import {
  buildMlp,
  checkEncoded,
  checkRawObs,
  MlpNet,
  resolveMlpOptions,
  spaceSize,
  takePendingVariables,
  VariableSet,
  withVariables,
  type Activation,
} from './network.js';
import type { ActResult, BoxSpaceLike, ObsEncoder, Policy, PolicyWeight, SpaceLike } from './types.js';

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
export class GaussianMlpPolicy implements Policy {
  /** Always `'gaussian-mlp'`. */
  readonly kind = 'gaussian-mlp' as const;
  /** The observation space. */
  readonly obsSpace: SpaceLike;
  /** The box action space. */
  readonly actionSpace: BoxSpaceLike;
  /** One-hot or identity encoder for `obsSpace`. */
  readonly encoder: ObsEncoder;
  /** Whether `value` is available. */
  readonly hasCritic: boolean;
  /** Hidden widths. */
  readonly hidden: readonly number[];
  /** Hidden activation. */
  readonly activation: Activation;
  /** Action dimension D. */
  readonly actionDim: number;
  readonly #inDim: number;
  readonly #net: MlpNet;
  readonly #logStdIndex: number;
  readonly #logStd: Float64Array;
  readonly #std: Float64Array;
  #sumLogStd = 0;

  /**
   * @param opts See {@link GaussianMlpPolicyOptions}.
   * @throws ConfigError for a bad space, width, activation, `initLogStd` or missing `rng`.
   */
  constructor(opts: GaussianMlpPolicyOptions) {
    const fn = 'GaussianMlpPolicy';
    const from = takePendingVariables();
    const r = resolveMlpOptions(fn, opts, from === undefined);
    const as = opts.actionSpace as unknown as { kind?: unknown } | undefined;
    if (!as || as.kind !== 'box') throw new ConfigError({ fn, arg: 'actionSpace', expected: "a box space { kind: 'box', shape } (use MlpPolicy for discrete actions)", got: opts.actionSpace });
    const D = spaceSize(fn, 'actionSpace', opts.actionSpace);
    const initLogStd = opts.initLogStd ?? 0;
    assertFiniteNumber(fn, 'initLogStd', initLogStd);
    this.obsSpace = r.obsSpace;
    this.actionSpace = opts.actionSpace;
    this.encoder = encoderFor(r.obsSpace);
    this.hasCritic = r.critic;
    this.hidden = Object.freeze(r.hidden);
    this.activation = r.activation;
    this.actionDim = D;
    this.#inDim = r.inDim;
    const { specs, layout } = buildMlp({ inDim: r.inDim, outDim: D, hidden: r.hidden, shared: false, critic: r.critic, headGain: 0.01, rng: from ? null : opts.rng });
    this.#logStdIndex = specs.length;
    specs.push({ name: 'actor/log_std', shape: [D], values: new Float64Array(D).fill(initLogStd) });
    this.#net = new MlpNet(from ?? new VariableSet('gaussian', specs, true), layout, r.activation);
    this.#logStd = new Float64Array(D);
    this.#std = new Float64Array(D);
  }

  #options(): GaussianMlpPolicyOptions {
    // rng is not used when the constructor adopts copied variables (withVariables).
    return { obsSpace: this.obsSpace, actionSpace: this.actionSpace, hidden: this.hidden, activation: this.activation, critic: this.hasCritic } as GaussianMlpPolicyOptions;
  }

  #alive(fn: string): void {
    if (this.#net.vars.isDisposed) throw new ConfigError({ fn, arg: 'this', expected: 'a policy that has not been disposed', got: 'a disposed policy' });
  }

  /** False for a frozen copy. */
  get trainable(): boolean {
    return this.#net.vars.trainable;
  }

  /** Every kernel and bias plus `actor/log_std`; empty when frozen. */
  get trainableVariables(): tf.Variable[] {
    return this.#net.vars.trainable ? [...this.#net.vars.variables] : [];
  }

  /** Counts assignments to the variables (optimizer steps, `setWeights`). */
  get weightsVersion(): number {
    return this.#net.vars.version;
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
    this.#alive(fn);
    const x = checkEncoded(fn, obs, this.#inDim);
    const mean = tf.tidy(() => this.#net.forward(x, true, false).actor!);
    return DiagGaussian.create({ mean, logStd: this.#net.vars.variables[this.#logStdIndex]! });
  }

  /**
   * V_θ(s) on a batch of encoded observations.
   * @param obs Encoded float32 observations `[B, encoder.size]`.
   * @returns A new tensor `[B]`; caller disposes.
   * @throws ConfigError without a critic; ShapeError for a bad `obs`.
   * @example
   * ```ts
   * const v = policy.value(x);
   * ```
   */
  value(obs: tf.Tensor): tf.Tensor {
    const fn = 'GaussianMlpPolicy.value';
    this.#alive(fn);
    if (!this.hasCritic) throw new ConfigError({ fn, arg: 'this', expected: 'a policy with a critic (critic: true)', got: 'critic: false' });
    const x = checkEncoded(fn, obs, this.#inDim);
    return tf.tidy(() => this.#net.forward(x, false, true).critic!);
  }

  /**
   * Copy the weights into the float64 fast path now (`act` also does it by itself when `weightsVersion` changed).
   * @example
   * ```ts
   * optimizer.applyGradients(grads); policy.syncFastPath();
   * ```
   */
  syncFastPath(): void {
    this.#alive('GaussianMlpPolicy.syncFastPath');
    const data = this.#net.sync();
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
   * @returns `{ action: Float64Array(D), logProb, value }` (value `NaN` without a critic).
   * @throws ConfigError / ShapeError for a bad observation.
   * @example
   * ```ts
   * const { action } = policy.act([0, 0, 0], rng);
   * ```
   */
  act(obs: number | ArrayLike<number>, rng: Rng): ActResult {
    const o = checkRawObs('GaussianMlpPolicy.act', this.obsSpace, this.#inDim, obs);
    if (this.#net.stale || this.#net.vars.isDisposed) this.syncFastPath();
    const mu = this.#net.fast(o);
    const D = this.actionDim;
    const action = new Float64Array(D);
    let sq = 0;
    for (let d = 0; d < D; d++) {
      const eps = rng.normal();
      action[d] = mu[d]! + this.#std[d]! * eps;
      sq += eps * eps;
    }
    return { action, logProb: -0.5 * sq - this.#sumLogStd - D * HALF_LOG_2PI, value: this.#net.lastValue };
  }

  /**
   * The weights as JSON records (`actor/…`, `critic/…`, then `actor/log_std`), in a fixed order.
   * @returns New plain arrays.
   * @example
   * ```ts
   * const saved = JSON.stringify(policy.getWeights());
   * ```
   */
  getWeights(): PolicyWeight[] {
    this.#alive('GaussianMlpPolicy.getWeights');
    return this.#net.vars.getWeights();
  }

  /**
   * Replace the weights with records from {@link GaussianMlpPolicy.getWeights}; everything is checked before
   * anything is assigned.
   * @param weights The records (same names, order and shapes).
   * @throws CheckpointError for a non-array, a wrong count or name, or a non-number; ShapeError for a wrong shape.
   * @example
   * ```ts
   * policy.setWeights(JSON.parse(saved));
   * ```
   */
  setWeights(weights: readonly PolicyWeight[]): void {
    this.#net.vars.setWeights('GaussianMlpPolicy.setWeights', weights);
  }

  /**
   * A trainable deep copy with its own variables.
   * @returns A new policy; caller disposes.
   * @example
   * ```ts
   * const copy = policy.clone();
   * ```
   */
  clone(): GaussianMlpPolicy {
    this.#alive('GaussianMlpPolicy.clone');
    return withVariables(this.#net.vars.copy('gaussian', true), () => new GaussianMlpPolicy(this.#options()));
  }

  /**
   * A frozen copy (non-trainable variables, `trainableVariables` empty), e.g. π_ref.
   * @returns A new policy; caller disposes.
   * @example
   * ```ts
   * const ref = policy.freeze();
   * ```
   */
  freeze(): GaussianMlpPolicy {
    this.#alive('GaussianMlpPolicy.freeze');
    return withVariables(this.#net.vars.copy('gaussian', false), () => new GaussianMlpPolicy(this.#options()));
  }

  /**
   * Free every variable; later calls throw ConfigError. Disposing twice is a no-op.
   * @example
   * ```ts
   * policy.dispose();
   * ```
   */
  dispose(): void {
    this.#net.vars.dispose();
  }
}
