import { expect } from 'vitest';

/** Assert |actual − expected| ≤ atol + rtol·|expected| element-wise, with the index in the failure message. */
export function expectClose(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  atol = 1e-6,
  rtol = 0,
): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  expect(a.length, 'length').toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i]!;
    const ei = e[i]!;
    if (Number.isNaN(ei)) {
      expect(ai, `index ${i}`).toBeNaN();
    } else if (!Number.isFinite(ei)) {
      expect(ai, `index ${i}`).toBe(ei);
    } else {
      const tol = atol + rtol * Math.abs(ei);
      if (!(Math.abs(ai - ei) <= tol)) {
        throw new Error(`index ${i}: expected ${ai} to be within ${tol} of ${ei} (diff ${Math.abs(ai - ei)})`);
      }
    }
  }
}
