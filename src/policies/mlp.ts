/**
 * Categorical MLP policy with a critic: separate actor and critic networks (CleanRL `ppo.py` `Agent`) or a shared
 * torso with two heads; seeded orthogonal initialisation; a plain-JS fast path for single-observation `act`.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { Categorical } from '../distributions/categorical.js';
import type { Rng } from '../random/rng.js';
import { sampleCategorical } from '../random/sampling.js';
import { encoderFor } from './encoders.js';
import {
  buildMlp,
  checkEncoded,
  checkRawObs,
  MlpNet,
  resolveMlpOptions,
  takePendingVariables,
  VariableSet,
  withVariables,
  type Activation,
} from './network.js';
import type { ActResult, DiscreteSpaceLike, ObsEncoder, Policy, PolicyWeight, SpaceLike } from './types.js';

/** Options of {@link MlpPolicy} (tfjs-layers `DenseLayerArgs` style). */
export interface MlpPolicyOptions {
  /** Observation space: discrete (one-hot input of size n) or box (flattened input of size Π shape). */
  obsSpace: SpaceLike;
  /** Discrete action space `{ kind: 'discrete', n }`. */
  actionSpace: DiscreteSpaceLike;
  /**
   * Hidden layer widths.
   * @defaultValue [64, 64] (CleanRL `ppo.py` `Agent`)
   */
  hidden?: readonly number[];
  /**
   * Hidden activation.
   * @defaultValue 'tanh' (CleanRL `ppo.py` `Agent`)
   */
  activation?: Activation;
  /**
   * Share the hidden layers between actor and critic (two heads on one torso) instead of two networks.
   * @defaultValue false (CleanRL `ppo.py` uses separate networks)
   */
  sharedCritic?: boolean;
  /**
   * Whether to build a critic V(s).
   * @defaultValue true
   */
  critic?: boolean;
  /** Stream for the initial weights (one `normal()` per kernel entry). */
  rng: Rng;
}

/**
 * A categorical MLP policy π_θ(a|s) = softmax(f_θ(s))_a with a critic V_θ(s).
 *
 * Layers are y = x·W + b; hidden layers use tanh (or relu). Initialisation follows CleanRL `layer_init`:
 * orthogonal kernels with gain √2 on hidden layers, 0.01 on the policy head and 1 on the value head, zero biases
 * (Saxe et al. 2014; Andrychowicz et al. 2021, "What Matters in On-Policy RL", https://arxiv.org/abs/2006.05990).
 * The orthogonal draws come from `rng` in float64 JS (same algorithm as tfjs `Orthogonal` and
 * `torch.nn.init.orthogonal_`), so the same seed gives the same weights on every backend and `Math.random` is never used.
 *
 * Tensor path: `distribution(obs)` / `value(obs)` take encoded float32 observations `[B, encoder.size]`.
 * Fast path: `act(obs, rng)` takes a state index (discrete obs) or a number array (box obs).
 * @example
 * ```ts
 * const policy = new MlpPolicy({ obsSpace: { kind: 'discrete', n: 16 }, actionSpace: { kind: 'discrete', n: 4 }, rng: rng.fork('init') });
 * try { const { action } = policy.act(0, rng.fork('rollout')); } finally { policy.dispose(); }
 * ```
 */
export class MlpPolicy implements Policy {
  /** Always `'mlp'`. */
  readonly kind = 'mlp' as const;
  /** The observation space. */
  readonly obsSpace: SpaceLike;
  /** The discrete action space. */
  readonly actionSpace: DiscreteSpaceLike;
  /** One-hot or identity encoder for `obsSpace`. */
  readonly encoder: ObsEncoder;
  /** Whether `value` is available. */
  readonly hasCritic: boolean;
  /** Hidden widths. */
  readonly hidden: readonly number[];
  /** Hidden activation. */
  readonly activation: Activation;
  /** Whether actor and critic share the hidden layers. */
  readonly sharedCritic: boolean;
  readonly #inDim: number;
  readonly #net: MlpNet;
  readonly #probs: Float64Array;

