import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, NumericError, ShapeError } from '../../src/core/errors.js';
import { crossEntropyProbs, entropyProbs, jsProbs, klProbs, softmax, tvProbs } from '../../src/kl/probs.js';
import { expectClose } from '../helpers/close.js';
import { loadKlOracle, normalize } from './oracle.js';

/*
 * Golden values, float64, from scipy (python3-scipy 1.x):
 *   import numpy as np; from scipy.special import softmax, rel_entr; from scipy.stats import entropy
 *   from scipy.spatial.distance import jensenshannon
 *   a, b = softmax([1., 1., 0.]), softmax([1., 2., 0.])
 *   rel_entr(a, b).sum()  # 0.12329236213461098
 *   rel_entr(b, a).sum()  # 0.11962979538869273
 *   T, S = np.array([.7, .3]), np.array([.4, .6])
 *   rel_entr(T, S).sum()  # 0.18378689738681217   KL(T‖S)
 *   rel_entr(S, T).sum()  # 0.19204199316179815   KL(S‖T)
 *   jensenshannon(T, S)**2  # 0.04620082918151349
 *   0.5 * abs(T - S).sum()  # 0.3
 *   -(T * np.log(S)).sum()  # 0.7946511994417057   CE(T, S)
 *   entropy(T)  # 0.6108643020548935
 */
describe('probs: golden values', () => {
  it('categorical KL of logits [1,1,0] vs [1,2,0], both directions', () => {
    const a = softmax([1, 1, 0]);
    const b = softmax([1, 2, 0]);
    expectClose(klProbs(a, b), 0.12329236213461098, 1e-12);
    expectClose(klProbs(b, a), 0.11962979538869273, 1e-12);
  });

  it('teacher [0.7, 0.3] vs student [0.4, 0.6]', () => {
    const T = [0.7, 0.3];
    const S = [0.4, 0.6];
    expectClose(klProbs(T, S), 0.18378689738681217, 1e-12);
    expectClose(klProbs(S, T), 0.19204199316179815, 1e-12);
    expectClose(jsProbs(T, S), 0.04620082918151349, 1e-12);
    expectClose(jsProbs(S, T), 0.04620082918151349, 1e-12);
    expectClose(tvProbs(T, S), 0.3, 1e-12);
    expectClose(crossEntropyProbs(T, S), 0.7946511994417057, 1e-12);
    expectClose(entropyProbs(T), 0.6108643020548935, 1e-12);
  });

  it('closed forms: JS of disjoint supports is ln 2, TV is 1, entropy of uniform is ln A', () => {
    expectClose(jsProbs([1, 0], [0, 1]), Math.LN2, 1e-15);
    expect(tvProbs([1, 0], [0, 1])).toBe(1);
    expectClose(entropyProbs([0.25, 0.25, 0.25, 0.25]), Math.log(4), 1e-15);
    expect(entropyProbs([1, 0, 0])).toBe(0);
  });

  it('softmax is stable for huge logits and maps -Infinity to 0', () => {
    expectClose(softmax([1000, 1000 + Math.log(3)]), [0.25, 0.75], 1e-12); // input rounding of 1000 + ln 3 is ~1e-13
    expectClose(softmax([0, -Infinity, Math.log(3)]), [0.25, 0, 0.75], 1e-15);
    expect(softmax([5])).toEqual(new Float64Array([1]));
  });
});

describe('probs: zero-probability conventions', () => {
  it('0·log 0 = 0 and KL = Infinity when q(a) = 0 < p(a)', () => {
    expectClose(klProbs([0.5, 0.5, 0], [0.25, 0.25, 0.5]), Math.log(2), 1e-15);
    expect(klProbs([0.5, 0.5], [1, 0])).toBe(Infinity);
    expect(crossEntropyProbs([0.5, 0.5], [1, 0])).toBe(Infinity);
    expectClose(klProbs([1, 0], [0.5, 0.5]), Math.log(2), 1e-15);
    expect(Number.isFinite(jsProbs([0.5, 0.5], [1, 0]))).toBe(true);
  });
});

