import { describe, expect, it } from 'vitest';
import { RopeBridge, main } from '../../examples/own_env.js';
import { checkEnv, finiteHorizonValue } from '../../envs/index.js';

describe('examples/own_env', () => {
  it('the bridge passes checkEnv and its table gives the hand-computed returns', () => {
    expect(checkEnv(() => new RopeBridge()).problems).toEqual([]);
    const env = new RopeBridge(); // the horizon plays the 20-step limit
    // Always crawl: 4 successes of probability 1/2 within 20 steps, P(Bin(20, 1/2) ≥ 4) = 1 − (1 + 20 + 190 + 1140)/2^20.
    const crawl = Float64Array.from({ length: 12 }, (_, i) => (i % 2 === 1 ? 1 : 0));
    expect(finiteHorizonValue(env, { horizon: 20, policy: crawl }).startValue).toBeCloseTo(1 - 1351 / 2 ** 20, 12);
    // Always walk: 0.9⁴.
    const walk = Float64Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    expect(finiteHorizonValue(env, { horizon: 20, policy: walk }).startValue).toBeCloseTo(0.9 ** 4, 12);
  });

  it('trains to within 0.02 of the exact optimum and learns to crawl on every plank', async () => {
    const r = await main({ print: false, backend: 'cpu', totalSteps: 16_384 });
    expect(r.optimalReturn).toBeGreaterThan(1 - 1351 / 2 ** 20); // a time-dependent policy beats always crawling
    expect(r.optimalReturn - r.finalPolicyReturn).toBeLessThan(0.02);
    expect(r.greedy).toEqual([1, 1, 1, 1]);
  });
});
