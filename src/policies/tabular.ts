/**
 * Tabular softmax policy: a logits table θ ∈ ℝ^{S×A} and an optional value table V ∈ ℝ^S, with exact
 * per-state KL between two tabular policies in float64.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber, assertOneOf } from '../core/assert.js';
import { ConfigError, ShapeError } from '../core/errors.js';
import { Categorical } from '../distributions/categorical.js';
import { klProbs, softmax } from '../kl/probs.js';
import { argmaxRange, predictWith } from './predict.js';
import type { Rng } from '../random/rng.js';
import { sampleCategorical } from '../random/sampling.js';
import { oneHotEncoder } from './encoders.js';
import { assertRng, VariableSet, withVariables, type VariableSpec } from './network.js';
import type { ActResult, DiscreteSpaceLike, ObsEncoder, Policy, PolicyWeight, PredictOptions } from './types.js';

/** Options of {@link TabularPolicy}. */
export interface TabularPolicyOptions {
  /** Number of states S (observations are state indices 0…S−1). */
  numStates: number;
  /** Number of actions A. */
  numActions: number;
  /** Stream for `init: 'random'`; not needed for zeros. */
  rng?: Rng;
  /**
   * Initial logits: `'zeros'` (the uniform policy) or `'random'` (θ ~ N(0, initScale²), drawn from `rng`).
   * @defaultValue `'zeros'` (the uniform start of exact tabular policy-gradient analyses, e.g. Agarwal et al. 2021)
   */
  init?: 'zeros' | 'random';
  /**
   * Standard deviation of the random initial logits.
   * @defaultValue 0.01 (the gain of CleanRL's policy head, `ppo.py` `layer_init(std=0.01)`)
   */
  initScale?: number;
  /**
   * Whether to keep a value table V(s) (initialised to 0) for actor-critic training.
   * @defaultValue true
   */
  critic?: boolean;
}

/**
 * A tabular softmax policy π_θ(a|s) = exp θ[s,a] / Σ_b exp θ[s,b], with an optional value table V[s].
 *
 * Tensor path: `distribution(obs)` takes one-hot rows `[B, S]` (float32, from {@link oneHotEncoder}; the logits
 * are obs·θ, a matmul, so gradients work on wasm without `tf.gather`) **or** int32 state indices `[B]` (one-hot
 * encoded inside; indices are not range-checked there because that would read the data: out-of-range rows give
 * all-zero logits). Fast path: `act(s, rng)` samples in float64 JS from a cached copy of θ.
 *
 * Source: the softmax tabular parameterisation of Agarwal et al. (2021), "On the Theory of Policy Gradient
 * Methods", https://jmlr.org/papers/v22/19-736.html.
 * @example
 * ```ts
 * const policy = new TabularPolicy({ numStates: 16, numActions: 4, rng: createRng(1).fork('init'), init: 'random' });
 * try {
 *   const { action, logProb, value } = policy.act(0, rng);
 *   const klS = policy.klPerState(ref); // Float64Array(16), exact KL(π(·|s)‖π_ref(·|s))
 * } finally { policy.dispose(); }
 * ```
 */
export class TabularPolicy implements Policy {
  /** Always `'tabular'`. */
  readonly kind = 'tabular' as const;
  /** `{ kind: 'discrete', n: S }`. */
  readonly obsSpace: DiscreteSpaceLike;
  /** `{ kind: 'discrete', n: A }`. */
  readonly actionSpace: DiscreteSpaceLike;
  /** One-hot encoder of size S. */
  readonly encoder: ObsEncoder;
  /** Whether the value table exists. */
  readonly hasCritic: boolean;
  /** Number of states S. */
  readonly numStates: number;
  /** Number of actions A. */
  readonly numActions: number;
  readonly #vars: VariableSet;
  readonly #logitsCache: Float64Array;
  readonly #valueCache: Float64Array;
  readonly #scratch: Float64Array;
  #fastVersion = -1;

