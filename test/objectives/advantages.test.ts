import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, NumericError, ShapeError } from '../../src/core/errors.js';
import {
  discountedReturns,
  gae,
  groupRelativeAdvantages,
  normalizeAdvantages,
} from '../../src/objectives/advantages.js';
import { createRng } from '../../src/random/rng.js';
import { expectClose } from '../helpers/close.js';

interface Rollout {
  rewards: number[];
  values: number[];
  terminated: number[];
  truncated: number[];
  bootstrapValues: number[];
  numEnvs: number;
}

/** Seeded random rollout of T × N steps with episode ends of both kinds. */
function randomRollout(seed: string, T: number, N: number): Rollout {
  const rng = createRng(seed);
  const n = T * N;
  const r: Rollout = { rewards: [], values: [], terminated: [], truncated: [], bootstrapValues: [], numEnvs: N };
  for (let k = 0; k < n; k++) {
    r.rewards.push(rng.normal());
    r.values.push(rng.normal());
    const u = rng.float();
    r.terminated.push(u < 0.1 ? 1 : 0);
    r.truncated.push(u >= 0.1 && u < 0.2 ? 1 : 0);
    r.bootstrapValues.push(rng.normal());
  }
  return r;
}

/**
 * Independent float64 reference: the explicit sum A_t = Σ_{l≥0} (γλ)^l δ_{t+l}, stopped after the first step whose
 * episode ended (terminated or truncated) or at T−1; δ uses next = 0 (terminated), bootstrap (truncated or t = T−1),
 * else V(s_{t+1}).
 */
function referenceGae(ro: Rollout, gamma: number, lambda: number): number[] {
  const N = ro.numEnvs;
  const T = ro.rewards.length / N;
  const delta = (t: number, i: number): number => {
    const k = t * N + i;
    const next = ro.terminated[k] ? 0 : ro.truncated[k] || t === T - 1 ? ro.bootstrapValues[k]! : ro.values[k + N]!;
    return ro.rewards[k]! + gamma * next - ro.values[k]!;
  };
  const out = new Array<number>(T * N).fill(0);
  for (let i = 0; i < N; i++) {
    for (let t = 0; t < T; t++) {
      let a = 0;
      let w = 1;
      for (let u = t; u < T; u++) {
        a += w * delta(u, i);
        const k = u * N + i;
        if (ro.terminated[k] || ro.truncated[k]) break;
        w *= gamma * lambda;
      }
      out[t * N + i] = a;
    }
  }
  return out;
}

