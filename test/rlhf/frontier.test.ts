import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { klProbs } from '../../src/kl/probs.js';
import { klRegularizedOptimum } from '../../src/rlhf/bandit_optimum.js';
import { rewardKlFrontier, trainKlBandit } from '../../src/rlhf/frontier.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';

const REF = [0.1, 0.2, 0.3, 0.4];
const R = [1.0, 0.5, -0.2, 0.3];

describe.each(TEST_BACKENDS)('trainKlBandit (%s backend)', (b) => {
  useBackend(b);

  it.each([0.1, 0.5, 2])('exact KL penalty: the trained policy reaches π* (KL(π‖π*) < 0.01) at β = %s', (beta) => {
    const start = klProbs(REF, klRegularizedOptimum(REF, R, beta).probs); // the policy starts at π_ref
    const run = trainKlBandit({ piRef: REF, rewards: R, beta, mode: 'exact', steps: 300, lr: 0.1 });
    expect(run.history).toHaveLength(300);
    expect(run.klToOptimum).toBeLessThan(Math.min(0.01, start / 10));
    expect(run.klToOptimum).toBeCloseTo(klProbs(run.probs, run.optimum.probs), 12);
    // J(π) never exceeds J* and ends next to it.
    for (const h of run.history) expect(h.objective).toBeLessThanOrEqual(run.optimum.value + 1e-6);
    expect(run.history[run.history.length - 1]!.objective).toBeGreaterThan(run.optimum.value - 1e-3);
  });

  it.each([0.1, 0.5, 2])(
    'sampled REINFORCE with the reward-placed k1 penalty converges too (KL(π‖π*) < 0.02) at β = %s',
    (beta) => {
      const start = klProbs(REF, klRegularizedOptimum(REF, R, beta).probs);
      const run = trainKlBandit({
        piRef: REF,
        rewards: R,
        beta,
        mode: 'sampled',
        steps: 300,
        lr: 0.1,
        batchSize: 64,
        seed: 1,
      });
      expect(run.klToOptimum).toBeLessThan(Math.min(0.02, start / 5));
    },
  );
});

describe('trainKlBandit: determinism, memory, errors (wasm backend)', () => {
  useBackend('wasm');

  it('same seed → identical history; another seed → a different one', () => {
    const a = trainKlBandit({ piRef: REF, rewards: R, beta: 0.1, mode: 'sampled', steps: 15, seed: 3 });
    const c = trainKlBandit({ piRef: REF, rewards: R, beta: 0.1, mode: 'sampled', steps: 15, seed: 3 });
    const d = trainKlBandit({ piRef: REF, rewards: R, beta: 0.1, mode: 'sampled', steps: 15, seed: 4 });
    expect(c.history).toEqual(a.history);
    expect(d.history).not.toEqual(a.history);
  });

  it('leaves no tensors or variables behind', () => {
    trainKlBandit({ piRef: REF, rewards: R, beta: 0.5, mode: 'sampled', steps: 2 }); // burn-in
    const before = tf.memory().numTensors;
    trainKlBandit({ piRef: REF, rewards: R, beta: 0.5, mode: 'exact', steps: 3 });
    trainKlBandit({ piRef: REF, rewards: R, beta: 0.5, mode: 'sampled', steps: 3 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad input with named errors', () => {
    expect(() => trainKlBandit({ piRef: [0.5, 0.5, 0], rewards: [1, 0, 0], beta: 1 })).toThrow(
      'trainKlBandit: piRef[2] must be a probability > 0 (the policy starts at π_ref), got 0',
    );
    expect(() => trainKlBandit({ piRef: REF, rewards: R, beta: 0 })).toThrow(
      'trainKlBandit: beta must be a finite number > 0, got 0',
    );
    expect(() => trainKlBandit({ piRef: REF, rewards: [1], beta: 1 })).toThrow(ShapeError);
    expect(() => trainKlBandit({ piRef: REF, rewards: R, beta: 1, mode: 'mc' as 'exact' })).toThrow(ConfigError);
    expect(() => trainKlBandit({ piRef: REF, rewards: R, beta: 1, batchSize: 1 })).toThrow(
      'trainKlBandit: batchSize must be a finite integer ≥ 2, got 1',
    );
  });
});

describe('rewardKlFrontier (wasm backend)', () => {
  useBackend('wasm');

  it('trained points sit on the closed-form curve; the curve trades reward for KL monotonically', () => {
    const f = rewardKlFrontier({ piRef: REF, rewards: R, betas: [0.1, 0.5, 2], steps: 300, curvePoints: 20 });
    expect(f.curve).toHaveLength(20);
    // β grows along the grid, so KL and E[r] both fall.
    for (let i = 1; i < f.curve.length; i++) {
      expect(f.curve[i]!.beta).toBeGreaterThan(f.curve[i - 1]!.beta);
      expect(f.curve[i]!.kl).toBeLessThan(f.curve[i - 1]!.kl);
      expect(f.curve[i]!.expectedReward).toBeLessThan(f.curve[i - 1]!.expectedReward);
    }
    expect(f.curve[0]!.beta).toBeCloseTo(0.05, 12);
    expect(f.curve[19]!.beta).toBeCloseTo(4, 12);
    f.trained.forEach((t, i) => {
      const o = f.optimal[i]!;
      expect(t.beta).toBe(o.beta);
      expect(t.klToOptimum).toBeLessThan(0.01);
      expect(Math.abs(t.expectedReward - o.expectedReward)).toBeLessThan(0.02);
      expect(Math.abs(t.kl - o.kl) / o.kl).toBeLessThan(0.1);
    });
  });

  it('rejects an empty β list', () => {
    expect(() => rewardKlFrontier({ piRef: REF, rewards: R, betas: [] })).toThrow(
      'rewardKlFrontier: betas must be a non-empty array of numbers > 0, got []',
    );
  });
});
