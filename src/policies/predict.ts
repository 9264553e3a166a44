/**
 * `Policy.predict` (SB3 `BasePolicy.predict(observation, deterministic)`): the greedy action or a sample, shared by
 * the tabular, MLP and Gaussian policies.
 * @module
 */
import { ConfigError } from '../core/errors.js';
import type { Rng } from '../random/rng.js';
import type { PredictOptions } from './types.js';

/**
 * The shared body of `predict`: a sample from `act` when not deterministic (its rng is required), else `greedy()`.
 * @throws ConfigError naming `opts.rng` when a sample is asked for without a stream.
 */
export function predictWith(
  fn: string,
  opts: PredictOptions,
  greedy: () => number | Float64Array,
  sample: (rng: Rng) => number | Float64Array,
): number | Float64Array {
  if (opts === null || typeof opts !== 'object' || typeof opts.deterministic !== 'boolean') {
    throw new ConfigError({ fn, arg: 'opts.deterministic', expected: 'true or false', got: opts?.deterministic });
  }
  if (opts.deterministic) return greedy();
  if (opts.rng === undefined) {
    throw new ConfigError({
      fn,
      arg: 'opts.rng',
      expected: 'an Rng to sample from (or deterministic: true)',
      got: undefined,
    });
  }
  return sample(opts.rng);
}

/** Index of the largest of `xs[from … from+n)` relative to `from` (the first of ties, as numpy/torch `argmax`). */
export function argmaxRange(xs: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let a = 1; a < n; a++) if (xs[from + a]! > xs[from + best]!) best = a;
  return best;
}
