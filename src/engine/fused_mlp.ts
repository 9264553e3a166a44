/**
 * The fused PPO update step: the loss, gradients, global-norm clipping, Adam step and per-step KL of
 * `ppoUpdateStep` (`src/training/update.ts`) for the categorical MLP and tabular policies, computed in plain
 * typed-array loops with preallocated buffers instead of tfjs ops (whose per-op dispatch dominates for klip's small
 * networks).
 *
 * Distinct-observation reuse: when the observations are one-hot state indices the network output depends on the
 * state alone, so each distinct state of the minibatch is forwarded once and the per-sample output gradients are
 * summed into its row before one backward pass per state. This is exact (only the order of float additions changes).
 * @module
 */
import { assertFiniteNumber, assertOneOf } from '../core/assert.js';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { Activation } from '../policies/types.js';
import type { AdamOptions } from '../training/adam.js';
import type { StepCoefficients } from '../training/update.js';
import { FusedAdam } from './adam.js';
import { layoutFromVariables } from './layout.js';
import { FusedMlpModel } from './mlp_model.js';
import type { FusedModel, FusedRows } from './model.js';
import { type GaussianSamples, gaussianLogProb, gaussianPpoLoss } from './gaussian_loss.js';
import { categoricalPpoLoss, type LossSamples, logSoftmaxRows } from './ppo_loss.js';
import { type LossTerms, SurrogateSums } from './surrogate.js';
import { categoricalRowKl, gaussianRowKl } from './row_kl.js';
import { FusedTabularModel } from './tabular_model.js';

/** One minibatch as typed arrays (the fields of the tensor `Minibatch` of `src/training/update.ts`). */
export interface FusedMinibatch {
  /** Number of samples M. */
  size: number;
  /** The observations as state indices (one-hot encoding), or null when `obs` holds float rows. */
  states: Int32Array | null;
  /** Encoded float observations `[M, inDim]`, or null when `states` is given. */
  obs: Float32Array | Float64Array | null;
  /** Action indices `[M]` (categorical), or actions `[M, D]` (Gaussian). */
  actions: Int32Array | Float32Array | Float64Array;
  /** log π_rollout(a|s) `[M]`. */
  oldLogProb: Float32Array | Float64Array;
  /** Advantages `[M]` (already normalised if requested). */
  advantages: Float32Array | Float64Array;
  /** λ-returns `[M]`. */
  returns: Float32Array | Float64Array;
  /** V_rollout(s) `[M]`. */
  oldValues: Float32Array | Float64Array;
  /** π_rollout's normalised log-probabilities `[M, A]` (`oldParams.logits`; categorical). */
  oldLogits?: Float32Array | Float64Array;
  /** π_rollout's means `[M, D]` (`oldParams.mean`; Gaussian). */
  oldMean?: Float32Array | Float64Array;
  /** π_rollout's log-std `[M, D]` (`oldParams.logStd`, broadcast per row; Gaussian). */
  oldLogStd?: Float32Array | Float64Array;
}

/** The scalars of one fused step: those of `StepScalars` (`src/training/update.ts`) as numbers. */
export interface FusedStepScalars extends LossTerms {
  /** Global L2 norm of the unclipped gradients. */
  gradNorm: number;
  /** Per-step KL(π_b‖π_a), exact and importance-weighted k1/k3 (present when the step was applied). */
  stepKlExact?: number;
  /** Per-step k1 estimate, weighted by π_b/π_rollout. */
  stepKlK1?: number;
  /** Per-step k3 estimate, weighted by π_b/π_rollout. */
  stepKlK3?: number;
}

/** Options of {@link FusedPpoEngine.step}, as those of `ppoUpdateStep`, plus `reuse`. */
export interface FusedStepOptions {
  /** Called with the pre-step KL(π_rollout‖π_b) statistic; returning true skips the Adam step. */
  shouldStop?: (preStepKl: number) => boolean;
  /** Which statistic `shouldStop` receives. @defaultValue 'k3' */
  preStepStatistic?: 'exact' | 'k1' | 'k3';
  /** Forward each distinct state once (only for `states` minibatches). @defaultValue true */
  reuse?: boolean;
}

/** Options of {@link FusedPpoEngine}. */
export interface FusedPpoEngineOptions {
  /** Logical variable names of the policy, in `VariableSet` order (`actor/0/kernel`, …, or `logits`, `values`). */
  names: readonly string[];
  /** Their shapes. */
  shapes: readonly (readonly number[])[];
  /** Hidden activation of an MLP policy. @defaultValue 'tanh' */
  activation?: Activation;
  /** Adam hyper-parameters, as for `new Adam(vars, opts)`. */
  adam?: AdamOptions;
}

