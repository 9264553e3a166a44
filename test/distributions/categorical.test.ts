import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, NumericError, ShapeError } from '../../src/core/errors.js';
import { Categorical } from '../../src/distributions/categorical.js';
import { DiagGaussian } from '../../src/distributions/diag_gaussian.js';
import { entropyProbs, softmax } from '../../src/kl/probs.js';
import { createRng } from '../../src/random/rng.js';
import { sampleCategorical } from '../../src/random/sampling.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

const read = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

/*
 * Golden values, float64 (numpy + scipy):
 *   from scipy.special import softmax, rel_entr, log_softmax; from scipy.stats import entropy
 *   a, b = softmax([1., 1., 0.]), softmax([1., 2., 0.])
 *   rel_entr(a, b).sum()        # 0.12329236213461098
 *   rel_entr(b, a).sum()        # 0.11962979538869273
 *   entropy(a), entropy(b)      # 1.0173572075552149, 0.8323955818399389
 *   log_softmax([1., 1., 0.])   # [-0.861994804058251, -0.861994804058251, -1.861994804058251]
 *   log_softmax([1., 2., 0.])   # [-1.4076059644443801, -0.40760596444438024, -2.40760596444438]
 *   rel_entr([.7, .3], [.4, .6]).sum(), rel_entr([.4, .6], [.7, .3]).sum()  # 0.18378689738681217, 0.19204199316179815
 */
