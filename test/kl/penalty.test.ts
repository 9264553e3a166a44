import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { klLossPenalty, klRewardPenalty, REWARD_KL_ESTIMATORS } from '../../src/kl/penalty.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

// Golden values: float64 numpy/scipy (/usr/bin/python3), generating code:
// import numpy as np; from scipy.special import log_softmax, rel_entr
// lp  = np.array([[-0.5, -1.2, -2.0], [-0.3, -0.9, -1.7]]); ref = np.array([[-0.7, -1.0, -2.5], [-0.3, -1.4, -0.2]])
// mask = np.array([[1,1,1],[1,1,0]], float); scores = np.array([1.5, -0.5]); beta = 0.1; l = lp - ref
// est = {'k1': l, 'k3': np.expm1(-l) + l, 'abs': np.abs(l), 'mse': 0.5*l*l}
// for k, v in est.items(): kl = v*mask; r = -beta*kl; r[0,2] += scores[0]; r[1,1] += scores[1]; print(k, kl, r)
// p = np.exp(log_softmax(logits,-1)); q = np.exp(log_softmax(refl,-1)); full = rel_entr(p,q).sum(-1)
// k3 = est['k3']; print(k3.mean()); w = np.exp(lp-old); print((w*k3*mask).sum()/mask.sum())
const LP = [
  [-0.5, -1.2, -2.0],
  [-0.3, -0.9, -1.7],
];
const REF = [
  [-0.7, -1.0, -2.5],
  [-0.3, -1.4, -0.2],
];
const OLD = [
  [-0.6, -1.1, -1.8],
  [-0.4, -0.8, -1.9],
];
const MASK = [
  [1, 1, 1],
  [1, 1, 0],
];
const SCORES = [1.5, -0.5];
const GOLDEN: Record<'k1' | 'k3' | 'abs' | 'mse', { kl: number[]; rewards: number[] }> = {
  k1: { kl: [0.2, -0.2, 0.5, 0, 0.5, 0], rewards: [-0.02, 0.02, 1.45, 0, -0.55, 0] },
  k3: {
    kl: [0.01873075307798186, 0.021402758160169816, 0.10653065971263342, 0, 0.10653065971263337, 0],
    rewards: [-0.0018730753077981861, -0.0021402758160169815, 1.4893469340287366, 0, -0.5106530659712634, 0],
  },
  abs: { kl: [0.2, 0.2, 0.5, 0, 0.5, 0], rewards: [-0.02, -0.02, 1.45, 0, -0.55, 0] },
  mse: { kl: [0.02, 0.02, 0.125, 0, 0.125, 0], rewards: [-0.002, -0.002, 1.4875, 0, -0.5125, 0] },
};
const LOGITS = [
  [
    [0.1, -0.4, 1.2, 0.0],
    [2.0, 0.5, -1.0, 0.3],
    [0.0, 0.0, 0.0, 0.0],
  ],
  [
    [-0.7, 0.9, 0.2, 1.1],
    [0.4, 0.4, -2.0, 1.5],
    [1.0, -1.0, 0.5, -0.5],
  ],
];
const REF_LOGITS = [
  [
    [0.0, 0.0, 0.0, 0.0],
    [1.0, 1.0, -0.5, 0.0],
    [0.3, -0.2, 0.8, -1.0],
  ],
  [
    [0.5, 0.5, -0.5, 0.2],
    [-1.0, 0.6, 0.0, 0.9],
    [0.0, 0.2, 0.4, 0.6],
  ],
];
const FULL = [
  0.20647775930604573, 0.2075343501032041, 0.1993754722676577, 0.21220082005466445, 0.25705328250228077,
  0.36788210111796926,
];

/** log-softmax in float64 (test oracle). */
function logSoftmax64(x: number[]): number[] {
  const m = Math.max(...x);
  const lse = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
  return x.map((v) => v - lse);
}

