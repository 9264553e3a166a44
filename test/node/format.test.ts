/**
 * formatNumber, the one number formatter of klip's output: golden strings for each branch (missing, exponent form
 * below 1e-3, fixed decimals with and without trailing zeros, full precision) and a read-back property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPROX_ZERO, NEAR_ZERO, formatNumber } from '../../src/node/format.js';

describe('formatNumber', () => {
  it('writes the missing text for anything that is not a finite number', () => {
    for (const v of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -Infinity, '1', {}])
      expect(formatNumber(v)).toBe('–');
    expect(formatNumber(null, { missing: '' })).toBe('');
    expect(formatNumber(undefined, { exact: true, missing: 'missing' })).toBe('missing');
  });

  it('uses the exponent form only for 0 < |v| < 1e-3', () => {
    expect(formatNumber(4.321e-5)).toBe('4.32e-5');
    expect(formatNumber(-4.321e-5)).toBe('-4.32e-5');
    expect(formatNumber(9.99e-4, { expDigits: 1 })).toBe('1.0e-3');
    expect(formatNumber(0.001)).toBe('0.001');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(0, { digits: 3, fixed: true })).toBe('0.000');
  });

  it('with nearZero, prints round-off below the threshold as ≈ 0 and leaves 0 and larger values alone', () => {
    expect(formatNumber(1.73e-15, { nearZero: NEAR_ZERO })).toBe('≈ 0');
    expect(formatNumber(-1.73e-15, { nearZero: NEAR_ZERO, digits: 4, fixed: true })).toBe(APPROX_ZERO);
    expect(formatNumber(0, { nearZero: NEAR_ZERO })).toBe('0');
    expect(formatNumber(2e-9, { nearZero: NEAR_ZERO })).toBe('2.00e-9');
    expect(formatNumber(1.73e-15)).toBe('1.73e-15'); // off by default
    expect(formatNumber(1.73e-15, { nearZero: NEAR_ZERO, exact: true })).toBe('1.73e-15');
  });

  it('rounds to `digits` decimals, dropping trailing zeros unless `fixed`', () => {
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(2 / 3)).toBe('0.6667');
    expect(formatNumber(2 / 3, { digits: 6 })).toBe('0.666667');
    expect(formatNumber(0.5, { digits: 3, fixed: true })).toBe('0.500');
    expect(formatNumber(102400, { digits: 0 })).toBe('102400');
    expect(formatNumber(-1.23456, { digits: 2 })).toBe('-1.23');
  });

  it('with exact, reads back as the same double', () => {
    expect(formatNumber(0.1 + 0.2, { exact: true })).toBe('0.30000000000000004');
    expect(formatNumber(1e-7, { exact: true })).toBe('1e-7');
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Number(formatNumber(x, { exact: true }))).toBe(x === 0 ? 0 : x);
      }),
    );
  });

  it('the rounded text is within half a unit of the last decimal of the value', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 8 }), (x, d) => {
        const t = formatNumber(x, { digits: d });
        if (x !== 0 && Math.abs(x) < 1e-3) expect(t).toMatch(/e-/);
        else expect(Math.abs(Number(t) - x)).toBeLessThanOrEqual(0.5 * 10 ** -d * (1 + 1e-9) + Math.abs(x) * 1e-15);
      }),
    );
  });
});
