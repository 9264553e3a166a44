import { describe, expect, it } from 'vitest';
import {
  BernoulliBandit,
  ContextualBandit,
  EnvError,
  GaussianBandit,
  VectorEnv,
  checkEnv,
  valueIteration,
} from '../../envs/index.js';

describe('bandits', () => {
  it('refuse more than MAX_ARMS arms before building anything, naming the option', () => {
    expect(() => new BernoulliBandit({ probs: new Array(100_000).fill(0.5) })).toThrow(
      /probs must be at most 10000 entries \(arms\), got "100000 entries"/,
    );
    expect(new BernoulliBandit({ probs: new Array(10_000).fill(0.5) }).nActions).toBe(10_000);
  });

  it('BernoulliBandit: table, true values, optimum, and empirical means within 3 SE', () => {
    const env = new BernoulliBandit({ probs: [0.2, 0.5, 0.8] });
    expect([env.nStates, env.nActions, env.optimalArm, env.optimalValue]).toEqual([1, 3, 2, 0.8]);
    expect(Array.from(env.armValues)).toEqual([0.2, 0.5, 0.8]);
    expect(env.P[0]![0]).toEqual([
      { prob: 0.2, next: 0, reward: 1, terminated: true },
      { prob: 0.8, next: 0, reward: 0, terminated: true },
    ]);
    const vi = valueIteration(env, { gamma: 1 });
    expect(vi.V[0]).toBeCloseTo(0.8, 14);
    expect(vi.policy[0]).toBe(2);
    env.reset({ seed: 7 });
    const n = 5000;
    for (let a = 0; a < 3; a++) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        env.reset();
        const r = env.step(a);
        expect(r.terminated).toBe(true);
        expect(r.info.prob).toBe(r.reward === 1 ? env.armValues[a] : 1 - env.armValues[a]!);
        expect(r.info.success).toBe(a === 2);
        sum += r.reward;
      }
      const p = env.armValues[a]!;
      expect(Math.abs(sum / n - p)).toBeLessThan(3 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('GaussianBandit: the table holds expected rewards; sample mean and std match', () => {
    const env = new GaussianBandit({ means: [0, 1, 0.5], stds: [1, 2, 0] });
    expect(env.P[0]![1]).toEqual([{ prob: 1, next: 0, reward: 1, terminated: true }]);
    expect([env.optimalArm, env.optimalValue]).toEqual([1, 1]);
    env.reset({ seed: 3 });
    const n = 8000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      env.reset();
      const r = env.step(1).reward;
      s += r;
      s2 += r * r;
    }
    const mean = s / n;
    expect(Math.abs(mean - 1)).toBeLessThan(3 * (2 / Math.sqrt(n)));
    expect(Math.sqrt(s2 / n - mean * mean)).toBeGreaterThan(1.9);
    expect(Math.sqrt(s2 / n - mean * mean)).toBeLessThan(2.1);
    env.reset();
    expect(env.step(2).reward).toBe(0.5); // σ = 0
  });

  it('ContextualBandit: contexts drawn by weight; optimal arms and value; P[c][a] next = c', () => {
    const env = new ContextualBandit({
      means: [
        [0.9, 0.1],
        [0.2, 0.7],
      ],
      contextProbs: [3, 1],
    });
    expect(Array.from(env.initialStateDistribution)).toEqual([0.75, 0.25]);
    expect(Array.from(env.optimalArms)).toEqual([0, 1]);
    expect(env.optimalValue).toBeCloseTo(0.75 * 0.9 + 0.25 * 0.7, 15);
    expect(env.P[1]![1]!.map((t) => t.next)).toEqual([1, 1]);
    expect(valueIteration(env, { gamma: 1 }).V[1]).toBeCloseTo(0.7, 14);
    env.reset({ seed: 5 });
    let zeros = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const { obs } = env.reset();
      if (obs === 0) zeros++;
      const r = env.step(env.optimalArms[obs]!);
      expect(r.info.success).toBe(true);
      expect(r.obs).toBe(obs);
    }
    expect(Math.abs(zeros / n - 0.75)).toBeLessThan(3 * Math.sqrt((0.75 * 0.25) / n));
    expect(env.renderFrame()).toMatchObject({ kind: 'bandit', context: expect.any(Number) });
  });

  it('pass the env checker', () => {
    expect(checkEnv(() => new BernoulliBandit({ probs: [0.3, 0.6] })).problems).toEqual([]);
    expect(checkEnv(() => new GaussianBandit({ means: [0, 1] })).problems).toEqual([]);
    expect(
      checkEnv(
        () =>
          new ContextualBandit({
            means: [
              [0.5, 0.1],
              [0.2, 0.3],
            ],
            reward: 'gaussian',
            std: 0.5,
          }),
      ).problems,
    ).toEqual([]);
  });

  it('render and renderFrame show the last pull', () => {
    const env = new BernoulliBandit({ probs: [0.2, 0.8] });
    env.reset({ seed: 0 });
    const r = env.step(1);
    expect(env.renderFrame()).toEqual({ kind: 'bandit', armValues: [0.2, 0.8], lastArm: 1, lastReward: r.reward });
    expect(env.render()).toContain('> arm 1: value 0.800');
  });

  it('renderFrame keeps the last pull through a reset (VectorEnv same-step autoreset) until the next step', () => {
    const env = new BernoulliBandit({ probs: [0.2, 0.8] });
    env.reset({ seed: 3 });
    expect(env.renderFrame()).toMatchObject({ lastArm: null, lastReward: null }); // nothing pulled yet
    const venv = new VectorEnv(
      [() => new BernoulliBandit({ probs: [0.2, 0.8] }), () => new BernoulliBandit({ probs: [0.2, 0.8] })],
      { autoreset: 'same-step' },
    );
    venv.reset({ seed: 5 });
    const r1 = venv.step([1, 0]);
    // Each copy terminated and was reset inside step(); the frames still show the arm that was pulled.
    expect(venv.envs.map((e) => e.renderFrame())).toEqual([
      { kind: 'bandit', armValues: [0.2, 0.8], lastArm: 1, lastReward: r1.rewards[0] },
      { kind: 'bandit', armValues: [0.2, 0.8], lastArm: 0, lastReward: r1.rewards[1] },
    ]);
    const r2 = venv.step([0, 1]);
    expect(venv.envs.map((e) => e.renderFrame())).toEqual([
      { kind: 'bandit', armValues: [0.2, 0.8], lastArm: 0, lastReward: r2.rewards[0] },
      { kind: 'bandit', armValues: [0.2, 0.8], lastArm: 1, lastReward: r2.rewards[1] },
    ]);
    // A plain reset keeps the last pull too; the next step replaces it.
    const b = new BernoulliBandit({ probs: [0.2, 0.8] });
    b.reset({ seed: 1 });
    const s = b.step(0);
    b.reset();
    expect(b.renderFrame()).toMatchObject({ lastArm: 0, lastReward: s.reward });
    expect(b.render()).toContain('> arm 0: value 0.200');
    b.step(1);
    expect(b.renderFrame().lastArm).toBe(1);
  });

  it('invalid probabilities, arms and order raise EnvError', () => {
    expect(() => new BernoulliBandit({ probs: [0.2, 1.5] })).toThrow(
      'BernoulliBandit: probs[1] must be a probability in [0, 1], got 1.5',
    );
    expect(() => new BernoulliBandit({ probs: [Number.NaN] })).toThrow(EnvError);
    expect(() => new BernoulliBandit({ probs: [] })).toThrow(EnvError);
    expect(() => new GaussianBandit({ means: [0, 1], stds: [1, -1] })).toThrow(
      'GaussianBandit: stds[1] must be a finite number ≥ 0, got -1',
    );
    expect(() => new GaussianBandit({ means: [0, 1], stds: [1] })).toThrow(EnvError);
    expect(() => new ContextualBandit({ means: [[0.5, 0.5], [0.5]] })).toThrow(EnvError);
    expect(() => new ContextualBandit({ means: [[2]] })).toThrow(EnvError);
    expect(() => new ContextualBandit({ means: [[0.5]], contextProbs: [0] })).toThrow(EnvError);
    const env = new BernoulliBandit({ probs: [0.5, 0.5] });
    expect(() => env.step(0)).toThrow('BernoulliBandit.step: env must be reset before the first step');
    env.reset();
    expect(() => env.step(2)).toThrow('BernoulliBandit.step: action must be an integer in [0, 2), got 2');
    expect(() => env.step(Number.NaN)).toThrow(EnvError);
    env.step(0);
    expect(() => env.step(0)).toThrow('BernoulliBandit.step: env must be reset after an episode ends');
  });
});
