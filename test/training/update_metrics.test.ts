/**
 * The update's metric record (src/training/update_metrics.ts): updateRecord against values worked out by hand from
 * hand-made step readings, assertFiniteRecord's NaN/∞ guard, and readStepScalars' reading and disposal.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { NumericError } from '../../src/core/errors.js';
import { METRIC_KEYS, type MetricRecord } from '../../src/training/metrics.js';
import {
  assertFiniteRecord,
  mean,
  readStepScalars,
  updateRecord,
  type StepReadings,
  type UpdateOutcome,
} from '../../src/training/update_metrics.js';
import type { StepScalars } from '../../src/training/update.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

/** Three optimizer steps, the last refused by early stopping (so two applied ones carry step KLs). */
const STEPS: StepReadings = {
  policyLoss: [0.5, 0.3, -0.2], // mean 0.2
  valueLoss: [1, 2, 3], // mean 2
  klPenalty: [0.01, 0.02, 0.03], // mean 0.02
  entropy: [1.0, 0.9, 0.8], // mean 0.9
  clipFraction: [0.1, 0.2, 0.6], // mean 0.3
  totalLoss: [0.7, 1.1, 1.2], // mean 1.0
  gradNorm: [2, 4, 9], // mean 5
  stepKlExact: [0.01, 0.03], // mean 0.02, max 0.03
  stepKlK1: [0.02, -0.01], // mean 0.005
  stepKlK3: [0.015, 0.025], // mean 0.02
  preStep: [0.08, 0.05], // max 0.08
};

const WINDOW = [
  { return: 1, length: 5, success: true },
  { return: 0, length: 10, success: false },
  { return: 0.5, length: 3, success: true },
  { return: 1, length: 2, success: true },
]; // mean return 2.5/4 = 0.625, mean length 20/4 = 5, success 3/4

const OUTCOME: UpdateOutcome = {
  update: 7,
  globalStep: 3584,
  steps: STEPS,
  end: { exact: 0.04, k1: 0.05, k3: 0.035, gain: 0.1, clipGain: 0.05 },
  visitationKl: 0.045,
  beta: 0.3,
  fedRule: true,
  binding: 0.8,
  earlyStopped: true,
  window: WINDOW,
  episodes: 12,
  lr: 2.5e-4,
  envStepsPerSecond: 1000,
  policyReturn: 0.7,
  optimalReturn: 0.9,
};

/** Hand-computed record of OUTCOME (see the comments on STEPS and WINDOW). */
const EXPECTED: Record<string, number | null> = {
  update: 7,
  global_step: 3584,
  'kl/exact_old_new': 0.02,
  'kl/exact_old_new_max': 0.03,
  'kl/k1': 0.005,
  'kl/k3': 0.02,
  'kl/exact_rollout_end': 0.04,
  'kl/k1_rollout_end': 0.05,
  'kl/k3_rollout_end': 0.035,
  'kl/exact_visitation': 0.045,
  'kl/pre_step_max': 0.08,
  'kl/coef': 0.3,
  'kl/coef_held': 0, // 1 − fedRule
  'kl/binding': 0.8,
  'kl/early_stopped': 1,
  'kl/optimizer_steps': 2, // applied steps, not the 3 computed losses
  'policy/clip_fraction': 0.3,
  'policy/entropy': 0.9,
  'loss/policy': 0.2,
  'loss/value': 2,
  'loss/kl_penalty': 0.02,
  'loss/total': 1.0,
  'loss/grad_norm': 5,
  'charts/episodic_return': 0.625,
  'charts/episode_length': 5,
  'charts/success_rate': 0.75,
  'charts/episodes': 12,
  'charts/lr': 2.5e-4,
  'charts/env_steps_per_s': 1000,
  'charts/policy_return': 0.7,
  'charts/optimal_return': 0.9,
  'charts/regret': 0.2, // optimal − policy
  'kl/ref_exact': null, // no referenceKl
  'kl/ref_estimate': null,
  'kl/ref_coef': null,
  'eval/return': null, // no evaluation on this update
  'eval/return_std': null,
  'eval/exact_return': null,
};

function expectRecord(actual: MetricRecord, expected: Record<string, number | null>): void {
  expect(new Set(Object.keys(actual))).toEqual(new Set(Object.keys(expected)));
  for (const [k, e] of Object.entries(expected)) {
    const a = actual[k];
    if (e === null) expect(a, k).toBeNull();
    else {
      expect(a, k).toBeTypeOf('number');
      try {
        expectClose(a!, e, 1e-12, 1e-12);
      } catch (err) {
        throw new Error(`${k}: ${(err as Error).message}`);
      }
    }
  }
}