  /**
   * @param opts See {@link MlpPolicyOptions}.
   * @throws ConfigError for a bad space, width, activation, flag or missing `rng`.
   */
  constructor(opts: MlpPolicyOptions) {
    const fn = 'MlpPolicy';
    const from = takePendingVariables();
    const r = resolveMlpOptions(fn, opts, from === undefined);
    const as = opts.actionSpace as { kind?: unknown; n?: unknown } | undefined;
    if (!as || as.kind !== 'discrete' || typeof as.n !== 'number' || !Number.isInteger(as.n) || as.n < 1) {
      throw new ConfigError({ fn, arg: 'actionSpace', expected: "a discrete space { kind: 'discrete', n } (use GaussianMlpPolicy for boxes)", got: opts.actionSpace });
    }
    const sharedCritic = opts.sharedCritic ?? false;
    if (typeof sharedCritic !== 'boolean') throw new ConfigError({ fn, arg: 'sharedCritic', expected: 'a boolean', got: sharedCritic });
    this.obsSpace = r.obsSpace;
    this.actionSpace = Object.freeze({ kind: 'discrete' as const, n: as.n });
    this.encoder = encoderFor(r.obsSpace);
    this.hasCritic = r.critic;
    this.hidden = Object.freeze(r.hidden);
    this.activation = r.activation;
    this.sharedCritic = sharedCritic;
    this.#inDim = r.inDim;
    const { specs, layout } = buildMlp({ inDim: r.inDim, outDim: as.n, hidden: r.hidden, shared: sharedCritic, critic: r.critic, headGain: 0.01, rng: from ? null : opts.rng });
    this.#net = new MlpNet(from ?? new VariableSet('mlp', specs, true), layout, r.activation);
    this.#probs = new Float64Array(as.n);
  }

