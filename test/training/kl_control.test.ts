/**
 * The trust-region loop around the KL controller (src/training/kl_control.ts): which updates the trainer lets the
 * rule see. Pure-function cases, then seeded trainer runs that fail without the mechanism: a world with no reward at
 * all keeps β at β₀ (an unguarded adaptive rule halves it every update), and on sparse FrozenLake 8×8 every update
 * before the first reward holds β and the first informative update stays within 2× the target.
 */
import { describe, expect, it } from 'vitest';
import { createKlController } from '../../src/controllers/controllers.js';
import {
  controllerDecision,
  lowerKlEdge,
  MIN_PENALTY_BINDING,
  penaltyBindingRatio,
  rolloutHasSignal,
  upperKlEdge,
} from '../../src/training/kl_control.js';
import { train } from '../../src/training/trainer.js';

const zeros = (n: number): Uint8Array => new Uint8Array(n);

describe('rolloutHasSignal', () => {
  it('is false for an all-zero reward batch, whatever the episode ends', () => {
    const term = Uint8Array.from([0, 1, 0, 1]);
    expect(rolloutHasSignal({ rewards: new Float64Array(4), terminated: term, truncated: zeros(4) })).toBe(false);
  });
  it('is true as soon as one reward differs', () => {
    expect(
      rolloutHasSignal({ rewards: Float64Array.from([0, 0, 1, 0]), terminated: zeros(4), truncated: zeros(4) }),
    ).toBe(true);
  });
  it('a constant non-zero reward carries a signal only when an episode ends (length then matters)', () => {
    const r = Float64Array.from([-1, -1, -1]);
    expect(rolloutHasSignal({ rewards: r, terminated: zeros(3), truncated: zeros(3) })).toBe(false);
    expect(rolloutHasSignal({ rewards: r, terminated: Uint8Array.from([0, 1, 0]), truncated: zeros(3) })).toBe(true);
    expect(rolloutHasSignal({ rewards: r, terminated: zeros(3), truncated: Uint8Array.from([0, 0, 1]) })).toBe(true);
  });
  it('an empty batch has no signal', () => {
    expect(rolloutHasSignal({ rewards: new Float64Array(0), terminated: zeros(0), truncated: zeros(0) })).toBe(false);
  });
});

describe('penaltyBindingRatio', () => {
  it('equals the fraction of the way to the penalized optimum in a quadratic model (float64 closed form)', () => {
    // One-parameter model: surrogate gain g·x, KL = ½·F·x². The penalized optimum x* = g/(β·F). A step x = f·x*
    // has gain g·f·x* and KL ½·F·f²·x*², so 2β·KL/gain = β·F·f·x*/g = f.
    const g = 0.3;
    const F = 2.5;
    const beta = 0.7;
    const xStar = g / (beta * F);
    for (const f of [0.1, 0.5, 1, 1.7]) {
      const x = f * xStar;
      const rho = penaltyBindingRatio({ beta, kl: 0.5 * F * x * x, gain: g * x });
      expect(rho).toBeCloseTo(f, 12);
    }
  });
  it('is null when the update gained nothing', () => {
    expect(penaltyBindingRatio({ beta: 1, kl: 0.01, gain: 0 })).toBeNull();
    expect(penaltyBindingRatio({ beta: 1, kl: 0.01, gain: -0.2 })).toBeNull();
  });
});

describe('band edges and the decision', () => {
  it('use each rule’s own edges', () => {
    expect(lowerKlEdge({ kind: 'adaptive', target: 0.03, band: 1.5 })).toBeCloseTo(0.02, 15);
    expect(upperKlEdge({ kind: 'adaptive', target: 0.03, band: 1.5 })).toBeCloseTo(0.045, 15);
    expect(lowerKlEdge({ kind: 'rllib', target: 0.01 })).toBe(0.005);
    expect(upperKlEdge({ kind: 'rllib', target: 0.01 })).toBe(0.02);
    expect(lowerKlEdge({ kind: 'proportional', target: 0.01 })).toBe(0.01);
    expect(lowerKlEdge({ kind: 'fixed' })).toBe(-Infinity);
  });
  it('holds β without a KL term or a signal, and holds a decrease when the penalty was not binding', () => {
    const base = { hasKlTerm: true, signal: true, kl: 0.001, lowerEdge: 0.0067, upperEdge: 0.015, binding: 0.9 };
    expect(controllerDecision(base)).toBe('applied');
    expect(controllerDecision({ ...base, hasKlTerm: false })).toBe('held-no-kl-term');
    expect(controllerDecision({ ...base, signal: false })).toBe('held-no-signal');
    expect(controllerDecision({ ...base, binding: MIN_PENALTY_BINDING / 2 })).toBe('held-not-binding');
    expect(controllerDecision({ ...base, binding: null })).toBe('held-not-binding');
    // A too-large KL always reaches the rule, binding or not, signal or not.
    expect(controllerDecision({ ...base, kl: 0.05, binding: 0.01 })).toBe('applied');
    expect(controllerDecision({ ...base, kl: 0.05, signal: false })).toBe('applied');
    expect(controllerDecision({ ...base, kl: 0.01, signal: false })).toBe('held-no-signal');
  });
});

describe('the trainer’s controller loop (seeded runs)', () => {
  it('a world without any reward keeps β at β₀ on every update (an unguarded adaptive rule halves it each time)', async () => {
    const { history } = await train({
      env: 'bandit',
      envOptions: { probs: [0, 0, 0] },
      objective: 'clip+kl',
      klController: { kind: 'adaptive', beta: 0.5 },
      numEnvs: 2,
      nSteps: 16,
      numMinibatches: 2,
      epochs: 2,
      totalSteps: 32 * 8,
      seed: 3,
      backend: 'cpu',
    });
    expect(history).toHaveLength(8);
    for (const r of history) {
      expect(r['kl/coef']).toBe(0.5);
      expect(r['kl/coef_held']).toBe(1);
    }
    // What the unguarded rule would have done with these KLs: every one is below the lower edge.
    const rule = createKlController({ kind: 'adaptive', beta: 0.5, target: 0.01 });
    let s = rule.init();
    for (const r of history) s = rule.update(s, { kl: r['kl/exact_rollout_end']!, nSteps: 32 });
    expect(rule.coef(s)).toBeLessThan(0.5 / 2 ** 7);
  });

  it.each([1, 2, 3])(
    'sparse FrozenLake 8×8, seed %i: β is held until the first reward, and no update goes above 2× the target',
    async (seed) => {
      const { history } = await train(
        {
          env: 'frozenlake8x8',
          objective: 'clip+kl',
          klController: { kind: 'adaptive', beta: 1, target: 0.01 },
          numEnvs: 4,
          nSteps: 64,
          totalSteps: 256 * 30,
          seed,
          backend: 'cpu',
        },
        {
          // stop one update after the first informative one
          onIteration: (_r, t) =>
            t.history.some((h, i) => i < t.history.length - 1 && (h['charts/episodic_return'] ?? 0) > 0)
              ? 'stop'
              : undefined,
        },
      );
      // The first rewarded batch is the first update whose episodic return is > 0 (a success ends its episode there).
      const firstRewarded = history.findIndex((r) => (r['charts/episodic_return'] ?? 0) > 0);
      const before = firstRewarded < 0 ? history : history.slice(0, firstRewarded);
      expect(before.length).toBeGreaterThan(0);
      for (const r of before) {
        expect(r['kl/coef']).toBe(1);
        expect(r['kl/coef_held']).toBe(1);
      }
      for (const r of history) expect(r['kl/exact_rollout_end']!).toBeLessThanOrEqual(0.02);
    },
  );
});
