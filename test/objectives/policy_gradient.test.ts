import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { entropyBonus, reinforceLoss } from '../../src/objectives/policy_gradient.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

const LP = [-0.1, -2.0, -0.7, -1.3];
const ADV = [1.0, -0.5, 2.0, 0.25];

describe.each(TEST_BACKENDS)('reinforceLoss and entropyBonus (%s backend)', (b) => {
  useBackend(b);

  it('reinforceLoss = −mean(logProb·Â) and its gradient is −Â/B', async () => {
    const adv = tf.tensor1d(ADV);
    const x = tf.tensor1d(LP);
    const { loss } = reinforceLoss({ logProb: x, advantages: adv });
    // −(−0.1·1 + −2·−0.5 + −0.7·2 + −1.3·0.25)/4 = −(−0.1 + 1 − 1.4 − 0.325)/4 = 0.20625
    expectClose((await loss.data())[0]!, 0.20625, 1e-6);
    const g = tf.grad((lp: tf.Tensor) => reinforceLoss({ logProb: lp, advantages: adv }).loss)(x);
    expectClose(
      await g.data(),
      ADV.map((a) => -a / 4),
      1e-7,
    );
    tf.dispose([adv, x, loss, g]);
  });

  it('entropyBonus is the mean entropy', async () => {
    const h = tf.tensor1d([0.5, 1.0, 0.0, 0.3]);
    const bonus = entropyBonus(h);
    expectClose((await bonus.data())[0]!, 0.45, 1e-6);
    // d mean / d H_i = 1/B
    const g = tf.grad((x: tf.Tensor) => entropyBonus(x))(h);
    expectClose(await g.data(), [0.25, 0.25, 0.25, 0.25], 1e-7);
    tf.dispose([h, bonus, g]);
  });

  it('does not leak tensors', async () => {
    const adv = tf.tensor1d(ADV);
    const x = tf.tensor1d(LP);
    await expectNoLeak(() => reinforceLoss({ logProb: x, advantages: adv }).loss.dispose());
    await expectNoLeak(() => entropyBonus(x).dispose());
    await expectNoLeak(() =>
      tf
        .grad((lp: tf.Tensor) => reinforceLoss({ logProb: lp, advantages: adv }).loss)(x)
        .dispose(),
    );
    tf.dispose([adv, x]);
  });

  it('rejects bad input', () => {
    const adv = tf.tensor1d([1, 2]);
    const x = tf.tensor1d(LP);
    const m = tf.zeros([2, 2]);
    try {
      expect(() => reinforceLoss({ logProb: x, advantages: adv })).toThrow(ShapeError);
      expect(() => reinforceLoss({ logProb: x, advantages: adv })).toThrow(
        'reinforceLoss: advantages must be of the same shape as logProb [4], got a tensor of shape [2]',
      );
      expect(() => entropyBonus(m)).toThrow(
        'entropyBonus: entropy must be a tensor of rank 1, got a tensor of shape [2,2]',
      );
      expect(() => entropyBonus([1, 2] as unknown as tf.Tensor)).toThrow(ConfigError);
    } finally {
      tf.dispose([adv, x, m]);
    }
  });
});
