import { describe, expect, it } from 'vitest';
import { BernoulliBandit, ContextualBandit, ENV_IDS, EnvError, Gridworld, TimeLimit, makeEnv } from '../../envs/index.js';

describe('makeEnv', () => {
  it("wraps like gym.make: FrozenLake 4x4 → 100, 8x8 → 200, grid5x5 → 50, CliffWalking and bandits none", () => {
    const limits = Object.fromEntries(ENV_IDS.map((id) => {
      const env = makeEnv(id);
      return [id, env instanceof TimeLimit ? env.maxEpisodeSteps : null];
    }));
    expect(limits).toEqual({ frozenlake4x4: 100, frozenlake8x8: 200, cliffwalking: null, grid5x5: 50, bandit: null, 'contextual-bandit': null });
    expect(makeEnv('frozenlake4x4').spec).toEqual({ id: 'frozenlake4x4', maxEpisodeSteps: 100 });
    expect(makeEnv('cliffwalking').spec).toEqual({ id: 'cliffwalking' });
    expect(makeEnv('frozenlake4x4').unwrapped).toBeInstanceOf(Gridworld);
    expect(makeEnv('bandit')).toBeInstanceOf(BernoulliBandit);
    expect(makeEnv('contextual-bandit')).toBeInstanceOf(ContextualBandit);
  });

  it('options: slippery, maxEpisodeSteps (null removes), bandit probs', () => {
    const det = makeEnv('frozenlake4x4', { slippery: false });
    expect(det.P[0]![1]).toEqual([{ prob: 1, next: 4, reward: 0, terminated: false }]);
    expect((makeEnv('frozenlake4x4') as TimeLimit).unwrapped).toMatchObject({ options: { slippery: true } });
    expect((makeEnv('cliffwalking', { maxEpisodeSteps: 30 }) as TimeLimit).maxEpisodeSteps).toBe(30);
    expect(makeEnv('frozenlake4x4', { maxEpisodeSteps: null })).toBeInstanceOf(Gridworld);
    expect((makeEnv('bandit', { probs: [0.9, 0.1] }) as BernoulliBandit).optimalArm).toBe(0);
    expect((makeEnv('bandit') as BernoulliBandit).optimalArm).toBe(2);
  });

  it('unknown ids and options throw EnvError listing what is allowed', () => {
    expect(() => makeEnv('cartpole')).toThrow(
      'makeEnv: id must be one of frozenlake4x4, frozenlake8x8, cliffwalking, grid5x5, bandit, contextual-bandit, got "cartpole"',
    );
    expect(() => makeEnv('bandit', { slippery: true })).toThrow('makeEnv: options.slippery must be an option of bandit: one of maxEpisodeSteps, probs');
    expect(() => makeEnv('grid5x5', { maxEpisodeSteps: 0 })).toThrow(EnvError);
    expect(() => makeEnv('frozenlake4x4', { slippery: 'yes' })).toThrow(EnvError);
  });
});
