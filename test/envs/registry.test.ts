import { describe, expect, it } from 'vitest';
import {
  BernoulliBandit,
  ContextualBandit,
  ENV_IDS,
  GaussianBandit,
  EnvError,
  Gridworld,
  TimeLimit,
  TokenBandit,
  createRng,
  isTabularEnv,
  makeEnv,
} from '../../envs/index.js';
import { FROZEN_LAKE_4X4 } from '../../envs/maps.js';

describe('makeEnv', () => {
  it('wraps like gym.make: FrozenLake 4x4 → 100, 8x8 → 200, grid5x5 → 50, CliffWalking and bandits none', () => {
    const limits = Object.fromEntries(
      ENV_IDS.map((id) => {
        const env = makeEnv(id);
        return [id, env instanceof TimeLimit ? env.maxEpisodeSteps : null];
      }),
    );
    expect(limits).toEqual({
      frozenlake4x4: 100,
      frozenlake8x8: 200,
      cliffwalking: null,
      grid5x5: 50,
      bandit: null,
      'contextual-bandit': null,
      'gaussian-bandit': null,
      'token-bandit': null,
      gridworld: 100,
      'continuous-bandit': null,
      'lqr-pointmass': 100,
    });
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

  it("gridworld takes a map, FrozenLake-v1's 4×4 map without one, and the grid options", () => {
    const mine = makeEnv('gridworld', { map: ['SFG'], slippery: true }) as TimeLimit;
    expect(mine.maxEpisodeSteps).toBe(100);
    expect((mine.unwrapped as Gridworld).cells).toEqual([['S', 'F', 'G']]);
    expect((makeEnv('gridworld').unwrapped as Gridworld).cells.map((r) => r.join(''))).toEqual(FROZEN_LAKE_4X4);
    expect(() => makeEnv('gridworld', { map: ['SXG'] })).toThrow(EnvError);
    expect(() => makeEnv('frozenlake4x4', { map: ['SFG'] })).toThrow(/options\.map must be an option of frozenlake4x4/);
  });

  it('unknown ids and options throw EnvError listing what is allowed', () => {
    expect(() => makeEnv('cartpole')).toThrow(
      'makeEnv: id must be one of frozenlake4x4, frozenlake8x8, cliffwalking, grid5x5, bandit, contextual-bandit, gaussian-bandit, token-bandit, gridworld, continuous-bandit, lqr-pointmass, got "cartpole"',
    );
    expect(() => makeEnv('bandit', { slippery: true })).toThrow(
      'makeEnv: options.slippery must be an option of bandit: one of maxEpisodeSteps, probs',
    );
    expect(() => makeEnv('grid5x5', { maxEpisodeSteps: 0 })).toThrow(EnvError);
    expect(() => makeEnv('frozenlake4x4', { slippery: 'yes' })).toThrow(EnvError);
  });

  it('token-bandit: options reach the world, defaults are those of TokenBandit, no time limit', () => {
    const opts = {
      vocabSize: 3,
      length: 4,
      reward: 'pattern',
      pattern: [2, 0, 1, 1],
      reference: [0.5, 0.25, 0.25],
    } as const;
    const env = makeEnv('token-bandit', opts);
    expect(env).toBeInstanceOf(TokenBandit);
    expect(env.spec).toEqual({ id: 'token-bandit' });
    expect([env.vocabSize, env.length, env.rewardKind, env.pattern]).toEqual([3, 4, 'pattern', [2, 0, 1, 1]]);
    expect(env.referenceTable()).toEqual(Array.from({ length: 4 }, () => [0.5, 0.25, 0.25]));
    // Same scores as the class built directly, on every one of the 3^4 sequences.
    const direct = new TokenBandit(opts);
    for (let k = 0; k < 81; k++) {
      const y = [k % 3, Math.floor(k / 3) % 3, Math.floor(k / 9) % 3, Math.floor(k / 27)];
      expect(env.score(y)).toBe(direct.score(y));
    }
    expect(env.score([2, 0, 1, 1])).toBe(4); // the pattern itself scores T
    // Defaults: V = 8, T = 6, 'count' of token 0.
    const d = makeEnv('token-bandit');
    expect([d.vocabSize, d.length, d.rewardKind, d.target]).toEqual([8, 6, 'count', 0]);
    // length-penalized takes eos and λ.
    const lp = makeEnv('token-bandit', {
      vocabSize: 4,
      length: 3,
      reward: 'length-penalized',
      target: 1,
      eos: 2,
      lengthPenalty: 0.25,
    });
    expect(lp.score([1, 1, 2])).toBeCloseTo(2 - 0.25 * 2, 15);
    expect(lp.score([2, 1, 1])).toBe(0);
    // An episode is T steps without any TimeLimit: it terminates by itself.
    const e = makeEnv('token-bandit', { vocabSize: 2, length: 3 });
    e.reset({ seed: 1 });
    const steps = [e.step(0), e.step(1), e.step(0)];
    expect(steps.map((r) => [r.terminated, r.truncated, r.reward])).toEqual([
      [false, false, 0],
      [false, false, 0],
      [true, false, 2],
    ]);
    expect(makeEnv('token-bandit', { maxEpisodeSteps: null })).toBeInstanceOf(TokenBandit);
  });

  it('isTabularEnv tells the MDP worlds (and wrappers forwarding their table) from token-bandit', () => {
    expect(Object.fromEntries(ENV_IDS.map((id) => [id, isTabularEnv(makeEnv(id))]))).toEqual({
      frozenlake4x4: true,
      frozenlake8x8: true,
      cliffwalking: true,
      grid5x5: true,
      bandit: true,
      'contextual-bandit': true,
      'gaussian-bandit': true,
      'token-bandit': false,
      gridworld: true,
      'continuous-bandit': false,
      'lqr-pointmass': false,
    });
    const id: string = 'frozenlake4x4';
    const env = makeEnv(id);
    expect(isTabularEnv(env) ? env.nStates : -1).toBe(16);
  });

  it('token-bandit: a bad option throws EnvError naming the key; reward values are checked per id', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ vocabSize: 1 }, /^makeEnv: options\.vocabSize must be an integer in \[2, 65536\), got 1$/],
      [{ length: 0 }, /^makeEnv: options\.length must be an integer in \[1, 65536\), got 0$/],
      [
        { reward: 'bernoulli' },
        /^makeEnv: options\.reward must be one of 'count', 'pattern', 'length-penalized' for token-bandit, got "bernoulli"$/,
      ],
      [
        { reward: (y: number[]) => y.length },
        /^makeEnv: options\.reward must be one of 'count', 'pattern', 'length-penalized' for token-bandit, got a function$/,
      ],
      [{ vocabSize: 4, target: 4 }, /^makeEnv: options\.target must be an integer in \[0, 4\), got 4$/],
      [{ length: 3, pattern: [0, 1] }, /^makeEnv: options\.pattern must be an array of 3 tokens/],
      [
        { reward: 'length-penalized', target: 1, eos: 1 },
        /^makeEnv: options\.eos must be a token other than target \(1\), got 1$/,
      ],
      [{ lengthPenalty: Number.NaN }, /^makeEnv: options\.lengthPenalty must be a finite number, got NaN$/],
      [
        { vocabSize: 2, reference: [0.5, 0.4] },
        /^makeEnv: options\.reference must be probabilities summing to 1 .*Its sum is 0\.9/,
      ],
      [{ maxEpisodeSteps: 10 }, /^makeEnv: options\.maxEpisodeSteps must be null or left out for token-bandit/],
      [
        { probs: [0.5, 0.5] },
        /^makeEnv: options\.probs must be an option of token-bandit: one of maxEpisodeSteps, vocabSize, length, reward, target, pattern, eos, lengthPenalty, reference, got "probs"$/,
      ],
    ];
    for (const [o, msg] of bad) {
      let err: unknown;
      try {
        makeEnv('token-bandit', o);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(o)).toBeInstanceOf(EnvError);
      expect((err as Error).message).toMatch(msg);
    }
    expect(() => makeEnv('contextual-bandit', { reward: 'count' })).toThrow(
      `makeEnv: options.reward must be one of 'bernoulli', 'gaussian' for contextual-bandit, got "count"`,
    );
    expect((makeEnv('contextual-bandit', { reward: 'gaussian' }) as ContextualBandit).getState()).toMatchObject({
      kind: expect.any(String),
    });
  });

  it('token-bandit is deterministic: same seed and action stream → same transitions and states', () => {
    const run = (seed: number): unknown[] => {
      const env = makeEnv('token-bandit', { vocabSize: 5, length: 4, reward: 'length-penalized', target: 3, eos: 0 });
      const rng = createRng(`actions-${seed}`);
      const out: unknown[] = [env.reset({ seed })];
      for (let ep = 0; ep < 20; ep++) {
        let done = false;
        while (!done) {
          const r = env.step(rng.int(0, 5));
          out.push(r);
          done = r.terminated || r.truncated;
        }
        out.push(env.getState());
        env.reset();
      }
      return out;
    };
    const a = run(3);
    expect(run(3)).toEqual(a);
    expect(run(4)).not.toEqual(a);
    // The episodes really vary in length (eos ends some early), so the comparison covers more than one path.
    const lengths = new Set(
      a
        .filter(
          (x): x is { info: { tokens: number[] } } =>
            typeof x === 'object' &&
            x !== null &&
            'info' in x &&
            Array.isArray((x as { info: { tokens?: unknown } }).info.tokens),
        )
        .map((x) => x.info.tokens.length),
    );
    expect(lengths.size).toBeGreaterThan(1);
  });

  it('gaussian-bandit: Gaussian arms with the given means and stds; bad shapes name the option', () => {
    const env = makeEnv('gaussian-bandit', { means: [0, 1], stds: 0.5 });
    expect(env).toBeInstanceOf(GaussianBandit);
    if (!(env instanceof GaussianBandit)) return;
    expect([Array.from(env.armValues), Array.from(env.stds), env.optimalArm]).toEqual([[0, 1], [0.5, 0.5], 1]);
    // r = μ_a + σ_a·N(0, 1) from the env's stream.
    env.reset({ seed: 4 });
    expect(env.step(1).reward).toBe(1 + 0.5 * createRng(4).normal());
    const byDefault = makeEnv('gaussian-bandit');
    expect(byDefault instanceof GaussianBandit ? Array.from(byDefault.armValues) : null).toEqual([0.2, 0.5, 0.8]);
    expect(() => makeEnv('gaussian-bandit', { means: [[0, 1]] })).toThrow(
      /^makeEnv: options\.means must be an array of numbers \(one mean per arm\)/,
    );
    expect(() => makeEnv('contextual-bandit', { means: [0, 1] })).toThrow(
      /^makeEnv: options\.means must be an array of rows/,
    );
    expect(() => makeEnv('gaussian-bandit', { stds: 'x' })).toThrow(/^makeEnv: options\.stds must be/);
    expect(() => makeEnv('gaussian-bandit', { probs: [0.5] })).toThrow(
      /options\.probs must be an option of gaussian-bandit/,
    );
  });
});