describe.each(TEST_BACKENDS)('%s backend', (b) => {
  useBackend(b);

  describe('Categorical golden values (atol 1e-4, float32)', () => {
    it('KL of logits [1,1,0] vs [1,2,0] in both directions, batched', () => {
      const p = Categorical.fromLogits([
        [1, 1, 0],
        [1, 2, 0],
      ]);
      const q = Categorical.fromLogits([
        [1, 2, 0],
        [1, 1, 0],
      ]);
      expectClose(read(p.kl(q)), [0.12329236213461098, 0.11962979538869273], 1e-4);
      const single = Categorical.fromLogits(tf.tensor1d([1, 2, 0]));
      expectClose(read(single.kl(Categorical.fromLogits([1, 1, 0]))), [0.11962979538869273], 1e-4);
    });

    it('teacher/student KL from probabilities', () => {
      const T = Categorical.fromProbs([0.7, 0.3]);
      const S = Categorical.fromProbs([0.4, 0.6]);
      expectClose(read(T.kl(S)), [0.18378689738681217], 1e-4);
      expectClose(read(S.kl(T)), [0.19204199316179815], 1e-4);
    });

    it('entropy, logits (normalised), probs, logProb, mode', () => {
      const d = Categorical.fromLogits([
        [1, 1, 0],
        [1, 2, 0],
      ]);
      expectClose(read(d.entropy()), [1.0173572075552149, 0.8323955818399389], 1e-4);
      expectClose(
        read(d.logits()),
        [
          -0.861994804058251, -0.861994804058251, -1.861994804058251, -1.4076059644443801, -0.40760596444438024,
          -2.40760596444438,
        ],
        1e-4,
      );
      expectClose(read(d.probs()), [...softmax([1, 1, 0]), ...softmax([1, 2, 0])], 1e-6);
      expectClose(read(d.logProb([2, 1])), [-1.861994804058251, -0.40760596444438024], 1e-4);
      expectClose(read(d.logProb(tf.tensor1d([0, 0], 'int32'))), [-0.861994804058251, -1.4076059644443801], 1e-4);
      expectClose(read(d.logProb(tf.tensor1d([2, 1], 'float32'))), [-1.861994804058251, -0.40760596444438024], 1e-4);
      expect(read(d.mode())).toEqual([0, 1]);
      const one = Categorical.fromLogits([1, 2, 0]);
      const lp = one.logProb(1);
      expect(lp.shape).toEqual([]);
      expectClose(read(lp), [-0.40760596444438024], 1e-4);
      expectClose(read(one.logProb([0, 2])), [-1.4076059644443801, -2.40760596444438], 1e-4);
      expect(one.entropy().shape).toEqual([]);
    });

    it('fromProbs renormalises a tensor and agrees with fromLogits', () => {
      const viaProbs = Categorical.fromProbs(tf.tensor2d([[1, 1, 2]]));
      expectClose(read(viaProbs.probs()), [0.25, 0.25, 0.5], 1e-6);
      expectClose(read(viaProbs.logits()), [Math.log(0.25), Math.log(0.25), Math.log(0.5)], 1e-5);
    });
  });

  describe('zero probabilities and -Infinity logits', () => {
    const logits = [0.3, -Infinity, 1.2, -0.5];
    const p = Array.from(softmax(logits));

    it('entropy is finite and equals the float64 value with 0·log 0 = 0', () => {
      const h = read(Categorical.fromLogits(logits).entropy());
      expect(Number.isFinite(h[0]!)).toBe(true);
      expectClose(h, [entropyProbs(p)], 1e-5);
      expectClose(read(Categorical.fromProbs([0.5, 0, 0.5]).entropy()), [Math.LN2], 1e-6);
    });

    it('entropy gradient is finite and equals −π(log π + H), 0 on the zero-probability action', () => {
      const g = tf.grad((x: tf.Tensor) => Categorical.fromLogits(x).entropy())(tf.tensor1d(logits));
      const got = read(g);
      const H = entropyProbs(p);
      const expected = p.map((pi) => (pi > 0 ? -pi * (Math.log(pi) + H) : 0));
      expect(got.every(Number.isFinite)).toBe(true);
      expectClose(got, expected, 1e-5);
    });

    it('KL: finite with shared zeros (finite gradients), Infinity when q lacks support of p', () => {
      const q = [0.1, -Infinity, 0.2, 0.3];
      const qp = Array.from(softmax(q));
      const expectedKl = p.reduce((s, pi, i) => (pi > 0 ? s + pi * Math.log(pi / qp[i]!) : s), 0);
      expectClose(read(Categorical.fromLogits(logits).kl(Categorical.fromLogits(q))), [expectedKl], 1e-5);
      const [gp, gq] = tf.grads((a: tf.Tensor, c: tf.Tensor) =>
        Categorical.fromLogits(a).kl(Categorical.fromLogits(c)),
      )([tf.tensor1d(logits), tf.tensor1d(q)]) as [tf.Tensor, tf.Tensor];
      const gpv = read(gp);
      const gqv = read(gq);
      expect([...gpv, ...gqv].every(Number.isFinite)).toBe(true);
      // ∂KL(p‖q)/∂q_logits = q − p (closed form)
      expectClose(
        gqv,
        qp.map((qi, i) => qi - p[i]!),
        1e-5,
      );
      const missing = Categorical.fromLogits([0, 0, -Infinity]);
      expect(read(Categorical.fromLogits([0, 0, 0]).kl(missing))).toEqual([Infinity]);
      // the zero-probability side is fine the other way round: KL(missing‖uniform) = log 3 − log 2
      expectClose(read(missing.kl(Categorical.fromLogits([0, 0, 0]))), [Math.log(3 / 2)], 1e-5);
    });

    it('logProb of a zero-probability action is -Infinity; of others, finite with finite gradients', () => {
      const d = Categorical.fromLogits(logits);
      expect(read(d.logProb([1]))).toEqual([-Infinity]);
      const g = read(tf.grad((x: tf.Tensor) => tf.sum(Categorical.fromLogits(x).logProb([0, 2])))(tf.tensor1d(logits)));
      // ∂ Σ log π(a) / ∂x = Σ (onehot(a) − π)
      expectClose(
        g,
        p.map((pi, i) => (i === 0 || i === 2 ? 1 : 0) - 2 * pi),
        1e-5,
      );
    });
  });

  describe('sample', () => {
    it('draws with sampleCategorical from the same stream (identical sequence) and is deterministic', () => {
      const probs = [
        [0.7, 0.2, 0.1],
        [0.1, 0, 0.9],
        [0.25, 0.25, 0.5],
      ];
      const d = Categorical.fromProbs(probs);
      const got = read(d.sample(createRng('s')));
      const rng = createRng('s');
      const f32 = probs.map((row) => Float32Array.from(row));
      expect(got).toEqual(f32.map((row) => sampleCategorical(row, rng)));
      expect(read(d.sample(createRng('s')))).toEqual(got);
    });

    it('frequencies match the probabilities and zero-probability actions never appear', () => {
      const rows = 20000;
      const row = [0.6, 0, 0.3, 0.1];
      const d = Categorical.fromProbs(Array.from({ length: rows }, () => row));
      const t = d.sample(createRng(7));
      expect(t.dtype).toBe('int32');
      expect(t.shape).toEqual([rows]);
      const counts = [0, 0, 0, 0];
      for (const a of read(t)) counts[a]! += 1;
      expect(counts[1]).toBe(0);
      row.forEach((pi, i) => {
        const se = Math.sqrt((pi * (1 - pi)) / rows);
        expect(Math.abs(counts[i]! / rows - pi)).toBeLessThanOrEqual(4 * se + 1e-12);
      });
      expect(Categorical.fromLogits([0, 1]).sample(createRng(1)).shape).toEqual([]);
    });
  });

  describe('no leaks', () => {
    it('every method disposes its intermediates (array and tensor parameters)', async () => {
      const x = tf.tensor2d([
        [1, 1, 0],
        [1, 2, -Infinity],
      ]);
      const acts = tf.tensor1d([0, 1], 'int32');
      await expectNoLeak(() => {
        for (const d of [
          Categorical.fromLogits(x),
          Categorical.fromLogits([
            [1, 1, 0],
            [0, 0, 0],
          ]),
          Categorical.fromProbs([
            [0.5, 0.5, 0],
            [0.2, 0.3, 0.5],
          ]),
        ]) {
          tf.dispose([
            d.logits(),
            d.probs(),
            d.entropy(),
            d.mode(),
            d.logProb([0, 1]),
            d.logProb(acts),
            d.sample(createRng(1)),
            d.kl(Categorical.fromLogits(x)),
          ]);
        }
      });
      tf.dispose([x, acts]);
    });
  });
});