describe('gae', () => {
  it('matches a float64 reference on seeded random rollouts with several envs and both episode ends', () => {
    for (const [seed, T, N, gamma, lambda] of [
      ['gae-a', 16, 3, 0.99, 0.95],
      ['gae-b', 7, 1, 0.9, 0.5],
      ['gae-c', 32, 4, 0.97, 1],
      ['gae-d', 5, 2, 1, 0],
    ] as const) {
      const ro = randomRollout(seed, T, N);
      expect((ro.terminated.some(Boolean) && ro.truncated.some(Boolean)) || T * N < 20).toBe(true);
      const { advantages, returns } = gae({ ...ro, gamma, lambda });
      const ref = referenceGae(ro, gamma, lambda);
      expectClose(advantages, ref, 1e-12, 1e-12);
      expectClose(
        returns,
        ref.map((a, k) => a + ro.values[k]!),
        1e-12,
        1e-12,
      );
    }
  });

  it('bootstraps a time-limit cut but not a termination', () => {
    // One env, T = 4, the episode ends at t = 1, a new one starts at t = 2.
    const base = {
      rewards: [1, 2, 3, 4],
      values: [0.5, 0.6, 0.7, 0.8],
      bootstrapValues: [0, 10, 0, 20],
      gamma: 0.9,
      lambda: 0.8,
    };
    const term = gae({ ...base, terminated: [0, 1, 0, 0], truncated: [0, 0, 0, 0] });
    const trunc = gae({ ...base, terminated: [0, 0, 0, 0], truncated: [0, 1, 0, 0] });
    // At the cut: δ_1 = r_1 + γ·next − V_1 with next = 0 (terminated) or bootstrapValues[1] = 10 (truncated).
    expectClose(term.advantages[1]!, 2 - 0.6, 1e-12);
    expectClose(trunc.advantages[1]!, 2 + 0.9 * 10 - 0.6, 1e-12);
    // Step 0 sees the difference through λγ·A_1; steps after the cut (the next episode) are identical.
    expectClose(trunc.advantages[0]! - term.advantages[0]!, 0.9 * 0.8 * 0.9 * 10, 1e-12);
    expectClose(trunc.advantages.subarray(2), term.advantages.subarray(2), 1e-12);
    // Last step bootstraps from bootstrapValues[3] = 20: δ_3 = 4 + 0.9·20 − 0.8.
    expectClose(term.advantages[3]!, 4 + 18 - 0.8, 1e-12);
    // Both flags set: termination wins.
    const both = gae({ ...base, terminated: [0, 1, 0, 0], truncated: [0, 1, 0, 0] });
    expectClose(both.advantages, term.advantages, 0);
  });

  it('analytic case of SB3 test_gae.py: constant V and a single terminal reward', () => {
    // Episode of 5 steps, reward 1 at the terminal step, V ≡ v. δ_t = (γ − 1)·v for t < 4, δ_4 = 1 − v, so
    // A_t = (γ − 1)·v·Σ_{l=0}^{3−t} (γλ)^l + (γλ)^{4−t}·(1 − v); with λ = 1 the returns are γ^{4−t}.
    const v = 0.3;
    const gamma = 0.98;
    const args = {
      rewards: [0, 0, 0, 0, 1],
      values: [v, v, v, v, v],
      terminated: [0, 0, 0, 0, 1],
      truncated: [0, 0, 0, 0, 0],
      bootstrapValues: [0, 0, 0, 0, 0],
      gamma,
    };
    const one = gae({ ...args, lambda: 1 });
    expectClose(
      one.returns,
      [0, 1, 2, 3, 4].map((t) => gamma ** (4 - t)),
      1e-12,
    );
    const lambda = 0.9;
    const g = gae({ ...args, lambda });
    const expected = [0, 1, 2, 3, 4].map((t) => {
      let s = 0;
      for (let l = 0; l <= 3 - t; l++) s += (gamma * lambda) ** l;
      return (gamma - 1) * v * s + (gamma * lambda) ** (4 - t) * (1 - v);
    });
    expectClose(g.advantages, expected, 1e-12);
  });

  it('λ = 1 equals discounted returns minus values; λ = 0 equals one-step TD errors', () => {
    const ro = randomRollout('gae-lambda', 12, 3);
    const gamma = 0.95;
    const one = gae({ ...ro, gamma, lambda: 1 });
    const mc = discountedReturns({ ...ro, gamma });
    expectClose(
      one.advantages,
      Array.from(mc, (g, k) => g - ro.values[k]!),
      1e-12,
      1e-12,
    );
    const zero = gae({ ...ro, gamma, lambda: 0 });
    const N = ro.numEnvs;
    const T = ro.rewards.length / N;
    const td = ro.rewards.map((r, k) => {
      const t = Math.floor(k / N);
      const next = ro.terminated[k] ? 0 : ro.truncated[k] || t === T - 1 ? ro.bootstrapValues[k]! : ro.values[k + N]!;
      return r + gamma * next - ro.values[k]!;
    });
    expectClose(zero.advantages, td, 1e-12, 1e-12);
  });

  it('treats envs independently: N envs equal N single-env runs', () => {
    const ro = randomRollout('gae-envs', 10, 3);
    const all = gae({ ...ro, gamma: 0.99, lambda: 0.95 });
    for (let i = 0; i < 3; i++) {
      const pick = (a: number[]): number[] => a.filter((_, k) => k % 3 === i);
      const single = gae({
        rewards: pick(ro.rewards),
        values: pick(ro.values),
        terminated: pick(ro.terminated),
        truncated: pick(ro.truncated),
        bootstrapValues: pick(ro.bootstrapValues),
        gamma: 0.99,
        lambda: 0.95,
      });
      expectClose(
        single.advantages,
        Array.from(all.advantages).filter((_, k) => k % 3 === i),
        0,
      );
    }
  });

  it('accepts typed arrays (Float64Array, Uint8Array) and booleans', () => {
    const ro = randomRollout('gae-typed', 6, 2);
    const a = gae({ ...ro, gamma: 0.9, lambda: 0.9 });
    const b = gae({
      rewards: Float64Array.from(ro.rewards),
      values: Float64Array.from(ro.values),
      terminated: Uint8Array.from(ro.terminated),
      truncated: ro.truncated.map(Boolean),
      bootstrapValues: Float64Array.from(ro.bootstrapValues),
      numEnvs: 2,
      gamma: 0.9,
      lambda: 0.9,
    });
    expectClose(b.advantages, a.advantages, 0);
  });

  it('rejects bad input with typed, named errors', () => {
    const ok = {
      rewards: [1, 2, 3, 4],
      values: [0, 0, 0, 0],
      terminated: [0, 0, 0, 0],
      truncated: [0, 0, 0, 0],
      bootstrapValues: [0, 0, 0, 0],
      gamma: 0.9,
      lambda: 0.9,
    };
    expect(() => gae({ ...ok, values: [0, 0, 0] })).toThrow(ShapeError);
    expect(() => gae({ ...ok, values: [0, 0, 0] })).toThrow('gae: values must be of length T·N = 4, got "length 3"');
    expect(() => gae({ ...ok, numEnvs: 3 })).toThrow(
      'gae: rewards must be of length T·N with an integer T ≥ 1 (N = 3), got "length 4"',
    );
    expect(() => gae({ ...ok, rewards: [1, 2, NaN, 4] })).toThrow(NumericError);
    expect(() => gae({ ...ok, rewards: [1, 2, NaN, 4] })).toThrow('gae: rewards[2] must be a finite number, got NaN');
    expect(() => gae({ ...ok, bootstrapValues: [0, Infinity, 0, 0] })).toThrow(
      'gae: bootstrapValues[1] must be a finite number, got Infinity',
    );
    expect(() => gae({ ...ok, gamma: 1.01 })).toThrow('gae: gamma must be a finite number ≥ 0 and ≤ 1, got 1.01');
    expect(() => gae({ ...ok, lambda: NaN })).toThrow(ConfigError);
    expect(() => gae({ ...ok, terminated: [0, 2, 0, 0] })).toThrow(
      'gae: terminated[1] must be 0, 1, true or false, got 2',
    );
    expect(() => gae({ ...ok, numEnvs: 0 })).toThrow(ConfigError);
    expect(() => gae({ ...ok, rewards: [], values: [], terminated: [], truncated: [], bootstrapValues: [] })).toThrow(
      ShapeError,
    );
    expect(() => discountedReturns({ rewards: [1], terminated: [0], truncated: [0], gamma: -0.1 })).toThrow(
      ConfigError,
    );
  });
});

