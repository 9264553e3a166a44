/**
 * The policy contract shared by {@link TabularPolicy}, {@link MlpPolicy} and {@link GaussianMlpPolicy}
 * : a batched tensor path for updates and a tensor-free fast path for
 * single-observation `act` during rollouts (plain JS: ~12 µs against ~36 µs on tfjs-wasm, bench/policy.ts).
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import type { Distribution } from '../distributions/types.js';
import type { Rng } from '../random/rng.js';

/**
 * A discrete space as policies read it: `{ kind: 'discrete', n }`. `Discrete` from `klip/envs` satisfies it;
 * a plain object literal does too.
 */
export interface DiscreteSpaceLike {
  /** Discriminant. */
  readonly kind: 'discrete';
  /** Number of elements {0, …, n−1}. */
  readonly n: number;
}

/**
 * A box space as policies read it: `{ kind: 'box', shape }`. `Box` from `klip/envs` satisfies it;
 * a plain object literal does too.
 */
export interface BoxSpaceLike {
  /** Discriminant. */
  readonly kind: 'box';
  /** Shape of one element, e.g. `[4]`. */
  readonly shape: readonly number[];
}

/**
 * The spaces a policy accepts (structural: no `instanceof`, which fails across separately bundled entry points). Every `Space` of `klip/envs` is one.
 * @example
 * ```ts
 * const obsSpace: SpaceLike = { kind: 'discrete', n: 16 };
 * ```
 */
export type SpaceLike = DiscreteSpaceLike | BoxSpaceLike;

/**
 * Hidden-layer activation of the MLP policies: tanh(x) or relu(x) = max(0, x).
 * @example
 * ```ts
 * const activation: Activation = 'tanh'; // CleanRL ppo.py default
 * ```
 */
export type Activation = 'tanh' | 'relu';

/**
 * One named weight array, plain JSON (the checkpoint format of policy weights):
 * `values` holds the entries in row-major order, `values.length = Π shape`.
 * @example
 * ```ts
 * const w: PolicyWeight = { name: 'logits', shape: [1, 3], values: [0, 0, 0] };
 * ```
 */
export interface PolicyWeight {
  /** Logical name, stable across clones, e.g. `logits`, `actor/0/kernel`. */
  name: string;
  /** Shape of the array. */
  shape: number[];
  /** Row-major entries (float32 precision once set). */
  values: number[];
}

/** Options of {@link Policy.predict}. */
export interface PredictOptions {
  /** The most likely action (true) or a sample (false). */
  deterministic: boolean;
  /** The stream samples are drawn from; required when `deterministic` is false. */
  rng?: Rng;
}

/**
 * The result of one fast-path {@link Policy.act}: plain numbers, no tensors.
 * @example
 * ```ts
 * const { action, logProb, value } = policy.act(3, rng);
 * ```
 */
export interface ActResult {
  /** The sampled action: an index for discrete action spaces, a new `Float64Array(D)` for boxes. */
  action: number | Float64Array;
  /** log π(action | obs) in nats. */
  logProb: number;
  /** V(obs) from the critic, or `NaN` when the policy has none (`hasCritic === false`). */
  value: number;
}

/** Options of {@link Policy.act}. */
export interface ActOptions {
  /**
   * Whether to compute V(obs) (default true). A rollout that recomputes the values later passes false and gets
   * `value: NaN`; the sampled action and its log-probability are the same either way.
   */
  value?: boolean;
}

/**
 * A raw single observation for {@link Policy.act}: a state index (discrete observation space)
 * or `Π shape` numbers (box observation space, row-major).
 */
export type RawObservation = number | ArrayLike<number>;

