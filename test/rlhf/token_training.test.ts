import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TokenBandit } from '../../envs/token_bandit.js';
import { ConfigError } from '../../src/core/errors.js';
import { createKlController } from '../../src/controllers/controllers.js';
import { klRegularizedOptimum } from '../../src/rlhf/bandit_optimum.js';
import { trainTokenPolicy, type TokenTrainingStep } from '../../src/rlhf/token_training.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';

const BETA = 0.5;
const bandit = new TokenBandit({ vocabSize: 8, length: 6, reward: 'count', target: 3 });

/** The closed-form optimum over position-conditioned policies: the count score is additive, so π* factorises. */
function optimum(beta: number): { kl: number; er: number } {
  const rt = bandit.tokenRewards()!;
  let kl = 0;
  let er = 0;
  for (let t = 0; t < bandit.length; t++) {
    const o = klRegularizedOptimum(bandit.referenceProbs(t), rt[t]!, beta);
    kl += o.kl;
    er += o.expectedReward;
  }
  return { kl, er }; // β = 0.5: KL ≈ 2.640, E[R] ≈ 3.081
}

const tail = (h: TokenTrainingStep[], key: 'klToRef' | 'expectedScore', n = 20): number =>
  h.slice(-n).reduce((s, x) => s + x[key], 0) / n;

describe.each(TEST_BACKENDS)(
  'trainTokenPolicy: reward placement with k1 reaches the KL-regularized optimum (%s backend)',
  (b) => {
    useBackend(b);

    it('E[R] and KL(π‖π_ref) end next to the closed form at β = 0.5', () => {
      const opt = optimum(BETA);
      const { history, probs } = trainTokenPolicy({
        bandit,
        placement: 'reward',
        estimator: 'k1',
        beta: BETA,
        steps: 200,
        batchSize: 32,
        lr: 0.05,
        seed: 1,
      });
      expect(history).toHaveLength(200);
      expect(history[0]!.klToRef).toBeLessThan(0.1); // starts at π_ref
      expect(Math.abs(tail(history, 'expectedScore') - opt.er)).toBeLessThan(0.2);
      expect(Math.abs(tail(history, 'klToRef') - opt.kl) / opt.kl).toBeLessThan(0.15);
      expect(probs).toHaveLength(48);
    });
  },
);

describe('trainTokenPolicy (wasm backend)', () => {
  useBackend('wasm');

  it('k3 in the reward is biased: the policy runs past the optimum KL (its score-function gradient is not ∇KL)', () => {
    const opt = optimum(BETA);
    const { history } = trainTokenPolicy({
      bandit,
      placement: 'reward',
      estimator: 'k3',
      beta: BETA,
      steps: 200,
      seed: 1,
    });
    expect(tail(history, 'klToRef')).toBeGreaterThan(2 * opt.kl);
  });

  it('the full KL in the reward carries no gradient for a position-only policy: the run equals an unpenalised one', () => {
    // −β·KL(π_t‖π_ref,t) is the same for every sequence at position t, so it cancels in the per-position baseline.
    const full = trainTokenPolicy({ bandit, placement: 'reward', estimator: 'full', beta: BETA, steps: 50, seed: 1 });
    const free = trainTokenPolicy({ bandit, placement: 'reward', estimator: 'k1', beta: 0, steps: 50, seed: 1 });
    full.history.forEach((h, i) => expect(Math.abs(h.klToRef - free.history[i]!.klToRef)).toBeLessThan(1e-3));
    expect(full.history.at(-1)!.klToRef).toBeGreaterThan(1); // and it did move away from π_ref
  });

  it('loss placement (GRPO, k3 in the loss) improves the score while the KL stays bounded', () => {
    const opt = optimum(BETA);
    const { history } = trainTokenPolicy({ bandit, placement: 'loss', beta: BETA, steps: 200, seed: 1 });
    expect(tail(history, 'expectedScore')).toBeGreaterThan(0.75 + 1.5); // π_ref scores 6/8 = 0.75
    expect(tail(history, 'klToRef')).toBeLessThan(1.5 * opt.kl);
    // Without a penalty the same run drifts much further from π_ref.
    const free = trainTokenPolicy({ bandit, placement: 'loss', beta: 0, steps: 200, seed: 1 });
    expect(tail(free.history, 'klToRef')).toBeGreaterThan(1.5 * tail(history, 'klToRef'));
  });

  it('a proportional controller drives the per-sequence KL towards its target (nats per sequence)', () => {
    const ctl = createKlController({ kind: 'proportional', beta: 0.5, target: 1, horizon: 1000 });
    const { history } = trainTokenPolicy({
      bandit,
      placement: 'reward',
      estimator: 'k1',
      controller: ctl,
      steps: 200,
      seed: 1,
    });
    expect(history[0]!.beta).toBe(0.5);
    expect(history.some((h) => h.beta !== 0.5)).toBe(true);
    const late = history.slice(100).reduce((s, h) => s + h.klToRef, 0) / 100;
    expect(late).toBeGreaterThan(0.5);
    expect(late).toBeLessThan(2);
    // With the same start, a fixed β = 0.5 settles at ≈ 2.6 nats: the controller raised β to hold the KL lower.
    expect(history.at(-1)!.beta).toBeGreaterThan(0.5);
  });

  it('same seed → identical history; another seed → a different one; no tensors left behind', () => {
    const before = tf.memory().numTensors;
    const a = trainTokenPolicy({
      bandit,
      placement: 'reward',
      estimator: 'full',
      beta: 0.2,
      steps: 5,
      batchSize: 8,
      seed: 9,
    });
    const c = trainTokenPolicy({
      bandit,
      placement: 'reward',
      estimator: 'full',
      beta: 0.2,
      steps: 5,
      batchSize: 8,
      seed: 9,
    });
    const d = trainTokenPolicy({
      bandit,
      placement: 'reward',
      estimator: 'full',
      beta: 0.2,
      steps: 5,
      batchSize: 8,
      seed: 10,
    });
    expect(c.history).toEqual(a.history);
    expect(d.history).not.toEqual(a.history);
    const eos = new TokenBandit({ vocabSize: 4, length: 4, reward: 'length-penalized', target: 0 });
    const e = trainTokenPolicy({ bandit: eos, placement: 'loss', beta: 0.1, steps: 3, batchSize: 8, seed: 1 });
    expect(e.history.every((h) => Number.isFinite(h.klToRef) && Number.isFinite(h.expectedScore))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options with named errors', () => {
    const ctl = createKlController({ kind: 'fixed', beta: 0.1 });
    expect(() => trainTokenPolicy({ bandit, placement: 'reward', beta: 0.1, controller: ctl })).toThrow(ConfigError);
    expect(() => trainTokenPolicy({ bandit, placement: 'reward' })).toThrow(
      'trainTokenPolicy: beta must be given exactly when no controller is given',
    );
    expect(() => trainTokenPolicy({ bandit, placement: 'both' as 'reward', beta: 0.1 })).toThrow(
      "trainTokenPolicy: placement must be one of 'reward' | 'loss', got \"both\"",
    );
    expect(() => trainTokenPolicy({ bandit: {} as TokenBandit, placement: 'reward', beta: 0.1 })).toThrow(
      'trainTokenPolicy: bandit must be a TokenBandit (from klip/envs)',
    );
    expect(() => trainTokenPolicy({ bandit, placement: 'reward', beta: 0.1, batchSize: 1 })).toThrow(ConfigError);
  });
});