describe('updateRecord', () => {
  it('has exactly the METRIC_KEYS', () => {
    const rec = updateRecord(OUTCOME);
    expect(new Set(Object.keys(rec))).toEqual(new Set(METRIC_KEYS));
    expect(Object.keys(rec)).toHaveLength(METRIC_KEYS.length);
  });

  it('every key equals the hand-computed value (means over steps, maxima over applied steps, regret, success rate)', () => {
    expectRecord(updateRecord(OUTCOME), EXPECTED);
  });

  it('no applied step: per-step KL keys and optimizer_steps are 0; empty window gives null episode stats', () => {
    const steps: StepReadings = {
      policyLoss: [0.4],
      valueLoss: [1.5],
      klPenalty: [0],
      entropy: [1.1],
      clipFraction: [0.25],
      totalLoss: [0.9],
      gradNorm: [3],
      stepKlExact: [],
      stepKlK1: [],
      stepKlK3: [],
      preStep: [],
    };
    const rec = updateRecord({
      ...OUTCOME,
      steps,
      fedRule: false,
      binding: null,
      visitationKl: null,
      window: [],
      policyReturn: null,
      optimalReturn: 0.9,
    });
    expectRecord(rec, {
      ...EXPECTED,
      'kl/exact_old_new': 0,
      'kl/exact_old_new_max': 0,
      'kl/k1': 0,
      'kl/k3': 0,
      'kl/pre_step_max': 0,
      'kl/optimizer_steps': 0,
      'kl/coef_held': 1, // fedRule false
      'kl/binding': null,
      'kl/exact_visitation': null,
      'policy/clip_fraction': 0.25,
      'policy/entropy': 1.1,
      'loss/policy': 0.4,
      'loss/value': 1.5,
      'loss/kl_penalty': 0,
      'loss/total': 0.9,
      'loss/grad_norm': 3,
      'charts/episodic_return': null,
      'charts/episode_length': null,
      'charts/success_rate': null,
      'charts/policy_return': null,
      'charts/regret': null, // policy return unknown
    });
  });

  it('copies an evaluation into the eval keys', () => {
    const rec = updateRecord({ ...OUTCOME, evaluation: { meanReturn: 0.6, stdReturn: 0.49, exactReturn: 0.71 } });
    expect([rec['eval/return'], rec['eval/return_std'], rec['eval/exact_return']]).toEqual([0.6, 0.49, 0.71]);
    const noExact = updateRecord({ ...OUTCOME, evaluation: { meanReturn: 0.6, stdReturn: 0.49, exactReturn: null } });
    expect(noExact['eval/exact_return']).toBeNull();
  });

  it('regret is null when the optimum is unknown, and max keys are maxima (not last values)', () => {
    const rec = updateRecord({
      ...OUTCOME,
      optimalReturn: null,
      steps: { ...STEPS, stepKlExact: [0.05, 0.01], preStep: [0.02, 0.09] },
    });
    expect(rec['charts/regret']).toBeNull();
    expect(rec['charts/optimal_return']).toBeNull();
    expect(rec['charts/policy_return']).toBe(0.7);
    expect(rec['kl/exact_old_new_max']).toBe(0.05);
    expect(rec['kl/pre_step_max']).toBe(0.09);
    expectClose(rec['kl/exact_old_new']!, 0.03, 1e-12);
  });

  it('success rate is the fraction of successes in the window (none → 0, all → 1)', () => {
    expect(
      updateRecord({ ...OUTCOME, window: [{ return: 0, length: 1, success: false }] })['charts/success_rate'],
    ).toBe(0);
    expect(updateRecord({ ...OUTCOME, window: [{ return: 2, length: 4, success: true }] })['charts/success_rate']).toBe(
      1,
    );
  });

  it('mean: arithmetic mean, NaN when empty', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean(Float64Array.from([-1, 1]))).toBe(0);
    expect(mean([])).toBeNaN();
  });
});

