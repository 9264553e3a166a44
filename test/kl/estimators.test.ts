import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { Categorical } from '../../src/distributions/categorical.js';
import { klDivergence } from '../../src/kl/exact.js';
import { klEstimate, type KlEstimator } from '../../src/kl/estimators.js';
import { klProbs, softmax } from '../../src/kl/probs.js';
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

/** Mean and standard error of per-sample estimates of KL(π‖ref) from n actions a ~ π drawn with an Rng. */
function monteCarlo(
  pi: number[],
  ref: number[],
  estimator: KlEstimator,
  n: number,
  seed: string,
): { mean: number; se: number } {
  const rng = createRng(seed);
  const logProb = new Float64Array(n);
  const refLogProb = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = sampleCategorical(pi, rng);
    logProb[i] = Math.log(pi[a]!);
    refLogProb[i] = Math.log(ref[a]!);
  }
  const k = klEstimate({ estimator, logProb, refLogProb });
  let s = 0;
  for (const v of k) s += v;
  const mean = s / n;
  let ss = 0;
  for (const v of k) ss += (v - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (n - 1) / n) };
}

describe('klEstimate: per-sample formulas (float64 path)', () => {
  it('k1, k2, k3, abs, mse at ℓ = log(0.7/0.4)', () => {
    const l = Math.log(0.7 / 0.4);
    const r = 0.4 / 0.7;
    const args = { logProb: [Math.log(0.7)], refLogProb: [Math.log(0.4)] };
    expectClose(klEstimate({ estimator: 'k1', ...args }), [l], 1e-15);
    expectClose(klEstimate({ estimator: 'k2', ...args }), [0.5 * l * l], 1e-15);
    expectClose(klEstimate({ estimator: 'mse', ...args }), [0.5 * l * l], 1e-15);
    expectClose(klEstimate({ estimator: 'abs', logProb: [Math.log(0.4)], refLogProb: [Math.log(0.7)] }), [l], 1e-15);
    expectClose(klEstimate({ estimator: 'k3', ...args }), [r - 1 - Math.log(r)], 1e-15);
  });

  it('k2 and k3 are ≥ 0 (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -20, max: 0, noNaN: true }),
        fc.double({ min: -20, max: 0, noNaN: true }),
        (lp, rp) => {
          for (const estimator of ['k2', 'k3'] as const) {
            expect(klEstimate({ estimator, logProb: [lp], refLogProb: [rp] })[0]!).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });

  it('bad input throws named errors', () => {
    expect(() => klEstimate({ estimator: 'k4' as KlEstimator, logProb: [0], refLogProb: [0] })).toThrow(
      "klEstimate: estimator must be one of 'k1' | 'k2' | 'k3' | 'abs' | 'mse', got \"k4\"",
    );
    expect(() => klEstimate({ estimator: 'k1', logProb: [0, 0], refLogProb: [0] })).toThrow(
      'klEstimate: refLogProb must be of the same length as logProb (2), got "length 1"',
    );
    expect(() => klEstimate(null as unknown as { estimator: 'k1'; logProb: number[]; refLogProb: number[] })).toThrow(
      ConfigError,
    );
  });
});

describe('klEstimate: Monte Carlo bias with 1e5 samples from π', () => {
  const n = 100_000;
  const pi = [0.5, 0.3, 0.2];
  const ref = [0.3, 0.3, 0.4];
  const exact = klProbs(pi, ref);

  it('k1 and k3 means match the exact KL(π‖ref) within 3 standard errors', () => {
    for (const estimator of ['k1', 'k3'] as const) {
      const { mean, se } = monteCarlo(pi, ref, estimator, n, `mc-${estimator}`);
      expect(Math.abs(mean - exact), `${estimator}: mean ${mean} vs ${exact} (se ${se})`).toBeLessThan(3 * se);
    }
  });

  it('k3 has lower variance than k1 on a close pair', () => {
    const k1 = monteCarlo(pi, ref, 'k1', n, 'var');
    const k3 = monteCarlo(pi, ref, 'k3', n, 'var');
    expect(k3.se).toBeLessThan(k1.se);
  });

  it('k2 is biased on a far pair: its mean is many standard errors from the exact KL', () => {
    const far = [0.9, 0.05, 0.05];
    const farRef = [0.05, 0.05, 0.9];
    const exactFar = klProbs(far, farRef);
    const k2 = monteCarlo(far, farRef, 'k2', n, 'far');
    expect(Math.abs(k2.mean - exactFar) / k2.se).toBeGreaterThan(20);
    const k3 = monteCarlo(far, farRef, 'k3', n, 'far');
    expect(Math.abs(k3.mean - exactFar)).toBeLessThan(3 * k3.se);
  });
});

describe.each(TEST_BACKENDS)('%s backend', (b) => {
  useBackend(b);

  it('the tensor path agrees with the float64 path', () => {
    const lp = [Math.log(0.7), Math.log(0.2), Math.log(0.1)];
    const rp = [Math.log(0.4), Math.log(0.5), Math.log(0.1)];
    for (const estimator of ['k1', 'k2', 'k3', 'abs', 'mse'] as const) {
      const t = klEstimate({ estimator, logProb: tf.tensor1d(lp), refLogProb: tf.tensor1d(rp) });
      expectClose(read(t), klEstimate({ estimator, logProb: lp, refLogProb: rp }), 1e-6);
    }
  });

  it('tensor inputs: mixed kinds and shape mismatches throw ShapeError', () => {
    const t = tf.zeros([2]);
    const u = tf.zeros([3]);
    expect(() => klEstimate({ estimator: 'k1', logProb: t, refLogProb: [0, 0] as unknown as tf.Tensor })).toThrow(
      ShapeError,
    );
    expect(() => klEstimate({ estimator: 'k3', logProb: t, refLogProb: u })).toThrow(
      'klEstimate: refLogProb must be of the same shape as logProb [2], got a tensor of shape [3]',
    );
    tf.dispose([t, u]);
  });

  it('no leaks', async () => {
    const lp = tf.tensor1d([-0.1, -2]);
    const rp = tf.tensor1d([-0.5, -1]);
    await expectNoLeak(() => {
      for (const estimator of ['k1', 'k2', 'k3', 'abs', 'mse'] as const)
        tf.dispose(klEstimate({ estimator, logProb: lp, refLogProb: rp }));
    });
    tf.dispose([lp, rp]);
  });

  /*
   * Exact expected gradients (no sampling): enumerate every action a, weight by π(a) held constant.
   * With r = ref/π: ∂k3/∂log π = 1 − r, so Σ_a π(a)(1 − r(a)) ∇log π(a) = Σ_a (π − ref)(a) ∇log π(a)
   * = −Σ_a ref(a) ∇log π(a) = ∇_θ KL(ref‖π_θ) — the *forward* KL, not KL(π‖ref) (Tang & Munos 2025).
   */
  describe('expected gradients of the estimator loss terms w.r.t. the policy logits', () => {
    const theta = [0.3, -0.5, 1.2, 0];
    const ref = [0.1, 0.2, 0.3, 0.4];
    const pi = Array.from(softmax(theta));
    const actions = [0, 1, 2, 3];

    /** ∇_θ Σ_a w(a)·k(a; θ) with w = π held constant. */
    const expectedLossGrad = (estimator: KlEstimator): number[] =>
      read(
        tf.grad((x: tf.Tensor) => {
          const logProb = Categorical.fromLogits(x).logProb(actions);
          const k = klEstimate({ estimator, logProb, refLogProb: tf.log(tf.tensor1d(ref)) });
          return tf.sum(tf.mul(tf.tensor1d(pi), k));
        })(tf.tensor1d(theta)),
      );
    const gradKl = (direction: 'ref‖π' | 'π‖ref'): number[] =>
      read(
        tf.grad((x: tf.Tensor) => {
          const p = Categorical.fromLogits(x);
          const r = Categorical.fromProbs(ref);
          return direction === 'ref‖π' ? klDivergence(r, p) : klDivergence(p, r);
        })(tf.tensor1d(theta)),
      );

    it('E_π[∇k3] = ∇KL(ref‖π) = π − ref, which differs from ∇KL(π‖ref)', () => {
      const g3 = expectedLossGrad('k3');
      const closedForm = pi.map((p, i) => p - ref[i]!);
      expectClose(gradKl('ref‖π'), closedForm, 1e-5);
      expectClose(g3, closedForm, 1e-5);
      const reverse = gradKl('π‖ref');
      const maxDiff = Math.max(...g3.map((g, i) => Math.abs(g - reverse[i]!)));
      expect(maxDiff).toBeGreaterThan(0.05);
    });

    it('E_π[∇k1] = Σ π ∇log π = 0, while the score-function form E_π[k1·∇log π] = ∇KL(π‖ref)', () => {
      expectClose(expectedLossGrad('k1'), [0, 0, 0, 0], 1e-6);
      const k1 = actions.map((a) => Math.log(pi[a]! / ref[a]!)); // held constant (no gradient through it)
      const score = read(
        tf.grad((x: tf.Tensor) => {
          const logProb = Categorical.fromLogits(x).logProb(actions);
          return tf.sum(tf.mul(tf.tensor1d(pi.map((p, i) => p * k1[i]!)), logProb));
        })(tf.tensor1d(theta)),
      );
      expectClose(score, gradKl('π‖ref'), 1e-5);
    });
  });
});

describe('klEstimate: input edges', () => {
  it('arrays are log-probabilities: ≤ 0 up to float32 rounding, refLogProb may be -Infinity', () => {
    expect(klEstimate({ estimator: 'k1', logProb: [1.2e-7], refLogProb: [0] })[0]).toBeCloseTo(1.2e-7, 12);
    expect(klEstimate({ estimator: 'k3', logProb: [-0.5], refLogProb: [-Infinity] })[0]).toBe(Infinity);
    expect(() => klEstimate({ estimator: 'k1', logProb: [-1], refLogProb: [0.01] })).toThrow(
      /^klEstimate: refLogProb\[0\] must be a log-probability ≤ 0/,
    );
    expect(() => klEstimate({ estimator: 'k1', logProb: [2e-6], refLogProb: [0] })).toThrow(ConfigError);
    expect(() => klEstimate({ estimator: 'k1', logProb: new Float64Array(0), refLogProb: [] })).toThrow(ShapeError);
  });

  it('tensors: float32 and non-empty, values not read (log-densities may be positive)', () => {
    const pos = tf.tensor1d([2.5, 0.1]);
    const ref = tf.tensor1d([1.5, 0.1]);
    const r = klEstimate({ estimator: 'k1', logProb: pos, refLogProb: ref });
    expectClose(Array.from(r.dataSync()), [1, 0], 1e-6);
    const empty = tf.tensor1d([]);
    const ints = tf.tensor1d([0, 0], 'int32');
    expect(() => klEstimate({ estimator: 'k1', logProb: empty, refLogProb: empty })).toThrow(
      'klEstimate: logProb must be a non-empty tensor',
    );
    expect(() => klEstimate({ estimator: 'k1', logProb: pos, refLogProb: ints })).toThrow(
      'klEstimate: refLogProb must be a float32 tensor of log-probabilities, got "dtype int32"',
    );
    tf.dispose([pos, ref, r, empty, ints]);
  });
});
