import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { klPenaltyLoss, ppoClipKlLoss } from '../../src/objectives/kl_penalty.js';
import { ppoClipLoss } from '../../src/objectives/ppo_clip.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

const LP = [-0.5, -1.2, -0.3, -2.0, -0.9, -1.5, -0.1];
const OLD = [-0.7, -1.0, -0.3, -1.5, -1.4, -1.2, -1.5];
const ADV = [1.0, -1.0, 0.5, -2.0, 1.5, -0.7, -1.0];
const EXACT = [0.1, 0.2, 0.0, 0.05, 0.3, 0.15, 0.4];

// Golden values, float64 numpy:
//   r = np.exp(lp - old); surr = -np.mean(r * adv)
//   exact = np.array([0.1, 0.2, 0.0, 0.05, 0.3, 0.15, 0.4])
//   for name, kl in [('k1', old - lp), ('k3', (r - 1) - np.log(r)), ('exact', exact)]:
//       print(name, '%.8f %.8f' % (surr + 0.5 * kl.mean(), kl.mean()))
// Output: surrogate 0.34444002; k1 0.26586859 -0.15714286; k3 0.48668313 0.28448623; exact 0.43015430 0.17142857
const SURROGATE = 0.34444002;
const GOLDEN = { k1: [0.26586859, -0.15714286], k3: [0.48668313, 0.28448623], exact: [0.4301543, 0.17142857] } as const;

/** Independent float64 reference of the KL-penalty loss. */
function refLoss(lp: number[], kind: 'k1' | 'k3', beta: number): number {
  let s = 0;
  let k = 0;
  for (let i = 0; i < lp.length; i++) {
    const r = Math.exp(lp[i]! - OLD[i]!);
    s += r * ADV[i]!;
    k += kind === 'k1' ? OLD[i]! - lp[i]! : r - 1 - Math.log(r);
  }
  return -s / lp.length + (beta * k) / lp.length;
}

async function read(out: Record<string, tf.Tensor>): Promise<Record<string, number>> {
  const v: Record<string, number> = {};
  for (const [k, t] of Object.entries(out)) v[k] = (await t.data())[0]!;
  tf.dispose(Object.values(out));
  return v;
}

