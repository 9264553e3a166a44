import { describe, expect, it } from 'vitest';
import { EnvError, Gridworld, VectorEnv, makeEnv, makeVectorEnv, timeLimit } from '../../envs/index.js';

// Deterministic corridor: right, right reaches G (terminated, reward 1); with a 3-step limit, left×3 truncates.
const corridor = () => timeLimit(Gridworld.fromMap(['S.G']), 3);

describe('VectorEnv', () => {
  it('reset seeds copy i with seed + i (same as seeding each env directly)', () => {
    const venv = makeVectorEnv(() => makeEnv('frozenlake4x4'), 3);
    venv.reset({ seed: 10 });
    const singles = [10, 11, 12].map((s) => {
      const e = makeEnv('frozenlake4x4');
      e.reset({ seed: s });
      return e;
    });
    for (let t = 0; t < 5; t++) {
      const r = venv.step([1, 1, 1]);
      singles.forEach((e, i) => {
        const ri = e.step(1);
        expect(r.obs[i]).toBe(ri.obs);
        if (ri.terminated || ri.truncated) e.reset();
      });
      if (r.terminated.some((x) => x === 1)) break;
    }
  });

  it("'same-step': resets at once, obs is the reset obs, finalObs holds the last obs; episodes reported", () => {
    const venv = new VectorEnv([corridor, corridor], { autoreset: 'same-step' });
    const { obs } = venv.reset({ seed: 0 });
    expect(obs).toBeInstanceOf(Int32Array);
    expect(Array.from(obs)).toEqual([0, 0]);
    let r = venv.step([2, 0]);
    expect(Array.from(r.obs)).toEqual([1, 0]);
    r = venv.step([2, 0]);
    expect(Array.from(r.terminated)).toEqual([1, 0]);
    expect(Array.from(r.rewards)).toEqual([1, 0]);
    expect(Array.from(r.obs)).toEqual([0, 0]); // copy 0 already reset to S
    expect(r.finalObs).toEqual([2, null]);
    expect(r.finalInfo[0]).toEqual({ prob: 1, success: true });
    expect(r.episodes).toEqual([{ index: 0, return: 1, length: 2, success: true }]);
    r = venv.step([2, 0]);
    expect(Array.from(r.truncated)).toEqual([0, 1]);
    expect(Array.from(r.terminated)).toEqual([0, 0]);
    expect(r.finalObs).toEqual([null, 0]);
    expect(r.episodes).toEqual([{ index: 1, return: 0, length: 3, success: false }]);
    expect(Array.from(r.obs)).toEqual([1, 0]);
  });

  it("'next-step' (default): the step after the end resets, ignores the action, reward 0, flags false", () => {
    const venv = new VectorEnv([corridor, () => timeLimit(Gridworld.fromMap(['S.G']), 10)]);
    expect(venv.autoreset).toBe('next-step');
    venv.reset({ seed: 0 });
    venv.step([2, 2]);
    let r = venv.step([2, 0]);
    expect(Array.from(r.terminated)).toEqual([1, 0]);
    expect(Array.from(r.obs)).toEqual([2, 0]); // the final obs stays in obs
    expect(r.finalObs).toEqual([2, null]);
    r = venv.step([2, 2]); // copy 0's action is ignored: it resets
    expect(Array.from(r.obs)).toEqual([0, 1]);
    expect(Array.from(r.rewards)).toEqual([0, 0]);
    expect(Array.from(r.terminated)).toEqual([0, 0]);
    expect(Array.from(r.truncated)).toEqual([0, 0]);
    expect(r.episodes).toEqual([]);
    r = venv.step([2, 2]);
    expect(Array.from(r.obs)).toEqual([1, 2]);
  });

  it('getState/setState resumes bit for bit', () => {
    const venv = makeVectorEnv(() => makeEnv('frozenlake4x4'), 4, { autoreset: 'same-step' });
    venv.reset({ seed: 3 });
    for (let t = 0; t < 7; t++) venv.step([0, 1, 2, 3]);
    const saved = JSON.parse(JSON.stringify(venv.getState()));
    // step() reuses its result object: snapshot each step (structuredClone) so the two runs are really compared.
    const run = () => Array.from({ length: 60 }, (_, t) => structuredClone(venv.step([t % 4, 1, 2, (t * 3) % 4])));
    const a = run();
    venv.setState(saved);
    expect(venv.currentObs()).toEqual(Int32Array.from(saved.obs));
    expect(run()).toEqual(a);
    const other = makeVectorEnv(() => makeEnv('frozenlake4x4'), 3, { autoreset: 'same-step' });
    expect(() => other.setState(saved)).toThrow(EnvError);
  });

  it('errors: step before reset, wrong number of actions, invalid actions, mismatched spaces', () => {
    const venv = makeVectorEnv(() => makeEnv('frozenlake4x4'), 2);
    expect(() => venv.step([0, 0])).toThrow('VectorEnv.step: env must be reset before the first step');
    venv.reset({ seed: 0 });
    expect(() => venv.step([0])).toThrow('VectorEnv.step: actions must be an array of 2 numbers (2 envs × 1), got [0]');
    expect(() => venv.step([0, 7])).toThrow('Gridworld.step: action must be an integer in [0, 4), got 7');
    expect(() => venv.step([Number.NaN, 0])).toThrow(EnvError);
    expect(() => new VectorEnv([() => makeEnv('frozenlake4x4'), () => makeEnv('cliffwalking')])).toThrow(EnvError);
    expect(() => new VectorEnv([])).toThrow(EnvError);
    expect(() => makeVectorEnv(() => makeEnv('bandit'), 0)).toThrow(EnvError);
    expect(() => new VectorEnv([() => makeEnv('bandit')], { autoreset: 'never' as never })).toThrow(EnvError);
  });

  it('exposes numEnvs, envs and the single spaces', () => {
    const venv = makeVectorEnv(() => makeEnv('cliffwalking'), 3);
    expect(venv.numEnvs).toBe(3);
    expect(venv.envs).toHaveLength(3);
    expect(venv.singleObservationSpace).toMatchObject({ kind: 'discrete', n: 48 });
    expect(venv.singleActionSpace).toMatchObject({ kind: 'discrete', n: 4 });
  });
});
