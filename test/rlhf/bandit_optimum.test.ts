import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, NumericError, ShapeError } from '../../src/core/errors.js';
import { klRegularizedFrontier, klRegularizedObjective, klRegularizedOptimum } from '../../src/rlhf/bandit_optimum.js';
import { expectClose } from '../helpers/close.js';

// Golden values: float64 numpy/scipy (/usr/bin/python3), generating code:
// from scipy.special import logsumexp, rel_entr
// ref = np.array([0.1, 0.2, 0.3, 0.4]); r = np.array([1.0, 0.5, -0.2, 0.3])
// for beta in [0.1, 0.5, 2.0]:
//     lz = logsumexp(np.log(ref) + r/beta); p = np.exp(np.log(ref) + r/beta - lz)
//     print(beta, p, 'J*', beta*lz, 'Er', (p*r).sum(), 'KL', rel_entr(p, ref).sum())
const REF = [0.1, 0.2, 0.3, 0.4];
const R = [1.0, 0.5, -0.2, 0.3];
const GOLDEN = [
  {
    beta: 0.1,
    probs: [0.983147036549864, 0.013248785249161841, 1.8121992501323075e-5, 0.0035860562084727454],
    value: 0.771441149762715,
    er: 0.9908436216384866,
    kl: 2.1940247187577158,
  },
  {
    beta: 0.5,
    probs: [0.3339678055955484, 0.24571977938348644, 0.09089062736455365, 0.3294217876564115],
    value: 0.39706279404486866,
    er: 0.5374761061113043,
    kl: 0.2808266241328715,
  },
  {
    beta: 2.0,
    probs: [0.14239357379768147, 0.22179245355594038, 0.23444175061554315, 0.40137222203083517],
    value: 0.2931506317075554,
    er: 0.32681311706179356,
    kl: 0.016831242677119135,
  },
];

const probVec = (k: number): fc.Arbitrary<number[]> =>
  fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: k, maxLength: k }).map((w) => {
    const s = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / s);
  });

describe('klRegularizedOptimum', () => {
  it.each(GOLDEN)('golden π*, J*, E[r] and KL at β = $beta', ({ beta, probs, value, er, kl }) => {
    const o = klRegularizedOptimum(REF, R, beta);
    expectClose(o.probs, probs, 1e-12, 1e-10);
    expectClose(o.value, value, 1e-12);
    expectClose(o.expectedReward, er, 1e-12);
    expectClose(o.kl, kl, 1e-12);
    expect(o.beta).toBe(beta);
  });

  it('closed form: two arms, uniform reference, r = [1, 0], β = 1 → π* = [e, 1]/(e + 1), J* = log((e + 1)/2)', () => {
    const o = klRegularizedOptimum([0.5, 0.5], [1, 0], 1);
    expectClose(o.probs, [Math.E / (Math.E + 1), 1 / (Math.E + 1)], 1e-15);
    expectClose(o.value, Math.log((Math.E + 1) / 2), 1e-15);
  });

  it('property: J* = E[r] − β·KL, and J* ≥ J(π) for random π (π* is the maximiser)', () => {
    fc.assert(
      fc.property(
        probVec(4),
        probVec(4),
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 4, maxLength: 4 }),
        fc.double({ min: 0.05, max: 5, noNaN: true }),
        (ref, pi, r, beta) => {
          const o = klRegularizedOptimum(ref, r, beta);
          expectClose(o.value, o.expectedReward - beta * o.kl, 1e-9, 1e-9);
          expectClose(klRegularizedObjective(o.probs, ref, r, beta), o.value, 1e-9, 1e-9);
          expect(klRegularizedObjective(pi, ref, r, beta)).toBeLessThanOrEqual(o.value + 1e-9);
        },
      ),
      { numRuns: 200, seed: 5 },
    );
  });

  it('limits: large β returns π_ref; small β concentrates on the best arm; huge r/β stays finite', () => {
    expectClose(klRegularizedOptimum(REF, R, 1e6).probs, REF, 1e-6);
    expect(klRegularizedOptimum(REF, R, 1e-3).probs[0]).toBeGreaterThan(0.999999);
    const o = klRegularizedOptimum([0.5, 0.5], [1000, 0], 0.01);
    expectClose(o.probs, [1, 0], 1e-12);
    expect(Number.isFinite(o.value)).toBe(true);
  });

  it('arms outside the support of π_ref get zero mass', () => {
    const o = klRegularizedOptimum([0.5, 0, 0.5], [0, 10, 1], 1);
    expect(o.probs[1]).toBe(0);
    expectClose(o.probs[2]!, Math.E / (1 + Math.E), 1e-15);
  });

  it('klRegularizedFrontier: one closed-form point per β; KL and E[r] fall as β grows', () => {
    const pts = klRegularizedFrontier(REF, R, [0.1, 0.5, 2]);
    expect(pts.map((p) => p.beta)).toEqual([0.1, 0.5, 2]);
    GOLDEN.forEach((g, i) => {
      expectClose(pts[i]!.kl, g.kl, 1e-12);
      expectClose(pts[i]!.expectedReward, g.er, 1e-12);
      expectClose(pts[i]!.value, g.value, 1e-12);
    });
    expect(pts[0]!.kl).toBeGreaterThan(pts[1]!.kl);
    expect(pts[1]!.expectedReward).toBeGreaterThan(pts[2]!.expectedReward);
  });

  it('rejects bad input with named errors', () => {
    expect(() => klRegularizedOptimum(REF, R, 0)).toThrow(
      'klRegularizedOptimum: beta must be a finite number > 0, got 0',
    );
    expect(() => klRegularizedOptimum([0.5, 0.6], [1, 0], 1)).toThrow(ConfigError);
    expect(() => klRegularizedOptimum(REF, [1, 2], 1)).toThrow(
      'klRegularizedOptimum: rewards must be of the same length as piRef (4), got "length 2"',
    );
    expect(() => klRegularizedOptimum(REF, [1, NaN, 0, 0], 1)).toThrow(NumericError);
    expect(() => klRegularizedOptimum(REF, [1, NaN, 0, 0], 1)).toThrow(
      'klRegularizedOptimum: rewards[1] must be a finite number, got NaN',
    );
    expect(() => klRegularizedObjective([1, 0], REF, R, 1)).toThrow(ShapeError);
    expect(() => klRegularizedFrontier(REF, R, [])).toThrow(ShapeError);
    expect(() => klRegularizedFrontier(REF, R, [1, -1])).toThrow(
      'klRegularizedFrontier: betas[1] must be a finite number > 0, got -1',
    );
  });
});