describe.each(TEST_BACKENDS)('klPenaltyLoss (%s backend)', (b) => {
  useBackend(b);

  it('matches the golden values with k1, k3 and an exact per-sample KL', async () => {
    const logProb = tf.tensor1d(LP);
    const oldLogProb = tf.tensor1d(OLD);
    const advantages = tf.tensor1d(ADV);
    const exact = tf.tensor1d(EXACT);
    for (const kind of ['k1', 'k3', 'exact'] as const) {
      const v = await read({
        ...klPenaltyLoss({ logProb, oldLogProb, advantages, beta: 0.5, kl: kind === 'exact' ? exact : kind }),
      });
      expectClose(v.loss!, GOLDEN[kind][0], 1e-5);
      expectClose(v.klMean!, GOLDEN[kind][1], 1e-5);
      expectClose(v.surrogate!, SURROGATE, 1e-5);
    }
    const zero = await read({ ...klPenaltyLoss({ logProb, oldLogProb, advantages, beta: 0, kl: 'k3' }) });
    expectClose(zero.loss!, SURROGATE, 1e-5);
    tf.dispose([logProb, oldLogProb, advantages, exact]);
  });

  it('gradient w.r.t. logProb matches float64 finite differences', async () => {
    const oldLogProb = tf.tensor1d(OLD);
    const advantages = tf.tensor1d(ADV);
    for (const kind of ['k1', 'k3'] as const) {
      const x = tf.tensor1d(LP);
      const g = tf.grad(
        (lp: tf.Tensor) => klPenaltyLoss({ logProb: lp, oldLogProb, advantages, beta: 0.7, kl: kind }).loss,
      )(x);
      const got = Array.from(await g.data());
      tf.dispose([x, g]);
      const h = 1e-6;
      const fd = LP.map((_, i) => {
        const p = [...LP];
        const m = [...LP];
        p[i]! += h;
        m[i]! -= h;
        return (refLoss(p, kind, 0.7) - refLoss(m, kind, 0.7)) / (2 * h);
      });
      expectClose(got, fd, 1e-4, 1e-4);
    }
    tf.dispose([oldLogProb, advantages]);
  });

  it('ppoClipKlLoss = ppoClipLoss(...).loss + β·klMean', async () => {
    const logProb = tf.tensor1d(LP);
    const oldLogProb = tf.tensor1d(OLD);
    const advantages = tf.tensor1d(ADV);
    const c = await read({ ...ppoClipKlLoss({ logProb, oldLogProb, advantages, clip: 0.2, beta: 0.5, kl: 'k3' }) });
    const base = await read({ ...ppoClipLoss({ logProb, oldLogProb, advantages, clip: 0.2 }) });
    tf.dispose([logProb, oldLogProb, advantages]);
    // 0.50484725 (ppo_clip.test.ts golden) + 0.5 · 0.28448623
    expectClose(c.loss!, 0.50484725 + 0.5 * 0.28448623, 1e-5);
    expectClose(c.clipLoss!, base.loss!, 1e-7);
    expectClose(c.clipFraction!, 5 / 7, 1e-6);
    expectClose(c.klMean!, 0.28448623, 1e-5);
  });

  it('does not leak tensors', async () => {
    const logProb = tf.tensor1d(LP);
    const oldLogProb = tf.tensor1d(OLD);
    const advantages = tf.tensor1d(ADV);
    const exact = tf.tensor1d(EXACT);
    await expectNoLeak(() =>
      tf.dispose(Object.values(klPenaltyLoss({ logProb, oldLogProb, advantages, beta: 0.3, kl: 'k3' }))),
    );
    await expectNoLeak(() =>
      tf.dispose(Object.values(klPenaltyLoss({ logProb, oldLogProb, advantages, beta: 0.3, kl: exact }))),
    );
    await expectNoLeak(() =>
      tf.dispose(Object.values(ppoClipKlLoss({ logProb, oldLogProb, advantages, clip: 0.2, beta: 0.3, kl: 'k1' }))),
    );
    await expectNoLeak(() => {
      tf.grad((lp: tf.Tensor) => klPenaltyLoss({ logProb: lp, oldLogProb, advantages, beta: 0.3, kl: 'k3' }).loss)(
        logProb,
      ).dispose();
    });
    tf.dispose([logProb, oldLogProb, advantages, exact]);
  });

  it('rejects bad input with typed, named errors', () => {
    const logProb = tf.tensor1d(LP);
    const oldLogProb = tf.tensor1d(OLD);
    const advantages = tf.tensor1d(ADV);
    const short = tf.tensor1d([0.1]);
    try {
      const base = { logProb, oldLogProb, advantages };
      expect(() => klPenaltyLoss({ ...base, beta: NaN, kl: 'k3' })).toThrow(ConfigError);
      expect(() => klPenaltyLoss({ ...base, beta: NaN, kl: 'k3' })).toThrow(
        'klPenaltyLoss: beta must be a finite number ≥ 0, got NaN',
      );
      expect(() => klPenaltyLoss({ ...base, beta: -1, kl: 'k3' })).toThrow(
        'klPenaltyLoss: beta must be a finite number ≥ 0, got -1',
      );
      expect(() => klPenaltyLoss({ ...base, beta: 1, kl: 'k2' as 'k3' })).toThrow(
        `klPenaltyLoss: kl must be one of 'k1' | 'k3', got "k2"`,
      );
      expect(() => klPenaltyLoss({ ...base, beta: 1, kl: short })).toThrow(ShapeError);
      expect(() => klPenaltyLoss({ ...base, beta: 1, kl: short })).toThrow(
        'klPenaltyLoss: kl must be of the same shape as logProb [7], got a tensor of shape [1]',
      );
      expect(() => klPenaltyLoss({ ...base, advantages: short, beta: 1, kl: 'k1' })).toThrow(
        /klPenaltyLoss: advantages must be of the same shape/,
      );
      expect(() => ppoClipKlLoss({ ...base, clip: 0.2, beta: NaN, kl: 'k1' })).toThrow(
        'ppoClipKlLoss: beta must be a finite number ≥ 0, got NaN',
      );
      expect(() => ppoClipKlLoss({ ...base, clip: 0.2, beta: 1, kl: 'abs' as 'k1' })).toThrow(ConfigError);
    } finally {
      tf.dispose([logProb, oldLogProb, advantages, short]);
    }
  });
});