  /**
   * @param opts See {@link TabularPolicyOptions}.
   * @param adopt Internal: the copied variables `clone()`/`freeze()` pass (the options' `rng` is then unused).
   * @throws ConfigError for non-positive or non-integer sizes, an unknown init, a bad scale, or `init: 'random'`
   *   without `rng`.
   */
  constructor(opts: TabularPolicyOptions, adopt?: VariableSet) {
    const from = adopt;
    const fn = 'TabularPolicy';
    if (opts === null || typeof opts !== 'object')
      throw new ConfigError({ fn, arg: 'opts', expected: 'an options object', got: opts });
    const { numStates: S, numActions: A, init = 'zeros', initScale = 0.01, critic = true } = opts;
    assertFiniteNumber(fn, 'numStates', S, { min: 1, integer: true });
    assertFiniteNumber(fn, 'numActions', A, { min: 1, integer: true });
    assertOneOf(fn, 'init', init, ['zeros', 'random'] as const);
    assertFiniteNumber(fn, 'initScale', initScale, { min: 0 });
    if (typeof critic !== 'boolean') throw new ConfigError({ fn, arg: 'critic', expected: 'a boolean', got: critic });
    this.numStates = S;
    this.numActions = A;
    this.hasCritic = critic;
    this.obsSpace = Object.freeze({ kind: 'discrete' as const, n: S });
    this.actionSpace = Object.freeze({ kind: 'discrete' as const, n: A });
    this.encoder = oneHotEncoder(S);
    if (from) {
      this.#vars = from;
    } else {
      const logits = new Float64Array(S * A);
      if (init === 'random') {
        if (opts.rng === undefined)
          throw new ConfigError({ fn, arg: 'rng', expected: "an Rng when init is 'random'", got: undefined });
        assertRng(fn, 'rng', opts.rng);
        for (let i = 0; i < logits.length; i++) logits[i] = initScale * opts.rng.normal();
      }
      const specs: VariableSpec[] = [{ name: 'logits', shape: [S, A], values: logits }];
      if (critic) specs.push({ name: 'values', shape: [S], values: new Float64Array(S) });
      this.#vars = new VariableSet('tabular', specs, true);
    }
    this.#logitsCache = new Float64Array(S * A);
    this.#valueCache = new Float64Array(S);
    this.#scratch = new Float64Array(A);
  }

