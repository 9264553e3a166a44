/**
 * Input checks that throw typed errors with messages "fnName: arg … must be …, got …".
 * Tensor checks read only shapes (no data) except {@link assertFiniteTensor}.
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError, NumericError, ShapeError } from './errors.js';

/** Throw `ShapeError` unless `x.rank` is one of `ranks`. */
export function assertRank(fn: string, arg: string, x: tf.Tensor, ranks: readonly number[]): void {
  if (!ranks.includes(x.rank)) {
    throw new ShapeError({ fn, arg, expected: `a tensor of rank ${ranks.join(' or ')}`, got: x });
  }
}

/** Throw `ShapeError` when `x` has no elements (a mean over zero samples is undefined, not 0). */
export function assertNonEmpty(fn: string, arg: string, x: tf.Tensor): void {
  if (x.size === 0) {
    throw new ShapeError({
      fn,
      arg,
      expected: 'a non-empty tensor (a loss averages over at least one sample)',
      got: x,
    });
  }
}

/** Throw `ShapeError` unless tensors `a` and `b` have identical shapes. */
export function assertSameShape(fn: string, argA: string, a: tf.Tensor, argB: string, b: tf.Tensor): void {
  const same = a.rank === b.rank && a.shape.every((d, i) => d === b.shape[i]);
  if (!same) {
    throw new ShapeError({ fn, arg: argB, expected: `of the same shape as ${argA} [${a.shape.join(',')}]`, got: b });
  }
}

/** Throw `ConfigError` unless `x` is a finite number (optionally within bounds). */
export function assertFiniteNumber(
  fn: string,
  arg: string,
  x: unknown,
  opts: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean; integer?: boolean } = {},
): asserts x is number {
  const { min, max, minExclusive = false, maxExclusive = false, integer = false } = opts;
  const ok =
    typeof x === 'number' &&
    Number.isFinite(x) &&
    (!integer || Number.isInteger(x)) &&
    (min === undefined || (minExclusive ? x > min : x >= min)) &&
    (max === undefined || (maxExclusive ? x < max : x <= max));
  if (!ok) {
    const lo = min === undefined ? '' : `${minExclusive ? '>' : '≥'} ${min}`;
    const hi = max === undefined ? '' : `${maxExclusive ? '<' : '≤'} ${max}`;
    const range = [lo, hi].filter(Boolean).join(' and ');
    throw new ConfigError({
      fn,
      arg,
      expected: `a finite ${integer ? 'integer' : 'number'}${range ? ` ${range}` : ''}`,
      got: x,
    });
  }
}

/** Throw `ConfigError` unless `x` is one of `allowed`; the message lists them. */
export function assertOneOf<T extends string>(
  fn: string,
  arg: string,
  x: unknown,
  allowed: readonly T[],
): asserts x is T {
  if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x)) {
    throw new ConfigError({ fn, arg, expected: `one of ${allowed.map((a) => `'${a}'`).join(' | ')}`, got: x });
  }
}

/**
 * Throw unless `p` is a probability vector: finite entries ≥ 0 that sum to 1 within `tol`.
 * `NumericError` for NaN / ±Infinity, `ConfigError` for negatives or a wrong sum, `ShapeError` when empty.
 */
export function assertProbabilities(fn: string, arg: string, p: ArrayLike<number>, tol = 1e-6): void {
  if (p === null || typeof p !== 'object' || typeof p.length !== 'number') {
    throw new ShapeError({ fn, arg, expected: 'an array of probabilities', got: p });
  }
  if (p.length === 0) throw new ShapeError({ fn, arg, expected: 'a non-empty probability vector', got: p });
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new NumericError({ fn, arg: `${arg}[${i}]`, expected: 'a finite probability', got: v });
    }
    if (v < 0) throw new ConfigError({ fn, arg: `${arg}[${i}]`, expected: 'a non-negative probability', got: v });
    sum += v;
  }
  if (Math.abs(sum - 1) > tol) {
    throw new ConfigError({
      fn,
      arg,
      expected: `a probability vector summing to 1 (±${tol})`,
      got: p,
      hint: `Its sum is ${sum}`,
    });
  }
}

/** Throw `ShapeError` unless arrays `a` and `b` have equal lengths. */
export function assertSameLength(
  fn: string,
  argA: string,
  a: ArrayLike<unknown>,
  argB: string,
  b: ArrayLike<unknown>,
): void {
  if (a.length !== b.length) {
    throw new ShapeError({
      fn,
      arg: argB,
      expected: `of the same length as ${argA} (${a.length})`,
      got: `length ${b.length}`,
    });
  }
}

/**
 * True for a non-null, non-array object (a parsed JSON object: a config, a record read from disk).
 * @param x Anything.
 * @returns Whether `x` is a plain object, narrowing it to a string-keyed record.
 * @example
 * ```ts
 * isPlainObject(JSON.parse('{"a":1}')); // true
 * isPlainObject([1]); // false
 * ```
 */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
