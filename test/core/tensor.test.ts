import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { globalNorm, maskedMean, readScalars, toTensor } from '../../src/core/tensor.js';
import { NumericError, ShapeError } from '../../src/core/errors.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectNoLeak } from '../helpers/memory.js';

describe.each(TEST_BACKENDS)('core/tensor on %s', (backend) => {
  useBackend(backend);

  it('maskedMean averages only masked entries and is 0 for an empty mask', async () => {
    const x = tf.tensor1d([1, 2, 3, 10]);
    const m = tf.tensor1d([1, 1, 1, 0]);
    const r = maskedMean(x, m);
    expect(await r.data()).toEqual(new Float32Array([2]));
    const z = tf.zeros([4]);
    const r0 = maskedMean(x, z);
    expect((await r0.data())[0]).toBe(0);
    await expectNoLeak(() => tf.dispose(maskedMean(x, m)));
    tf.dispose([x, m, r, z, r0]);
  });

  it('globalNorm is √(Σ‖g‖²) over all tensors (3-4-12-13 triangle)', async () => {
    const a = tf.tensor1d([3, 4]);
    const b = tf.tensor2d([[12]]);
    const n = globalNorm([a, b]);
    expect((await n.data())[0]).toBeCloseTo(13, 5);
    const e = globalNorm([]);
    expect((await e.data())[0]).toBe(0);
    await expectNoLeak(() => tf.dispose(globalNorm([a, b])));
    tf.dispose([a, b, n, e]);
  });

  it('readScalars reads numbers, disposes tensors, and flags non-finite values when asked', async () => {
    const before = tf.memory().numTensors;
    const out = await readScalars({ a: tf.scalar(1.5), b: 2 });
    expect(out).toEqual({ a: 1.5, b: 2 });
    expect(tf.memory().numTensors).toBe(before);
    await expect(readScalars({ loss: tf.scalar(NaN) }, { fn: 'update', requireFinite: true })).rejects.toThrow(
      NumericError,
    );
    await expect(readScalars({ loss: tf.scalar(Infinity) }, { fn: 'update', requireFinite: true })).rejects.toThrow(
      'update: loss must be a finite number, got Infinity',
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('toTensor passes tensors through and rejects ragged arrays', () => {
    const t = tf.scalar(1);
    expect(toTensor('f', 'x', t)).toBe(t);
    const made = toTensor('f', 'x', [
      [1, 2],
      [3, 4],
    ]);
    expect(made.shape).toEqual([2, 2]);
    expect(() => toTensor('f', 'x', [[1, 2], [3]] as unknown as number[][])).toThrow(ShapeError);
    expect(() => toTensor('f', 'x', ['a'] as unknown as number[])).toThrow(
      'f: x must be a tensor or a rectangular array of numbers',
    );
    tf.dispose([t, made]);
  });
});