describe.each(TEST_BACKENDS)('klRewardPenalty (%s backend)', (b) => {
  useBackend(b);

  it.each(['k1', 'k3', 'abs', 'mse'] as const)(
    '%s: golden per-token KL and rewards, score on the last unmasked token',
    async (estimator) => {
      const [logProb, refLogProb, mask] = [tf.tensor2d(LP), tf.tensor2d(REF), tf.tensor2d(MASK)];
      const { rewards, kl } = klRewardPenalty({ logProb, refLogProb, scores: SCORES, beta: 0.1, estimator, mask });
      expect(rewards.shape).toEqual([2, 3]);
      expectClose(await kl.data(), GOLDEN[estimator].kl, 1e-5);
      expectClose(await rewards.data(), GOLDEN[estimator].rewards, 1e-5);
      tf.dispose([logProb, refLogProb, mask, rewards, kl]);
    },
  );

  it('full: exact KL over the vocabulary per position (scipy rel_entr)', async () => {
    const [logits, refLogits, mask] = [tf.tensor3d(LOGITS), tf.tensor3d(REF_LOGITS), tf.tensor2d(MASK)];
    const scores = tf.tensor1d(SCORES);
    const { rewards, kl } = klRewardPenalty({ logits, refLogits, scores, beta: 0.1, estimator: 'full', mask });
    expectClose(
      await kl.data(),
      FULL.map((v, i) => v * MASK.flat()[i]!),
      1e-5,
    );
    // -beta*full*mask + scores at [0,2] and [1,1]
    expectClose(
      await rewards.data(),
      [-0.020647775930604573, -0.020753435010320412, 1.4800624527732342, -0.021220082005466448, -0.5257053282502281, 0],
      1e-5,
    );
    tf.dispose([logits, refLogits, mask, scores, rewards, kl]);
  });

  it('full: 0·log 0 = 0 for a −∞ policy logit, +∞ where the reference has zero mass', async () => {
    const logits = tf.tensor3d([
      [
        [0, -Infinity, 0],
        [0, 0, 0],
      ],
    ]);
    const refLogits = tf.tensor3d([
      [
        [0, 0, 0],
        [0, -Infinity, 0],
      ],
    ]);
    const { rewards, kl } = klRewardPenalty({ logits, refLogits, scores: [0], beta: 1, estimator: 'full' });
    const k = await kl.data();
    // KL([.5, 0, .5] ‖ [1/3]*3) = log(1.5); KL(uniform3 ‖ [.5, 0, .5]) = ∞
    expectClose(k[0]!, Math.log(1.5), 1e-6);
    expect(k[1]).toBe(Infinity);
    tf.dispose([logits, refLogits, rewards, kl]);
  });

  it('without a mask the score goes on the last token; an all-padding row gets no score', async () => {
    const lp = tf.tensor2d([
      [-1, -1],
      [-1, -1],
    ]);
    const a = klRewardPenalty({ logProb: lp, refLogProb: lp, scores: [2, 3], beta: 0.5, estimator: 'k1' });
    expectClose(await a.rewards.data(), [0, 2, 0, 3], 0);
    const mask = tf.tensor2d([
      [1, 0],
      [0, 0],
    ]);
    const c = klRewardPenalty({ logProb: lp, refLogProb: lp, scores: [2, 3], beta: 0.5, estimator: 'k1', mask });
    expectClose(await c.rewards.data(), [2, 0, 0, 0], 0);
    tf.dispose([lp, mask, a.rewards, a.kl, c.rewards, c.kl]);
  });

  it('property: with tokens drawn from π, E[k1] = E[k3] = the full KL (exact expectation by enumeration)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 4, maxLength: 4 }),
        async (th, ref) => {
          const lp = logSoftmax64(th);
          const lq = logSoftmax64(ref);
          // One row per vocabulary entry v, a single position holding token v.
          const logits = tf.tensor3d([[th]]);
          const refLogits = tf.tensor3d([[ref]]);
          const logProb = tf.tensor2d(lp.map((v) => [v]));
          const refLogProb = tf.tensor2d(lq.map((v) => [v]));
          const full = klRewardPenalty({ logits, refLogits, scores: [0], beta: 1, estimator: 'full' });
          const k1 = klRewardPenalty({ logProb, refLogProb, scores: [0, 0, 0, 0], beta: 1, estimator: 'k1' });
          const k3 = klRewardPenalty({ logProb, refLogProb, scores: [0, 0, 0, 0], beta: 1, estimator: 'k3' });
          const [f, a, c] = [(await full.kl.data())[0]!, await k1.kl.data(), await k3.kl.data()];
          const p = lp.map(Math.exp);
          const e1 = p.reduce((s, pi, i) => s + pi * a[i]!, 0);
          const e3 = p.reduce((s, pi, i) => s + pi * c[i]!, 0);
          tf.dispose([
            logits,
            refLogits,
            logProb,
            refLogProb,
            full.kl,
            full.rewards,
            k1.kl,
            k1.rewards,
            k3.kl,
            k3.rewards,
          ]);
          expectClose(e1, f, 1e-4, 1e-4);
          expectClose(e3, f, 1e-4, 1e-4);
        },
      ),
      { numRuns: 20, seed: 8 },
    );
  });

  it('does not leak tensors', async () => {
    const [logProb, refLogProb, mask, logits, refLogits] = [
      tf.tensor2d(LP),
      tf.tensor2d(REF),
      tf.tensor2d(MASK),
      tf.tensor3d(LOGITS),
      tf.tensor3d(REF_LOGITS),
    ];
    await expectNoLeak(() => {
      const r = klRewardPenalty({ logProb, refLogProb, scores: SCORES, beta: 0.1, estimator: 'k3', mask });
      tf.dispose([r.rewards, r.kl]);
    });
    await expectNoLeak(() => {
      const r = klRewardPenalty({ logits, refLogits, scores: SCORES, beta: 0.1, estimator: 'full' });
      tf.dispose([r.rewards, r.kl]);
    });
    tf.dispose([logProb, refLogProb, mask, logits, refLogits]);
  });

  it('rejects bad input with named errors', () => {
    const [lp, ref, short, m3] = [tf.tensor2d(LP), tf.tensor2d(REF), tf.tensor2d([[1, 2]]), tf.zeros([2, 3, 4])];
    try {
      expect(REWARD_KL_ESTIMATORS).toEqual(['k1', 'k3', 'abs', 'mse', 'full']);
      expect(() =>
        klRewardPenalty({ logProb: lp, refLogProb: short, scores: SCORES, beta: 0.1, estimator: 'k1' }),
      ).toThrow('klRewardPenalty: refLogProb must be of the same shape as logProb [2,3], got a tensor of shape [1,2]');
      expect(() =>
        klRewardPenalty({ logProb: m3, refLogProb: m3, scores: SCORES, beta: 0.1, estimator: 'k1' }),
      ).toThrow('klRewardPenalty: logProb must be a tensor of rank 2, got a tensor of shape [2,3,4]');
      expect(() =>
        klRewardPenalty({ logProb: lp, refLogProb: ref, scores: [1, 2, 3], beta: 0.1, estimator: 'k1' }),
      ).toThrow('klRewardPenalty: scores must be of shape [B] = [2], got a tensor of shape [3]');
      expect(() =>
        klRewardPenalty({ logProb: lp, refLogProb: ref, scores: SCORES, beta: 0.1, estimator: 'k1', mask: short }),
      ).toThrow(ShapeError);
      expect(() =>
        klRewardPenalty({ logProb: lp, refLogProb: ref, scores: SCORES, beta: 0.1, estimator: 'full' }),
      ).toThrow(
        'klRewardPenalty: logits must be a tensor of shape [B, T, V] (required by estimator "full"), got undefined',
      );
      expect(() =>
        klRewardPenalty({ logProb: lp, refLogProb: ref, scores: SCORES, beta: -1, estimator: 'k1' }),
      ).toThrow('klRewardPenalty: beta must be a finite number ≥ 0, got -1');
      expect(() =>
        klRewardPenalty({ logProb: lp, refLogProb: ref, scores: SCORES, beta: 0.1, estimator: 'k2' as 'k1' }),
      ).toThrow(ConfigError);
      expect(() => klRewardPenalty({ refLogProb: ref, scores: SCORES, beta: 0.1, estimator: 'k1' })).toThrow(
        'klRewardPenalty: logProb must be a tensor of shape [B, T], got undefined',
      );
    } finally {
      tf.dispose([lp, ref, short, m3]);
    }
  });
});

