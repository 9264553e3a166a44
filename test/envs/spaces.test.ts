import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Box, Discrete, EnvError, createRng } from '../../envs/index.js';

describe('Discrete', () => {
  it('samples stay inside and cover every element; contains rejects non-integers, NaN and out-of-range', () => {
    const d = new Discrete(5);
    const rng = createRng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const x = d.sample(rng);
      expect(d.contains(x)).toBe(true);
      seen.add(x);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
    for (const bad of [-1, 5, 0.5, Number.NaN, '1', null]) expect(d.contains(bad)).toBe(false);
  });
  it('property: contains(x) ⇔ integer in [0, n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: -60, max: 60 }), (n, x) => {
        expect(new Discrete(n).contains(x)).toBe(x >= 0 && x < n);
      }),
    );
  });
  it('throws EnvError for a bad n', () => {
    for (const n of [0, -1, 2.5, Number.NaN]) expect(() => new Discrete(n)).toThrow(EnvError);
    expect(() => new Discrete(0)).toThrow('Discrete: n must be a positive integer, got 0');
  });
});

describe('Box', () => {
  it('broadcasts scalar bounds and samples inside finite bounds', () => {
    const b = new Box(-1, [2, 3], [2]);
    expect(Array.from(b.low)).toEqual([-1, -1]);
    expect(Array.from(b.high)).toEqual([2, 3]);
    expect(b.shape).toEqual([2]);
    const rng = createRng(2);
    for (let i = 0; i < 200; i++) expect(b.contains(b.sample(rng))).toBe(true);
    expect(b.contains([0, 3.5])).toBe(false);
    expect(b.contains([0])).toBe(false);
    expect(b.contains([Number.NaN, 0])).toBe(false);
  });
  it('half-bounded and unbounded coordinates sample on the right side', () => {
    const b = new Box([0, -Infinity, -Infinity], [Infinity, 0, Infinity], [3]);
    const rng = createRng(3);
    for (let i = 0; i < 200; i++) {
      const x = b.sample(rng);
      expect(x[0]!).toBeGreaterThanOrEqual(0);
      expect(x[1]!).toBeLessThanOrEqual(0);
      expect(Number.isFinite(x[2]!)).toBe(true);
    }
  });
  it('throws EnvError for bad bounds or shape', () => {
    expect(() => new Box(1, 0, [1])).toThrow('Box: low[0] must be ≤ high[0] = 0, got 1');
    expect(() => new Box([0, 0], 1, [3])).toThrow(EnvError);
    expect(() => new Box(Number.NaN, 1, [1])).toThrow(EnvError);
    expect(() => new Box(0, 1, [-1])).toThrow(EnvError);
  });
});
