import { describe, expect, it } from 'vitest';
import {
  EnvError,
  Gridworld,
  cliffWalking,
  createRng,
  expectedStartValue,
  finiteHorizonValue,
  frozenLake4x4,
  makeEnv,
  policyEvaluation,
  timeLimit,
  valueIteration,
} from '../../envs/index.js';
import { sampleCategorical } from '../../src/random/sampling.js';

/*
 * Golden values from an independent float64 computation (numpy 1.24, /usr/bin/python3), Gymnasium's P rule:
 *
 * def frozen(desc):
 *     desc=[list(r) for r in desc]; nR=len(desc); nC=len(desc[0]); nS=nR*nC
 *     P=np.zeros((nS,4,nS)); R=np.zeros((nS,4))
 *     def inc(r,c,a):
 *         if a==0: c=max(c-1,0)
 *         elif a==1: r=min(r+1,nR-1)
 *         elif a==2: c=min(c+1,nC-1)
 *         else: r=max(r-1,0)
 *         return r,c
 *     for r in range(nR):
 *         for c in range(nC):
 *             s=r*nC+c
 *             for a in range(4):
 *                 if desc[r][c] in 'GH': continue
 *                 for b,p in [((a-1)%4,1/3),(a,1/3),((a+1)%4,1/3)]:
 *                     nr,nc=inc(r,c,b); ns=nr*nC+nc; l=desc[nr][nc]
 *                     R[s,a]+=p*(1.0 if l=='G' else 0.0)
 *                     if l not in 'GH': P[s,a,ns]+=p
 *     return P,R
 * P,R=frozen(['SFFF','FHFH','FFFH','HFFG'])
 * V = value iteration to 1e-15                          → V[0] = 0.8235294117646783
 * pi=(R+P@V).argmax(1); np.linalg.solve(I-P_pi, R_pi)  → 0.8235294117647025 (= 14/17)
 * Vh=0; 100 × Vh=(R+P@Vh).max(1)                        → 0.7441902878292659
 * 100 × Vh = R_pi + P_pi@Vh  (greedy stationary)        → 0.7401648977587015
 * Uniform policy, gamma .9: solve(I-.9*P.mean(1), R.mean(1))[[0,6,14]]
 *   → 0.004477260687877844, 0.026333708351541755, 0.3914901601801558
 */
const FL4_OPT = 0.8235294117646783;
const FL4_H100 = 0.7441902878292659;
const FL4_H100_GREEDY = 0.7401648977587015;

