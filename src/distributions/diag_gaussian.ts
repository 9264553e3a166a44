/**
 * Diagonal Gaussian N(μ, diag σ²) over ℝ^D, batched over rows, as an immutable view (
 * distrax `distrax/_src/distributions/mvn_diag.py`, SB3 `DiagGaussianDistribution`). All quantities are summed
 * over the D independent coordinates.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, NumericError, ShapeError } from '../core/errors.js';
import { toTensor, type TensorLike } from '../core/tensor.js';
import type { Rng } from '../random/rng.js';
import type { Distribution, DistributionParams } from './types.js';

/** A Gaussian parameter: a tensor or (nested) number arrays / typed arrays. */
export type GaussianParam = tf.Tensor | number[] | number[][] | Float32Array | Float64Array;

/** Arguments of {@link DiagGaussian.create}. */
export interface DiagGaussianArgs {
  /** Means μ, shape [D] or [B, D]. */
  mean: GaussianParam;
  /** log σ, shape [D] (state-independent, broadcast over rows) or the shape of `mean`. */
  logStd: GaussianParam;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const HALF_LOG_2PIE = 0.5 * Math.log(2 * Math.PI * Math.E);

function paramShape(fn: string, arg: string, x: GaussianParam): number[] {
  if (x instanceof tf.Tensor) return x.shape;
  if (ArrayBuffer.isView(x)) return [x.length];
  if (!Array.isArray(x)) throw new ShapeError({ fn, arg, expected: 'a tensor or an array of numbers', got: x });
  if (x.length > 0 && Array.isArray(x[0])) {
    const d = (x[0] as number[]).length;
    for (let i = 0; i < x.length; i++) {
      const row = x[i];
      if (!Array.isArray(row) || row.length !== d)
        throw new ShapeError({
          fn,
          arg: `${arg}[${i}]`,
          expected: `a row of length ${d} (rectangular array)`,
          got: row,
        });
    }
    return [x.length, d];
  }
  return [x.length];
}

/** The largest finite float32 value. */
const FLOAT32_MAX = 3.4028234663852886e38;
/** |log σ| bound: σ = exp(log σ) stays a finite, non-zero float32 (exp(88) ≈ 1.7e38, exp(−88) ≈ 6e-39). */
const LOG_STD_MAX = 88;

/**
 * Array entries: finite numbers that float32 holds (arrays become float32 tensors, where 1e39 would be Infinity),
 * and for log σ within ±{@link LOG_STD_MAX}. Tensors: a numeric dtype (their data is not read).
 */
function checkFiniteArray(fn: string, arg: 'mean' | 'logStd', x: GaussianParam): void {
  if (x instanceof tf.Tensor) {
    if (x.dtype !== 'float32' && x.dtype !== 'int32')
      throw new ShapeError({ fn, arg, expected: 'a float32 (or int32) tensor', got: `dtype ${x.dtype}` });
    return;
  }
  const bound = arg === 'logStd' ? LOG_STD_MAX : FLOAT32_MAX;
  const rows: ArrayLike<unknown>[] = ArrayBuffer.isView(x)
    ? [x]
    : x.length > 0 && Array.isArray(x[0])
      ? (x as number[][])
      : [x as number[]];
  rows.forEach((row, r) => {
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      const at = (): string =>
        rows.length > 1 || (Array.isArray(x) && Array.isArray(x[0])) ? `${arg}[${r}][${i}]` : `${arg}[${i}]`;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new NumericError({ fn, arg: at(), expected: 'a finite number', got: v });
      }
      if (Math.abs(v) > bound) {
        throw new NumericError({
          fn,
          arg: at(),
          expected:
            arg === 'logStd'
              ? `within [-${LOG_STD_MAX}, ${LOG_STD_MAX}] (σ = exp(logStd) must be a finite, non-zero float32)`
              : 'within the float32 range (|x| ≤ 3.4e38)',
          got: v,
        });
      }
    }
  });
}

