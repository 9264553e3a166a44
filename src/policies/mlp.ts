/**
 * Categorical MLP policy with a critic: separate actor and critic networks (CleanRL `ppo.py` `Agent`) or a shared
 * torso with two heads; seeded orthogonal initialisation; a plain-JS fast path for single-observation `act`.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { Categorical } from '../distributions/categorical.js';
import { argmaxRange, predictWith } from './predict.js';
import type { Rng } from '../random/rng.js';
import { sampleCategorical } from '../random/sampling.js';
import { MlpPolicyBase } from './mlp_base.js';
import { StateActTable, unnormalizedProbs } from './state_act_table.js';
import {
  buildMlp,
  checkEncoded,
  checkRawObs,
  resolveMlpOptions,
  type Activation,
  type VariableSet,
} from './network.js';
import type { ActOptions, ActResult, DiscreteSpaceLike, Policy, SpaceLike, PredictOptions } from './types.js';

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
 * `torch.nn.init.orthogonal_`), so the same seed gives the same weights on every backend and no unseeded global generator is used.
 *
 * Tensor path: `distribution(obs)` / `value(obs)` take encoded float32 observations `[B, encoder.size]`.
 * Fast path: `act(obs, rng)` takes a state index (discrete obs) or a number array (box obs).
 * @example
 * ```ts
 * const policy = new MlpPolicy({ obsSpace: { kind: 'discrete', n: 16 }, actionSpace: { kind: 'discrete', n: 4 }, rng: rng.fork('init') });
 * try { const { action } = policy.act(0, rng.fork('rollout')); } finally { policy.dispose(); }
 * ```
 */
export class MlpPolicy extends MlpPolicyBase<MlpPolicy> implements Policy {
  /** Always `'mlp'`. */
  readonly kind = 'mlp' as const;
  /** The discrete action space. */
  readonly actionSpace: DiscreteSpaceLike;
  /** Whether actor and critic share the hidden layers. */
  readonly sharedCritic: boolean;
  readonly #probs: Float64Array;
  /** Per-state memo of `act` for a discrete observation space (null for boxes or very large spaces). */
  readonly #table: StateActTable | null;

  /**
   * @param opts See {@link MlpPolicyOptions}.
   * @param adopt Internal: the copied variables `clone()`/`freeze()` pass (the options' `rng` is then unused).
   * @throws ConfigError for a bad space, width, activation, flag or missing `rng`.
   */
  constructor(opts: MlpPolicyOptions, adopt?: VariableSet) {
    const fn = 'MlpPolicy';
    const from = adopt;
    const r = resolveMlpOptions(fn, opts, from === undefined);
    const as = opts.actionSpace as { kind?: unknown; n?: unknown } | undefined;
    if (as?.kind !== 'discrete' || typeof as.n !== 'number' || !Number.isInteger(as.n) || as.n < 1) {
      throw new ConfigError({
        fn,
        arg: 'actionSpace',
        expected: "a discrete space { kind: 'discrete', n } (use GaussianMlpPolicy for boxes)",
        got: opts.actionSpace,
      });
    }
    const sharedCritic = opts.sharedCritic ?? false;
    if (typeof sharedCritic !== 'boolean')
      throw new ConfigError({ fn, arg: 'sharedCritic', expected: 'a boolean', got: sharedCritic });
    const { specs, layout } = buildMlp({
      inDim: r.inDim,
      outDim: as.n,
      hidden: r.hidden,
      shared: sharedCritic,
      critic: r.critic,
      headGain: 0.01,
      rng: from ? null : opts.rng,
    });
    super({ name: fn, prefix: 'mlp', options: r, adopted: from, specs, layout });
    this.actionSpace = Object.freeze({ kind: 'discrete' as const, n: as.n });
    this.sharedCritic = sharedCritic;
    this.#probs = new Float64Array(as.n);
    const os = r.obsSpace as { kind?: unknown; n?: number };
    this.#table = os.kind === 'discrete' && StateActTable.fits(os.n!, as.n) ? new StateActTable(os.n!, as.n) : null;
  }

  /**
   * A new `MlpPolicy` with the same options (adopts the variables passed by `clone`/`freeze`).
   * @returns The new policy.
   */
  protected override rebuild(vars: VariableSet): MlpPolicy {
    // rng is not used when the constructor adopts copied variables (clone/freeze).
    return new MlpPolicy(
      {
        obsSpace: this.obsSpace,
        actionSpace: this.actionSpace,
        hidden: this.hidden,
        activation: this.activation,
        sharedCritic: this.sharedCritic,
        critic: this.hasCritic,
      } as MlpPolicyOptions,
      vars,
    );
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
    this.alive('distribution');
    const x = checkEncoded(fn, obs, this.inDim);
    return Categorical.fromLogits(tf.tidy(() => this.net.forward(x, true, false).actor!));
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
    this.net.sync();
    this.#table?.clear();
  }

  /**
   * Sample a ~ π_θ(·|s) for one raw observation in float64 JS, allocating no tensors: logits = f_θ(s) by dense
   * loops on cached weights (a one-hot input is a row lookup), p = softmax(logits), a by inverse CDF
   * ({@link sampleCategorical}), log π(a|s) = logits_a − logsumexp(logits). For a discrete observation space the
   * results of each state are kept until the weights change, so a rollout forwards each visited state once; the
   * sampled actions are bit-identical to those of the uncached arithmetic.
   * @param obs A state index (discrete obs space) or `encoder.size` numbers (box).
   * @param rng The rollout stream (one `float()`).
   * @param opts `value: false` skips the critic for a box observation (value NaN; a discrete state's table holds
   * it anyway).
   * @returns `{ action, logProb, value }` (value `NaN` without a critic).
   * @throws ConfigError / ShapeError for a bad observation.
   * @example
   * ```ts
   * const { action, logProb, value } = policy.act(Float64Array.from([0.1, -0.2, 0, 0.3]), rng);
   * ```
   */
  act(obs: number | ArrayLike<number>, rng: Rng, opts?: ActOptions): ActResult {
    const o = checkRawObs('MlpPolicy.act', this.obsSpace, this.inDim, obs);
    if (this.net.stale || this.net.vars.isDisposed) this.syncFastPath();
    const table = this.#table;
    if (table !== null && typeof o === 'number') {
      if (!table.has(o)) table.fill(o, this.net.fast(o), this.net.lastValue);
      const action = sampleCategorical(table.probs(o), rng);
      return { action, logProb: table.logProb(o, action), value: table.value(o) };
    }
    const logits = this.net.fast(o, opts?.value !== false);
    const { max, logSum } = unnormalizedProbs(logits, this.#probs);
    const action = sampleCategorical(this.#probs, rng);
    return { action, logProb: logits[action]! - max - logSum, value: this.net.lastValue };
  }

  /** The most likely action (first of ties) or a sample; see {@link Policy.predict}. */
  predict(obs: number | ArrayLike<number>, opts: PredictOptions): number {
    return predictWith(
      'MlpPolicy.predict',
      opts,
      () => {
        const o = checkRawObs('MlpPolicy.predict', this.obsSpace, this.inDim, obs);
        if (this.net.stale || this.net.vars.isDisposed) this.syncFastPath();
        const logits = this.net.fast(o);
        return argmaxRange(logits, 0, logits.length);
      },
      (rng) => this.act(obs, rng).action,
    ) as number;
  }
}
