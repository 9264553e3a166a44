import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { Categorical } from '../../src/distributions/categorical.js';
import { DiagGaussian } from '../../src/distributions/diag_gaussian.js';
import { crossEntropy, jsDivergence, klDivergence, totalVariation } from '../../src/kl/exact.js';
import { crossEntropyProbs, jsProbs, klProbs, tvProbs } from '../../src/kl/probs.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';
import { loadKlOracle, normalize } from './oracle.js';

const read = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

const probVec = (n: number): fc.Arbitrary<number[]> =>
  fc
    .array(fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 1, noNaN: true })), { minLength: n, maxLength: n })
    .filter((w) => w.some((x) => x > 0))
    .map(normalize);
const probPair = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(probVec(n), probVec(n)));

describe.each(TEST_BACKENDS)('%s backend', (b) => {
  useBackend(b);

  describe('golden values', () => {
    /* scipy: rel_entr(softmax([1,1,0]), softmax([1,2,0])).sum() = 0.12329236213461098; reversed 0.11962979538869273;
       T = [.7, .3], S = [.4, .6]: KL(T‖S) 0.18378689738681217, KL(S‖T) 0.19204199316179815,
       jensenshannon(T, S)**2 = 0.04620082918151349, TV 0.3, -(T*log S).sum() = 0.7946511994417057 */
    it('categorical KL, JS, TV, CE', () => {
      const p = Categorical.fromLogits([
        [1, 1, 0],
        [1, 2, 0],
      ]);
      const q = Categorical.fromLogits([
        [1, 2, 0],
        [1, 1, 0],
      ]);
      expectClose(read(klDivergence(p, q)), [0.12329236213461098, 0.11962979538869273], 1e-4);
      const T = Categorical.fromProbs([0.7, 0.3]);
      const S = Categorical.fromProbs([0.4, 0.6]);
      expectClose(read(klDivergence(T, S)), [0.18378689738681217], 1e-4);
      expectClose(read(klDivergence(S, T)), [0.19204199316179815], 1e-4);
      expectClose(read(jsDivergence(T, S)), [0.04620082918151349], 1e-5);
      expectClose(read(totalVariation(T, S)), [0.3], 1e-5);
      expectClose(read(crossEntropy(T, S)), [0.7946511994417057], 1e-4);
      expectClose(read(jsDivergence(Categorical.fromProbs([1, 0]), Categorical.fromProbs([0, 1]))), [Math.LN2], 1e-5);
    });

    /* scipy: KL (quadrature) 4.353757709567343 + entropy 3.0201986232033002 = CE 7.373956332770644 */
    it('Gaussian KL and cross-entropy closed forms', () => {
      const p = DiagGaussian.create({ mean: [0.5, -1.0], logStd: [Math.log(0.8), Math.log(1.5)] });
      const q = DiagGaussian.create({ mean: [-0.2, 0.3], logStd: [Math.log(1.2), Math.log(0.6)] });
      expectClose(read(klDivergence(p, q)), [4.353757709567343], 1e-4, 1e-5);
      expectClose(read(crossEntropy(p, q)), [7.373956332770644], 1e-4, 1e-5);
    });
  });

  describe('float64 oracle (test/fixtures/kl_oracle.json), float32 tolerance', () => {
    const cases = loadKlOracle();
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
      for (const [p, q] of [
        [Categorical.fromLogits(c.pLogits), Categorical.fromLogits(c.qLogits)],
        [Categorical.fromProbs(c.p), Categorical.fromProbs(c.q)],
      ] as const) {
        expectClose(read(klDivergence(p, q)), [c.klPQ], 2e-4, 2e-4);
        expectClose(read(klDivergence(q, p)), [c.klQP], 2e-4, 2e-4);
        expectClose(read(jsDivergence(p, q)), [c.js], 1e-4, 1e-4);
        expectClose(read(totalVariation(p, q)), [c.tv], 1e-5);
        expectClose(read(crossEntropy(p, q)), [c.cePQ], 2e-4, 2e-4);
        expectClose(read(p.entropy()), [c.entropyP], 1e-4, 1e-4);
      }
    });
  });

  describe('properties (fast-check) and agreement with the float64 versions', () => {
    it('KL ≥ 0, KL(p,p) = 0, JS symmetric ≤ ln 2, TV ∈ [0,1], Pinsker; tensor ≈ plain-number', () => {
      fc.assert(
        fc.property(probPair, ([pv, qv]) => {
          const [kl, klpp, js, jsr, tv] = tf.tidy(() => {
            const p = Categorical.fromProbs(pv);
            const q = Categorical.fromProbs(qv);
            return [
              klDivergence(p, q),
              klDivergence(p, p),
              jsDivergence(p, q),
              jsDivergence(q, p),
              totalVariation(p, q),
            ].map(read);
          }) as [number[], number[], number[], number[], number[]];
          const k = kl[0]!;
          expect(k).toBeGreaterThanOrEqual(-1e-6);
          expect(Math.abs(klpp[0]!)).toBeLessThan(1e-6);
          expect(Math.abs(js[0]! - jsr[0]!)).toBeLessThan(1e-6);
          expect(js[0]!).toBeLessThanOrEqual(Math.LN2 + 1e-6);
          expect(tv[0]!).toBeGreaterThanOrEqual(0);
          expect(tv[0]!).toBeLessThanOrEqual(1 + 1e-6);
          expect(tv[0]!).toBeLessThanOrEqual(Math.sqrt(Math.max(k, 0) / 2) + 1e-4);
          expectClose(k, klProbs(pv, qv), 1e-4, 1e-4);
          expectClose(js[0]!, jsProbs(pv, qv), 1e-4, 1e-4);
          expectClose(tv[0]!, tvProbs(pv, qv), 1e-5);
        }),
        { numRuns: 60 },
      );
    });

    it('crossEntropy = entropy + KL (tensor) and ≈ crossEntropyProbs', () => {
      fc.assert(
        fc.property(probPair, ([pv, qv]) => {
          const [ce, h, kl] = tf.tidy(() => {
            const p = Categorical.fromProbs(pv);
            const q = Categorical.fromProbs(qv);
            return [crossEntropy(p, q), p.entropy(), klDivergence(p, q)].map(read);
          }) as [number[], number[], number[]];
          expectClose(ce[0]!, crossEntropyProbs(pv, qv), 1e-4, 1e-4);
          if (Number.isFinite(kl[0]!)) expectClose(ce[0]!, h[0]! + kl[0]!, 1e-4, 1e-4);
          else expect(ce[0]).toBe(Infinity);
        }),
        { numRuns: 40 },
      );
    });
  });

  it('JS, TV and CE have finite gradients with zero-probability actions', () => {
    const q = Categorical.fromLogits([0.2, -Infinity, 0.1]);
    const g = tf.grad((x: tf.Tensor) => {
      const p = Categorical.fromLogits(x);
      return tf.addN([jsDivergence(p, q), totalVariation(p, q), crossEntropy(q, p), klDivergence(q, p)]);
    })(tf.tensor1d([-Infinity, 0.5, 1]));
    expect(read(g).every(Number.isFinite)).toBe(true);
  });

  it('no leaks in klDivergence, jsDivergence, totalVariation, crossEntropy', async () => {
    const x = tf.tensor2d([
      [1, 1, 0],
      [0, -Infinity, 2],
    ]);
    await expectNoLeak(() => {
      const p = Categorical.fromLogits(x);
      const q = Categorical.fromProbs([
        [0.2, 0.3, 0.5],
        [0.5, 0, 0.5],
      ]);
      const gp = DiagGaussian.create({ mean: [[0], [1]], logStd: [0] });
      const gq = DiagGaussian.create({ mean: [[1], [1]], logStd: [[0.5], [0]] });
      tf.dispose([
        klDivergence(p, q),
        jsDivergence(p, q),
        totalVariation(p, q),
        crossEntropy(p, q),
        klDivergence(gp, gq),
        crossEntropy(gp, gq),
      ]);
    });
    x.dispose();
  });
});

