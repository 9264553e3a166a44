/**
 * Categorical distribution over A actions, as an immutable view over logits or probabilities
 * (distrax `distrax/_src/distributions/categorical.py`).
 *
 * Zero-probability actions (`-Infinity` logits, or zeros given to {@link Categorical.fromProbs}) are valid.
 * Every term p·f with p = 0 is selected away with `tf.where` on a value whose other branch is made finite first
 * (distrax `utils/math.py` `mul_exp`), so entropies and KLs stay finite where they should and gradients w.r.t.
 * the logits stay finite (a product 0·(−∞) would give NaN values and NaN gradients).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertProbabilities } from '../core/assert.js';
import { ConfigError, NumericError, ShapeError } from '../core/errors.js';
import { toTensor, type TensorLike } from '../core/tensor.js';
import type { Rng } from '../random/rng.js';
import { sampleCategorical } from '../random/sampling.js';
import type { Distribution, DistributionParams } from './types.js';

/** Parameters of a categorical: a tensor or (nested) number arrays / typed arrays, shape [A] or [B, A]. */
export type CategoricalParams = tf.Tensor | number[] | number[][] | Float32Array | Float64Array;

/** Action indices: an int tensor (or float holding integers) or numbers, shape [] / [B] (or [N] for a single [A] distribution). */
export type CategoricalActions = tf.Tensor | number | number[] | number[][] | Int32Array | Float32Array | Float64Array;

/** The largest finite float32 value. */
const FLOAT32_MAX = 3.4028234663852886e38;

function shapeOf(fn: string, arg: string, x: CategoricalParams): number[] {
  if (x instanceof tf.Tensor) return x.shape;
  if (ArrayBuffer.isView(x)) return [x.length];
  if (!Array.isArray(x))
    throw new ShapeError({ fn, arg, expected: 'a tensor or an array of numbers of shape [A] or [B, A]', got: x });
  if (x.length > 0 && Array.isArray(x[0])) {
    const a = (x[0] as number[]).length;
    for (let i = 0; i < x.length; i++) {
      const row = x[i];
      if (!Array.isArray(row) || row.length !== a) {
        throw new ShapeError({
          fn,
          arg: `${arg}[${i}]`,
          expected: `a row of length ${a} (rectangular [B, A] array)`,
          got: row,
        });
      }
    }
    return [x.length, a];
  }
  return [x.length];
}

function rowsOf(x: number[] | number[][] | Float32Array | Float64Array): ArrayLike<number>[] {
  if (ArrayBuffer.isView(x)) return [x];
  if (x.length > 0 && Array.isArray(x[0])) return x as number[][];
  return [x as number[]];
}

/**
 * A categorical distribution π(a) over actions {0, …, A−1}, batched over rows.
 *
 * π(a) = softmax(logits)_a = exp(logits_a − logsumexp(logits)).
 *
 * A **view**: it neither clones nor owns its parameters and has no `dispose()`; arrays are converted to
 * tensors inside each method call. Create it inside the caller's `tf.tidy`. Every method returns new tensors
 * owned by the caller. Source: distrax `distrax/_src/distributions/categorical.py`.
 * @example
 * ```ts
 * const [kl, h] = tf.tidy(() => {
 *   const p = Categorical.fromLogits([[1, 1, 0]]);
 *   const q = Categorical.fromLogits([[1, 2, 0]]);
 *   return [p.kl(q), p.entropy()];
 * }); // kl ≈ [0.12329], h ≈ [1.04432]
 * ```
 */
export class Categorical implements Distribution {
  /** Discriminant shared with the other distributions. */
  readonly kind = 'categorical' as const;
  /** Batch shape: [] for a single distribution, [B] for B rows. */
  readonly batchShape: readonly number[];
  /** Number of actions A. */
  readonly numActions: number;
  readonly #param: CategoricalParams;
  readonly #isProbs: boolean;