describe.each(TEST_BACKENDS)('klLossPenalty (%s backend)', (b) => {
  useBackend(b);

  it('golden: β·mean k3, and the importance-weighted masked version', async () => {
    const [logProb, refLogProb, oldLogProb, mask] = [
      tf.tensor2d(LP),
      tf.tensor2d(REF),
      tf.tensor2d(OLD),
      tf.tensor2d(MASK),
    ];
    const a = klLossPenalty({ logProb, refLogProb, beta: 0.04 });
    expectClose((await a.klMean.data())[0]!, 0.37248065016691395, 1e-5);
    expectClose((await a.loss.data())[0]!, 0.014899226006676558, 1e-6);
    const c = klLossPenalty({ logProb, refLogProb, beta: 0.04, oldLogProb, mask });
    expectClose((await c.klMean.data())[0]!, 0.04473591086728056, 1e-6);
    expectClose((await c.loss.data())[0]!, 0.0017894364346912224, 1e-7);
    tf.dispose([logProb, refLogProb, oldLogProb, mask, a.loss, a.klMean, c.loss, c.klMean]);
  });

  // Exact expectations over tokens: one row per vocabulary entry, weighted through `mask` by the sampling probabilities.
  const TH = [0.3, -0.5, 1.0, 0.1];
  const REFL = [0.0, 0.4, -0.3, 0.2];
  const OLDL = [-0.2, 0.1, 0.6, -0.4];

  it('with oldLogProb the expected gradient is ∇KL(π_θ‖π_ref) (samples from π_old)', async () => {
    const lq = logSoftmax64(REFL);
    const lo = logSoftmax64(OLDL);
    const theta = tf.tensor1d(TH);
    const [refLogProb, oldLogProb, weights] = [tf.tensor1d(lq), tf.tensor1d(lo), tf.tensor1d(lo.map(Math.exp))];
    const f = (t: tf.Tensor): tf.Scalar =>
      klLossPenalty({ logProb: tf.logSoftmax(t), refLogProb, oldLogProb, beta: 1, mask: weights }).loss;
    const { value, grad } = tf.valueAndGrad(f)(theta);
    const lp = logSoftmax64(TH);
    const p = lp.map(Math.exp);
    const kl = p.reduce((s, pi, i) => s + pi * (lp[i]! - lq[i]!), 0);
    // ∂KL(π‖q)/∂θ_j = π_j·(log π_j − log q_j − KL)
    expectClose((await value.data())[0]!, kl, 1e-5);
    expectClose(
      await grad.data(),
      p.map((pi, j) => pi * (lp[j]! - lq[j]! - kl)),
      1e-5,
    );
    tf.dispose([theta, refLogProb, oldLogProb, weights, value, grad]);
  });

  it('without oldLogProb (on-policy) the expected gradient is ∇KL(π_ref‖π_θ) = π − π_ref', async () => {
    const lp = logSoftmax64(TH);
    const lq = logSoftmax64(REFL);
    const p = lp.map(Math.exp);
    const theta = tf.tensor1d(TH);
    const [refLogProb, weights] = [tf.tensor1d(lq), tf.tensor1d(p)];
    const f = (t: tf.Tensor): tf.Scalar =>
      klLossPenalty({ logProb: tf.logSoftmax(t), refLogProb, beta: 1, mask: weights }).loss;
    const { value, grad } = tf.valueAndGrad(f)(theta);
    const q = lq.map(Math.exp);
    expectClose(
      (await value.data())[0]!,
      p.reduce((s, pi, i) => s + pi * (lp[i]! - lq[i]!), 0),
      1e-5,
    );
    expectClose(
      await grad.data(),
      p.map((pi, j) => pi - q[j]!),
      1e-5,
    );
    tf.dispose([theta, refLogProb, weights, value, grad]);
  });

  it('property: klMean ≥ 0 and the loss scales linearly in β', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: -5, max: 0, noNaN: true }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.double({ min: -5, max: 0, noNaN: true }), { minLength: 3, maxLength: 3 }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        async (a, c, beta) => {
          const [logProb, refLogProb] = [tf.tensor1d(a), tf.tensor1d(c)];
          const r = klLossPenalty({ logProb, refLogProb, beta });
          const [loss, km] = [(await r.loss.data())[0]!, (await r.klMean.data())[0]!];
          tf.dispose([logProb, refLogProb, r.loss, r.klMean]);
          expect(km).toBeGreaterThanOrEqual(-1e-7); // k3 ≥ 0 up to float32 rounding
          expectClose(loss, beta * km, 1e-6, 1e-5);
        },
      ),
      { numRuns: 25, seed: 3 },
    );
  });

  it('does not leak tensors (value and gradient)', async () => {
    const [logProb, refLogProb, oldLogProb, mask] = [
      tf.tensor2d(LP),
      tf.tensor2d(REF),
      tf.tensor2d(OLD),
      tf.tensor2d(MASK),
    ];
    await expectNoLeak(() => {
      const r = klLossPenalty({ logProb, refLogProb, beta: 0.1, oldLogProb, mask });
      tf.dispose([r.loss, r.klMean]);
    });
    await expectNoLeak(() =>
      tf
        .grad((x: tf.Tensor) => klLossPenalty({ logProb: x, refLogProb, beta: 0.1, oldLogProb }).loss)(logProb)
        .dispose(),
    );
    tf.dispose([logProb, refLogProb, oldLogProb, mask]);
  });

  it('rejects bad input with named errors', () => {
    const [lp, ref, short, m3] = [tf.tensor2d(LP), tf.tensor2d(REF), tf.tensor2d([[1, 2]]), tf.zeros([2, 3, 4])];
    try {
      expect(() => klLossPenalty({ logProb: lp, refLogProb: short, beta: 0.1 })).toThrow(
        'klLossPenalty: refLogProb must be of the same shape as logProb [2,3], got a tensor of shape [1,2]',
      );
      expect(() => klLossPenalty({ logProb: lp, refLogProb: ref, beta: 0.1, oldLogProb: short })).toThrow(ShapeError);
      expect(() => klLossPenalty({ logProb: lp, refLogProb: ref, beta: 0.1, mask: short })).toThrow(
        'klLossPenalty: mask must be of the same shape as logProb [2,3], got a tensor of shape [1,2]',
      );
      expect(() => klLossPenalty({ logProb: m3, refLogProb: m3, beta: 0.1 })).toThrow(
        'klLossPenalty: logProb must be a tensor of rank 1 or 2',
      );
      expect(() => klLossPenalty({ logProb: lp, refLogProb: ref, beta: NaN })).toThrow(
        'klLossPenalty: beta must be a finite number ≥ 0, got NaN',
      );
      expect(() => klLossPenalty({ logProb: [1] as unknown as tf.Tensor, refLogProb: ref, beta: 1 })).toThrow(
        ConfigError,
      );
    } finally {
      tf.dispose([lp, ref, short, m3]);
    }
  });
});
