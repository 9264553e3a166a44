import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, NumericError, ShapeError } from '../../src/core/errors.js';
import { Categorical } from '../../src/distributions/categorical.js';
import { DiagGaussian } from '../../src/distributions/diag_gaussian.js';
import { createRng } from '../../src/random/rng.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

const read = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

/*
 * Golden values, float64, from scipy (KL by numerical quadrature, independent of the closed form):
 *   import numpy as np; from scipy.stats import norm, multivariate_normal; from scipy.integrate import quad
 *   mp, sp = np.array([0.5, -1.0]), np.array([0.8, 1.5]); mq, sq = np.array([-0.2, 0.3]), np.array([1.2, 0.6])
 *   sum(quad(lambda x: norm.pdf(x, mp[d], sp[d]) * (norm.logpdf(x, mp[d], sp[d]) - norm.logpdf(x, mq[d], sq[d])),
 *            -40, 40, epsabs=1e-13, limit=200)[0] for d in range(2))          # 4.353757709567343
 *   multivariate_normal(mp, np.diag(sp**2)).entropy()                          # 3.0201986232033002
 *   multivariate_normal(mp, np.diag(sp**2)).logpdf([0.1, 0.7])                 # -2.7874208454255225
 */
const P = { mean: [0.5, -1.0], logStd: [Math.log(0.8), Math.log(1.5)] };
const Q = { mean: [-0.2, 0.3], logStd: [Math.log(1.2), Math.log(0.6)] };

describe.each(TEST_BACKENDS)('%s backend', (b) => {
  useBackend(b);

  it('KL, entropy and logProb match scipy (atol 1e-4)', () => {
    const p = DiagGaussian.create(P);
    const q = DiagGaussian.create(Q);
    expectClose(read(p.kl(q)), [4.353757709567343], 1e-4, 1e-5);
    expectClose(read(p.entropy()), [3.0201986232033002], 1e-4);
    expectClose(read(p.logProb([0.1, 0.7])), [-2.7874208454255225], 1e-4);
    expectClose(read(p.kl(p)), [0], 1e-6);
  });

  it('batched with a state-independent logStd [D] broadcast over rows', () => {
    const p = DiagGaussian.create({ mean: tf.tensor2d([P.mean, Q.mean]), logStd: tf.tensor1d(P.logStd) });
    const q = DiagGaussian.create({ mean: [Q.mean, Q.mean], logStd: [Q.logStd, Q.logStd] });
    const kl = read(p.kl(q));
    expectClose(kl[0]!, 4.353757709567343, 1e-4, 1e-5);
    expect(kl[1]!).toBeGreaterThan(0);
    expectClose(read(p.entropy()), [3.0201986232033002, 3.0201986232033002], 1e-4);
    expectClose(read(p.std()), [0.8, 1.5, 0.8, 1.5], 1e-6);
    expectClose(read(p.logStd()), [...P.logStd, ...P.logStd], 1e-6);
    expectClose(read(p.mean()), [...P.mean, ...Q.mean], 1e-7);
    expectClose(read(p.mode()), [...P.mean, ...Q.mean], 1e-7);
    expectClose(
      read(
        p.logProb([
          [0.1, 0.7],
          [0.1, 0.7],
        ]),
      ).slice(0, 1),
      [-2.7874208454255225],
      1e-4,
    );
  });

  it('KL gradient w.r.t. the mean matches the closed form (μ_p − μ_q)/σ_q²', () => {
    const g = tf.grad((m: tf.Tensor) => DiagGaussian.create({ mean: m, logStd: P.logStd }).kl(DiagGaussian.create(Q)))(
      tf.tensor1d(P.mean),
    );
    expectClose(read(g), [(0.5 + 0.2) / 1.44, (-1 - 0.3) / 0.36], 1e-4, 1e-5);
  });

  it('sample = μ + σ·ε with ε from rng.normal(), deterministic, right moments', () => {
    const d = DiagGaussian.create({ mean: [1, -2], logStd: [0, Math.log(3)] });
    const x = read(d.sample(createRng('g')));
    const rng = createRng('g');
    expectClose(x, [1 + rng.normal(), -2 + 3 * rng.normal()], 1e-5);
    const n = 20000;
    const big = DiagGaussian.create({ mean: Array.from({ length: n }, () => [1, -2]), logStd: [0, Math.log(3)] });
    const s = read(big.sample(createRng(5)));
    const m0 = s.filter((_, i) => i % 2 === 0).reduce((a, v) => a + v, 0) / n;
    const m1 = s.filter((_, i) => i % 2 === 1).reduce((a, v) => a + v, 0) / n;
    expect(Math.abs(m0 - 1)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(m1 + 2)).toBeLessThan((4 * 3) / Math.sqrt(n));
  });

  it('no leaks', async () => {
    const mean = tf.tensor2d([
      [0, 1],
      [2, 3],
    ]);
    const logStd = tf.tensor1d([0, -1]);
    await expectNoLeak(() => {
      for (const d of [
        DiagGaussian.create({ mean, logStd }),
        DiagGaussian.create({
          mean: [
            [0, 1],
            [2, 3],
          ],
          logStd: [
            [0, 1],
            [2, 3],
          ],
        }),
      ]) {
        tf.dispose([
          d.mean(),
          d.std(),
          d.logStd(),
          d.mode(),
          d.entropy(),
          d.logProb([
            [0, 0],
            [1, 1],
          ]),
          d.sample(createRng(1)),
          d.kl(DiagGaussian.create({ mean, logStd })),
        ]);
      }
    });
    tf.dispose([mean, logStd]);
  });
});

