import { describe, expect, it } from 'vitest';
import { main } from '../../examples/continuous_bandit.js';

const SEEDS = (process.env.KLIP_LEARN_SEEDS ?? '1,2').split(',').map(Number);

describe('examples/continuous_bandit', () => {
  for (const seed of SEEDS) {
    it(`moves the Gaussian mean to within 0.15 of a* = 1 and the exact return to within 0.1 of the optimum 0 (seed ${seed})`, async () => {
      const r = await main({ print: false, seed, totalSteps: 25_600 });
      expect(r.optimalReturn).toBe(0);
      expect(Math.abs(r.mean - 1)).toBeLessThan(0.15);
      // The closed form the trainer reports: −((μ − 1)² + σ²)/2, with the final μ and σ read from the policy.
      expect(r.finalPolicyReturn).toBeCloseTo(-((r.mean - 1) ** 2 + r.std ** 2) / 2, 4);
      expect(r.finalPolicyReturn).toBeGreaterThan(-0.1);
      expect(r.finalPolicyReturn).toBeGreaterThan(r.firstPolicyReturn);
    });
  }
});
