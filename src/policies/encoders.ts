/**
 * Observation encoders: raw observations from the envs (state indices, flat float arrays) → float32 tensors.
 * The only env ↔ tfjs bridge (test/architecture.test.ts keeps envs free of tfjs). Encoding is done in JS into one `Float32Array` and uploaded once.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, NumericError, ShapeError } from '../core/errors.js';
import type { ObsEncoder, SpaceLike } from './types.js';

type RawBatch = Int32Array | Float64Array | Float32Array | readonly number[];

function isBatch(x: unknown): x is RawBatch {
  return Array.isArray(x) || x instanceof Int32Array || x instanceof Float64Array || x instanceof Float32Array;
}

/** Validate a positive integer size. */
function assertSize(fn: string, arg: string, n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError({ fn, arg, expected: 'a positive integer', got: n });
  }
}

/**
 * One-hot encoder for a discrete observation space of n states: e(s) = (𝟙[s = 0], …, 𝟙[s = n−1]).
 * A one-hot row times a table selects that table row, so tabular and MLP policies get gradients without
 * `tf.gather` (whose gradient kernel `UnsortedSegmentSum` is missing on wasm).
 *
 * Source: CleanRL `ppo.py` feeds `F.one_hot` for discrete observations in its tabular variants; tfjs `tf.oneHot`.
 * @param n Number of states (positive integer).
 * @returns An encoder whose `encode(states)` maps B state indices to a new float32 tensor `[B, n]`; caller disposes.
 * @throws ConfigError when n is not a positive integer; `encode` throws ConfigError for an index that is not an
 *   integer in [0, n) and ShapeError for a non-array batch.
 * @example
 * ```ts
 * const enc = oneHotEncoder(4);
 * const x = enc.encode(Int32Array.from([2, 0])); // [[0,0,1,0],[1,0,0,0]]
 * x.dispose();
 * ```
 */
export function oneHotEncoder(n: number): ObsEncoder {
  assertSize('oneHotEncoder', 'n', n);
  const shape = Object.freeze([n]);
  return Object.freeze({
    kind: 'one-hot' as const,
    size: n,
    shape,
    encode(batch: RawBatch): tf.Tensor {
      if (!isBatch(batch)) {
        throw new ShapeError({
          fn: 'oneHotEncoder.encode',
          arg: 'batch',
          expected: 'an Int32Array or number[] of state indices',
          got: batch,
        });
      }
      const B = batch.length;
      const data = new Float32Array(B * n);
      for (let i = 0; i < B; i++) {
        const s = batch[i]!;
        if (!Number.isInteger(s) || s < 0 || s >= n) {
          throw new ConfigError({
            fn: 'oneHotEncoder.encode',
            arg: `batch[${i}]`,
            expected: `an integer state index in [0, ${n})`,
            got: s,
          });
        }
        data[i * n + s] = 1;
      }
      return tf.tensor2d(data, [B, n], 'float32');
    },
  });
}

/**
 * Identity encoder for a box observation space: e(x) = x, reshaped to `[B, …shape]` in float32.
 *
 * Source: CleanRL `ppo_continuous_action.py` (observations fed to the MLP as they are).
 * @param shape Shape of one observation, e.g. `[4]` (positive integers).
 * @returns An encoder whose `encode(flat)` maps B·Π shape row-major numbers to a new float32 tensor
 *   `[B, …shape]`; caller disposes.
 * @throws ConfigError for a bad shape; `encode` throws ShapeError when the length is not a multiple of Π shape
 *   and NumericError for NaN or ±Infinity entries.
 * @example
 * ```ts
 * const enc = identityEncoder([2]);
 * const x = enc.encode(Float64Array.from([0.1, 0.2, 0.3, 0.4])); // [[0.1,0.2],[0.3,0.4]]
 * x.dispose();
 * ```
 */
export function identityEncoder(shape: readonly number[]): ObsEncoder {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new ConfigError({
      fn: 'identityEncoder',
      arg: 'shape',
      expected: 'a non-empty array of positive integers',
      got: shape,
    });
  }
  shape.forEach((d, i) => {
    assertSize('identityEncoder', `shape[${i}]`, d);
  });
  const size = shape.reduce((a, b) => a * b, 1);
  const frozenShape = Object.freeze([...shape]);
  return Object.freeze({
    kind: 'identity' as const,
    size,
    shape: frozenShape,
    encode(batch: RawBatch): tf.Tensor {
      if (!isBatch(batch)) {
        throw new ShapeError({
          fn: 'identityEncoder.encode',
          arg: 'batch',
          expected: 'a Float64Array, Float32Array or number[]',
          got: batch,
        });
      }
      if (batch.length % size !== 0) {
        throw new ShapeError({
          fn: 'identityEncoder.encode',
          arg: 'batch',
          expected: `a length that is a multiple of ${size} (shape [${frozenShape.join(',')}])`,
          got: `length ${batch.length}`,
        });
      }
      const B = batch.length / size;
      const data = new Float32Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const v = batch[i]!;
        if (!Number.isFinite(v))
          throw new NumericError({
            fn: 'identityEncoder.encode',
            arg: `batch[${i}]`,
            expected: 'a finite number',
            got: v,
          });
        data[i] = v;
      }
      return tf.tensor(data, [B, ...frozenShape], 'float32');
    },
  });
}

/**
 * The encoder for a space: one-hot for `{ kind: 'discrete', n }`, identity for `{ kind: 'box', shape }`.
 *
 * Source: the observation handling of CleanRL `ppo.py` / `ppo_continuous_action.py`.
 * @param space An observation space (`Discrete` / `Box` from `klip/envs`, or a plain object of the same form).
 * @returns A new encoder; `encode` returns new tensors; caller disposes.
 * @throws ConfigError for anything that is not a discrete or box space.
 * @example
 * ```ts
 * const x = encoderFor({ kind: 'discrete', n: 16 }).encode(rollout.obs as Int32Array); // [B, 16]
 * x.dispose();
 * ```
 */
export function encoderFor(space: SpaceLike): ObsEncoder {
  const kind = (space as { kind?: unknown } | null)?.kind;
  if (kind === 'discrete') return oneHotEncoder((space as { n: number }).n);
  if (kind === 'box') return identityEncoder((space as { shape: readonly number[] }).shape);
  throw new ConfigError({
    fn: 'encoderFor',
    arg: 'space',
    expected: "a space with kind 'discrete' or 'box'",
    got: space,
  });
}
