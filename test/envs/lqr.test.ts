/**
 * LQR: the Riccati solvers against the scalar closed form and a brute-force DARE check written here (own float64
 * matrix code), PointMassLqr's dynamics against the Rng stream, and the optimal controller's simulated return against
 * the closed-form value (Monte Carlo).
 */
import { describe, expect, it } from 'vitest';
import { checkEnv } from '../../envs/check_env.js';
import {
  linearControl,
  lqrFiniteHorizon,
  lqrOptimum,
  type Matrix,
  PointMassLqr,
  solveDiscreteRiccati,
} from '../../envs/lqr.js';
import { makeEnv } from '../../envs/registry.js';
import { EnvError, NumericError } from '../../src/core/errors.js';
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

// ——— independent float64 matrix code for the checks (not the solver's) ———
const T = (a: Matrix): number[][] => a[0]!.map((_, j) => a.map((r) => r[j]!));
const mm = (a: Matrix, b: Matrix): number[][] =>
  a.map((r) => b[0]!.map((_, j) => r.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
const add = (a: Matrix, b: Matrix, k = 1): number[][] => a.map((r, i) => r.map((x, j) => x + k * b[i]![j]!));
const sc = (a: Matrix, k: number): number[][] => a.map((r) => r.map((x) => k * x));
/** Inverse of a 1×1 or 2×2 matrix by the adjugate. */
function inv12(a: Matrix): number[][] {
  if (a.length === 1) return [[1 / a[0]![0]!]];
  const [[p, q], [r, s]] = a as [[number, number], [number, number]];
  const det = p * s - q * r;
  return [
    [s / det, -q / det],
    [-r / det, p / det],
  ];
}
/** DARE(P) − P = Q + γAᵀPA − γ²AᵀPB(R + γBᵀPB)⁻¹BᵀPA − P. */
function dareResidual(A: Matrix, B: Matrix, Q: Matrix, R: Matrix, P: Matrix, g: number): number {
  const AtPA = mm(mm(T(A), P), A);
  const AtPB = mm(mm(T(A), P), B);
  const S = add(R, sc(mm(mm(T(B), P), B), g));
  const rhs = add(add(Q, sc(AtPA, g)), mm(mm(AtPB, inv12(S)), T(AtPB)), -g * g);
  return Math.max(...add(rhs, P, -1).flat().map(Math.abs));
}

describe('solveDiscreteRiccati', () => {
  it('scalar systems: P is the positive root of γb²p² + (r(1 − γa²) − γqb²)p − qr = 0, K = γbpa/(r + γb²p)', () => {
    for (const [a, b, q, r, g] of [
      [1, 1, 1, 1, 1],
      [1.2, 0.5, 2, 0.3, 0.95],
      [0.7, -2, 0.5, 4, 1],
      [3, 1, 1, 1, 0.9],
    ] as const) {
      const B2 = b * b;
      const lin = r * (1 - g * a * a) - g * q * B2;
      const p = (-lin + Math.sqrt(lin * lin + 4 * g * B2 * q * r)) / (2 * g * B2);
      const k = (g * b * p * a) / (r + g * B2 * p);
      const sol = solveDiscreteRiccati({ A: [[a]], B: [[b]], Q: [[q]], R: [[r]] }, { gamma: g });
      expect(sol.P[0]![0]).toBeCloseTo(p, 11);
      expect(sol.K[0]![0]).toBeCloseTo(k, 11);
    }
    // γ = 1, a = b = q = r = 1: the golden ratio.
    const gold = solveDiscreteRiccati({ A: [[1]], B: [[1]], Q: [[1]], R: [[1]] }, { gamma: 1 });
    expect(gold.P[0]![0]).toBeCloseTo((1 + Math.sqrt(5)) / 2, 13);
  });

  it('the point mass (d = 1 and 2): P satisfies the DARE to 1e-10 (brute-force check), block-diagonal per axis', () => {
    for (const dim of [1, 2]) {
      for (const g of [0.9, 0.99, 1]) {
        const env = new PointMassLqr({ dim, dt: 0.05, positionCost: 2, velocityCost: 0.3, actionCost: 0.2 });
        const { A, B, Q, R } = env.system;
        const sol = solveDiscreteRiccati(env.system, { gamma: g });
        expect(dareResidual(A, B, Q, R, sol.P, g)).toBeLessThan(1e-10);
        expect(sol.residual).toBeLessThan(1e-10);
        // K = γ(R + γBᵀPB)⁻¹BᵀPA
        const K = sc(mm(mm(inv12(add(R, sc(mm(mm(T(B), sol.P), B), g))), T(B)), mm(sol.P, A)), g);
        expect(Math.max(...add(K, sol.K, -1).flat().map(Math.abs))).toBeLessThan(1e-10);
      }
    }
    const one = solveDiscreteRiccati(new PointMassLqr().system);
    const two = solveDiscreteRiccati(new PointMassLqr({ dim: 2 }).system);
    // state order (p₁, p₂, v₁, v₂): axis 1 is rows/cols 0 and 2.
    expect(two.P[0]![0]).toBeCloseTo(one.P[0]![0]!, 12);
    expect(two.P[0]![2]).toBeCloseTo(one.P[0]![1]!, 12);
    expect(two.P[2]![2]).toBeCloseTo(one.P[1]![1]!, 12);
    expect(two.P[0]![1]).toBe(0);
  });

  it('finite horizon: H = 1 gives P₀ = Q, H = 2 the one-step Riccati update, large H the infinite-horizon P', () => {
    const sys = { A: [[1.1]], B: [[0.5]], Q: [[2]], R: [[0.3]], W: [[0.04]] };
    const start = { cov: [[1]] };
    const h1 = lqrFiniteHorizon(sys, { horizon: 1, start });
    expect([h1.P0[0]![0], h1.c0, h1.gains[0]![0]![0]]).toEqual([2, 0, 0]);
    const g = 0.9;
    const h2 = lqrFiniteHorizon(sys, { horizon: 2, gamma: g, start });
    // P₁ = Q: P₀ = q + γa²q − γ²a²b²q²/(r + γb²q), c₀ = γ·tr(P₁W) = γ·q·w.
    const p0 = 2 + g * 1.21 * 2 - (g * g * 1.21 * 0.25 * 4) / (0.3 + g * 0.25 * 2);
    expect(h2.P0[0]![0]).toBeCloseTo(p0, 13);
    expect(h2.c0).toBeCloseTo(g * 2 * 0.04, 15);
    expect(h2.startValue).toBeCloseTo(-p0 - g * 0.08, 13);
    const inf = lqrOptimum(sys, { gamma: g, start });
    const long = lqrFiniteHorizon(sys, { horizon: 2000, gamma: g, start });
    expect(long.P0[0]![0]).toBeCloseTo(inf.P[0]![0]!, 10);
    expect(long.c0).toBeCloseTo(inf.c, 8);
    expect(long.gains[0]![0]![0]).toBeCloseTo(inf.K[0]![0]!, 10);
  });

  it('bad systems throw EnvError naming the matrix; an unstabilizable one NumericError', () => {
    const ok = { A: [[1]], B: [[1]], Q: [[1]], R: [[1]] };
    expect(envErr(() => solveDiscreteRiccati({ ...ok, B: [[1], [2]] })).arg).toBe('system.B');
    expect(envErr(() => solveDiscreteRiccati({ ...ok, Q: [[Number.NaN]] })).arg).toBe('system.Q');
    expect(
      envErr(() =>
        solveDiscreteRiccati({
          A: [
            [1, 0],
            [0, 1],
          ],
          B: [[1], [0]],
          Q: [
            [1, 2],
            [0, 1],
          ],
          R: [[1]],
        }),
      ).arg,
    ).toBe('system.Q');
    expect(envErr(() => solveDiscreteRiccati(ok, { gamma: 0 })).arg).toBe('gamma');
    expect(() => solveDiscreteRiccati({ A: [[2]], B: [[0]], Q: [[1]], R: [[1]] }, { gamma: 1 })).toThrow(NumericError);
    expect(envErr(() => lqrOptimum({ ...ok, W: [[1]] }, { gamma: 1, start: { cov: [[1]] } })).arg).toBe(
      'options.gamma',
    );
  });
});

describe('PointMassLqr', () => {
  it('passes checkEnv bare (no episode ends: a warning) and registered with its 100-step limit', () => {
    const bare = checkEnv(() => new PointMassLqr({ dim: 2 }), { maxEpisodeSteps: 300 });
    expect(bare.problems).toEqual([]);
    expect(bare.warnings).toHaveLength(1);
    expect(checkEnv(() => makeEnv('lqr-pointmass', { dim: 2 })).problems).toEqual([]);
    const env = makeEnv('lqr-pointmass');
    expect(env.spec).toEqual({ id: 'lqr-pointmass', maxEpisodeSteps: 100 });
    expect(env.unwrapped).toBeInstanceOf(PointMassLqr);
  });

  it('x₀ ~ U[−b, b]^{2d}, then x′ = Ax + Bu + σw and r = −(xᵀQx + uᵀRu), draws from the env Rng in that order', () => {
    const [dt, qp, qv, rc, s, b] = [0.2, 1.5, 0.4, 0.3, 0.05, 2];
    const env = new PointMassLqr({ dt, positionCost: qp, velocityCost: qv, actionCost: rc, std: s, startBound: b });
    const ref = createRng('lqr');
    const x0 = env.reset({ seed: 'lqr' }).obs;
    let p = -b + 2 * b * ref.float();
    let v = -b + 2 * b * ref.float();
    expect(Array.from(x0)).toEqual([p, v]);
    for (const u of [0.5, -1, 2]) {
      const r = env.step([u]);
      expect(r.reward).toBeCloseTo(-(qp * p * p + qv * v * v + rc * u * u), 14);
      const np = p + dt * v + 0.5 * dt * dt * u + s * ref.normal();
      const nv = v + dt * u + s * ref.normal();
      expect(r.obs[0]).toBeCloseTo(np, 14);
      expect(r.obs[1]).toBeCloseTo(nv, 14);
      expect([r.terminated, r.truncated]).toEqual([false, false]);
      [p, v] = [np, nv];
    }
  });

  it('the optimal controller u = −Kx reaches −E[x₀ᵀPx₀] − c (discounted, Monte Carlo) and beats random and 1.3·K', () => {
    const g = 0.9;
    const env = new PointMassLqr({ std: 0.3 });
    const opt = env.optimum(g);
    const steps = 400; // γ^400 ≈ 5e-19: the infinite sum
    const episodes = 1500;
    const run = (act: (x: Float64Array, rng: ReturnType<typeof createRng>) => ArrayLike<number>): number[] => {
      const rng = createRng('actions');
      const out: number[] = [];
      for (let e = 0; e < episodes; e++) {
        let { obs } = env.reset({ seed: e });
        let ret = 0;
        let disc = 1;
        for (let t = 0; t < steps; t++) {
          const r = env.step(act(obs, rng));
          ret += disc * r.reward;
          disc *= g;
          obs = r.obs;
        }
        out.push(ret);
      }
      return out;
    };
    const mean = (x: number[]): number => x.reduce((a, b) => a + b, 0) / x.length;
    const best = run((x) => linearControl(opt.K, x));
    const m = mean(best);
    const se = Math.sqrt(best.reduce((a, r) => a + (r - m) ** 2, 0) / (best.length - 1) / best.length);
    expect(Math.abs(m - opt.startValue)).toBeLessThan(4 * se);
    expect(opt.c).toBeGreaterThan(10 * se); // the noise constant is visible at this precision
    const K13 = opt.K.map((row) => row.map((k) => 1.3 * k));
    expect(mean(run((x) => linearControl(K13, x)))).toBeLessThan(m);
    const random = mean(run((_, rng) => env.actionSpace.sample(rng)));
    expect(random).toBeLessThan(m - 10);
  });

  it('an episode of the registered world (100 steps) reaches finiteHorizonOptimum(100) with the time-varying gains', () => {
    const env = makeEnv('lqr-pointmass', { std: 0.2 });
    const lqr = env.unwrapped;
    if (!(lqr instanceof PointMassLqr)) throw new Error('expected a PointMassLqr');
    const fh = lqr.finiteHorizonOptimum(100);
    const returns: number[] = [];
    for (let e = 0; e < 1500; e++) {
      let { obs } = env.reset({ seed: e });
      let ret = 0;
      for (let t = 0; ; t++) {
        const r = env.step(linearControl(fh.gains[t]!, obs));
        ret += r.reward;
        obs = r.obs;
        if (r.truncated) {
          expect(t).toBe(99);
          break;
        }
      }
      returns.push(ret);
    }
    const m = returns.reduce((a, b) => a + b, 0) / returns.length;
    const se = Math.sqrt(returns.reduce((a, r) => a + (r - m) ** 2, 0) / (returns.length - 1) / returns.length);
    expect(Math.abs(m - fh.startValue)).toBeLessThan(4 * se);
  });

  it('getState/setState resume bit for bit; bad options and actions throw EnvError naming them', () => {
    const env = new PointMassLqr({ dim: 2 });
    env.reset({ seed: 1 });
    env.step([1, -1]);
    const saved = JSON.parse(JSON.stringify(env.getState()));
    expect(saved).toMatchObject({ kind: 'lqr-pointmass', steps: 1, lastAction: [1, -1] });
    const roll = (e: PointMassLqr): number[] => [0, 1, 2].map((k) => e.step([k, -k]).reward);
    const a = roll(env);
    const other = new PointMassLqr({ dim: 2 });
    other.setState(saved);
    expect(roll(other)).toEqual(a);
    expect(envErr(() => other.setState({ ...saved, x: [0, 0] })).arg).toBe('state.x');
    expect(envErr(() => new PointMassLqr({ dim: 3 })).arg).toBe('dim');
    expect(envErr(() => new PointMassLqr({ actionCost: 0 })).arg).toBe('actionCost');
    expect(envErr(() => other.step([1])).arg).toBe('action');
    expect(envErr(() => makeEnv('lqr-pointmass', { dt: -1 })).message).toMatch(/^makeEnv: options\.dt must be/);
  });
});
