/**
 * EnvBase: the lifecycle and seeding a world inherits (tested on a two-state coin world written here, and on the
 * built-in worlds through their saved states).
 */
import { describe, expect, it } from 'vitest';
import { checkDiscreteAction, EnvBase, intField } from '../../envs/base.js';
import { BernoulliBandit } from '../../envs/bandits.js';
import { checkEnv } from '../../envs/check_env.js';
import { frozenLake4x4 } from '../../envs/maps.js';
import { Discrete } from '../../envs/spaces.js';
import { TokenBandit } from '../../envs/token_bandit.js';
import type { RenderFrame, ResetResult, StepResult } from '../../envs/types.js';
import { EnvError } from '../../src/core/errors.js';
import { createRng, type Rng } from '../../src/random/rng.js';

/** Flip a coin each step; the episode ends after `len` steps. obs = steps so far. */
class Coin extends EnvBase<number, number> {
  readonly observationSpace: Discrete;
  readonly actionSpace = new Discrete(2);
  readonly len: number;
  #t = 0;
  constructor(len = 3) {
    super('Coin', 'coin');
    this.len = len;
    this.observationSpace = new Discrete(len + 1);
  }
  protected checkAction(fn: string, a: number): void {
    checkDiscreteAction(fn, a, 2);
  }
  protected resetState(rng: Rng): ResetResult<number> {
    this.#t = 0;
    return { obs: 0, info: { first: rng.float() } };
  }
  protected stepState(a: number, rng: Rng): StepResult<number> {
    this.#t++;
    return {
      obs: this.#t,
      reward: rng.float() < 0.5 ? a : 1 - a,
      terminated: this.#t === this.len,
      truncated: false,
      info: {},
    };
  }
  protected saveState(): Record<string, unknown> {
    return { t: this.#t };
  }
  protected restoreState(fn: string, s: Record<string, unknown>): void {
    this.#t = intField(fn, s, 't', 0, this.len + 1);
  }
  render(): string {
    return `${this.#t}\n`;
  }
  renderFrame(): RenderFrame {
    return { kind: 'bandit', armValues: [0.5, 0.5], lastArm: null, lastReward: null };
  }
}

function envErr(f: () => unknown): EnvError {
  try {
    f();
  } catch (e) {
    if (e instanceof EnvError) return e;
    throw e;
  }
  throw new Error('expected an EnvError');
}

describe('EnvBase', () => {
  it('passes checkEnv for a minimal subclass', () => {
    expect(checkEnv(() => new Coin()).problems).toEqual([]);
  });

  it('hands the subclass the stream of createRng(seed), draws in order', () => {
    const env = new Coin(2);
    const { info } = env.reset({ seed: 7 });
    const ref = createRng(7);
    expect(info.first).toBe(ref.float());
    const r = env.step(1);
    expect(r.reward).toBe(ref.float() < 0.5 ? 1 : 0);
    // reset without a seed continues the stream.
    env.step(0);
    expect(env.reset().info.first).toBe((ref.float(), ref.float()));
    // never seeded: seed 0.
    expect(new Coin().reset().info.first).toBe(createRng(0).float());
  });

  it('refuses step before reset and after the end, naming the env and the function', () => {
    const env = new Coin(1);
    const before = envErr(() => env.step(0));
    expect([before.fn, before.arg]).toEqual(['Coin.step', 'env']);
    expect(before.message).toContain('reset before the first step');
    env.reset({ seed: 1 });
    expect(env.step(0).terminated).toBe(true);
    const after = envErr(() => env.step(0));
    expect(after.message).toContain('after terminated or truncated');
    env.reset();
    expect(() => env.step(0)).not.toThrow();
  });

  it('checks the action after the lifecycle, through the subclass', () => {
    const env = new Coin();
    env.reset({ seed: 0 });
    const e = envErr(() => env.step(2));
    expect([e.fn, e.arg]).toEqual(['Coin.step', 'action']);
  });

  it('saves { kind, rng, started, needsReset, …world } and resumes bit for bit', () => {
    const env = new Coin(50);
    env.reset({ seed: 3 });
    env.step(1);
    const saved = JSON.parse(JSON.stringify(env.getState()));
    expect(Object.keys(saved).sort()).toEqual(['kind', 'needsReset', 'rng', 'started', 't']);
    expect(saved).toMatchObject({ kind: 'coin', started: true, needsReset: false, t: 1 });
    const a = [0, 1, 1, 0].map((x) => env.step(x).reward);
    const other = new Coin(50);
    other.setState(saved);
    expect([0, 1, 1, 0].map((x) => other.step(x).reward)).toEqual(a);
  });

  it('setState rejects a bad state with EnvError naming the field, and changes nothing', () => {
    const env = new Coin();
    env.reset({ seed: 5 });
    const good = env.getState();
    expect(envErr(() => env.setState({ ...good, kind: 'gridworld' })).arg).toBe('state');
    expect(envErr(() => env.setState({ ...good, started: 1 })).arg).toBe('state.started');
    expect(envErr(() => env.setState({ ...good, rng: { seed: 'x' } })).arg).toBe('state.rng');
    // A bad world field leaves the lifecycle as it was: a state that would end the episode is not half-applied.
    expect(envErr(() => env.setState({ ...good, needsReset: true, t: 99 })).arg).toBe('state.t');
    expect(env.getState()).toEqual(good);
    expect(() => env.step(0)).not.toThrow();
  });

  it('a restored state claiming started without an Rng cannot step', () => {
    const env = new Coin();
    env.setState({ kind: 'coin', rng: null, started: true, needsReset: false, t: 0 });
    expect(envErr(() => env.step(0)).message).toContain('reset before the first step');
  });

  it('the built-in worlds keep their saved-state fields', () => {
    const keys = (s: object): string[] => Object.keys(s).sort();
    const g = frozenLake4x4();
    g.reset({ seed: 0 });
    expect(keys(g.getState())).toEqual(['kind', 'lastAction', 'needsReset', 'rng', 'started', 'state', 'steps']);
    const b = new BernoulliBandit({ probs: [0.5] });
    expect(keys(b.getState())).toEqual(['context', 'kind', 'lastArm', 'lastReward', 'needsReset', 'rng', 'started']);
    const t = new TokenBandit({ vocabSize: 2, length: 2 });
    expect(keys(t.getState())).toEqual(['kind', 'lastReward', 'needsReset', 'rng', 'started', 'tokens']);
  });
});