describe('discountedReturns', () => {
  it('computes returns with the cut rules (hand-computed)', () => {
    // γ = 0.5; episode 1 = steps 0-1 (terminated at 1), episode 2 = step 2 (truncated, bootstrap 4), step 3 last (bootstrap 8).
    // G_1 = 2; G_0 = 1 + 0.5·2 = 2; G_2 = 3 + 0.5·4 = 5; G_3 = 1 + 0.5·8 = 5.
    const g = discountedReturns({
      rewards: [1, 2, 3, 1],
      terminated: [0, 1, 0, 0],
      truncated: [0, 0, 1, 0],
      bootstrapValues: [0, 0, 4, 8],
      gamma: 0.5,
    });
    expectClose(g, [2, 2, 5, 5], 1e-15);
    // Without bootstrap values a truncation bootstraps 0: G_2 = 3, G_3 = 1.
    const h = discountedReturns({
      rewards: [1, 2, 3, 1],
      terminated: [0, 1, 0, 0],
      truncated: [0, 0, 1, 0],
      gamma: 0.5,
    });
    expectClose(h, [2, 2, 3, 1], 1e-15);
  });
});

describe('normalizeAdvantages', () => {
  it('uses the unbiased std (torch.Tensor.std) and ε = 1e-8', () => {
    // mean 2, unbiased std 1 → (A − 2)/(1 + 1e-8)
    expectClose(
      normalizeAdvantages([1, 2, 3]),
      [-1, 0, 1].map((x) => x / (1 + 1e-8)),
      1e-15,
    );
    // [0, 4]: mean 2, unbiased std √8 = 2.828…, not the biased 2
    expectClose(normalizeAdvantages([0, 4], { eps: 0 + 1e-12 }), [-2 / Math.sqrt(8), 2 / Math.sqrt(8)], 1e-9);
    expectClose(normalizeAdvantages([5]), [0], 0);
    expect(normalizeAdvantages([]).length).toBe(0);
  });

  it('property: mean 0 and unbiased std = sd/(sd + ε) ≈ 1; does not modify its input', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 2, maxLength: 50 }), (a) => {
        const mean = a.reduce((s, x) => s + x, 0) / a.length;
        const sd = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / (a.length - 1));
        fc.pre(sd > 1e-3);
        const copy = [...a];
        const z = normalizeAdvantages(a);
        expect(a).toEqual(copy);
        const m = z.reduce((s, x) => s + x, 0) / z.length;
        const s2 = z.reduce((s, x) => s + (x - m) ** 2, 0) / (z.length - 1);
        expect(Math.abs(m)).toBeLessThan(1e-9);
        expect(Math.abs(Math.sqrt(s2) - sd / (sd + 1e-8))).toBeLessThan(1e-9);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('rejects bad input', () => {
    expect(() => normalizeAdvantages([1, NaN])).toThrow(
      'normalizeAdvantages: advantages[1] must be a finite number, got NaN',
    );
    expect(() => normalizeAdvantages([1, 2], { eps: 0 })).toThrow(ConfigError);
  });
});

