/**
 * ContinuousBandit: its dynamics against the Rng stream, and its closed forms (expected return, KL-regularized
 * objective and optimum) against float64 numerical integration written here.
 */
import { describe, expect, it } from 'vitest';
import { ContinuousBandit } from '../../envs/continuous_bandit.js';
import { checkEnv } from '../../envs/check_env.js';
import { makeEnv } from '../../envs/registry.js';
import { EnvError } from '../../src/core/errors.js';
import { createRng } from '../../src/random/rng.js';

function envErr(f: () => unknown): EnvError {
  try {
    f();
  } catch (e) {
    if (e instanceof EnvError) return e;
    throw e;
  }
  throw new Error('expected an EnvError');
}

const normalPdf = (x: number, m: number, s: number): number =>
  Math.exp(-((x - m) ** 2) / (2 * s * s)) / (s * Math.sqrt(2 * Math.PI));

/**
 * ∫ f(a) da over [lo, hi] by composite Simpson with n (even) panels, in float64: the independent computation every
 * closed form below is checked against.
 */
function simpson(f: (a: number) => number, lo: number, hi: number, n = 20_000): number {
  const h = (hi - lo) / n;
  let s = f(lo) + f(hi);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(lo + i * h);
  return (s * h) / 3;
}

describe('ContinuousBandit', () => {
  it('passes checkEnv (d = 1 and d = 3) and through makeEnv', () => {
    expect(checkEnv(() => new ContinuousBandit()).problems).toEqual([]);
    expect(checkEnv(() => new ContinuousBandit({ dim: 3, optimum: [1, -2, 0.5], std: 0.5 })).problems).toEqual([]);
    const env = makeEnv('continuous-bandit', { dim: 2, optimum: [1, -1] });
    expect(env).toBeInstanceOf(ContinuousBandit);
    expect(env.spec).toEqual({ id: 'continuous-bandit' });
    expect(Array.from(env.optimalAction)).toEqual([1, -1]);
  });

  it('reward = −‖a − a*‖²/2 + σ·ε with one normal draw of the env Rng per pull; every pull terminates', () => {
    const env = new ContinuousBandit({ dim: 2, optimum: [0.5, -1], std: 0.3 });
    const ref = createRng(11);
    env.reset({ seed: 11 });
    const actions = [
      [0, 0],
      [0.5, -1],
      [2, 3],
    ];
    for (const a of actions) {
      const r = env.step(a);
      const mean = 0 - ((a[0]! - 0.5) ** 2 + (a[1]! + 1) ** 2) / 2;
      expect(r.reward).toBe(mean + 0.3 * ref.normal());
      expect([r.obs, r.terminated, r.truncated]).toEqual([0, true, false]);
      expect(r.info.meanReward).toBe(mean);
      env.reset();
    }
    expect(env.meanReward([0.5, -1])).toBe(0);
    expect(env.optimalReturn).toBe(0);
  });

  it('expectedReturn of N(μ, σ²) matches ∫ N(a; μ, σ²)·r̄(a) da', () => {
    const env = new ContinuousBandit({ optimum: 0.7 });
    for (const [m, s] of [
      [0, 1],
      [0.7, 0.1],
      [-1.5, 0.6],
    ] as const) {
      const numeric = simpson((a) => normalPdf(a, m, s) * (-((a - 0.7) ** 2) / 2), m - 12 * s, m + 12 * s);
      expect(env.expectedReturn({ mean: m, std: s })).toBeCloseTo(numeric, 10);
    }
  });

  it('the KL-regularized optimum ∝ π_ref·exp(r̄/β) matches numerical integration (mean, std, β·log Z)', () => {
    const astar = 1.3;
    const env = new ContinuousBandit({ optimum: astar });
    for (const [mr, sr, beta] of [
      [0, 1, 1],
      [0.5, 0.3, 0.05],
      [-2, 2, 4],
    ] as const) {
      // Unnormalised π*(a) = π_ref(a)·exp(r̄(a)/β); moments by Simpson over ±14 reference stds.
      const g = (a: number): number => normalPdf(a, mr, sr) * Math.exp(-((a - astar) ** 2) / (2 * beta));
      const lo = Math.min(mr, astar) - 14 * sr;
      const hi = Math.max(mr, astar) + 14 * sr;
      const Z = simpson(g, lo, hi);
      const mean = simpson((a) => a * g(a), lo, hi) / Z;
      const variance = simpson((a) => (a - mean) ** 2 * g(a), lo, hi) / Z;
      const opt = env.klRegularizedOptimum({ mean: mr, std: sr }, beta);
      expect(opt.mean[0]).toBeCloseTo(mean, 9);
      expect(opt.std[0]).toBeCloseTo(Math.sqrt(variance), 9);
      expect(opt.value).toBeCloseTo(beta * Math.log(Z), 9);
      // J_β(π*) = β·log Z, and no other Gaussian does better.
      expect(env.regularizedObjective({ mean: opt.mean, std: opt.std }, { mean: mr, std: sr }, beta)).toBeCloseTo(
        opt.value,
        12,
      );
      for (const [dm, ds] of [
        [0.05, 1],
        [-0.05, 1],
        [0, 1.05],
        [0, 0.95],
      ] as const) {
        const other = { mean: opt.mean[0]! + dm, std: opt.std[0]! * ds };
        expect(env.regularizedObjective(other, { mean: mr, std: sr }, beta)).toBeLessThan(opt.value);
      }
    }
  });

  it('regularizedObjective = E_π[r̄] − β·KL(π‖π_ref), KL by numerical integration', () => {
    const env = new ContinuousBandit({ optimum: -0.4 });
    const pi = { mean: 0.3, std: 0.4 };
    const ref = { mean: -0.1, std: 0.9 };
    const beta = 0.7;
    const f = (a: number): number => {
      const p = normalPdf(a, pi.mean, pi.std);
      return p * (-((a + 0.4) ** 2) / 2) - beta * p * Math.log(p / normalPdf(a, ref.mean, ref.std));
    };
    expect(env.regularizedObjective(pi, ref, beta)).toBeCloseTo(simpson(f, -6, 6), 10);
  });

  it('d > 1 factorises per coordinate', () => {
    const env = new ContinuousBandit({ dim: 2, optimum: [1, -1] });
    const one = (a: number): ContinuousBandit => new ContinuousBandit({ optimum: a });
    const opt = env.klRegularizedOptimum({ mean: [0, 0.5], std: [1, 0.5] }, 0.5);
    const o1 = one(1).klRegularizedOptimum({ mean: 0, std: 1 }, 0.5);
    const o2 = one(-1).klRegularizedOptimum({ mean: 0.5, std: 0.5 }, 0.5);
    expect(Array.from(opt.mean)).toEqual([o1.mean[0], o2.mean[0]]);
    expect(opt.value).toBeCloseTo(o1.value + o2.value, 14);
  });

  it('getState/setState resume the reward stream', () => {
    const env = new ContinuousBandit({ std: 1 });
    env.reset({ seed: 3 });
    env.step([0]);
    const saved = JSON.parse(JSON.stringify(env.getState()));
    expect(saved).toMatchObject({ kind: 'continuous-bandit', lastAction: [0], needsReset: true });
    const next = (e: ContinuousBandit): number => (e.reset(), e.step([0.2]).reward);
    const a = next(env);
    const other = new ContinuousBandit({ std: 1 });
    other.setState(saved);
    expect(next(other)).toBe(a);
    expect(envErr(() => other.setState({ ...saved, lastAction: [0, 1] })).arg).toBe('state.lastAction');
  });

  it('bad options, actions and closed-form arguments throw EnvError naming the argument', () => {
    expect(envErr(() => new ContinuousBandit({ dim: 0 })).arg).toBe('dim');
    expect(envErr(() => new ContinuousBandit({ std: -1 })).arg).toBe('std');
    expect(envErr(() => new ContinuousBandit({ dim: 2, optimum: [1] })).arg).toBe('optimum');
    expect(envErr(() => new ContinuousBandit({ optimum: [Number.NaN] })).arg).toBe('optimum[0]');
    const env = new ContinuousBandit();
    env.reset({ seed: 0 });
    expect(envErr(() => env.step([1, 2])).arg).toBe('action');
    expect(envErr(() => env.step([Number.POSITIVE_INFINITY])).arg).toBe('action[0]');
    expect(envErr(() => env.klRegularizedOptimum({ mean: 0, std: 1 }, 0)).arg).toBe('beta');
    expect(envErr(() => env.klRegularizedOptimum({ mean: 0, std: 0 }, 1)).arg).toBe('reference.std');
    expect(envErr(() => env.expectedReturn({ mean: [0, 1], std: 1 })).arg).toBe('policy.mean');
    const e = envErr(() => makeEnv('continuous-bandit', { dim: 1.5 }));
    expect(e.message).toMatch(/^makeEnv: options\.dim must be an integer in \[1, 1024\]/);
    expect(envErr(() => makeEnv('continuous-bandit', { probs: [1] })).arg).toBe('options.probs');
  });
});