describe('Categorical: bad input throws named errors', () => {
  it('fromProbs validates arrays', () => {
    expect(() => Categorical.fromProbs([0.5, 0.6])).toThrow(ConfigError);
    expect(() => Categorical.fromProbs([0.5, 0.6])).toThrow(
      /^Categorical\.fromProbs: probs must be a probability vector summing to 1/,
    );
    expect(() =>
      Categorical.fromProbs([
        [0.5, 0.5],
        [1.5, -0.5],
      ]),
    ).toThrow('Categorical.fromProbs: probs[1][1] must be a non-negative probability, got -0.5');
    expect(() => Categorical.fromProbs([NaN, 1])).toThrow(NumericError);
    expect(() => Categorical.fromProbs([[0.5, 0.5], [1]])).toThrow(ShapeError);
    expect(() => Categorical.fromProbs([])).toThrow(ShapeError);
  });
  it('fromLogits rejects NaN, +Infinity, all -Infinity rows and wrong ranks', () => {
    expect(() => Categorical.fromLogits([0, NaN])).toThrow(
      'Categorical.fromLogits: logits[1] must be a finite number or -Infinity, got NaN',
    );
    expect(() =>
      Categorical.fromLogits([
        [0, 1],
        [Infinity, 0],
      ]),
    ).toThrow('Categorical.fromLogits: logits[1][0] must be a finite number or -Infinity, got Infinity');
    expect(() =>
      Categorical.fromLogits([
        [0, 1],
        [-Infinity, -Infinity],
      ]),
    ).toThrow('Categorical.fromLogits: logits[1] must be a row with at least one finite logit');
    const t3 = tf.zeros([2, 2, 2]);
    expect(() => Categorical.fromLogits(t3)).toThrow(
      'Categorical.fromLogits: logits must be of shape [A] or [B, A], got a tensor of shape [2,2,2]',
    );
    t3.dispose();
  });
  it('logProb checks action indices and shapes; kl checks kind and shape', () => {
    const d = Categorical.fromLogits([
      [0, 1],
      [1, 0],
    ]);
    expect(() => d.logProb([0, 2])).toThrow(
      'Categorical.logProb: actions[1] must be an integer action index in [0, 2), got 2',
    );
    expect(() => d.logProb([0.5, 1])).toThrow(ConfigError);
    expect(() => d.logProb([0, 1, 1])).toThrow(ShapeError);
    expect(() => d.logProb(0)).toThrow(
      'Categorical.logProb: actions must be a vector of 2 action indices (one per row), got "shape []"',
    );
    expect(() =>
      d.kl(
        Categorical.fromLogits([
          [0, 1, 2],
          [0, 1, 2],
        ]),
      ),
    ).toThrow(ShapeError);
    expect(() => d.kl(Categorical.fromLogits([0, 1]))).toThrow(
      'Categorical.kl: other must be a categorical of batch shape [2] over 2 actions, got "batch shape [] over 2 actions"',
    );
    expect(() => d.kl(DiagGaussian.create({ mean: [[0], [0]], logStd: [0] }))).toThrow(
      'Categorical.kl: other must be a Categorical (kind \'categorical\'), got "diag-gaussian"',
    );
  });
});

describe.each(TEST_BACKENDS)('%s backend: KL is never negative', (b) => {
  useBackend(b);

  it('Categorical.kl of nearly equal rows is ≥ 0 (float32 rounding alone gives ≈ −2e-7 here without the clamp)', async () => {
    const rng = createRng(5);
    const rows = 4096;
    const A = 6;
    const x = Float32Array.from({ length: rows * A }, () => rng.normal() * 3);
    const y = Float32Array.from(x, (v) => v + rng.normal() * 1e-6);
    const kl = tf.tidy(() =>
      Categorical.fromLogits(tf.tensor2d(x, [rows, A])).kl(Categorical.fromLogits(tf.tensor2d(y, [rows, A]))),
    );
    const v = await kl.data();
    kl.dispose();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThan(1e-6); // still the tiny KL it is, not clamped away
  });

  it('DiagGaussian.kl of nearly equal Gaussians is ≥ 0', async () => {
    const rng = createRng(6);
    const rows = 4096;
    const D = 3;
    const m = Float32Array.from({ length: rows * D }, () => rng.normal());
    const s = Float32Array.from({ length: rows * D }, () => rng.normal() * 0.5);
    const m2 = Float32Array.from(m, (v) => v + rng.normal() * 1e-6);
    const s2 = Float32Array.from(s, (v) => v + rng.normal() * 1e-6);
    const kl = tf.tidy(() =>
      DiagGaussian.create({ mean: tf.tensor2d(m, [rows, D]), logStd: tf.tensor2d(s, [rows, D]) }).kl(
        DiagGaussian.create({ mean: tf.tensor2d(m2, [rows, D]), logStd: tf.tensor2d(s2, [rows, D]) }),
      ),
    );
    const v = await kl.data();
    kl.dispose();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThan(1e-5);
  });
});