describe('groupRelativeAdvantages', () => {
  it('group, batch and none scaling (hand-computed, TRL scale_rewards)', () => {
    const r = [1, 0, 0, 1, 2, 2];
    // groups [1,0], [0,1], [2,2]: means 0.5, 0.5, 2; unbiased stds 1/√2, 1/√2, 0
    const s = 1 / Math.SQRT2;
    expectClose(groupRelativeAdvantages(r, { groupSize: 2, scale: 'none' }), [0.5, -0.5, -0.5, 0.5, 0, 0], 1e-15);
    expectClose(
      groupRelativeAdvantages(r, { groupSize: 2 }),
      [0.5, -0.5, -0.5, 0.5, 0, 0].map((x) => x / (s + 1e-4)),
      1e-12,
    );
    // batch: mean 1, unbiased std √((0+1+1+0+1+1)/5) = √0.8
    const bs = Math.sqrt(0.8);
    expectClose(
      groupRelativeAdvantages(r, { groupSize: 2, scale: 'batch' }),
      [0.5, -0.5, -0.5, 0.5, 0, 0].map((x) => x / (bs + 1e-4)),
      1e-12,
    );
  });

  it('rejects bad input', () => {
    expect(() => groupRelativeAdvantages([1, 2, 3], { groupSize: 2 })).toThrow(ShapeError);
    expect(() => groupRelativeAdvantages([1, 2], { groupSize: 2, scale: 'token' as 'group' })).toThrow(
      `groupRelativeAdvantages: scale must be one of 'group' | 'batch' | 'none', got "token"`,
    );
    expect(() => groupRelativeAdvantages([1, 2], { groupSize: 0 })).toThrow(ConfigError);
    expect(() => groupRelativeAdvantages([1, NaN], { groupSize: 2 })).toThrow(NumericError);
  });
});