/**
 * A diagonal Gaussian policy distribution N(μ, diag σ²), σ = exp(logStd).
 *
 * log p(x) = Σ_d [−½((x_d − μ_d)/σ_d)² − log σ_d − ½ log 2π].
 *
 * A **view** (no clone, no ownership, no `dispose()`); arrays become tensors inside each method call. Every
 * method returns new tensors owned by the caller. Source: distrax `mvn_diag.py`; SB3
 * `stable_baselines3/common/distributions.py` `DiagGaussianDistribution` (state-independent log σ).
 * @example
 * ```ts
 * const kl = tf.tidy(() => {
 *   const p = DiagGaussian.create({ mean: [0, 0], logStd: [0, 0] });
 *   const q = DiagGaussian.create({ mean: [1, 0], logStd: [0, 0] });
 *   return p.kl(q); // 0.5
 * });
 * ```
 */
export class DiagGaussian implements Distribution {
  /** Discriminant shared with the other distributions. */
  readonly kind = 'diag-gaussian' as const;
  /** Batch shape: [] for a single distribution, [B] for B rows. */
  readonly batchShape: readonly number[];
  /** Event dimension D. */
  readonly dim: number;
  readonly #mean: GaussianParam;
  readonly #logStd: GaussianParam;
  readonly #shape: number[];

  private constructor(mean: GaussianParam, logStd: GaussianParam, shape: number[]) {
    this.#mean = mean;
    this.#logStd = logStd;
    this.#shape = shape;
    this.batchShape = Object.freeze(shape.slice(0, -1));
    this.dim = shape[shape.length - 1]!;
  }

  /**
   * Build a diagonal Gaussian view from its mean and log standard deviation.
   *
   * σ = exp(logStd); logStd of shape [D] is shared by every row (state-independent, as in PPO for continuous
   * control), or has the shape of `mean`.
   * Arrays are checked to hold finite numbers that float32 holds (|μ| ≤ 3.4e38, |log σ| ≤ 88 so that σ is a finite,
   * non-zero float32); tensors only by shape and dtype (no data is read).
   * @param args `{ mean: [D] | [B, D], logStd: [D] | shape of mean }`; neither is cloned or owned.
   * @returns A view; no tensor is allocated.
   * @throws ShapeError for a wrong rank, D = 0, a logStd shape that is neither [D] nor the mean's shape, or a tensor
   *   that is not float32/int32; NumericError for NaN/±Infinity array entries or ones beyond those float32 bounds;
   *   ConfigError when `args` is not an object.
   * @example
   * ```ts
   * const pi = DiagGaussian.create({ mean: [[0, 1], [2, 3]], logStd: [0, -1] });
   * ```
   */
  static create(args: DiagGaussianArgs): DiagGaussian {
    const fn = 'DiagGaussian.create';
    if (args === null || typeof args !== 'object')
      throw new ConfigError({ fn, arg: 'args', expected: 'an object { mean, logStd }', got: args });
    const { mean, logStd } = args;
    const ms = paramShape(fn, 'mean', mean);
    if ((ms.length !== 1 && ms.length !== 2) || ms[ms.length - 1]! < 1) {
      throw new ShapeError({
        fn,
        arg: 'mean',
        expected: 'of shape [D] or [B, D] with D ≥ 1',
        got: mean instanceof tf.Tensor ? mean : `shape [${ms.join(',')}]`,
      });
    }
    const ls = paramShape(fn, 'logStd', logStd);
    const D = ms[ms.length - 1]!;
    const okLs = (ls.length === 1 && ls[0] === D) || (ls.length === ms.length && ls.every((d, i) => d === ms[i]));
    if (!okLs) {
      throw new ShapeError({
        fn,
        arg: 'logStd',
        expected: `of shape [${D}] or [${ms.join(',')}] (the mean's shape)`,
        got: logStd instanceof tf.Tensor ? logStd : `shape [${ls.join(',')}]`,
      });
    }
    checkFiniteArray(fn, 'mean', mean);
    checkFiniteArray(fn, 'logStd', logStd);
    return new DiagGaussian(mean, logStd, ms);
  }

  #meanT(): tf.Tensor {
    const t = toTensor('DiagGaussian', 'mean', this.#mean as TensorLike);
    return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
  }