describe('exact divergences: bad input throws named errors', () => {
  const g = DiagGaussian.create({ mean: [0], logStd: [0] });
  const c = Categorical.fromProbs([0.5, 0.5]);
  it('JS and TV have no closed form for Gaussians', () => {
    expect(() => jsDivergence(g, g)).toThrow(ConfigError);
    expect(() => jsDivergence(g, g)).toThrow(
      /^jsDivergence: p must be a categorical distribution, got "diag-gaussian"\. The Jensen–Shannon divergence has no closed form for Gaussians/,
    );
    expect(() => totalVariation(g, g)).toThrow(
      /^totalVariation: p must be a categorical distribution, got "diag-gaussian"\. The total variation distance has no closed form for Gaussians/,
    );
  });
  it('mismatched kinds and batch shapes', () => {
    expect(() => klDivergence(c, g)).toThrow(
      'klDivergence: q must be a distribution of the same kind as p (\'categorical\'), got "diag-gaussian"',
    );
    expect(() => crossEntropy(g, c)).toThrow(ConfigError);
    expect(() => klDivergence(c, Categorical.fromProbs([[0.5, 0.5]]))).toThrow(ShapeError);
    expect(() => jsDivergence(c, Categorical.fromProbs([0.2, 0.3, 0.5]))).toThrow(
      'jsDivergence: q must be a categorical of batch shape [] over 2 actions, got "batch shape [] over 3 actions"',
    );
    expect(() => klDivergence(g, DiagGaussian.create({ mean: [0, 0], logStd: [0, 0] }))).toThrow(ShapeError);
    expect(() => totalVariation(null as unknown as Categorical, c)).toThrow(ConfigError);
  });
});
