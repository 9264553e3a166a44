import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { valueLoss } from '../../src/objectives/value.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

const V = [0.5, 1.0, -0.2, 2.0];
const R = [1.0, 0.2, -0.1, 3.5];
const VO = [0.4, 1.3, 0.1, 1.0];
// Golden values, float64 numpy:
//   v = np.array([0.5, 1.0, -0.2, 2.0]); R = np.array([1.0, 0.2, -0.1, 3.5]); vo = np.array([0.4, 1.3, 0.1, 1.0])
//   print(0.5 * np.mean((v - R) ** 2))                                   # 0.39375
//   vc = vo + np.clip(v - vo, -0.2, 0.2)
//   print(0.5 * np.mean(np.maximum((v - R) ** 2, (vc - R) ** 2)))         # 0.795

/** float64 reference (plain JS). */
function ref(v: number[], c?: number): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const u = (v[i]! - R[i]!) ** 2;
    if (c === undefined) s += u;
    else {
      const vc = VO[i]! + Math.min(Math.max(v[i]! - VO[i]!, -c), c);
      s += Math.max(u, (vc - R[i]!) ** 2);
    }
  }
  return (0.5 * s) / v.length;
}

describe.each(TEST_BACKENDS)('valueLoss (%s backend)', (b) => {
  useBackend(b);

  it('matches the golden values, plain and clipped', async () => {
    const values = tf.tensor1d(V);
    const returns = tf.tensor1d(R);
    const oldValues = tf.tensor1d(VO);
    const a = valueLoss({ values, returns }).loss;
    const c = valueLoss({ values, returns, oldValues, clipRange: 0.2 }).loss;
    expectClose((await a.data())[0]!, 0.39375, 1e-6);
    expectClose((await c.data())[0]!, 0.795, 1e-6);
    tf.dispose([values, returns, oldValues, a, c]);
  });

  it('gradient w.r.t. values matches float64 finite differences', async () => {
    const returns = tf.tensor1d(R);
    const oldValues = tf.tensor1d(VO);
    for (const c of [undefined, 0.2]) {
      const x = tf.tensor1d(V);
      const g = tf.grad(
        (v: tf.Tensor) =>
          valueLoss({ values: v, returns, ...(c !== undefined ? { oldValues, clipRange: c } : {}) }).loss,
      )(x);
      const got = Array.from(await g.data());
      tf.dispose([x, g]);
      const h = 1e-6;
      const fd = V.map((_, i) => {
        const p = [...V];
        const m = [...V];
        p[i]! += h;
        m[i]! -= h;
        return (ref(p, c) - ref(m, c)) / (2 * h);
      });
      expectClose(got, fd, 1e-4, 1e-4);
    }
    tf.dispose([returns, oldValues]);
  });

  it('does not leak tensors', async () => {
    const values = tf.tensor1d(V);
    const returns = tf.tensor1d(R);
    const oldValues = tf.tensor1d(VO);
    await expectNoLeak(() => valueLoss({ values, returns }).loss.dispose());
    await expectNoLeak(() => valueLoss({ values, returns, oldValues, clipRange: 0.2 }).loss.dispose());
    await expectNoLeak(() =>
      tf
        .grad((v: tf.Tensor) => valueLoss({ values: v, returns, oldValues, clipRange: 0.1 }).loss)(values)
        .dispose(),
    );
    tf.dispose([values, returns, oldValues]);
  });

  it('rejects bad input', () => {
    const values = tf.tensor1d(V);
    const returns = tf.tensor1d(R);
    const oldValues = tf.tensor1d(VO);
    const short = tf.tensor1d([1]);
    try {
      expect(() => valueLoss({ values, returns: short })).toThrow(ShapeError);
      expect(() => valueLoss({ values, returns: short })).toThrow(
        'valueLoss: returns must be of the same shape as values [4], got a tensor of shape [1]',
      );
      expect(() => valueLoss({ values, returns, oldValues })).toThrow(ConfigError);
      expect(() => valueLoss({ values, returns, oldValues })).toThrow(
        /valueLoss: clipRange must be given together with oldValues/,
      );
      expect(() => valueLoss({ values, returns, clipRange: 0.2 })).toThrow(
        /valueLoss: oldValues must be given together with clipRange/,
      );
      expect(() => valueLoss({ values, returns, oldValues, clipRange: NaN })).toThrow(
        'valueLoss: clipRange must be a finite number > 0, got NaN',
      );
      expect(() => valueLoss({ values, returns, oldValues: short, clipRange: 0.2 })).toThrow(ShapeError);
    } finally {
      tf.dispose([values, returns, oldValues, short]);
    }
  });
});