describe('assertFiniteRecord', () => {
  const ok = (): MetricRecord => updateRecord(OUTCOME);
  const withKey = (key: string, v: number | null): MetricRecord => ({ ...ok(), [key]: v });

  function expectThrowsFor(rec: MetricRecord, key: string, fn?: string): void {
    let err: unknown;
    try {
      if (fn === undefined) assertFiniteRecord(rec);
      else assertFiniteRecord(rec, fn);
    } catch (e) {
      err = e;
    }
    expect(err, `expected a NumericError for ${key}`).toBeInstanceOf(NumericError);
    const msg = (err as Error).message;
    expect(msg).toContain(key);
    expect(msg).toContain('update 7');
    expect(msg.startsWith(`${fn ?? 'Trainer.step'}:`)).toBe(true);
  }

  it('accepts a finite record', () => {
    expect(() => assertFiniteRecord(ok())).not.toThrow();
  });

  it('throws NumericError naming the key and the update for NaN loss/policy, ±∞ losses, NaN or ∞ entropy', () => {
    expectThrowsFor(withKey('loss/policy', NaN), 'loss/policy');
    expectThrowsFor(withKey('loss/policy', Infinity), 'loss/policy');
    expectThrowsFor(withKey('loss/value', Infinity), 'loss/value');
    expectThrowsFor(withKey('loss/value', -Infinity), 'loss/value');
    expectThrowsFor(withKey('loss/total', -Infinity), 'loss/total');
    expectThrowsFor(withKey('loss/total', NaN), 'loss/total');
    expectThrowsFor(withKey('policy/entropy', NaN), 'policy/entropy');
    expectThrowsFor(withKey('policy/entropy', Infinity), 'policy/entropy');
    expectThrowsFor(withKey('loss/policy', null), 'loss/policy');
  });

  it('names the given function', () => {
    expectThrowsFor(withKey('loss/value', NaN), 'loss/value', 'MyTrainer.step');
  });

  it('kl/exact_rollout_end may be +∞ (π_end gave a rollout action zero probability) but not NaN', () => {
    expect(() => assertFiniteRecord(withKey('kl/exact_rollout_end', Infinity))).not.toThrow();
    expectThrowsFor(withKey('kl/exact_rollout_end', NaN), 'kl/exact_rollout_end');
  });
});

describe.each(TEST_BACKENDS)('readStepScalars on %s', (backend) => {
  useBackend(backend);

  /** Step i carries values 10·i + field offset; applied steps carry step KLs. */
  function makeSteps(applied: boolean[]): StepScalars[] {
    return applied.map((a, i) => {
      const v = (k: number): tf.Scalar => tf.scalar(10 * i + k);
      const s: StepScalars = {
        policyLoss: v(0.1),
        valueLoss: v(0.2),
        klPenalty: v(0.3),
        entropy: v(0.4),
        clipFraction: v(0.5),
        totalLoss: v(0.6),
        gradNorm: v(0.7),
        rolloutKlExact: v(1.1),
        rolloutKlK1: v(1.2),
        rolloutKlK3: v(1.3),
      };
      if (a) {
        s.stepKlExact = v(2.1);
        s.stepKlK1 = v(2.2);
        s.stepKlK3 = v(2.3);
      }
      return s;
    });
  }
  const f = Math.fround;

  it('returns the values in step order, step KLs and preStep from applied steps only, and disposes every scalar', async () => {
    for (const [stat, off] of [
      ['exact', 1.1],
      ['k1', 1.2],
      ['k3', 1.3],
    ] as const) {
      const base = tf.memory().numTensors;
      const steps = makeSteps([true, true, false]);
      expect(tf.memory().numTensors).toBe(base + 2 * 13 + 10);
      const r = await readStepScalars(steps, stat);
      expect(tf.memory().numTensors).toBe(base);
      for (const s of steps) for (const t of Object.values(s)) expect((t as tf.Tensor).isDisposed).toBe(true);
      const per = (k: number): number[] => [0, 1, 2].map((i) => f(10 * i + k));
      const app = (k: number): number[] => [0, 1].map((i) => f(10 * i + k));
      expect(r.policyLoss).toEqual(per(0.1));
      expect(r.valueLoss).toEqual(per(0.2));
      expect(r.klPenalty).toEqual(per(0.3));
      expect(r.entropy).toEqual(per(0.4));
      expect(r.clipFraction).toEqual(per(0.5));
      expect(r.totalLoss).toEqual(per(0.6));
      expect(r.gradNorm).toEqual(per(0.7));
      expect(r.stepKlExact).toEqual(app(2.1));
      expect(r.stepKlK1).toEqual(app(2.2));
      expect(r.stepKlK3).toEqual(app(2.3));
      expect(r.preStep, stat).toEqual(app(off));
    }
  });

  it('skips a refused step in the middle for the applied-only lists, and handles no applied step', async () => {
    const base = tf.memory().numTensors;
    const r = await readStepScalars(makeSteps([true, false, true]), 'k3');
    expect(r.stepKlExact).toEqual([f(2.1), f(22.1)]);
    expect(r.preStep).toEqual([f(1.3), f(21.3)]);
    expect(r.totalLoss).toEqual([f(0.6), f(10.6), f(20.6)]);
    const none = await readStepScalars(makeSteps([false]), 'exact');
    expect(none.stepKlExact).toEqual([]);
    expect(none.stepKlK1).toEqual([]);
    expect(none.stepKlK3).toEqual([]);
    expect(none.preStep).toEqual([]);
    expect(none.policyLoss).toEqual([f(0.1)]);
    expect(tf.memory().numTensors).toBe(base);
  });
});