const OBJECTIVES = ['clip', 'kl-penalty', 'clip+kl', 'pg'] as const;
const ESTIMATORS = ['exact', 'k1', 'k3'] as const;

/**
 * The PPO update step of `ppoUpdateStep` on typed arrays, for a categorical MLP (`MlpPolicy`), Gaussian MLP
 * (`GaussianMlpPolicy`, state-independent log-std) or tabular (`TabularPolicy`) policy with a critic.
 *
 * Per step: forward (each distinct state once when reusing), the loss of {@link categoricalPpoLoss} (or
 * {@link gaussianPpoLoss}) and its gradient, backward, ‖g‖ = √Σ g², the optional early stop, clipping
 * g ← g·min(1, maxNorm/(‖g‖ + 1e-6))
 * (`torch.nn.utils.clip_grad_norm_`), one {@link FusedAdam} step, then the per-step KL(π_b‖π_a) on the minibatch
 * states: exact, and k1/k3 importance-weighted by π_b/π_rollout (as `src/training/update.ts`).
 *
 * The engine owns a float32 copy of the parameters (`params`, in the policy's variable order) and the Adam state
 * (`adam`, in the `AdamState` format); `src/engine/tfjs_bridge.ts` moves both to and from the policy's variables.
 * No buffer is allocated per step once the largest minibatch has been seen.
 * @example
 * ```ts
 * const engine = new FusedPpoEngine({ names, shapes, activation: 'tanh', adam: { eps: 1e-5 } });
 * engine.setParams(weights);
 * const s = engine.step(minibatch, coef); // s.totalLoss, s.gradNorm, s.stepKlExact, …
 * ```
 */
export class FusedPpoEngine {
  /** The network on typed arrays. */
  readonly model: FusedModel;
  /** The optimizer state. */
  readonly adam: FusedAdam;
  readonly #A: number;
  readonly #slot: Int32Array;
  #cap = 0;
  #rowStates = new Int32Array(0);
  #identity = new Int32Array(0);
  #rowOf = new Int32Array(0);
  #obs = new Float64Array(0);
  #logq = new Float64Array(0);
  #logqBefore = new Float64Array(0);
  #H = new Float64Array(0);
  #dLogits = new Float64Array(0);
  #dValues = new Float64Array(0);
  #logProb = new Float64Array(0);
  #gradScale = 1;
  readonly #logStd: number | null;
  readonly #sums = new SurrogateSums();
  #logStdBefore = new Float64Array(0);
  #dLogStd = new Float64Array(0);

  /**
   * @throws ConfigError for variables the engine does not handle or a policy without a critic;
   *   ShapeError for inconsistent shapes.
   */
  constructor(opts: FusedPpoEngineOptions) {
    const fn = 'FusedPpoEngine';
    if (opts === null || typeof opts !== 'object')
      throw new ConfigError({
        fn,
        arg: 'opts',
        expected: 'an object { names, shapes, activation?, adam? }',
        got: opts,
      });
    const layout = layoutFromVariables(opts.names, opts.shapes);
    const activation = opts.activation ?? 'tanh';
    assertOneOf(fn, 'activation', activation, ['tanh', 'relu'] as const);
    this.model = layout.kind === 'mlp' ? new FusedMlpModel(layout, activation) : new FusedTabularModel(layout);
    if (!this.model.hasCritic)
      throw new ConfigError({
        fn,
        arg: 'names',
        expected: 'a policy with a critic (the PPO loss needs V(s))',
        got: opts.names,
      });
    this.adam = new FusedAdam(
      this.model.params.map((p) => p.length),
      opts.adam,
    );
    this.#A = this.model.nActions;
    this.#logStd = layout.kind === 'mlp' ? layout.logStd : null;
    this.#logStdBefore = new Float64Array(this.#A);
    this.#dLogStd = new Float64Array(this.#A);
    this.#slot = new Int32Array(this.model.inDim).fill(-1);
  }

  /** Copy parameter values in (one array per variable, `VariableSet` order). @throws ShapeError for a wrong size. */
  setParams(values: readonly ArrayLike<number>[]): void {
    const P = this.model.params;
    if (values.length !== P.length)
      throw new ShapeError({
        fn: 'FusedPpoEngine.setParams',
        arg: 'values',
        expected: `${P.length} arrays`,
        got: values.length,
      });
    values.forEach((v, i) => {
      if (v.length !== P[i]!.length)
        throw new ShapeError({
          fn: 'FusedPpoEngine.setParams',
          arg: `values[${i}]`,
          expected: `${P[i]!.length} numbers`,
          got: v.length,
        });
      P[i]!.set(v);
    });
  }