describe('probs: float64 oracle (test/fixtures/kl_oracle.json)', () => {
  const cases = loadKlOracle();
  it('has at least 30 cases including zeros and infinite KLs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(cases.some((c) => c.klPQ === Infinity)).toBe(true);
    expect(cases.some((c) => c.p.includes(0) && Number.isFinite(c.klPQ))).toBe(true);
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectClose(softmax(c.pLogits), c.p, 1e-14);
    expectClose(softmax(c.qLogits), c.q, 1e-14);
    expectClose(klProbs(c.p, c.q), c.klPQ, 1e-12, 1e-12);
    expectClose(klProbs(c.q, c.p), c.klQP, 1e-12, 1e-12);
    expectClose(jsProbs(c.p, c.q), c.js, 1e-12, 1e-12);
    expectClose(tvProbs(c.p, c.q), c.tv, 1e-12, 1e-12);
    expectClose(crossEntropyProbs(c.p, c.q), c.cePQ, 1e-12, 1e-12);
    expectClose(entropyProbs(c.p), c.entropyP, 1e-12, 1e-12);
    expectClose(entropyProbs(c.q), c.entropyQ, 1e-12, 1e-12);
  });
});

/** A probability vector of length n with some exact zeros (at least one positive entry). */
const probVec = (n: number): fc.Arbitrary<number[]> =>
  fc
    .array(fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 1, noNaN: true })), { minLength: n, maxLength: n })
    .filter((w) => w.some((x) => x > 0))
    .map(normalize);
const probPair = fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(probVec(n), probVec(n)));

describe('probs: properties (fast-check)', () => {
  it('KL ≥ 0 and KL(p, p) = 0', () => {
    fc.assert(
      fc.property(probPair, ([p, q]) => {
        expect(klProbs(p, q)).toBeGreaterThanOrEqual(0);
        expect(klProbs(p, p)).toBeLessThan(1e-12);
      }),
    );
  });
  it('JS is symmetric and in [0, ln 2]; TV in [0, 1]; Pinsker TV ≤ √(KL/2)', () => {
    fc.assert(
      fc.property(probPair, ([p, q]) => {
        const js = jsProbs(p, q);
        expect(Math.abs(js - jsProbs(q, p))).toBeLessThan(1e-12);
        expect(js).toBeGreaterThanOrEqual(0);
        expect(js).toBeLessThanOrEqual(Math.LN2);
        const tv = tvProbs(p, q);
        expect(tv).toBeGreaterThanOrEqual(0);
        expect(tv).toBeLessThanOrEqual(1);
        expect(tv).toBeLessThanOrEqual(Math.sqrt(klProbs(p, q) / 2) + 1e-12);
      }),
    );
  });
  it('cross-entropy = entropy + KL', () => {
    fc.assert(
      fc.property(probPair, ([p, q]) => {
        const kl = klProbs(p, q);
        const ce = crossEntropyProbs(p, q);
        if (kl === Infinity) expect(ce).toBe(Infinity);
        else expect(Math.abs(ce - (entropyProbs(p) + kl))).toBeLessThan(1e-12);
      }),
    );
  });
});

describe('probs: bad input throws typed errors naming the function and argument', () => {
  it('sum ≠ 1, negative, NaN, length mismatch, empty', () => {
    expect(() => klProbs([0.5, 0.6], [0.5, 0.5])).toThrow(ConfigError);
    expect(() => klProbs([0.5, 0.6], [0.5, 0.5])).toThrow(/^klProbs: p must be a probability vector summing to 1/);
    expect(() => jsProbs([0.5, 0.5], [1.5, -0.5])).toThrow(
      'jsProbs: q[1] must be a non-negative probability, got -0.5',
    );
    expect(() => tvProbs([NaN, 1], [0.5, 0.5])).toThrow(NumericError);
    expect(() => tvProbs([NaN, 1], [0.5, 0.5])).toThrow('tvProbs: p[0] must be a finite probability, got NaN');
    expect(() => crossEntropyProbs([0.5, 0.5], [0.2, 0.3, 0.5])).toThrow(ShapeError);
    expect(() => crossEntropyProbs([0.5, 0.5], [0.2, 0.3, 0.5])).toThrow(
      'crossEntropyProbs: q must be of the same length as p (2), got "length 3"',
    );
    expect(() => entropyProbs([])).toThrow(ShapeError);
  });
  it('softmax rejects NaN, +Infinity, all -Infinity and empty input', () => {
    expect(() => softmax([0, NaN])).toThrow('softmax: logits[1] must be a finite number or -Infinity, got NaN');
    expect(() => softmax([Infinity, 0])).toThrow(NumericError);
    expect(() => softmax([-Infinity, -Infinity])).toThrow(
      'softmax: logits must be a vector with at least one finite entry',
    );
    expect(() => softmax([])).toThrow(ShapeError);
  });
});
