/**
 * FusedAdam (src/engine/adam.ts) against klip's tensor Adam (src/training/adam.ts) on the same float32 gradients:
 * every tfjs kernel of the Adam update is one correctly rounded float32 operation, and FusedAdam rounds each double
 * operation to float32 (double rounding of a single +, −, ×, ÷ or √ is harmless), so parameters and moments agree bit
 * for bit on both backends, with and without a gradient scale. The state round-trips through `AdamState`.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/core/errors.js';
import { FusedAdam } from '../../src/engine/adam.js';
import { createRng } from '../../src/random/rng.js';
import { Adam } from '../../src/training/adam.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';

describe.each(TEST_BACKENDS)('FusedAdam vs Adam (%s)', (backend) => {
  useBackend(backend);

  it('gives bit-identical parameters and moments over 6 steps, with a clipping scale on some', async () => {
    const rng = createRng(`adam-${backend}`);
    const sizes = [12, 5];
    const init = sizes.map((n) => Float32Array.from({ length: n }, () => rng.normal()));
    const vars = init.map((x) => tf.variable(tf.tensor1d(x)));
    const ref = new Adam(vars, { eps: 1e-5 });
    const fused = new FusedAdam(sizes, { eps: 1e-5 });
    const params = init.map((x) => Float32Array.from(x));
    for (let t = 0; t < 6; t++) {
      const grads = sizes.map((n) => Float32Array.from({ length: n }, () => 0.1 * rng.normal()));
      const scale = t % 2 === 0 ? 1 : Math.fround(0.37);
      const gt = grads.map((g) => tf.tidy(() => tf.mul(tf.tensor1d(g), tf.scalar(scale))));
      ref.applyGradients(gt, 2.5e-3 * (t + 1));
      tf.dispose(gt);
      fused.apply(
        params,
        grads.map((g) => Float64Array.from(g)),
        scale,
        2.5e-3 * (t + 1),
      );
    }
    vars.forEach((v, i) => expect(Array.from(params[i]!)).toEqual(Array.from(v.dataSync())));
    const a = await ref.getState();
    const b = fused.getState();
    expect(b).toEqual(a);
    ref.dispose();
    tf.dispose(vars);
  });
});

describe('FusedAdam state', () => {
  it('restores a saved state and rejects a mismatched one naming the entry', () => {
    const a = new FusedAdam([3, 2]);
    const p = [new Float32Array([1, 2, 3]), new Float32Array([4, 5])];
    a.apply(p, [Float64Array.from([0.1, -0.2, 0.3]), Float64Array.from([1, -1])], 1, 0.01);
    const s = a.getState();
    const b = new FusedAdam([3, 2]);
    b.setState(s);
    expect(b.getState()).toEqual(s);
    expect(b.step).toBe(1);
    expect(() => b.setState({ ...s, m: [s.m[0]!, [1, 2, 3]] })).toThrowError(CheckpointError);
    expect(() => b.setState({ ...s, m: [s.m[0]!, [1, 2, 3]] })).toThrowError(/m\[1\]/);
    expect(() => b.setState({ ...s, step: -1 })).toThrowError(/step/);
    expect(() => a.apply(p, [Float64Array.from([0, 0, 0])], 1, 0.01)).toThrowError(/grads/);
    expect(() => a.apply(p, [new Float64Array(3), new Float64Array(2)], 1, -1)).toThrowError(/lr/);
    expect(() => new FusedAdam([1], { beta1: 1 })).toThrowError(/beta1/);
  });
});
