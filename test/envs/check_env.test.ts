import { describe, expect, it } from 'vitest';
import { Discrete, ENV_IDS, EnvError, Gridworld, checkEnv, makeEnv, timeLimit } from '../../envs/index.js';
import type { Env, EnvState, StepResult } from '../../envs/index.js';

/** A deliberately broken env: unseeded-like drift, no order enforcement, bad table, no action checks. */
class BrokenEnv implements Env<number, number> {
  readonly observationSpace = new Discrete(3);
  readonly actionSpace = new Discrete(2);
  readonly nStates = 3;
  readonly nActions = 2;
  readonly P = [
    [[{ prob: 0.5, next: 1, reward: 0, terminated: false }], [{ prob: 1, next: 2, reward: 1, terminated: true }]],
    [[{ prob: 1, next: 0, reward: 0, terminated: false }], [{ prob: 1, next: 2, reward: 1, terminated: true }]],
    [[{ prob: 1, next: 2, reward: 0, terminated: true }], [{ prob: 1, next: 2, reward: 0, terminated: true }]],
  ];
  readonly initialStateDistribution = Float64Array.of(1, 0, 0);
  #calls = 0; // a hidden counter that ignores the seed: rollouts differ
  #s = 0;
  get unwrapped(): Env {
    return this;
  }
  reset(): { obs: number; info: Record<string, never> } {
    this.#s = 0;
    return { obs: 0, info: {} };
  }
  step(a: number): StepResult<number> {
    this.#calls++;
    this.#s = this.#calls % 7 === 0 ? 5 : (this.#s + a) % 3; // sometimes emits 5, outside Discrete(3)
    return { obs: this.#s, reward: 0, terminated: false, truncated: false, info: {} };
  }
  render(): string {
    return '';
  }
  renderFrame() {
    return { kind: 'bandit' as const, armValues: [], lastArm: null, lastReward: null };
  }
  getState(): EnvState {
    return { kind: 'broken' };
  }
  setState(): void {}
  close(): void {}
}

describe('checkEnv', () => {
  it.each(ENV_IDS)('passes on the preset %s', (id) => {
    expect(checkEnv(() => makeEnv(id))).toEqual({ ok: true, problems: [], warnings: [] });
  });

  it('passes on unwrapped and non-slippery grids', () => {
    expect(checkEnv(Gridworld.fromMap(['S.H', '.W.', '..G'], { slippery: true })).ok).toBe(true);
    expect(checkEnv(timeLimit(Gridworld.fromMap(['...', 'SCG']), 5)).ok).toBe(true);
  });

  it('catches every problem of a deliberately broken env', () => {
    const report = checkEnv(new BrokenEnv(), { maxEpisodeSteps: 50 });
    expect(report.ok).toBe(false);
    const text = report.problems.join('\n');
    expect(text).toContain('step() before reset() must throw EnvError, but it returned normally');
    expect(text).toContain('step() returned an observation outside observationSpace: 5');
    expect(text).toMatch(/determinism: two rollouts after reset\(\{ seed: 123 \}\) with the same actions differ/);
    expect(text).toContain('step(2) with action space Discrete(2) must throw EnvError');
    expect(text).toContain('step(NaN) with action space Discrete(2) must throw EnvError');
    expect(text).toContain('transition table: P[0][0] probabilities sum to 0.5, not 1');
    expect(text).toContain('getState()/setState(): after restoring a JSON round-tripped state the rollout differs');
    expect(report.warnings).toEqual([
      'no episode ended within 50 random steps; the "step after the end" check was skipped',
    ]);
    expect(() => checkEnv(new BrokenEnv(), { maxEpisodeSteps: 50, throwOnProblem: true })).toThrow(EnvError);
  });

  it('catches an env that allows stepping after the end', () => {
    const env = makeEnv('bandit');
    const leaky = Object.create(env) as typeof env;
    let ended = false;
    leaky.reset = (o) => {
      ended = false;
      return env.reset(o);
    };
    leaky.step = (a) => {
      if (ended) return { obs: 0, reward: 0, terminated: true, truncated: false, info: {} };
      ended = true;
      return env.step(a);
    };
    const report = checkEnv(leaky);
    expect(report.problems).toContain(
      'step() after an episode ended (without reset) must throw EnvError, but it returned normally',
    );
  });

  it('uses its own seeded action stream (same report twice)', () => {
    expect(checkEnv(() => makeEnv('frozenlake8x8'), { seed: 5 })).toEqual(
      checkEnv(() => makeEnv('frozenlake8x8'), { seed: 5 }),
    );
  });
});
