import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { DEFAULT_PPO_CONFIG, resolvePpoConfig } from '../../src/training/config.js';

describe('resolvePpoConfig', () => {
  it('fills every default and derives the sizes', () => {
    const c = resolvePpoConfig();
    expect(c.batchSize).toBe(DEFAULT_PPO_CONFIG.numEnvs * DEFAULT_PPO_CONFIG.nSteps);
    expect(c.minibatchSize).toBe(c.batchSize / DEFAULT_PPO_CONFIG.numMinibatches);
    expect(c.numIterations).toBe(Math.floor(DEFAULT_PPO_CONFIG.totalSteps / c.batchSize));
    expect(c.clipEpsilon).toBe(0.2);
    expect(Object.isFrozen(DEFAULT_PPO_CONFIG)).toBe(true);
  });

  it('merges nested partials without mutating the defaults', () => {
    const c = resolvePpoConfig({ policy: { kind: 'mlp' }, numEnvs: 2, nSteps: 8, numMinibatches: 2, totalSteps: 64 });
    expect(c.policy).toEqual({ kind: 'mlp', hidden: [64, 64], activation: 'tanh' });
    expect(c.minibatchSize).toBe(8);
    expect(c.numIterations).toBe(4);
    c.policy.hidden.push(3);
    expect(DEFAULT_PPO_CONFIG.policy.hidden).toEqual([64, 64]);
  });

  it.each([
    [{ bogus: 1 }, /bogus must be a known key/],
    [{ clipEpsilon: 1.5 }, /clipEpsilon must be a number in \(0, 1\), got 1\.5/],
    [{ clipEpsilon: 0 }, /clipEpsilon must be a number in \(0, 1\)/],
    [{ gamma: NaN }, /gamma must be a number in \[0, 1\], got NaN/],
    [{ numEnvs: 2.5 }, /numEnvs must be an integer/],
    [{ numEnvs: 3, nSteps: 5, numMinibatches: 4 }, /numMinibatches must be a divisor of the batch size numEnvs·nSteps = 15/],
    [{ totalSteps: 10 }, /totalSteps must be at least one batch/],
    [{ objective: 'ppo' }, /objective must be one of 'clip' \| 'kl-penalty' \| 'clip\+kl' \| 'pg', got "ppo"/],
    [{ klController: { kind: 'pid' } }, /klController\.kind must be one of/],
    [{ klController: { kind: 'fixed', beta: 1, gain: 2 } }, /klController\.gain must be a known key/],
    [{ policy: { kind: 'tabular', width: 3 } }, /policy\.width must be a known key/],
    [{ policy: { hidden: [] } }, /policy\.hidden must be a non-empty array/],
    [{ backend: 'webgl' }, /backend must be one of 'wasm' \| 'cpu'/],
    [{ seed: -1 }, /seed must be a non-negative safe integer or a non-empty string, got -1/],
    [{ annealLr: 'yes' }, /annealLr must be true or false/],
    [{ targetKl: 0 }, /targetKl must be a number in \(0/],
    [{ dualClip: 1 }, /dualClip must be a number in \(1/],
    [null, /config must be an object/],
  ])('rejects %j with a ConfigError naming the field', (input, message) => {
    expect(() => resolvePpoConfig(input as never)).toThrow(ConfigError);
    expect(() => resolvePpoConfig(input as never)).toThrow(message);
  });
});
