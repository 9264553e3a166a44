import { describe, expect, it } from 'vitest';
import {
  EnvError,
  EpisodeStats,
  Gridworld,
  TimeLimit,
  frozenLake4x4,
  timeLimit,
  valueIteration,
} from '../../envs/index.js';

describe('TimeLimit', () => {
  it('truncates exactly at maxEpisodeSteps and requires a reset afterwards', () => {
    const env = timeLimit(Gridworld.fromMap(['S..G']), 3);
    env.reset({ seed: 0 });
    expect(env.step(0)).toMatchObject({ terminated: false, truncated: false });
    expect(env.step(0)).toMatchObject({ terminated: false, truncated: false });
    expect(env.step(0)).toMatchObject({ obs: 0, terminated: false, truncated: true });
    expect(env.elapsedSteps).toBe(3);
    expect(() => env.step(0)).toThrow('TimeLimit.step: env must be reset after an episode ends');
    env.reset();
    expect(env.step(2).truncated).toBe(false);
  });

  it('sets truncated on the limit step even when the episode also terminated (Gymnasium)', () => {
    const env = timeLimit(Gridworld.fromMap(['S.G']), 2);
    env.reset();
    env.step(2);
    expect(env.step(2)).toMatchObject({ terminated: true, truncated: true });
  });

  it('forwards the table, unwrapped and maxEpisodeSteps; planning works on the wrapper', () => {
    const inner = frozenLake4x4();
    const env = timeLimit(inner, 100);
    expect(env.P).toBe(inner.P);
    expect([env.nStates, env.nActions, env.maxEpisodeSteps]).toEqual([16, 4, 100]);
    expect(env.unwrapped).toBe(inner);
    expect(valueIteration(env, { gamma: 0.9 }).V).toEqual(valueIteration(inner, { gamma: 0.9 }).V);
  });

  it('state round trip keeps the step counter', () => {
    const env = timeLimit(frozenLake4x4(), 5);
    env.reset({ seed: 1 });
    env.step(0);
    env.step(0);
    const saved = JSON.parse(JSON.stringify(env.getState()));
    const a = [env.step(0), env.step(0), env.step(0)];
    env.setState(saved);
    expect([env.step(0), env.step(0), env.step(0)]).toEqual(a);
    expect(() => env.setState(saved.inner)).toThrow(EnvError);
  });

  it('rejects a bad limit', () => {
    for (const n of [0, -3, 1.5, Number.NaN]) expect(() => new TimeLimit(frozenLake4x4(), n)).toThrow(EnvError);
    expect(() => timeLimit(frozenLake4x4(), 0)).toThrow('TimeLimit: maxEpisodeSteps must be a positive integer, got 0');
  });
});

describe('EpisodeStats', () => {
  it('adds info.episode { return, length, success } on the last step only', () => {
    const env = new EpisodeStats(timeLimit(Gridworld.fromMap(['S.G'], { stepReward: -0.5, goalReward: 2 }), 10));
    env.reset({ seed: 0 });
    const r1 = env.step(0);
    expect(r1.info.episode).toBeUndefined();
    env.step(2);
    const r3 = env.step(2);
    expect(r3.info.episode).toEqual({ return: -0.5 - 0.5 + 2, length: 3, success: true });
    env.reset();
    const t = new EpisodeStats(timeLimit(Gridworld.fromMap(['S.G']), 2));
    t.reset();
    t.step(0);
    expect(t.step(0).info.episode).toEqual({ return: 0, length: 2, success: false });
    expect(t.maxEpisodeSteps).toBe(2);
    expect(t.nStates).toBe(3);
  });
});