  private constructor(param: CategoricalParams, isProbs: boolean, shape: number[]) {
    this.#param = param;
    this.#isProbs = isProbs;
    this.batchShape = Object.freeze(shape.slice(0, -1));
    this.numActions = shape[shape.length - 1]!;
  }

  /**
   * A categorical from unnormalised logits: π(a) = exp(x_a) / Σ_b exp(x_b).
   *
   * `-Infinity` logits are valid (probability 0). Arrays are checked (no NaN, no `+Infinity`, each row with at
   * least one finite entry); for a tensor only the rank and A ≥ 1 are checked (no data is read), so NaN or an
   * all-`-Infinity` row give NaN results. Source: distrax `Categorical(logits=…)`.
   * @param logits Shape [A] or [B, A]; not cloned, not owned.
   * @returns A view; no tensor is allocated.
   * @throws ShapeError for a wrong rank, ragged arrays or A = 0; NumericError for NaN/`+Infinity` array entries (or a
   *   magnitude beyond float32, > 3.4e38) or an all-`-Infinity` row.
   * @example
   * ```ts
   * const pi = Categorical.fromLogits([0, Math.log(3)]); // π = [0.25, 0.75]
   * ```
   */
  static fromLogits(logits: CategoricalParams): Categorical {
    const fn = 'Categorical.fromLogits';
    const shape = checkShape(fn, 'logits', logits);
    if (!(logits instanceof tf.Tensor)) {
      rowsOf(logits).forEach((row, r) => {
        let anyFinite = false;
        for (let i = 0; i < row.length; i++) {
          const v = row[i];
          // Arrays become float32 tensors: |v| > FLOAT32_MAX would turn into ±Infinity (and the probabilities into NaN).
          const at = (): string => (shape.length === 2 ? `logits[${r}][${i}]` : `logits[${i}]`);
          if (typeof v !== 'number' || Number.isNaN(v) || v === Infinity) {
            throw new NumericError({ fn, arg: at(), expected: 'a finite number or -Infinity', got: v });
          }
          if (v !== -Infinity && Math.abs(v) > FLOAT32_MAX) {
            throw new NumericError({
              fn,
              arg: at(),
              expected: 'within the float32 range (|x| ≤ 3.4e38) or -Infinity',
              got: v,
            });
          }
          if (v !== -Infinity) anyFinite = true;
        }
        if (!anyFinite) {
          throw new NumericError({
            fn,
            arg: shape.length === 2 ? `logits[${r}]` : 'logits',
            expected: 'a row with at least one finite logit',
            got: row,
          });
        }
      });
    }
    return new Categorical(logits, false, shape);
  }

  /**
   * A categorical from probabilities: π(a) = p_a / Σ_b p_b (log p_a = −∞ where p_a = 0).
   *
   * Arrays are validated: every entry finite and ≥ 0, every row summing to 1 within 1e-6. For a tensor only the
   * rank and A ≥ 1 are checked (no data is read); its rows are renormalised. Gradients w.r.t. a probability tensor
   * are finite only where p > 0 (use {@link Categorical.fromLogits} to train).
   * @param probs Shape [A] or [B, A]; not cloned, not owned.
   * @returns A view; no tensor is allocated.
   * @throws ShapeError for a wrong rank or ragged arrays; NumericError for NaN/±Infinity; ConfigError for negative
   *   entries or a row sum ≠ 1.
   * @example
   * ```ts
   * const teacher = Categorical.fromProbs([0.7, 0.3]);
   * ```
   */
  static fromProbs(probs: CategoricalParams): Categorical {
    const fn = 'Categorical.fromProbs';
    const shape = checkShape(fn, 'probs', probs);
    if (!(probs instanceof tf.Tensor)) {
      rowsOf(probs).forEach((row, r) => {
        assertProbabilities(fn, shape.length === 2 ? `probs[${r}]` : 'probs', row);
      });
    }
    return new Categorical(probs, true, shape);
  }