describe('DiagGaussian: bad input throws named errors', () => {
  it('shapes, non-finite values and kinds', () => {
    expect(() => DiagGaussian.create({ mean: [0, 1], logStd: [0, 0, 0] })).toThrow(
      'DiagGaussian.create: logStd must be of shape [2] or [2] (the mean\'s shape), got "shape [3]"',
    );
    expect(() =>
      DiagGaussian.create({
        mean: [[0, 1]],
        logStd: [
          [0, 1],
          [0, 1],
        ],
      }),
    ).toThrow(ShapeError);
    expect(() => DiagGaussian.create({ mean: [0, NaN], logStd: [0, 0] })).toThrow(
      'DiagGaussian.create: mean[1] must be a finite number, got NaN',
    );
    expect(() => DiagGaussian.create({ mean: [0], logStd: [Infinity] })).toThrow(NumericError);
    expect(() => DiagGaussian.create(null as unknown as { mean: number[]; logStd: number[] })).toThrow(ConfigError);
    const d = DiagGaussian.create({ mean: [0, 1], logStd: [0, 0] });
    expect(() => d.logProb([0, 1, 2])).toThrow(ShapeError);
    expect(() => d.kl(Categorical.fromLogits([0, 1]))).toThrow(
      'DiagGaussian.kl: other must be a DiagGaussian (kind \'diag-gaussian\'), got "categorical"',
    );
    expect(() => d.kl(DiagGaussian.create({ mean: [0], logStd: [0] }))).toThrow(ShapeError);
  });
});

describe('DiagGaussian: the float32 range', () => {
  it('accepts the largest float32 mean and |log σ| = 88; refuses beyond, naming the entry', () => {
    expect(() => DiagGaussian.create({ mean: [3.4028234663852886e38], logStd: [88] })).not.toThrow();
    expect(() => DiagGaussian.create({ mean: [[0], [-1e39]], logStd: [0] })).toThrow(
      /^DiagGaussian\.create: mean\[1\]\[0\] must be within the float32 range/,
    );
    expect(() => DiagGaussian.create({ mean: [0, 0], logStd: new Float64Array([0, -89]) })).toThrow(NumericError);
    const b = tf.tensor1d([1, 0], 'bool');
    const f = tf.tensor1d([0, 0]);
    expect(() => DiagGaussian.create({ mean: f, logStd: b })).toThrow(
      'DiagGaussian.create: logStd must be a float32 (or int32) tensor, got "dtype bool"',
    );
    tf.dispose([b, f]);
  });
});