  #options(): MlpPolicyOptions {
    // rng is not used when the constructor adopts copied variables (withVariables).
    return { obsSpace: this.obsSpace, actionSpace: this.actionSpace, hidden: this.hidden, activation: this.activation, sharedCritic: this.sharedCritic, critic: this.hasCritic } as MlpPolicyOptions;
  }

  #alive(fn: string): void {
    if (this.#net.vars.isDisposed) throw new ConfigError({ fn, arg: 'this', expected: 'a policy that has not been disposed', got: 'a disposed policy' });
  }

  /** False for a frozen copy. */
  get trainable(): boolean {
    return this.#net.vars.trainable;
  }

  /** Every kernel and bias (actor, critic, torso); empty when frozen. */
  get trainableVariables(): tf.Variable[] {
    return this.#net.vars.trainable ? [...this.#net.vars.variables] : [];
  }

  /** Counts assignments to the variables (optimizer steps, `setWeights`). */
  get weightsVersion(): number {
    return this.#net.vars.version;
  }

  /**
   * π_θ(·|s) on a batch of encoded observations: logits = f_θ(obs) `[B, A]`.
   * @param obs Encoded float32 observations `[B, encoder.size]`.
   * @returns A categorical view over new logits, owned by the caller's `tf.tidy`.
   * @throws ShapeError for another shape or dtype.
   * @example
   * ```ts
   * const lp = tf.tidy(() => policy.distribution(policy.encoder.encode(obs)).logProb(actions));
   * ```
   */
  distribution(obs: tf.Tensor): Categorical {
    const fn = 'MlpPolicy.distribution';
    this.#alive(fn);
    const x = checkEncoded(fn, obs, this.#inDim);
    return Categorical.fromLogits(tf.tidy(() => this.#net.forward(x, true, false).actor!));
  }

  /**
   * V_θ(s) on a batch of encoded observations.
   * @param obs Encoded float32 observations `[B, encoder.size]`.
   * @returns A new tensor `[B]`; caller disposes.
   * @throws ConfigError without a critic; ShapeError for a bad `obs`.
   * @example
   * ```ts
   * const v = policy.value(x); // [B]
   * ```
   */
  value(obs: tf.Tensor): tf.Tensor {
    const fn = 'MlpPolicy.value';
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
    this.#alive('MlpPolicy.syncFastPath');
    this.#net.sync();
  }

  /**
   * Sample a ~ π_θ(·|s) for one raw observation in float64 JS, allocating no tensors: logits = f_θ(s) by dense
   * loops on cached weights (a one-hot input is a row lookup), p = softmax(logits), a by inverse CDF
   * ({@link sampleCategorical}), log π(a|s) = logits_a − logsumexp(logits).
   * @param obs A state index (discrete obs space) or `encoder.size` numbers (box).
   * @param rng The rollout stream (one `float()`).
   * @returns `{ action, logProb, value }` (value `NaN` without a critic).
   * @throws ConfigError / ShapeError for a bad observation.
   * @example
   * ```ts
   * const { action, logProb, value } = policy.act(Float64Array.from([0.1, -0.2, 0, 0.3]), rng);
   * ```
   */
  act(obs: number | ArrayLike<number>, rng: Rng): ActResult {
    const o = checkRawObs('MlpPolicy.act', this.obsSpace, this.#inDim, obs);
    if (this.#net.stale || this.#net.vars.isDisposed) this.syncFastPath();
    const logits = this.#net.fast(o);
    const p = this.#probs;
    const A = p.length;
    let max = -Infinity;
    for (let a = 0; a < A; a++) if (logits[a]! > max) max = logits[a]!;
    let sum = 0;
    for (let a = 0; a < A; a++) {
      const e = Math.exp(logits[a]! - max);
      p[a] = e;
      sum += e;
    }
    const action = sampleCategorical(p, rng);
    return { action, logProb: logits[action]! - max - Math.log(sum), value: this.#net.lastValue };
  }

  /**
   * The weights as JSON records named `actor/0/kernel`, `actor/0/bias`, …, `actor/out/kernel`, `critic/…`
   * (`torso/…` when shared), in a fixed order.
   * @returns New plain arrays.
   * @example
   * ```ts
   * const saved = JSON.stringify(policy.getWeights());
   * ```
   */
  getWeights(): PolicyWeight[] {
    this.#alive('MlpPolicy.getWeights');
    return this.#net.vars.getWeights();
  }

  /**
   * Replace the weights with records from {@link MlpPolicy.getWeights}; everything is checked before anything is
   * assigned. Non-finite numbers are accepted; `null` is not.
   * @param weights The records (same names, order and shapes).
   * @throws CheckpointError for a non-array, a wrong count or name, or a non-number; ShapeError for a wrong shape.
   * @example
   * ```ts
   * policy.setWeights(JSON.parse(saved));
   * ```
   */
  setWeights(weights: readonly PolicyWeight[]): void {
    this.#net.vars.setWeights('MlpPolicy.setWeights', weights);
  }

  /**
   * A trainable deep copy with its own variables.
   * @returns A new policy; caller disposes.
   * @example
   * ```ts
   * const copy = policy.clone();
   * ```
   */
  clone(): MlpPolicy {
    this.#alive('MlpPolicy.clone');
    return withVariables(this.#net.vars.copy('mlp', true), () => new MlpPolicy(this.#options()));
  }

  /**
   * A frozen copy (non-trainable variables, `trainableVariables` empty), e.g. π_ref.
   * @returns A new policy; caller disposes.
   * @example
   * ```ts
   * const ref = policy.freeze();
   * ```
   */
  freeze(): MlpPolicy {
    this.#alive('MlpPolicy.freeze');
    return withVariables(this.#net.vars.copy('mlp', false), () => new MlpPolicy(this.#options()));
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