  /** The parameter as a float tensor (a new tensor for arrays, inside the caller's scope). */
  #raw(): tf.Tensor {
    const t = toTensor('Categorical', this.#isProbs ? 'probs' : 'logits', this.#param as TensorLike);
    return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
  }

  /**
   * Normalised log-probabilities log π = logSoftmax(x) **without** a `tf.tidy` scope, for composite ops
   * (`src/kl/exact.ts`) that run inside their own tidy. Prefer {@link Categorical.logits}.
   * @internal
   * @returns A new tensor [A] or [B, A], plus intermediates, all owned by the caller's scope.
   * @example
   * ```ts
   * tf.tidy(() => tf.sum(Categorical.fromLogits([1, 2]).logitsUnscoped()));
   * ```
   */
  logitsUnscoped(): tf.Tensor {
    const raw = this.#raw();
    return tf.logSoftmax(this.#isProbs ? tf.log(raw) : raw, -1);
  }

  /**
   * Normalised log-probabilities log π(a) = x_a − logsumexp(x) (stable `tf.logSoftmax`); `-Infinity` where π(a) = 0.
   *
   * Source: tfjs `tfjs-core/src/ops/log_softmax.ts`.
   * @returns A new tensor [A] or [B, A]; caller disposes.
   * @example
   * ```ts
   * Categorical.fromProbs([0.5, 0.5]).logits(); // [-0.6931, -0.6931]
   * ```
   */
  logits(): tf.Tensor {
    return tf.tidy(() => this.logitsUnscoped());
  }

  /**
   * The defining parameters: `{ kind: 'categorical', logits }` with the normalised log-probabilities of
   * {@link Categorical.logits}.
   * @returns New tensors; caller disposes.
   * @example
   * ```ts
   * Categorical.fromProbs([0.25, 0.75]).params().logits; // [-1.3863, -0.2877]
   * ```
   */
  params(): DistributionParams {
    return { kind: 'categorical', logits: this.logits() };
  }

  /**
   * Probabilities π(a) = softmax(x)_a; exactly 0 for `-Infinity` logits.
   * @returns A new tensor [A] or [B, A] whose rows sum to 1; caller disposes.
   * @example
   * ```ts
   * Categorical.fromLogits([0, Math.log(3)]).probs(); // [0.25, 0.75]
   * ```
   */
  probs(): tf.Tensor {
    return tf.tidy(() => tf.exp(this.logitsUnscoped()));
  }

  /**
   * log π(a) of the given actions, selected with a one-hot mask and `tf.where` + sum (no `tf.gather`, whose gradient
   * is missing on wasm; no 0·(−∞)).
   *
   * logProb(a) = Σ_b [b = a] · log π(b).
   * @param actions Integer action indices: shape [B] for logits [B, A]; shape [] (or [N], evaluated under the single
   *   distribution) for logits [A]. Arrays are checked to hold integers in [0, A); tensors are not read (an
   *   out-of-range index in a tensor gives 0).
   * @returns A new tensor of the actions' shape; caller disposes.
   * @throws ShapeError when the actions do not match the batch shape; ConfigError for non-integer or out-of-range
   *   array entries.
   * @example
   * ```ts
   * Categorical.fromProbs([[0.7, 0.3], [0.4, 0.6]]).logProb([0, 1]); // [log 0.7, log 0.6]
   * ```
   */
  logProb(actions: CategoricalActions): tf.Tensor {
    const fn = 'Categorical.logProb';
    const A = this.numActions;
    if (!(actions instanceof tf.Tensor)) {
      if (typeof actions === 'number') checkAction(fn, 'actions', actions, A);
      else if (Array.isArray(actions) || ArrayBuffer.isView(actions)) {
        const arr = actions as ArrayLike<unknown>;
        for (let i = 0; i < arr.length; i++) checkAction(fn, `actions[${i}]`, arr[i], A);
      } else
        throw new ShapeError({ fn, arg: 'actions', expected: 'a tensor or an array of action indices', got: actions });
    }
    const aShape =
      actions instanceof tf.Tensor
        ? actions.shape
        : typeof actions === 'number'
          ? []
          : [(actions as ArrayLike<number>).length];
    const ok =
      this.batchShape.length === 0 ? aShape.length <= 1 : aShape.length === 1 && aShape[0] === this.batchShape[0];
    if (!ok) {
      throw new ShapeError({
        fn,
        arg: 'actions',
        expected:
          this.batchShape.length === 0
            ? 'a scalar or a vector of action indices'
            : `a vector of ${this.batchShape[0]} action indices (one per row)`,
        got: actions instanceof tf.Tensor ? actions : `shape [${aShape.join(',')}]`,
      });
    }
    return tf.tidy(() => {
      let a = actions instanceof tf.Tensor ? actions : tf.tensor(actions as number | number[], aShape, 'int32');
      if (a.dtype !== 'int32') a = tf.cast(a, 'int32');
      let logp = this.logitsUnscoped();
      const mask = tf.cast(tf.oneHot(a.rank === 0 ? tf.reshape(a, [1]) : a, A), 'bool');
      if (logp.rank === 1) logp = tf.broadcastTo(tf.expandDims(logp, 0), mask.shape);
      const picked = tf.sum(tf.where(mask, logp, tf.zerosLike(logp)), -1);
      return a.rank === 0 ? tf.reshape(picked, []) : picked;
    });
  }

  /**
   * Entropy H(π) = −Σ_a π(a) log π(a) per row, in nats, with 0·log 0 = 0 (finite with `-Infinity` logits, with
   * finite gradients).
   * @returns A new tensor of the batch shape ([] or [B]); caller disposes.
   * @example
   * ```ts
   * Categorical.fromProbs([0.5, 0.5, 0]).entropy(); // ln 2 ≈ 0.6931
   * ```
   */
  entropy(): tf.Tensor {
    return tf.tidy(() => {
      const logp = this.logitsUnscoped();
      const p = tf.exp(logp);
      const pos = positiveMask(p);
      const safeLogp = tf.where(pos, logp, tf.zerosLike(logp));
      return tf.neg(tf.sum(tf.mul(p, safeLogp), -1));
    });
  }

  /**
   * The most likely action per row, argmax_a π(a) (the first one on ties).
   * @returns A new int32 tensor of the batch shape; caller disposes.
   * @example
   * ```ts
   * Categorical.fromLogits([[0, 2, 1]]).mode(); // [1]
   * ```
   */
  mode(): tf.Tensor {
    return tf.tidy(() => tf.argMax(this.logitsUnscoped(), -1));
  }

  /**
   * One action per row, a ~ π, drawn in JS from `rng` with {@link sampleCategorical} (inverse CDF, one uniform per
   * row) after reading the probabilities; never `tf.multinomial`, whose seed handling is global (src/random/sampling.ts).
   * @param rng The random stream; consumes one `float()` per row.
   * @returns A new int32 tensor of the batch shape; caller disposes.
   * @example
   * ```ts
   * const a = Categorical.fromProbs([0.7, 0.3]).sample(createRng(1)); // int32 scalar, 0 with probability 0.7
   * ```
   */
  sample(rng: Rng): tf.Tensor {
    const probs = this.probs();
    const data = probs.dataSync();
    probs.dispose();
    const A = this.numActions;
    const rows = data.length / A;
    const out = new Int32Array(rows);
    for (let r = 0; r < rows; r++) out[r] = sampleCategorical(data.subarray(r * A, (r + 1) * A), rng);
    return tf.tensor(out, [...this.batchShape], 'int32');
  }

  /**
   * Exact KL(this‖other) per row, in nats.
   *
   * KL(p‖q) = max(0, Σ_a p(a) (log p(a) − log q(a))), with 0·log(0/q) = 0 and +∞ when q(a) = 0 < p(a).
   * The sum is ≥ 0 in exact arithmetic (Gibbs' inequality); the clamp removes the ≈ −1e-8 that float32 rounding
   * leaves when p ≈ q (where the gradient is ≈ 0 anyway), so a reported KL is never negative.
   *
   * Source: distrax `categorical.py` `_kl_divergence_categorical_categorical`.
   * @param other A categorical with the same batch shape and number of actions.
   * @returns A new tensor of the batch shape; caller disposes.
   * @throws ConfigError when `other` is not categorical; ShapeError for a different batch shape or A.
   * @example
   * ```ts
   * Categorical.fromLogits([1, 1, 0]).kl(Categorical.fromLogits([1, 2, 0])); // ≈ 0.12329
   * ```
   */
  kl(other: Distribution): tf.Tensor {
    const q = asCategoricalLike('Categorical.kl', 'other', this, other);
    return tf.tidy(() => {
      const logp = this.logitsUnscoped();
      const logq = q.logitsUnscoped();
      const p = tf.exp(logp);
      const pos = positiveMask(p);
      const diff = tf.where(pos, tf.sub(logp, logq), tf.zerosLike(logp));
      return tf.relu(tf.sum(tf.mul(p, diff), -1));
    });
  }
}

/**
 * Boolean mask x > 0 that is constant for autodiff (tfjs registers no gradient for `Greater`, so a mask computed from
 * a tensor on the tape would break `tf.grad`; the true derivative of a step function is 0 almost everywhere).
 *
 * mask = [x > 0], ∂mask/∂x := 0.
 * @internal
 * @param x Any float tensor.
 * @returns A new bool tensor of x's shape, owned by the caller's scope.
 * @example
 * ```ts
 * tf.tidy(() => positiveMask(tf.tensor([0, 0.5]))); // [false, true]
 * ```
 */
export function positiveMask(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const t = args[0] as tf.Tensor;
    return { value: tf.greater(t, 0), gradFunc: () => tf.zerosLike(t) };
  });
  return f(x);
}