  /** log σ broadcast to the mean's shape (unscoped). */
  #logStdT(): tf.Tensor {
    let t = toTensor('DiagGaussian', 'logStd', this.#logStd as TensorLike);
    if (t.dtype !== 'float32') t = tf.cast(t, 'float32');
    return t.rank === this.#shape.length ? t : tf.broadcastTo(t, this.#shape);
  }

  /**
   * The mean μ (a copy sharing data, so the caller may dispose it).
   * @returns A new tensor [D] or [B, D]; caller disposes.
   * @example
   * ```ts
   * DiagGaussian.create({ mean: [1, 2], logStd: [0, 0] }).mean(); // [1, 2]
   * ```
   */
  mean(): tf.Tensor {
    return tf.tidy(() => tf.clone(this.#meanT()));
  }

  /**
   * The standard deviation σ = exp(logStd), broadcast to the mean's shape.
   * @returns A new tensor [D] or [B, D]; caller disposes.
   * @example
   * ```ts
   * DiagGaussian.create({ mean: [[0], [0]], logStd: [0] }).std(); // [[1], [1]]
   * ```
   */
  std(): tf.Tensor {
    return tf.tidy(() => tf.exp(this.#logStdT()));
  }

  /**
   * log σ, broadcast to the mean's shape.
   * @returns A new tensor [D] or [B, D]; caller disposes.
   * @example
   * ```ts
   * DiagGaussian.create({ mean: [0, 0], logStd: [-1, 0] }).logStd(); // [-1, 0]
   * ```
   */
  logStd(): tf.Tensor {
    return tf.tidy(() => tf.clone(this.#logStdT()));
  }

  /**
   * The defining parameters: `{ kind: 'diag-gaussian', mean, logStd }`, log σ broadcast to the mean's shape.
   * @returns New tensors; caller disposes.
   * @example
   * ```ts
   * DiagGaussian.create({ mean: [[0, 1]], logStd: [-1, 0] }).params().logStd; // [[-1, 0]]
   * ```
   */
  params(): DistributionParams {
    return { kind: 'diag-gaussian', mean: this.mean(), logStd: this.logStd() };
  }

  /**
   * Log density of `x`, summed over the D coordinates.
   *
   * log p(x) = Σ_d [−½((x_d − μ_d)/σ_d)² − log σ_d − ½ log 2π].
   * @param x Points of the mean's shape ([D] or [B, D]).
   * @returns A new tensor of the batch shape ([] or [B]); caller disposes.
   * @throws ShapeError when `x` does not have the mean's shape.
   * @example
   * ```ts
   * DiagGaussian.create({ mean: [0], logStd: [0] }).logProb([0]); // −½ log 2π ≈ −0.91894
   * ```
   */
  logProb(x: GaussianParam): tf.Tensor {
    const fn = 'DiagGaussian.logProb';
    const xs = paramShape(fn, 'x', x);
    if (xs.length !== this.#shape.length || xs.some((d, i) => d !== this.#shape[i])) {
      throw new ShapeError({
        fn,
        arg: 'x',
        expected: `of the mean's shape [${this.#shape.join(',')}]`,
        got: x instanceof tf.Tensor ? x : `shape [${xs.join(',')}]`,
      });
    }
    return tf.tidy(() => {
      let xt = toTensor(fn, 'x', x as TensorLike);
      if (xt.dtype !== 'float32') xt = tf.cast(xt, 'float32');
      const logStd = this.#logStdT();
      const z = tf.mul(tf.sub(xt, this.#meanT()), tf.exp(tf.neg(logStd)));
      const per = tf.sub(tf.mul(-0.5, tf.square(z)), tf.add(logStd, HALF_LOG_2PI));
      return tf.sum(per, -1);
    });
  }

  /**
   * Differential entropy, summed over the coordinates, in nats.
   *
   * H = Σ_d (log σ_d + ½ log 2πe).
   * @returns A new tensor of the batch shape; caller disposes.
   * @example
   * ```ts
   * DiagGaussian.create({ mean: [0, 0], logStd: [0, 0] }).entropy(); // log 2πe ≈ 2.83788
   * ```
   */
  entropy(): tf.Tensor {
    return tf.tidy(() => tf.sum(tf.add(this.#logStdT(), HALF_LOG_2PIE), -1));
  }

  /**
   * The mode, which is the mean μ.
   * @returns A new tensor [D] or [B, D]; caller disposes.
   * @example
   * ```ts
   * DiagGaussian.create({ mean: [3], logStd: [0] }).mode(); // [3]
   * ```
   */
  mode(): tf.Tensor {
    return this.mean();
  }

  /**
   * One draw per row, x = μ + σ·ε with ε ~ N(0, I) drawn in JS from `rng.normal()` (row-major order), never from a
   * tfjs random op, so draws follow the caller's Rng.
   * @param rng The random stream; consumes D normals per row.
   * @returns A new float32 tensor of the mean's shape; caller disposes.
   * @example
   * ```ts
   * const x = DiagGaussian.create({ mean: [0, 0], logStd: [0, 0] }).sample(createRng(3));
   * ```
   */
  sample(rng: Rng): tf.Tensor {
    const [mu, sigma] = tf.tidy(() => [this.#meanT().clone(), tf.exp(this.#logStdT())]) as [tf.Tensor, tf.Tensor];
    const m = mu.dataSync();
    const s = sigma.dataSync();
    tf.dispose([mu, sigma]);
    const out = new Float32Array(m.length);
    for (let i = 0; i < out.length; i++) out[i] = m[i]! + s[i]! * rng.normal();
    return tf.tensor(out, this.#shape, 'float32');
  }

  /**
   * Exact KL(this‖other) between diagonal Gaussians, per row, in nats.
   *
   * KL(p‖q) = max(0, Σ_d [log(σ_q/σ_p) + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − ½]) (≥ 0 in exact arithmetic; the clamp
   * removes float32 rounding below 0 when p ≈ q, so a reported KL is never negative).
   *
   * Source: distrax `mvn_diag.py` / `normal.py` `_kl_divergence_normal_normal`.
   * @param other A diagonal Gaussian with the same mean shape.
   * @returns A new tensor of the batch shape; caller disposes.
   * @throws ConfigError when `other` is not a diagonal Gaussian; ShapeError for a different shape.
   * @example
   * ```ts
   * DiagGaussian.create({ mean: [0], logStd: [0] }).kl(DiagGaussian.create({ mean: [1], logStd: [0] })); // 0.5
   * ```
   */
  kl(other: Distribution): tf.Tensor {
    const q = asGaussianLike('DiagGaussian.kl', 'other', this, other);
    return tf.tidy(() => {
      const lp = this.#logStdT();
      const lq = q.#logStdT();
      const varRatio = tf.exp(tf.mul(2, tf.sub(lp, lq)));
      const dm = tf.mul(tf.sub(this.#meanT(), q.#meanT()), tf.exp(tf.neg(lq)));
      const per = tf.add(tf.sub(lq, lp), tf.mul(0.5, tf.sub(tf.add(varRatio, tf.square(dm)), 1)));
      return tf.relu(tf.sum(per, -1));
    });
  }
}

/**
 * Check that `other` is a diagonal Gaussian of the same shape as `self`; used by `kl` and `src/kl/exact.ts`.
 * @internal
 */
export function asGaussianLike(fn: string, arg: string, self: DiagGaussian, other: Distribution): DiagGaussian {
  if (!(other instanceof DiagGaussian)) {
    throw new ConfigError({
      fn,
      arg,
      expected: "a DiagGaussian (kind 'diag-gaussian')",
      got: (other as { kind?: unknown } | null)?.kind ?? other,
    });
  }
  const same =
    other.dim === self.dim &&
    other.batchShape.length === self.batchShape.length &&
    other.batchShape.every((d, i) => d === self.batchShape[i]);
  if (!same) {
    throw new ShapeError({
      fn,
      arg,
      expected: `a diagonal Gaussian of batch shape [${self.batchShape.join(',')}] and dimension ${self.dim}`,
      got: `batch shape [${other.batchShape.join(',')}] and dimension ${other.dim}`,
    });
  }
  return other;
}