/**
 * A stochastic policy π_θ(a|s) with an optional critic V_θ(s).
 *
 * Two paths (bench/policy.ts measures both):
 * - **Tensor path** for updates: `distribution(obs)` and `value(obs)` take a batch of *encoded* observations,
 *   a float32 tensor `[B, encoder.size]` built with {@link ObsEncoder.encode} (tabular policies also take int32
 *   state indices `[B]`). Call them inside `tf.tidy`; the returned distribution is a view over the policy's output tensors.
 * - **Fast path** for rollouts: `act(obs, rng)` takes one raw observation and allocates no tensors. It runs in
 *   plain JS on float64 copies of the weights. The copies are refreshed automatically: any `assign` to a policy
 *   variable (tfjs optimizers, klip's `Adam`, `setWeights`) changes `weightsVersion` (tfjs gives an assigned
 *   variable new data, which the policy detects by comparing `dataId`s), and `act` re-reads the weights when it
 *   differs from the version of its copies. `syncFastPath()` forces the refresh; the Trainer calls it once before
 *   each rollout to keep the read out of the first `act`.
 *
 * Owners dispose: `dispose()` frees every variable.
 */
export interface Policy {
  /** `'tabular'`, `'mlp'` (categorical head) or `'gaussian-mlp'`. */
  readonly kind: 'tabular' | 'mlp' | 'gaussian-mlp';
  /** The observation space. */
  readonly obsSpace: SpaceLike;
  /** The action space. */
  readonly actionSpace: SpaceLike;
  /** The observation → tensor bridge matching `obsSpace`. */
  readonly encoder: ObsEncoder;
  /** Whether `value` is available. */
  readonly hasCritic: boolean;
  /** False for frozen references made by `freeze()`. */
  readonly trainable: boolean;
  /** The variables an optimizer updates (empty for a frozen policy). */
  readonly trainableVariables: tf.Variable[];
  /** Changes whenever a variable is assigned; the fast path (and the Trainer's caches) compare it with their own. */
  readonly weightsVersion: number;
  /**
   * The action distribution on a batch of encoded observations. Returns a view over new tensors that belong
   * to the caller's `tf.tidy`.
   */
  distribution(obs: tf.Tensor): Distribution;
  /** V(s) `[B]` on a batch of encoded observations. Returns a new tensor; caller disposes. Throws without a critic. */
  value(obs: tf.Tensor): tf.Tensor;
  /**
   * Sample one action for one raw observation without creating tensors. `opts.value: false` skips the critic
   * (`value` is then NaN); a policy may ignore the option and compute it anyway.
   */
  act(obs: RawObservation, rng: Rng, opts?: ActOptions): ActResult;
  /**
   * The action for one raw observation (SB3 `model.predict(obs, deterministic)`): with `deterministic` the most
   * likely action (the first of ties) or the Gaussian mean; otherwise a sample drawn from `opts.rng`.
   */
  predict(obs: RawObservation, opts: PredictOptions): number | Float64Array;
  /** Re-read the weights into the fast-path copies now (otherwise done lazily by `act`). */
  syncFastPath(): void;
  /** The weights as plain JSON arrays, in a fixed order. */
  getWeights(): PolicyWeight[];
  /** Replace the weights; validates names and shapes first and changes nothing on error. */
  setWeights(weights: readonly PolicyWeight[]): void;
  /** A trainable deep copy with its own variables. */
  clone(): Policy;
  /** A frozen (non-trainable) deep copy, e.g. π_ref for a KL-to-reference penalty. */
  freeze(): Policy;
  /** Free every variable. The policy cannot be used afterwards. */
  dispose(): void;
}

/**
 * Turns a batch of raw observations (typed arrays from the rollout) into a float32 tensor: the only
 * env ↔ tfjs bridge.
 */
export interface ObsEncoder {
  /** `'one-hot'` for discrete observation spaces, `'identity'` for boxes. */
  readonly kind: 'one-hot' | 'identity';
  /** Floats per encoded observation (n for one-hot, Π shape for identity). */
  readonly size: number;
  /** Shape of one encoded observation: `[n]` or the box shape. */
  readonly shape: readonly number[];
  /** Encode a batch. Returns a new float32 tensor `[B, …shape]`; caller disposes. */
  encode(batch: Int32Array | Float64Array | Float32Array | readonly number[]): tf.Tensor;
}