describe('exact planning', () => {
  it('slippery FrozenLake 4x4, γ = 1: optimal success probability ≈ 0.8235 (= 14/17)', () => {
    const env = frozenLake4x4();
    const { V, Q, policy } = valueIteration(env, { gamma: 1 });
    expect(V[0]).toBeCloseTo(FL4_OPT, 9);
    expect(expectedStartValue(env, V)).toBeCloseTo(14 / 17, 9);
    // V = max_a Q and the greedy policy is Gymnasium's known optimum for γ = 1.
    for (let s = 0; s < 16; s++) expect(V[s]).toBeCloseTo(Math.max(...Q.subarray(s * 4, s * 4 + 4)), 10);
    expect(Array.from(policy)).toEqual([0, 3, 3, 3, 0, 0, 0, 0, 3, 1, 0, 0, 0, 2, 1, 0]);
  });

  it('CliffWalking, γ = 1: optimal return −13 (up, 11 × right, down)', () => {
    const env = cliffWalking();
    const { V, policy } = valueIteration(env, { gamma: 1 });
    expect(V[36]).toBe(-13);
    expect(policy[36]).toBe(3);
    // Follow the greedy policy: 13 steps, return −13.
    const e = cliffWalking();
    let { obs } = e.reset({ seed: 0 });
    let ret = 0;
    let n = 0;
    for (;;) {
      const r = e.step(policy[obs]!);
      ret += r.reward;
      n++;
      obs = r.obs;
      if (r.terminated) break;
    }
    expect([ret, n]).toEqual([-13, 13]);
  });

  it('hand-made 3×3 grid, no slip, γ = 0.9: values by hand', () => {
    // S . H      Entering G pays 1 and ends; H ends with 0; W blocks.
    // . W .      Shortest path S→(1,0)→(2,0)→(2,1)→G: 4 steps, value 0.9³.
    // . . G
    const env = Gridworld.fromMap(['S.H', '.W.', '..G']);
    const { V, policy } = valueIteration(env, { gamma: 0.9 });
    const hand = [0.729, 0.6561, 0, 0.81, 0, 1, 0.9, 1, 0];
    // (0,1): best is left to S then the path (0.9·0.729); (1,2): down to G; (2,1): right to G; (2,0): right (0.9·1).
    for (let s = 0; s < 9; s++) expect(V[s]).toBeCloseTo(hand[s]!, 12);
    expect(policy[0]).toBe(1);
    expect(policy[5]).toBe(1);
    expect(policy[7]).toBe(2);
  });

  it('slippery 1×2 corridor, γ = 0.9: V = (1/3) / (1 − 0.9·2/3) = 5/6 (closed form)', () => {
    const env = Gridworld.fromMap(['SG'], { slippery: true });
    expect(valueIteration(env, { gamma: 0.9 }).V[0]).toBeCloseTo(5 / 6, 11);
    expect(
      policyEvaluation(
        env,
        [
          [0, 0, 1, 0],
          [0.25, 0.25, 0.25, 0.25],
        ],
        { gamma: 0.9 },
      )[0],
    ).toBeCloseTo(5 / 6, 11);
    // Always left: the goal is reached only by slipping up (stay) … never: the perpendiculars of left are up/down (stay).
    expect(
      policyEvaluation(
        env,
        [
          [1, 0, 0, 0],
          [1, 0, 0, 0],
        ],
        { gamma: 0.9 },
      )[0],
    ).toBe(0);
  });

  it('policyEvaluation of the uniform policy matches the linear solve (γ = 0.9); flat tables work too', () => {
    const env = frozenLake4x4();
    const uniform = Array.from({ length: 16 }, () => [0.25, 0.25, 0.25, 0.25]);
    const V = policyEvaluation(env, uniform, { gamma: 0.9 });
    expect(V[0]).toBeCloseTo(0.004477260687877844, 10);
    expect(V[6]).toBeCloseTo(0.026333708351541755, 10);
    expect(V[14]).toBeCloseTo(0.3914901601801558, 10);
    expect(Array.from(policyEvaluation(env, new Float64Array(64).fill(0.25), { gamma: 0.9 }))).toEqual(Array.from(V));
  });

  it('finiteHorizonValue: FrozenLake within 100 steps (optimal ≈ 0.7442, greedy stationary ≈ 0.7402); works on a wrapped env', () => {
    const env = makeEnv('frozenlake4x4');
    const opt = finiteHorizonValue(env, { horizon: 100 });
    expect(opt.startValue).toBeCloseTo(FL4_H100, 10);
    const { policy } = valueIteration(env, { gamma: 1 });
    const table = Array.from({ length: 16 }, (_, s) => [0, 1, 2, 3].map((a) => (a === policy[s] ? 1 : 0)));
    expect(finiteHorizonValue(env, { horizon: 100, policy: table }).startValue).toBeCloseTo(FL4_H100_GREEDY, 10);
    // Monotone in the horizon and bounded by the infinite-horizon optimum.
    expect(finiteHorizonValue(env, { horizon: 5 }).startValue).toBeLessThan(opt.startValue);
    expect(finiteHorizonValue(env, { horizon: 2000 }).startValue).toBeCloseTo(FL4_OPT, 9);
    // Horizon 6 is the shortest path: with no slip the success probability jumps from 0 to 1 at H = 6.
    const det = timeLimit(frozenLake4x4({ slippery: false }), 6);
    expect(finiteHorizonValue(det, { horizon: 5 }).startValue).toBe(0);
    expect(finiteHorizonValue(det, { horizon: 6 }).startValue).toBe(1);
  });

  it('Monte-Carlo: the optimal policy succeeds at the planned rate over 20,000 seeded episodes (within 3 SE)', () => {
    const env = makeEnv('frozenlake4x4'); // TimeLimit 100
    const { policy } = valueIteration(env, { gamma: 1 });
    const table = Array.from({ length: 16 }, (_, s) => [0, 1, 2, 3].map((a) => (a === policy[s] ? 1 : 0)));
    const p = finiteHorizonValue(env, { horizon: 100, policy: table }).startValue;
    const n = 20_000;
    let wins = 0;
    env.reset({ seed: 2024 });
    for (let i = 0; i < n; i++) {
      let obs = env.reset().obs;
      for (;;) {
        const r = env.step(policy[obs]!);
        obs = r.obs;
        if (r.terminated || r.truncated) {
          if (r.info.success) wins++;
          break;
        }
      }
    }
    const se = Math.sqrt((p * (1 - p)) / n);
    expect(Math.abs(wins / n - p)).toBeLessThan(3 * se);
  });

  it('Monte-Carlo: a stochastic policy on the bandit matches policyEvaluation', () => {
    const env = makeEnv('bandit');
    const pi = [[0.5, 0.3, 0.2]];
    const v = policyEvaluation(env, pi, { gamma: 1 })[0]!;
    expect(v).toBeCloseTo(0.5 * 0.2 + 0.3 * 0.5 + 0.2 * 0.8, 14);
    const rng = createRng('mc');
    env.reset({ seed: 1 });
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      env.reset();
      sum += env.step(sampleCategorical(pi[0]!, rng)).reward;
    }
    expect(Math.abs(sum / n - v)).toBeLessThan(3 * Math.sqrt((v * (1 - v)) / n));
  });

  it('throws EnvError for non-convergence, bad options and bad policies', () => {
    // Positive reward on a self-loop forever with γ = 1 diverges.
    const loop = Gridworld.fromMap(['S.G'], { stepReward: 1 });
    expect(() => valueIteration(loop, { gamma: 1, maxIterations: 500 })).toThrow(
      'valueIteration: maxIterations must be enough sweeps for the values to converge (tol 1e-12, gamma 1), got 500',
    );
    expect(() => valueIteration(loop, { gamma: 1, maxIterations: 500 })).toThrow(EnvError);
    const alwaysLeft = Array.from({ length: 48 }, () => [1, 0, 0, 0]);
    expect(() => policyEvaluation(cliffWalking(), alwaysLeft, { gamma: 1, maxIterations: 1000 })).toThrow(EnvError);
    const env = frozenLake4x4();
    expect(() => valueIteration(env, { gamma: 1.5 })).toThrow(
      'valueIteration: gamma must be a number in [0, 1], got 1.5',
    );
    expect(() => valueIteration(env, { gamma: Number.NaN })).toThrow(EnvError);
    expect(() => valueIteration({} as never, { gamma: 0.9 })).toThrow(EnvError);
    expect(() => policyEvaluation(env, [[1, 0, 0, 0]], { gamma: 0.9 })).toThrow(EnvError);
    const bad = Array.from({ length: 16 }, () => [0.5, 0.5, 0.5, 0]);
    expect(() => policyEvaluation(env, bad, { gamma: 0.9 })).toThrow(
      'policyEvaluation: policy[0] must be a row summing to 1 (±1e-6)',
    );
    const neg = Array.from({ length: 16 }, () => [1.5, -0.5, 0, 0]);
    expect(() => policyEvaluation(env, neg, { gamma: 0.9 })).toThrow(
      'policy[0][0] must be a probability in [0, 1], got 1.5',
    );
    expect(() => finiteHorizonValue(env, { horizon: -1 })).toThrow(EnvError);
    expect(() => finiteHorizonValue(env, { horizon: 2.5 })).toThrow(EnvError);
    expect(() => expectedStartValue(env, [1, 2])).toThrow(EnvError);
  });
});
