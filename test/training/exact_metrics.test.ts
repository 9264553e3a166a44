import { describe, expect, it } from 'vitest';
import { EnvError, stateVisitation } from '../../envs/index.js';
import type { TabularModel } from '../../envs/types.js';
import { Trainer } from '../../src/training/trainer.js';
import { visitationKl } from '../../src/training/exact_metrics.js';
import { expectClose } from '../helpers/close.js';

/*
 * A two-state chain with a closed form. From s0, action 0 stays in s0 and action 1 moves to s1; from s1 every action
 * terminates. With π(1|s0) = p and the episode starting in s0, for a horizon H:
 *   Pr(s_t = s0) = (1 − p)^t,  Pr(s_t = s1) = p(1 − p)^{t−1} (t ≥ 1)
 *   Σ_{t<H} Pr(s_t = s0) = (1 − (1 − p)^H)/p,  Σ_{t<H} Pr(s_t = s1) = 1 − (1 − p)^{H−1}
 * and d(s) is their normalisation (Sutton & Barto §9.2, episodic on-policy distribution).
 */
const chain: TabularModel = {
  nStates: 2,
  nActions: 2,
  P: [
    [[{ prob: 1, next: 0, reward: 0, terminated: false }], [{ prob: 1, next: 1, reward: 0, terminated: false }]],
    [[{ prob: 1, next: 1, reward: 1, terminated: true }], [{ prob: 1, next: 1, reward: 1, terminated: true }]],
  ],
  initialStateDistribution: Float64Array.from([1, 0]),
};

function closedForm(p: number, H: number): [number, number] {
  const a = (1 - (1 - p) ** H) / p;
  const b = 1 - (1 - p) ** (H - 1);
  return [a / (a + b), b / (a + b)];
}

const kl = (p: number[], q: number[]) => p.reduce((s, pi, i) => s + (pi > 0 ? pi * Math.log(pi / q[i]!) : 0), 0);

describe('stateVisitation', () => {
  it('matches the closed form of the two-state chain', () => {
    for (const [p, H] of [
      [0.3, 5],
      [0.9, 2],
      [0.05, 40],
      [1, 7],
    ] as const) {
      const d = stateVisitation(
        chain,
        [
          [1 - p, p],
          [0.5, 0.5],
        ],
        H,
      );
      expectClose(d, closedForm(p, H), 1e-12, 1e-12);
    }
  });

  it('puts everything on the start state for a horizon of 1', () => {
    expectClose(stateVisitation(chain, [0.5, 0.5, 0.5, 0.5], 1), [1, 0], 0);
  });

  it('names the argument it rejects', () => {
    expect(() =>
      stateVisitation(
        chain,
        [
          [1, 0],
          [1, 0],
        ],
        0,
      ),
    ).toThrow(EnvError);
    expect(() =>
      stateVisitation(
        chain,
        [
          [1, 0],
          [1, 0],
        ],
        0,
      ),
    ).toThrow(/stateVisitation: horizon/);
    expect(() =>
      stateVisitation(
        chain,
        [
          [0.7, 0.7],
          [1, 0],
        ],
        3,
      ),
    ).toThrow(/policy\[0\]/);
    expect(() => stateVisitation(chain, [1, 0, 1], 3)).toThrow(/stateVisitation: policy/);
  });
});

describe('visitationKl', () => {
  it('weights each state by the before-policy visitation: Σ_s d_before(s) KL(π_before(·|s) ‖ π_after(·|s))', () => {
    const before = [
      [0.6, 0.4],
      [0.2, 0.8],
    ];
    const after = [
      [0.3, 0.7],
      [0.5, 0.5],
    ];
    const H = 6;
    const [d0, d1] = closedForm(0.4, H);
    const expected = d0 * kl(before[0]!, after[0]!) + d1 * kl(before[1]!, after[1]!);
    const reversed = d0 * kl(after[0]!, before[0]!) + d1 * kl(after[1]!, before[1]!);
    expect(Math.abs(expected - reversed)).toBeGreaterThan(1e-3);
    expectClose(
      visitationKl(chain, Float64Array.from(before.flat()), Float64Array.from(after.flat()), H),
      expected,
      1e-12,
      1e-12,
    );
  });

  it('is 0 for identical policies and +∞ when the new policy drops a used action in a visited state', () => {
    const p = Float64Array.from([0.6, 0.4, 0.2, 0.8]);
    expect(visitationKl(chain, p, p, 10)).toBe(0);
    expect(visitationKl(chain, p, Float64Array.from([1, 0, 0.2, 0.8]), 10)).toBe(Infinity);
  });
});

describe('charts/optimal_return on lqr-pointmass', () => {
  it('is the finite-horizon Riccati optimum of the 100-step return (float64 golden value)', async () => {
    // python3 (numpy): dt=0.1; A=[[1,dt],[0,1]]; B=[[dt²/2],[dt]]; Q=diag(1,0.1); R=[[0.1]]; W=0.01²·I; P=0; c=0
    // for t in range(100): c += tr(P W); K = (R+BᵀPB)⁻¹BᵀPA; P = Q + AᵀPA − AᵀPB K
    // Σ₀ = I/3 (U[−1,1] per coordinate), μ₀ = 0:  −tr(P Σ₀) − c = −4.058535435452314
    const t = await Trainer.create({ env: 'lqr-pointmass', backend: 'cpu', numEnvs: 2, nSteps: 16, totalSteps: 32 });
    try {
      const r = await t.step();
      expect(r['charts/optimal_return']!).toBeCloseTo(-4.058535435452314, 9);
      expect(r['charts/policy_return']).toBeNull();
      expect(r['charts/regret']).toBeNull();
    } finally {
      t.dispose();
    }
  });
});
