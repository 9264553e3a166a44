/**
 * The row KLs of the fused engine against closed forms computed here in float64:
 *   categorical: KL((½, ½)‖(0.9, 0.1)) = ½ ln(0.5/0.9) + ½ ln(0.5/0.1)
 *   Gaussian, per coordinate: ln σ_q − ln σ_p + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − ½
 */
import { describe, expect, it } from 'vitest';
import { categoricalRowKl, gaussianRowKl } from '../../src/engine/row_kl.js';

describe('row KLs', () => {
  it('categorical: the closed form, 0·log 0 = 0, direction, and row offsets', () => {
    const p = [Math.log(0.5), Math.log(0.5)];
    const q = [Math.log(0.9), Math.log(0.1)];
    const expected = 0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1);
    expect(categoricalRowKl(p, 0, q, 0, 2)).toBeCloseTo(expected, 14);
    // reverse direction: 0.9 ln(0.9/0.5) + 0.1 ln(0.1/0.5), a different number
    const reverse = 0.9 * Math.log(0.9 / 0.5) + 0.1 * Math.log(0.1 / 0.5);
    expect(categoricalRowKl(q, 0, p, 0, 2)).toBeCloseTo(reverse, 14);
    expect(Math.abs(expected - reverse)).toBeGreaterThan(0.1);
    // p puts no mass on the second action: that term is 0, not NaN
    expect(categoricalRowKl([0, -Infinity], 0, q, 0, 2)).toBeCloseTo(-Math.log(0.9), 14);
    // rows inside longer arrays
    expect(categoricalRowKl([9, 9, ...p], 2, [7, ...q], 1, 2)).toBeCloseTo(expected, 14);
    expect(categoricalRowKl(p, 0, p, 0, 2)).toBe(0);
  });

  it('diagonal Gaussian: the closed form summed over coordinates, with row offsets', () => {
    const muP = [0, 1];
    const lsP = [0.5, -0.2];
    const muQ = [1, 1.5];
    const lsQ = [0, 0.1];
    let expected = 0;
    for (let d = 0; d < 2; d++) {
      const sp = Math.exp(lsP[d]!);
      const sq = Math.exp(lsQ[d]!);
      expected += Math.log(sq / sp) + (sp * sp + (muP[d]! - muQ[d]!) ** 2) / (2 * sq * sq) - 0.5;
    }
    expect(gaussianRowKl(muP, 0, lsP, 0, muQ, 0, lsQ, 0, 2)).toBeCloseTo(expected, 13);
    expect(gaussianRowKl([0], 0, [0], 0, [1], 0, [0], 0, 1)).toBeCloseTo(0.5, 14);
    expect(gaussianRowKl([5, ...muP], 1, [5, 5, ...lsP], 2, muQ, 0, [5, ...lsQ], 1, 2)).toBeCloseTo(expected, 13);
    expect(gaussianRowKl(muP, 0, lsP, 0, muP, 0, lsP, 0, 2)).toBe(0);
  });
});