  #options(): TabularPolicyOptions {
    return { numStates: this.numStates, numActions: this.numActions, critic: this.hasCritic };
  }

  #alive(fn: string): void {
    if (this.#vars.isDisposed)
      throw new ConfigError({
        fn,
        arg: 'this',
        expected: 'a policy that has not been disposed',
        got: 'a disposed policy',
      });
  }

  /** False for a frozen copy made by {@link TabularPolicy.freeze}. */
  get trainable(): boolean {
    return this.#vars.trainable;
  }

  /** `[logits]` or `[logits, values]`; empty when frozen. */
  get trainableVariables(): tf.Variable[] {
    return this.#vars.trainable ? [...this.#vars.variables] : [];
  }

  /** Counts assignments to the variables (optimizer steps, `setWeights`). */
  get weightsVersion(): number {
    return this.#vars.version;
  }

  /** Rows of `table` selected by obs (one-hot [B, S] float or int32 indices [B]); call inside tidy. */
  #select(fn: string, obs: tf.Tensor, table: tf.Tensor2D): tf.Tensor2D {
    const S = this.numStates;
    if (obs.rank === 1 && obs.dtype === 'int32') {
      // One-hot as [s = j] against range(S) rather than tf.oneHot, which rejects depth 1 (a one-state bandit).
      const hot = tf.cast(
        tf.equal(tf.reshape(obs, [-1, 1]), tf.range(0, S, 1, 'int32').reshape([1, S])),
        'float32',
      ) as tf.Tensor2D;
      return tf.matMul(hot, table);
    }
    if (obs.rank === 2 && obs.shape[1] === S && obs.dtype === 'float32') {
      return tf.matMul(obs as tf.Tensor2D, table);
    }
    throw new ShapeError({
      fn,
      arg: 'obs',
      expected: `one-hot float32 rows [B, ${S}] or int32 state indices [B]`,
      got: obs,
    });
  }

  /**
   * π_θ(·|s) for a batch: logits = obs·θ (one-hot rows) or θ[s] (indices).
   * @param obs One-hot float32 `[B, S]` or int32 state indices `[B]`.
   * @returns A categorical view over new logits `[B, A]` owned by the caller's `tf.tidy`.
   * @throws ShapeError for any other shape or dtype.
   * @example
   * ```ts
   * const logProb = tf.tidy(() => policy.distribution(policy.encoder.encode(states)).logProb(actions));
   * ```
   */
  distribution(obs: tf.Tensor): Categorical {
    this.#alive('TabularPolicy.distribution');
    return Categorical.fromLogits(
      this.#select('TabularPolicy.distribution', obs, this.#vars.get('logits') as tf.Tensor2D),
    );
  }

  /**
   * V(s) for a batch: obs·V (one-hot rows) or V[s] (indices).
   * @param obs One-hot float32 `[B, S]` or int32 state indices `[B]`.
   * @returns A new tensor `[B]`; caller disposes.
   * @throws ConfigError without a critic; ShapeError for a bad `obs`.
   * @example
   * ```ts
   * const v = policy.value(tf.tensor1d([0, 3], 'int32')); // [V(0), V(3)]
   * ```
   */
  value(obs: tf.Tensor): tf.Tensor {
    const fn = 'TabularPolicy.value';
    this.#alive(fn);
    if (!this.hasCritic)
      throw new ConfigError({
        fn,
        arg: 'this',
        expected: 'a policy with a critic (critic: true)',
        got: 'critic: false',
      });
    return tf.tidy(() => {
      const v = this.#select(fn, obs, tf.reshape(this.#vars.get('values'), [this.numStates, 1]) as tf.Tensor2D);
      return tf.reshape(v, [v.shape[0]]);
    });
  }

  /**
   * Copy θ (and V) into the float64 caches of the fast path now. `act` does it by itself when
   * `weightsVersion` changed; call this after an optimizer step to keep the read out of the next `act`.
   * @example
   * ```ts
   * optimizer.applyGradients(grads); policy.syncFastPath();
   * ```
   */
  syncFastPath(): void {
    this.#alive('TabularPolicy.syncFastPath');
    const data = this.#vars.readAll();
    this.#logitsCache.set(data[0]!);
    if (this.hasCritic) this.#valueCache.set(data[1]!);
    else this.#valueCache.fill(NaN);
    this.#fastVersion = this.#vars.version;
  }

  /**
   * Sample a ~ π_θ(·|s) in float64 JS (no tensors): p = softmax(θ[s]) by max-subtraction, a by inverse CDF
   * ({@link sampleCategorical}, one `rng.float()`), log π(a|s) = θ[s,a] − max − log Σ_b exp(θ[s,b] − max).
   * @param obs A state index in [0, S).
   * @param rng The rollout stream.
   * @returns `{ action, logProb, value }` (value `NaN` without a critic).
   * @throws ConfigError for an index out of range.
   * @example
   * ```ts
   * const { action } = policy.act(5, rng.fork('rollout'));
   * ```
   */
  act(obs: number | ArrayLike<number>, rng: Rng): ActResult {
    const S = this.numStates;
    if (typeof obs !== 'number' || !Number.isInteger(obs) || obs < 0 || obs >= S) {
      throw new ConfigError({ fn: 'TabularPolicy.act', arg: 'obs', expected: `a state index in [0, ${S})`, got: obs });
    }
    if (this.#fastVersion !== this.#vars.version || this.#vars.isDisposed) this.syncFastPath();
    const A = this.numActions;
    const logits = this.#logitsCache;
    const p = this.#scratch;
    const base = obs * A;
    let max = -Infinity;
    for (let a = 0; a < A; a++) if (logits[base + a]! > max) max = logits[base + a]!;
    let sum = 0;
    for (let a = 0; a < A; a++) {
      const e = Math.exp(logits[base + a]! - max);
      p[a] = e;
      sum += e;
    }
    const action = sampleCategorical(p, rng);
    return { action, logProb: logits[base + action]! - max - Math.log(sum), value: this.#valueCache[obs]! };
  }

  /** The most likely action in state `obs` (first of ties) or a sample; see {@link Policy.predict}. */
  predict(obs: number | ArrayLike<number>, opts: PredictOptions): number {
    return predictWith(
      'TabularPolicy.predict',
      opts,
      () => {
        const S = this.numStates;
        if (typeof obs !== 'number' || !Number.isInteger(obs) || obs < 0 || obs >= S) {
          throw new ConfigError({
            fn: 'TabularPolicy.predict',
            arg: 'obs',
            expected: `a state index in [0, ${S})`,
            got: obs,
          });
        }
        if (this.#fastVersion !== this.#vars.version || this.#vars.isDisposed) this.syncFastPath();
        return argmaxRange(this.#logitsCache, obs * this.numActions, this.numActions);
      },
      (rng) => this.act(obs, rng).action,
    ) as number;
  }

  /**
   * The policy as a float64 table: P[s·A + a] = π_θ(a|s) = softmax(θ[s])_a (float64 softmax of the float32 logits).
   * @returns A new `Float64Array(S·A)`, row-major; each row sums to 1.
   * @example
   * ```ts
   * const P = policy.probsTable(); // P[s * A + a]
   * ```
   */
  probsTable(): Float64Array {
    this.#alive('TabularPolicy.probsTable');
    if (this.#fastVersion !== this.#vars.version) this.syncFastPath();
    const S = this.numStates;
    const A = this.numActions;
    const out = new Float64Array(S * A);
    for (let s = 0; s < S; s++) out.set(softmax(this.#logitsCache.subarray(s * A, (s + 1) * A)), s * A);
    return out;
  }

  /**
   * Exact per-state KL between two tabular policies, in float64:
   * KL_s = KL(π_this(·|s) ‖ π_other(·|s)) = Σ_a p(a|s) log(p(a|s)/q(a|s)) = `klProbs` row by row.
   *
   * Source: Kullback & Leibler (1951); the per-state KL of TRPO, Schulman et al. (2015), https://arxiv.org/abs/1502.05477.
   * @param other A tabular policy with the same S and A (e.g. the frozen reference or the pre-update copy).
   * @returns A new `Float64Array(S)` of KL values ≥ 0 in nats.
   * @throws ShapeError when the sizes differ; ConfigError when `other` is not a TabularPolicy.
   * @example
   * ```ts
   * const old = policy.freeze(); // … train policy …
   * const klPerState = old.klPerState(policy); // KL(π_old‖π_new) per state
   * ```
   */
  klPerState(other: TabularPolicy): Float64Array {
    const fn = 'TabularPolicy.klPerState';
    if (!(other instanceof TabularPolicy))
      throw new ConfigError({ fn, arg: 'other', expected: 'a TabularPolicy', got: other });
    if (other.numStates !== this.numStates || other.numActions !== this.numActions) {
      throw new ShapeError({
        fn,
        arg: 'other',
        expected: `a tabular policy with ${this.numStates} states and ${this.numActions} actions`,
        got: `${other.numStates} states and ${other.numActions} actions`,
      });
    }
    const A = this.numActions;
    const p = this.probsTable();
    const q = other.probsTable();
    const out = new Float64Array(this.numStates);
    for (let s = 0; s < this.numStates; s++)
      out[s] = klProbs(p.subarray(s * A, (s + 1) * A), q.subarray(s * A, (s + 1) * A));
    return out;
  }

  /**
   * The weights as JSON: `[{ name: 'logits', shape: [S, A] }, { name: 'values', shape: [S] }]` (values only with a critic).
   * @returns New plain arrays (float32 values).
   * @example
   * ```ts
   * const json = JSON.stringify(policy.getWeights());
   * ```
   */
  getWeights(): PolicyWeight[] {
    this.#alive('TabularPolicy.getWeights');
    return this.#vars.getWeights();
  }

  /**
   * Replace the weights with records from {@link TabularPolicy.getWeights} (same names, order and shapes).
   * Everything is checked before anything is assigned. Non-finite numbers are accepted (a diverged run can be
   * restored for inspection); `null` (NaN after JSON) is not.
   * @param weights The records.
   * @throws CheckpointError for a non-array, a wrong count or name, or a non-number; ShapeError for a wrong shape
   *   or value count.
   * @example
   * ```ts
   * policy.setWeights(JSON.parse(json));
   * ```
   */
  setWeights(weights: readonly PolicyWeight[]): void {
    this.#vars.setWeights('TabularPolicy.setWeights', weights);
  }

  /**
   * A trainable deep copy with its own variables (training it does not move this policy).
   * @returns A new policy; caller disposes.
   * @example
   * ```ts
   * const copy = policy.clone();
   * ```
   */
  clone(): TabularPolicy {
    this.#alive('TabularPolicy.clone');
    return withVariables(this.#vars.copy('tabular', true), (vars) => new TabularPolicy(this.#options(), vars));
  }

  /**
   * A frozen copy: non-trainable variables, `trainableVariables` empty, outputs fixed however this policy is
   * trained. Use it as π_ref or as the pre-update policy for the exact per-step KL.
   * @returns A new policy; caller disposes.
   * @example
   * ```ts
   * const ref = policy.freeze();
   * ```
   */
  freeze(): TabularPolicy {
    this.#alive('TabularPolicy.freeze');
    return withVariables(this.#vars.copy('tabular', false), (vars) => new TabularPolicy(this.#options(), vars));
  }

  /**
   * Free the variables; later calls throw ConfigError. Disposing twice is a no-op.
   * @example
   * ```ts
   * policy.dispose();
   * ```
   */
  dispose(): void {
    this.#vars.dispose();
  }
}
