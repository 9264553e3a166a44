import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, NumericError, ShapeError } from '../../src/core/errors.js';
import { encoderFor, identityEncoder, oneHotEncoder } from '../../src/policies/encoders.js';
import { MlpPolicy } from '../../src/policies/mlp.js';
import type { SpaceLike } from '../../src/policies/types.js';
import { createRng } from '../../src/random/rng.js';
import { Box, Discrete } from '../../envs/spaces.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectNoLeak } from '../helpers/memory.js';

describe.each(TEST_BACKENDS)('encoders on the %s backend', (backend) => {
  useBackend(backend);

  it('oneHotEncoder: row i has a single 1 at column s_i (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 12 })
          .chain((n) => fc.tuple(fc.constant(n), fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 20 }))),
        ([n, states]) => {
          const enc = oneHotEncoder(n);
          const x = enc.encode(Int32Array.from(states));
          try {
            expect(x.shape).toEqual([states.length, n]);
            expect(x.dtype).toBe('float32');
            const d = x.dataSync();
            states.forEach((s, i) => {
              for (let j = 0; j < n; j++) expect(d[i * n + j]).toBe(j === s ? 1 : 0);
            });
          } finally {
            x.dispose();
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('identityEncoder: reshapes a flat batch to [B, …shape] in float32', () => {
    const enc = identityEncoder([2, 3]);
    expect(enc.size).toBe(6);
    const values = Array.from({ length: 12 }, (_, i) => i * 0.5 - 2);
    const x = enc.encode(Float64Array.from(values));
    try {
      expect(x.shape).toEqual([2, 2, 3]);
      expect(Array.from(x.dataSync())).toEqual(values);
    } finally {
      x.dispose();
    }
  });

  it('encoderFor picks one-hot for Discrete and identity for Box (klip/envs spaces and plain objects)', () => {
    const d = encoderFor(new Discrete(7));
    expect([d.kind, d.size]).toEqual(['one-hot', 7]);
    const b = encoderFor(new Box(-1, 1, [4]));
    expect([b.kind, b.size, [...b.shape]]).toEqual(['identity', 4, [4]]);
    const plain: SpaceLike = { kind: 'discrete', n: 3 };
    expect(encoderFor(plain).size).toBe(3);
    expect(() => encoderFor({ kind: 'tuple' } as never)).toThrow(
      /encoderFor: space must be a space with kind 'discrete' or 'box'/,
    );
    // The env classes plug straight into a policy.
    const p = new MlpPolicy({
      obsSpace: new Box(-1, 1, [4]),
      actionSpace: new Discrete(2),
      hidden: [8],
      rng: createRng(1),
    });
    try {
      expect(typeof p.act([0, 0, 0, 0], createRng(2)).action).toBe('number');
    } finally {
      p.dispose();
    }
  });

  it('bad input throws typed errors naming the argument', () => {
    expect(() => oneHotEncoder(0)).toThrow(/oneHotEncoder: n must be a positive integer, got 0/);
    expect(() => oneHotEncoder(3).encode([0, 3])).toThrow(
      /oneHotEncoder.encode: batch\[1\] must be an integer state index in \[0, 3\), got 3/,
    );
    expect(() => oneHotEncoder(3).encode([0.5])).toThrow(ConfigError);
    expect(() => oneHotEncoder(3).encode('x' as never)).toThrow(ShapeError);
    expect(() => identityEncoder([])).toThrow(ConfigError);
    expect(() => identityEncoder([2]).encode([1, 2, 3])).toThrow(
      /identityEncoder.encode: batch must be a length that is a multiple of 2/,
    );
    expect(() => identityEncoder([2]).encode([1, NaN])).toThrow(NumericError);
  });

  it('does not leak', async () => {
    const one = oneHotEncoder(5);
    const id = identityEncoder([3]);
    await expectNoLeak(() => one.encode([1, 2, 4]).dispose());
    await expectNoLeak(() => id.encode([1, 2, 3]).dispose());
    const before = tf.memory().numTensors;
    expect(() => one.encode([9])).toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});
