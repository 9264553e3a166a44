/**
 * Observation and action spaces (Gymnasium `gymnasium/spaces/discrete.py`, `box.py`): plain classes with
 * plain fields, sampled from an injected {@link Rng} (d3-random's `.source` idea), never the global unseeded generator.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import type { Rng } from '../src/random/rng.js';

/**
 * The finite set {0, 1, …, n−1} (Gymnasium `Discrete(n)` with `start = 0`).
 *
 * x ∈ Discrete(n) ⇔ x ∈ ℤ and 0 ≤ x < n. `sample` draws uniformly: P(x) = 1/n.
 *
 * Source: Gymnasium `gymnasium/spaces/discrete.py`.
 * @example
 * ```ts
 * const space = new Discrete(4);
 * space.sample(createRng(0)); // 0, 1, 2 or 3
 * space.contains(2);          // true
 * ```
 */
export class Discrete {
  /** Discriminant: `'discrete'`. */
  readonly kind = 'discrete' as const;
  /** Number of elements n ≥ 1. */
  readonly n: number;
  /**
   * @param n The number of elements, a positive safe integer.
   * @throws EnvError when n is not a positive integer.
   */
  constructor(n: number) {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new EnvError({ fn: 'Discrete', arg: 'n', expected: 'a positive integer', got: n });
    }
    this.n = n;
  }

  /**
   * A uniform draw from {0, …, n−1}.
   * @param rng The stream to draw from (one draw).
   * @returns An integer in [0, n).
   */
  sample(rng: Rng): number {
    return rng.int(0, this.n);
  }

  /**
   * Membership test: x is an integer number with 0 ≤ x < n.
   * @param x Any value.
   * @returns Whether x belongs to the space.
   */
  contains(x: unknown): boolean {
    return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < this.n;
  }
}

function broadcast(fn: string, arg: string, v: number | ArrayLike<number>, size: number): Float64Array {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new EnvError({ fn, arg, expected: 'a number or an array of numbers (not NaN)', got: v });
    return new Float64Array(size).fill(v);
  }
  if (v === null || typeof v !== 'object' || typeof v.length !== 'number') {
    throw new EnvError({ fn, arg, expected: 'a number or an array of numbers', got: v });
  }
  if (v.length !== size) throw new EnvError({ fn, arg, expected: `of length ${size} (the product of shape)`, got: v });
  const out = Float64Array.from(v);
  for (let i = 0; i < size; i++) {
    if (Number.isNaN(out[i]!))
      throw new EnvError({ fn, arg: `${arg}[${i}]`, expected: 'a number (not NaN)', got: out[i] });
  }
  return out;
}

/**
 * A box in ℝ^d, the product of intervals [low_i, high_i] (Gymnasium `Box(low, high, shape)`; scalar bounds broadcast).
 *
 * x ∈ Box ⇔ x has d = ∏ shape finite-or-bounded entries with low_i ≤ x_i ≤ high_i. `sample` draws each coordinate
 * like Gymnasium: U[low, high] when both bounds are finite, low + Exp(1) / high − Exp(1) when one is, N(0, 1) when none is.
 *
 * Source: Gymnasium `gymnasium/spaces/box.py` (`Box.sample`, `Box.contains`).
 * @example
 * ```ts
 * const box = new Box(-1, 1, [2]);
 * const x = box.sample(createRng(0)); // Float64Array(2) in [−1, 1]²
 * box.contains([0.5, -0.2]);          // true
 * ```
 */
export class Box {
  /** Discriminant: `'box'`. */
  readonly kind = 'box' as const;
  /** Lower bounds, one per coordinate (length ∏ shape). */
  readonly low: Float64Array;
  /** Upper bounds, one per coordinate (length ∏ shape). */
  readonly high: Float64Array;
  /** The shape of one element, e.g. `[2]`. */
  readonly shape: number[];
  /** Number of coordinates d = ∏ shape. */
  readonly size: number;
  /**
   * @param low Lower bound(s): a number (broadcast) or d numbers.
   * @param high Upper bound(s): a number (broadcast) or d numbers, each ≥ the matching low.
   * @param shape Non-negative integer dimensions.
   * @throws EnvError for a bad shape, NaN bounds, mismatched lengths or low > high.
   */
  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape: readonly number[]) {
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new EnvError({ fn: 'Box', arg: 'shape', expected: 'an array of non-negative integers', got: shape });
    }
    this.shape = [...shape];
    this.size = shape.reduce((a, b) => a * b, 1);
    this.low = broadcast('Box', 'low', low, this.size);
    this.high = broadcast('Box', 'high', high, this.size);
    for (let i = 0; i < this.size; i++) {
      if (this.low[i]! > this.high[i]!) {
        throw new EnvError({
          fn: 'Box',
          arg: `low[${i}]`,
          expected: `≤ high[${i}] = ${this.high[i]}`,
          got: this.low[i],
        });
      }
    }
  }

  /**
   * A random element (see the class doc for the per-coordinate rule).
   * @param rng The stream to draw from.
   * @returns A new `Float64Array` of length ∏ shape.
   */
  sample(rng: Rng): Float64Array {
    const out = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i]!;
      const hi = this.high[i]!;
      const loF = Number.isFinite(lo);
      const hiF = Number.isFinite(hi);
      if (loF && hiF) out[i] = lo + (hi - lo) * rng.float();
      else if (loF) out[i] = lo - Math.log(1 - rng.float());
      else if (hiF) out[i] = hi + Math.log(1 - rng.float());
      else out[i] = rng.normal();
    }
    return out;
  }

  /**
   * Membership test: x is array-like of length ∏ shape with low_i ≤ x_i ≤ high_i (NaN is never contained).
   * @param x Any value.
   * @returns Whether x belongs to the box.
   */
  contains(x: unknown): boolean {
    if (x === null || typeof x !== 'object' || typeof (x as ArrayLike<number>).length !== 'number') return false;
    const a = x as ArrayLike<unknown>;
    if (a.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = a[i];
      if (typeof v !== 'number' || !(v >= this.low[i]! && v <= this.high[i]!)) return false;
    }
    return true;
  }
}

/**
 * Any space klip's envs use: a {@link Discrete} or a {@link Box}; switch on `space.kind`.
 * @example
 * ```ts
 * const dim = (s: Space) => (s.kind === 'discrete' ? s.n : s.size);
 * ```
 */
export type Space = Discrete | Box;
