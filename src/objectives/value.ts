/**
 * The value-function loss of PPO, optionally with value clipping (CleanRL `ppo.py` `clip_vloss`).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber, assertNonEmpty, assertRank, assertSameShape } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';
import type { LossResult } from './policy_gradient.js';

/** Arguments of {@link valueLoss}. `oldValues` and `clipRange` go together. */
export interface ValueLossArgs {
  /** V_θ(s) predicted now (gradients flow here), shape [B]. */
  values: tf.Tensor;
  /** Regression targets R (e.g. λ-returns), shape [B]. */
  returns: tf.Tensor;
  /** V_old(s) predicted at rollout time, shape [B]; required with `clipRange`. */
  oldValues?: tf.Tensor;
  /** Clip range c > 0 of the value update; required with `oldValues`. @defaultValue none (unclipped) */
  clipRange?: number;
}

/**
 * Squared-error value loss, or its clipped ("max") form.
 *
 * L = ½·mean((V − R)²), or with clipping
 * L = ½·mean(max((V − R)², (V_old + clip(V − V_old, −c, c) − R)²))
 *
 * The max makes the clipped form pessimistic, as in the policy objective. Source: CleanRL `ppo.py`
 * (`v_loss_unclipped`, `v_clipped`, `v_loss_max`), originally OpenAI baselines `ppo2`; discussed in Engstrom et al.
 * 2020 (https://arxiv.org/abs/2005.12729) and Andrychowicz et al. 2021 (https://arxiv.org/abs/2006.05990).
 *
 * @param args.values V_θ(s), [B].
 * @param args.returns R, [B].
 * @param args.oldValues V_old(s), [B] (with `clipRange`).
 * @param args.clipRange c > 0 (with `oldValues`).
 * @returns `{ loss }` scalar. Returns new tensors; caller disposes.
 * @throws ShapeError on rank/shape mismatch or an empty batch; ConfigError when only one of `oldValues`/`clipRange` is given or c is not > 0.
 * @example
 * ```ts
 * const { loss } = valueLoss({ values, returns, oldValues, clipRange: 0.2 });
 * ```
 */
export function valueLoss(args: ValueLossArgs): LossResult {
  const fn = 'valueLoss';
  if (args === null || typeof args !== 'object') {
    throw new ConfigError({
      fn,
      arg: 'args',
      expected: 'an object { values, returns, oldValues?, clipRange? }',
      got: args,
    });
  }
  const { values, returns, oldValues, clipRange } = args;
  if (!(values instanceof tf.Tensor))
    throw new ConfigError({ fn, arg: 'values', expected: 'a tensor of shape [B]', got: values });
  if (!(returns instanceof tf.Tensor))
    throw new ConfigError({ fn, arg: 'returns', expected: 'a tensor of shape [B]', got: returns });
  assertRank(fn, 'values', values, [1]);
  assertNonEmpty(fn, 'values', values);
  assertSameShape(fn, 'values', values, 'returns', returns);
  if ((oldValues === undefined) !== (clipRange === undefined)) {
    throw new ConfigError({
      fn,
      arg: oldValues === undefined ? 'oldValues' : 'clipRange',
      expected: `given together with ${oldValues === undefined ? 'clipRange' : 'oldValues'} (value clipping needs both)`,
      got: undefined,
    });
  }
  if (oldValues !== undefined) {
    if (!(oldValues instanceof tf.Tensor))
      throw new ConfigError({ fn, arg: 'oldValues', expected: 'a tensor of shape [B]', got: oldValues });
    assertSameShape(fn, 'values', values, 'oldValues', oldValues);
    assertFiniteNumber(fn, 'clipRange', clipRange, { min: 0, minExclusive: true });
  }
  return tf.tidy(() => {
    const unclipped = tf.square(tf.sub(values, returns));
    if (oldValues === undefined || clipRange === undefined)
      return { loss: tf.mul(0.5, tf.mean(unclipped)) as tf.Scalar };
    const vClipped = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -clipRange, clipRange));
    const clipped = tf.square(tf.sub(vClipped, returns));
    return { loss: tf.mul(0.5, tf.mean(tf.maximum(unclipped, clipped))) as tf.Scalar };
  });
}