function checkShape(fn: string, arg: string, x: CategoricalParams): number[] {
  const shape = shapeOf(fn, arg, x);
  if (shape.length !== 1 && shape.length !== 2) {
    throw new ShapeError({
      fn,
      arg,
      expected: 'of shape [A] or [B, A]',
      got: x instanceof tf.Tensor ? x : `shape [${shape.join(',')}]`,
    });
  }
  if (shape[shape.length - 1]! < 1) {
    throw new ShapeError({
      fn,
      arg,
      expected: 'at least one action (A ≥ 1)',
      got: x instanceof tf.Tensor ? x : `shape [${shape.join(',')}]`,
    });
  }
  return shape;
}

function checkAction(fn: string, arg: string, a: unknown, A: number): void {
  if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a >= A) {
    throw new ConfigError({ fn, arg, expected: `an integer action index in [0, ${A})`, got: a });
  }
}

/**
 * Check that `other` is a categorical of the same batch shape and A as `self`; used by `kl` and `src/kl/exact.ts`.
 * @internal
 */
export function asCategoricalLike(fn: string, arg: string, self: Categorical, other: Distribution): Categorical {
  if (
    other === null ||
    typeof other !== 'object' ||
    other.kind !== 'categorical' ||
    typeof (other as Categorical).logitsUnscoped !== 'function'
  ) {
    throw new ConfigError({
      fn,
      arg,
      expected: "a Categorical (kind 'categorical')",
      got: (other as { kind?: unknown } | null)?.kind ?? other,
    });
  }
  const q = other as Categorical;
  const same =
    q.numActions === self.numActions &&
    q.batchShape.length === self.batchShape.length &&
    q.batchShape.every((d, i) => d === self.batchShape[i]);
  if (!same) {
    throw new ShapeError({
      fn,
      arg,
      expected: `a categorical of batch shape [${self.batchShape.join(',')}] over ${self.numActions} actions`,
      got: `batch shape [${q.batchShape.join(',')}] over ${q.numActions} actions`,
    });
  }
  return q;
}
