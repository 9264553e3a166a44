import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  assertFiniteNumber,
  assertOneOf,
  assertProbabilities,
  assertRank,
  assertSameLength,
  assertSameShape,
} from '../../src/core/assert.js';
import { ConfigError, NumericError, ShapeError } from '../../src/core/errors.js';

describe('assert helpers', () => {
  it('assertRank / assertSameShape throw ShapeError naming fn and arg', () => {
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([3]);
    expect(() => assertRank('f', 'x', a, [2])).not.toThrow();
    expect(() => assertRank('f', 'x', b, [2])).toThrow('f: x must be a tensor of rank 2, got a tensor of shape [3]');
    expect(() => assertSameShape('f', 'a', a, 'b', b)).toThrow(ShapeError);
    expect(() => assertSameShape('f', 'a', a, 'b', b)).toThrow(
      'f: b must be of the same shape as a [2,3], got a tensor of shape [3]',
    );
    expect(() => assertSameShape('f', 'a', a, 'b', tf.ones([2, 3]))).not.toThrow();
    tf.dispose([a, b]);
  });

  it('assertFiniteNumber checks type, finiteness, integrality and bounds', () => {
    expect(() => assertFiniteNumber('f', 'x', 0.5, { min: 0, max: 1, minExclusive: true })).not.toThrow();
    expect(() => assertFiniteNumber('f', 'x', 0, { min: 0, minExclusive: true })).toThrow(
      'f: x must be a finite number > 0, got 0',
    );
    expect(() => assertFiniteNumber('f', 'x', NaN)).toThrow(ConfigError);
    expect(() => assertFiniteNumber('f', 'x', '1')).toThrow(ConfigError);
    expect(() => assertFiniteNumber('f', 'n', 2.5, { integer: true, min: 1 })).toThrow(
      'f: n must be a finite integer ≥ 1, got 2.5',
    );
    expect(() => assertFiniteNumber('f', 'x', 2, { max: 1 })).toThrow('≤ 1');
  });

  it('assertOneOf lists the allowed values', () => {
    expect(() => assertOneOf('f', 'kind', 'b', ['a', 'b'])).not.toThrow();
    expect(() => assertOneOf('f', 'kind', 'c', ['a', 'b'])).toThrow("f: kind must be one of 'a' | 'b', got \"c\"");
  });

  it('assertProbabilities: NaN → NumericError, negatives and bad sums → ConfigError, empty → ShapeError', () => {
    expect(() => assertProbabilities('f', 'p', [0.25, 0.75])).not.toThrow();
    expect(() => assertProbabilities('f', 'p', [0.5, NaN])).toThrow(NumericError);
    expect(() => assertProbabilities('f', 'p', [1.5, -0.5])).toThrow(
      'f: p[1] must be a non-negative probability, got -0.5',
    );
    expect(() => assertProbabilities('f', 'p', [0.5, 0.6])).toThrow(/summing to 1.*Its sum is 1.1/);
    expect(() => assertProbabilities('f', 'p', [])).toThrow(ShapeError);
    expect(() => assertProbabilities('f', 'p', [0.5, 0.5 + 5e-7])).not.toThrow();
  });

  it('assertSameLength', () => {
    expect(() => assertSameLength('f', 'p', [1, 2], 'q', [1])).toThrow(
      'f: q must be of the same length as p (2), got "length 1"',
    );
  });
});
