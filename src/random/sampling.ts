/**
 * Sampling helpers on plain numbers, drawing from an injected {@link Rng} (d3-random's `.source` idea).
 * @module
 */
import { ConfigError } from '../core/errors.js';
import type { Rng } from './rng.js';

/**
 * Draw an index a with probability probs[a] by inverting the cumulative sum:
 * the first a with Σ_{i≤a} probs[i] > u·Σprobs, u ~ U[0, 1).
 *
 * The probabilities need not be exactly normalised (they are scaled by their sum); zero entries are never drawn.
 * @param probs Non-negative weights with a positive finite sum, shape [A].
 * @param rng The stream to draw u from (one draw).
 * @returns An integer in [0, A).
 * @throws ConfigError for an empty vector, a negative or non-finite entry, or a zero sum.
 * @example
 * ```ts
 * sampleCategorical([0.7, 0.3], createRng(1)); // 0 with probability 0.7
 * ```
 */
export function sampleCategorical(probs: ArrayLike<number>, rng: Rng): number {
  const n = probs.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    if (!(p >= 0) || p === Infinity) {
      throw new ConfigError({
        fn: 'sampleCategorical',
        arg: `probs[${i}]`,
        expected: 'a finite non-negative number',
        got: p,
      });
    }
    total += p;
  }
  if (!(total > 0))
    throw new ConfigError({
      fn: 'sampleCategorical',
      arg: 'probs',
      expected: 'a non-empty vector with a positive sum',
      got: probs,
    });
  const u = rng.float() * total;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    if (p > 0) {
      acc += p;
      last = i;
      if (u < acc) return i;
    }
  }
  return last; // rounding: u fell past the final cumulative sum
}

/** An indexable, writable sequence: an array or a typed array. */
export interface WritableArrayLike<T> {
  /** Number of items. */
  readonly length: number;
  /** Item i. */
  [i: number]: T;
}

/**
 * Shuffle an array in place by Fisher–Yates (Knuth, TAOCP vol. 2, Algorithm P), drawing from `rng`.
 * @returns The same array, shuffled.
 */
export function shuffleInPlace<T extends WritableArrayLike<unknown>>(array: T, rng: Rng): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}

/**
 * A uniformly random permutation of 0..n−1 (Fisher–Yates), e.g. the minibatch order of one epoch.
 * @param n A non-negative safe integer.
 * @returns A new `Int32Array` of length n.
 */
export function permutation(n: number, rng: Rng): Int32Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 31 - 1) {
    throw new ConfigError({ fn: 'permutation', arg: 'n', expected: 'a non-negative integer', got: n });
  }
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return shuffleInPlace(idx, rng);
}