  /**
   * The clipping factor min(1, maxNorm/(‖g‖ + 1e-6)) of the last applied step (1 without clipping): the applied
   * gradient is `gradScale · model.grads`.
   */
  get gradScale(): number {
    return this.#gradScale;
  }

  /** The Gaussian head's state-independent log-std parameter (live, length D), or null for a categorical head. */
  get logStd(): Float32Array | null {
    return this.#logStd === null ? null : this.model.params[this.#logStd]!;
  }

  /** The parameters (live float32 arrays, `VariableSet` order). */
  get params(): readonly Float32Array[] {
    return this.model.params;
  }

  #reserve(n: number): void {
    if (n <= this.#cap) return;
    const cap = Math.max(n, this.#cap * 2);
    const A = this.#A;
    this.#cap = cap;
    this.#rowStates = new Int32Array(cap);
    this.#identity = Int32Array.from({ length: cap }, (_, i) => i);
    this.#rowOf = new Int32Array(cap);
    this.#obs = new Float64Array(this.model instanceof FusedMlpModel ? cap * this.model.inDim : 0);
    this.#logq = new Float64Array(cap * A);
    this.#logqBefore = new Float64Array(cap * A);
    this.#H = new Float64Array(cap);
    this.#dLogits = new Float64Array(cap * A);
    this.#dValues = new Float64Array(cap);
    this.#logProb = new Float64Array(cap);
    this.model.reserve(cap);
  }

  /** Validate the minibatch and build the rows (distinct states when reusing) and the sample → row map. */
  #rows(fn: string, mb: FusedMinibatch, reuse: boolean): { rows: FusedRows; rowOf: Int32Array } {
    const M = mb.size;
    const A = this.#A;
    const S = this.model.inDim;
    assertFiniteNumber(fn, 'batch.size', M, { min: 1, integer: true });
    for (const k of ['actions', 'oldLogProb', 'advantages', 'returns', 'oldValues'] as const) {
      const arr = mb[k];
      if (!arr || arr.length < M)
        throw new ShapeError({ fn, arg: `batch.${k}`, expected: `${M} entries`, got: arr?.length });
    }
    const gaussian = this.#logStd !== null;
    for (const k of gaussian ? (['oldMean', 'oldLogStd', 'actions'] as const) : (['oldLogits'] as const)) {
      const arr = mb[k];
      if (!arr || arr.length < M * A)
        throw new ShapeError({ fn, arg: `batch.${k}`, expected: `${M * A} entries [M, ${A}]`, got: arr?.length });
    }
    if (!gaussian) {
      if (!(mb.actions instanceof Int32Array))
        throw new ShapeError({
          fn,
          arg: 'batch.actions',
          expected: 'an Int32Array of action indices',
          got: mb.actions,
        });
      for (let i = 0; i < M; i++) {
        const a = mb.actions[i]!;
        if (!(a >= 0 && a < A))
          throw new ConfigError({ fn, arg: `batch.actions[${i}]`, expected: `an action index in [0, ${A})`, got: a });
      }
    }
    this.#reserve(M);
    if (mb.states) {
      const st = mb.states;
      if (st.length < M) throw new ShapeError({ fn, arg: 'batch.states', expected: `${M} entries`, got: st.length });
      for (let i = 0; i < M; i++) {
        const s = st[i]!;
        if (!(s >= 0 && s < S))
          throw new ConfigError({ fn, arg: `batch.states[${i}]`, expected: `a state index in [0, ${S})`, got: s });
      }
      if (!reuse) return { rows: { n: M, states: st, obs: null }, rowOf: this.#identity };
      const slot = this.#slot;
      const rs = this.#rowStates;
      const rowOf = this.#rowOf;
      let n = 0;
      for (let i = 0; i < M; i++) {
        const s = st[i]!;
        let r = slot[s]!;
        if (r < 0) {
          r = n++;
          slot[s] = r;
          rs[r] = s;
        }
        rowOf[i] = r;
      }
      for (let r = 0; r < n; r++) slot[rs[r]!] = -1;
      return { rows: { n, states: rs, obs: null }, rowOf };
    }
    if (!(this.model instanceof FusedMlpModel))
      throw new ShapeError({ fn, arg: 'batch.states', expected: 'state indices for a tabular policy', got: null });
    const o = mb.obs;
    if (!o || o.length < M * S)
      throw new ShapeError({
        fn,
        arg: 'batch.obs',
        expected: `${M * S} numbers [M, ${S}] (or batch.states)`,
        got: o?.length,
      });
    const x = this.#obs;
    for (let k = 0; k < M * S; k++) x[k] = o[k]!;
    return { rows: { n: M, states: null, obs: x }, rowOf: this.#identity };
  }

  /**
   * One optimizer step on one minibatch: the same loss, gradients, clipping, Adam update and diagnostics as
   * `ppoUpdateStep`, as numbers.
   * @param batch The minibatch (state indices or float observations).
   * @param coef The step coefficients (as `ppoUpdateStep`).
   * @param opts Early stopping and reuse.
   * @returns `applied` (false when `shouldStop` refused the step) and the scalars.
   * @throws ShapeError / ConfigError for a malformed minibatch (naming the field) or bad coefficients.
   */
  step(
    batch: FusedMinibatch,
    coef: StepCoefficients,
    opts: FusedStepOptions = {},
  ): { applied: boolean; scalars: FusedStepScalars } {
    const fn = 'FusedPpoEngine.step';
    checkCoefficients(fn, coef);
    const { rows, rowOf } = this.#rows(fn, batch, opts.reuse ?? true);
    const model = this.model;
    const ls = this.#logStd;
    model.forward(rows, true);
    const terms =
      ls === null ? this.#categoricalLoss(rows, rowOf, batch, coef) : this.#gaussianLoss(rows, rowOf, batch, coef, ls);
    let sq = 0;
    for (const g of model.grads) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
    const gradNorm = Math.sqrt(sq);
    const scalars: FusedStepScalars = { ...terms, gradNorm };
    if (opts.shouldStop) {
      const stat = opts.preStepStatistic ?? 'k3';
      const kl = stat === 'exact' ? terms.rolloutKlExact : stat === 'k1' ? terms.rolloutKlK1 : terms.rolloutKlK3;
      if (opts.shouldStop(kl)) return { applied: false, scalars };
    }
    const scale = coef.maxGradNorm === null ? 1 : Math.min(1, coef.maxGradNorm / (gradNorm + 1e-6));
    this.#gradScale = scale;
    const A = this.#A;
    // Keep π_b: the logits (categorical) or the means and log-std (Gaussian) of the rows.
    if (ls === null) this.#logqBefore.set(this.#logq.subarray(0, rows.n * A));
    else {
      this.#logqBefore.set(model.logits.subarray(0, rows.n * A));
      this.#logStdBefore.set(model.params[ls]!);
    }
    this.adam.apply(model.params, model.grads, scale, coef.lr);
    model.forward(rows, false);
    const kl = ls === null ? this.#categoricalStepKl(rows.n, rowOf, batch) : this.#gaussianStepKl(rowOf, batch, ls);
    scalars.stepKlExact = kl.exact;
    scalars.stepKlK1 = kl.k1;
    scalars.stepKlK3 = kl.k3;
    return { applied: true, scalars };
  }

  /** Forwarded outputs → categorical loss terms and model gradients. */
  #categoricalLoss(rows: FusedRows, rowOf: Int32Array, batch: FusedMinibatch, coef: StepCoefficients): LossTerms {
    const A = this.#A;
    const model = this.model;
    logSoftmaxRows(rows.n, A, model.logits, this.#logq, this.#H);
    const samples: LossSamples = {
      n: batch.size,
      rowOf,
      actions: batch.actions as Int32Array,
      oldLogProb: batch.oldLogProb,
      advantages: batch.advantages,
      returns: batch.returns,
      oldValues: batch.oldValues,
      oldLogits: batch.oldLogits!,
    };
    const terms = categoricalPpoLoss(
      rows.n,
      A,
      this.#logq,
      this.#H,
      model.values,
      samples,
      coef,
      this.#dLogits,
      this.#dValues,
      this.#logProb,
      this.#sums,
    );
    model.backward(rows, this.#dLogits, this.#dValues);
    return terms;
  }

  /** Forwarded outputs → Gaussian loss terms and model gradients (the log-std gradient added after backward). */
  #gaussianLoss(
    rows: FusedRows,
    rowOf: Int32Array,
    batch: FusedMinibatch,
    coef: StepCoefficients,
    ls: number,
  ): LossTerms {
    const D = this.#A;
    const model = this.model;
    const samples: GaussianSamples = {
      n: batch.size,
      rowOf,
      actions: batch.actions as Float32Array | Float64Array,
      oldLogProb: batch.oldLogProb,
      advantages: batch.advantages,
      returns: batch.returns,
      oldValues: batch.oldValues,
      oldMean: batch.oldMean!,
      oldLogStd: batch.oldLogStd!,
    };
    const terms = gaussianPpoLoss(
      rows.n,
      D,
      model.logits,
      model.params[ls]!,
      model.values,
      samples,
      coef,
      this.#dLogits,
      this.#dLogStd,
      this.#dValues,
      this.#logProb,
      this.#sums,
    );
    model.backward(rows, this.#dLogits, this.#dValues);
    model.grads[ls]!.set(this.#dLogStd);
    return terms;
  }

  /** Per-step KL(π_b‖π_a) of a categorical head: exact, and k1/k3 weighted by π_b/π_rollout. */
  #categoricalStepKl(
    rows: number,
    rowOf: Int32Array,
    batch: FusedMinibatch,
  ): { exact: number; k1: number; k3: number } {
    const A = this.#A;
    logSoftmaxRows(rows, A, this.model.logits, this.#logq, this.#H);
    const before = this.#logqBefore;
    const after = this.#logq;
    const actions = batch.actions as Int32Array;
    let ex = 0;
    let k1 = 0;
    let k3 = 0;
    const M = batch.size;
    for (let i = 0; i < M; i++) {
      const o = rowOf[i]! * A;
      const kl = categoricalRowKl(before, o, after, o, A);
      ex += kl > 0 ? kl : 0;
      const lpB = before[o + actions[i]!]!;
      const l = lpB - after[o + actions[i]!]!;
      const w = Math.exp(lpB - batch.oldLogProb[i]!);
      k1 += w * l;
      k3 += w * (Math.exp(-l) - 1 + l);
    }
    return { exact: ex / M, k1: k1 / M, k3: k3 / M };
  }

  /** Per-step KL(π_b‖π_a) of a Gaussian head (closed form per dimension; k1/k3 weighted by π_b/π_rollout). */
  #gaussianStepKl(rowOf: Int32Array, batch: FusedMinibatch, ls: number): { exact: number; k1: number; k3: number } {
    const D = this.#A;
    const muB = this.#logqBefore;
    const muA = this.model.logits;
    const lsB = this.#logStdBefore;
    const lsA = this.model.params[ls]!;
    const x = batch.actions;
    let ex = 0;
    let k1 = 0;
    let k3 = 0;
    const M = batch.size;
    for (let i = 0; i < M; i++) {
      const o = rowOf[i]! * D;
      const kl = gaussianRowKl(muB, o, lsB, 0, muA, o, lsA, 0, D);
      ex += kl > 0 ? kl : 0;
      const lpB = this.#logProb[i]!;
      const l = lpB - gaussianLogProb(D, x, i * D, muA, o, lsA);
      const w = Math.exp(lpB - batch.oldLogProb[i]!);
      k1 += w * l;
      k3 += w * (Math.exp(-l) - 1 + l);
    }
    return { exact: ex / M, k1: k1 / M, k3: k3 / M };
  }
}

/** Validate the step coefficients (the trainer's `StepCoefficients`). */
function checkCoefficients(fn: string, c: StepCoefficients): void {
  if (c === null || typeof c !== 'object')
    throw new ConfigError({ fn, arg: 'coef', expected: 'a StepCoefficients object', got: c });
  assertOneOf(fn, 'coef.objective', c.objective, OBJECTIVES);
  assertOneOf(fn, 'coef.klEstimator', c.klEstimator, ESTIMATORS);
  if (typeof c.clip === 'number')
    assertFiniteNumber(fn, 'coef.clip', c.clip, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  else {
    assertFiniteNumber(fn, 'coef.clip.low', c.clip?.low, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    assertFiniteNumber(fn, 'coef.clip.high', c.clip.high, { min: 0, minExclusive: true });
  }
  if (c.dualClip !== null) assertFiniteNumber(fn, 'coef.dualClip', c.dualClip, { min: 1, minExclusive: true });
  assertFiniteNumber(fn, 'coef.beta', c.beta, { min: 0 });
  assertFiniteNumber(fn, 'coef.entCoef', c.entCoef);
  assertFiniteNumber(fn, 'coef.vfCoef', c.vfCoef);
  if (c.valueClip !== null) assertFiniteNumber(fn, 'coef.valueClip', c.valueClip, { min: 0, minExclusive: true });
  if (c.maxGradNorm !== null) assertFiniteNumber(fn, 'coef.maxGradNorm', c.maxGradNorm, { min: 0, minExclusive: true });
  assertFiniteNumber(fn, 'coef.lr', c.lr, { min: 0 });
}
