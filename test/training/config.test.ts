import { WORLD_DEFAULTS } from '../../src/training/world_defaults.js';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  DEFAULT_PPO_CONFIG,
  PENALTY_KL_KINDS,
  POLICY_KINDS,
  type PpoConfigInput,
  resolvePpoConfig,
} from '../../src/training/config.js';

describe('resolvePpoConfig', () => {
  it('fills every default from the library and the world, and derives the sizes', () => {
    const c = resolvePpoConfig();
    const w = WORLD_DEFAULTS.frozenlake4x4!;
    expect([c.numEnvs, c.nSteps, c.totalSteps, c.gamma, c.gaeLambda, c.entCoef]).toEqual([
      w.numEnvs,
      w.nSteps,
      w.totalSteps,
      w.gamma,
      w.gaeLambda,
      w.entCoef,
    ]);
    expect([c.lr, c.adamEps, c.annealLr]).toEqual([w.tabular.lr, w.tabular.adamEps, w.tabular.annealLr]);
    expect(c.batchSize).toBe(w.numEnvs * w.nSteps);
    expect(c.minibatchSize).toBe(c.batchSize / DEFAULT_PPO_CONFIG.numMinibatches);
    expect(c.numIterations).toBe(Math.floor(w.totalSteps / c.batchSize));
    expect(c.clipEpsilon).toBe(0.2);
    expect(Object.isFrozen(DEFAULT_PPO_CONFIG)).toBe(true);
    // MLP policies take CleanRL's optimizer settings, other worlds their own budget.
    const m = resolvePpoConfig({ env: 'frozenlake8x8', policy: { kind: 'mlp' } });
    expect([m.lr, m.adamEps, m.annealLr, m.totalSteps, m.gamma]).toEqual([2.5e-4, 1e-5, true, 512_000, 0.995]);
  });

  it('accepts linear schedule specs, filling endFraction, and names a bad field inside one', () => {
    expect(resolvePpoConfig({ entCoef: { kind: 'linear', start: 0.5, end: 0 } }).entCoef).toEqual({
      kind: 'linear',
      start: 0.5,
      end: 0,
      endFraction: 1,
    });
    expect(resolvePpoConfig({ env: 'cliffwalking' }).entCoef).toEqual(WORLD_DEFAULTS.cliffwalking!.entCoef);
    expect(() => resolvePpoConfig({ entCoef: { kind: 'cosine', start: 1, end: 0 } as never })).toThrow(
      /resolvePpoConfig: entCoef\.kind must be 'linear'/,
    );
    expect(() => resolvePpoConfig({ clipEpsilon: { kind: 'linear', start: 0.2, end: 1.5 } })).toThrow(
      /resolvePpoConfig: clipEpsilon\.end must be a number in \(0, 1\), got 1\.5/,
    );
    expect(() => resolvePpoConfig({ entCoef: { kind: 'linear', start: 0.1, end: 0, endFraction: 0 } })).toThrow(
      /entCoef\.endFraction must be a number in \(0, 1\]/,
    );
    expect(() => resolvePpoConfig({ entCoef: { kind: 'linear', start: 0.1, end: 0, steps: 3 } as never })).toThrow(
      /entCoef\.steps/,
    );
  });

  it('refuses sizes that would exhaust memory before the first update, naming the field and the limit', () => {
    expect(() => resolvePpoConfig({ numEnvs: 1024, nSteps: 1_000_000 })).toThrow(
      /resolvePpoConfig: nSteps must be at most 1024 with numEnvs = 1024 \(numEnvs·nSteps ≤ 1048576 env steps per update\), got 1000000/,
    );
    expect(() => resolvePpoConfig({ numEnvs: 16, nSteps: 65_536, totalSteps: 16 * 65_536 })).not.toThrow(); // exactly the limit
    expect(() => resolvePpoConfig({ policy: { kind: 'mlp', hidden: Array.from({ length: 50 }, () => 64) } })).toThrow(
      /policy\.hidden must be at most 16 layers, got "50 layers"/,
    );
  });

  it('takes the estimators and policy kinds of its lists, and names the list for any other', () => {
    expect(PENALTY_KL_KINDS).toEqual(['exact', 'k1', 'k3']);
    expect(POLICY_KINDS).toEqual(['tabular', 'mlp', 'gaussian']);
    for (const k of PENALTY_KL_KINDS) expect(resolvePpoConfig({ klEstimator: k }).klEstimator).toBe(k);
    for (const k of POLICY_KINDS) expect(resolvePpoConfig({ env: 'bandit', policy: { kind: k } }).policy.kind).toBe(k);
    expect(() => resolvePpoConfig({ klEstimator: 'k2' as never })).toThrow(
      /klEstimator must be one of 'exact' \| 'k1' \| 'k3', got "k2"/,
    );
    expect(() => resolvePpoConfig({ policy: { kind: 'cnn' as never } })).toThrow(
      /policy\.kind must be one of 'tabular' \| 'mlp' \| 'gaussian'/,
    );
  });

  it('records the controller fully resolved, with the world target for every rule and β = 1 for fixed', () => {
    const d = WORLD_DEFAULTS.frozenlake4x4!.klTarget; // 0.005
    expect(d).toBe(0.005);
    expect(resolvePpoConfig().klController).toEqual({ kind: 'adaptive', beta: 1, target: d, factor: 2, band: 1.5 });
    expect(resolvePpoConfig({ env: 'grid5x5' }).klController).toEqual({
      kind: 'adaptive',
      beta: 1,
      target: 0.01,
      factor: 2,
      band: 1.5,
    });
    // TRL's proportional rule would default to 6 nats (a per-sequence KL of language models); the world's target wins.
    expect(resolvePpoConfig({ klController: { kind: 'proportional' } }).klController).toEqual({
      kind: 'proportional',
      beta: 0.2,
      target: d,
      horizon: 10_000,
    });
    expect(resolvePpoConfig({ klController: { kind: 'rllib' } }).klController).toEqual({
      kind: 'rllib',
      beta: 0.2,
      target: d,
    });
    expect(resolvePpoConfig({ klController: { kind: 'fixed' } }).klController).toEqual({ kind: 'fixed', beta: 1 });
    expect(resolvePpoConfig({ klController: { kind: 'adaptive', target: 0.03, betaMin: 0.1 } }).klController).toEqual({
      kind: 'adaptive',
      beta: 1,
      target: 0.03,
      factor: 2,
      band: 1.5,
      betaMin: 0.1,
    });
    expect(() => resolvePpoConfig({ klController: { kind: 'adaptive', beta: -1 } })).toThrow(
      /resolvePpoConfig: klController\.beta must be a finite number ≥ 0, got -1/,
    );
  });

  it('early stopping defaults to the controller target for KL objectives, off otherwise, and an explicit value wins', () => {
    expect(
      resolvePpoConfig({ objective: 'clip+kl', klController: { kind: 'adaptive', target: 0.02 } }).earlyStopKl,
    ).toBe(0.02);
    expect(resolvePpoConfig({ objective: 'kl-penalty', env: 'grid5x5' }).earlyStopKl).toBe(0.01);
    expect(resolvePpoConfig({ objective: 'clip' }).earlyStopKl).toBeNull();
    expect(resolvePpoConfig({ objective: 'clip+kl', klController: { kind: 'fixed', beta: 2 } }).earlyStopKl).toBeNull();
    expect(resolvePpoConfig({ objective: 'clip+kl', earlyStopKl: null }).earlyStopKl).toBeNull();
    expect(resolvePpoConfig({ objective: 'clip', earlyStopKl: 0.05 }).earlyStopKl).toBe(0.05);
  });

  it('merges nested partials without mutating the defaults', () => {
    const c = resolvePpoConfig({ policy: { kind: 'mlp' }, numEnvs: 2, nSteps: 8, numMinibatches: 2, totalSteps: 64 });
    expect(c.policy).toEqual({ kind: 'mlp', hidden: [64, 64], activation: 'tanh' });
    expect(c.minibatchSize).toBe(8);
    expect(c.numIterations).toBe(4);
    c.policy.hidden.push(3);
    expect(DEFAULT_PPO_CONFIG.policy.hidden).toEqual([64, 64]);
  });

  it.each([
    [{ bogus: 1 }, /bogus must be a known key/],
    [{ clipEpsilon: 1.5 }, /clipEpsilon must be a number in \(0, 1\), got 1\.5/],
    [{ clipEpsilon: 0 }, /clipEpsilon must be a number in \(0, 1\)/],
    [{ gamma: NaN }, /gamma must be a number in \[0, 1\], got NaN/],
    [{ numEnvs: 2.5 }, /numEnvs must be an integer/],
    [
      { numEnvs: 3, nSteps: 5, numMinibatches: 4 },
      /numMinibatches must be a divisor of the batch size numEnvs·nSteps = 15/,
    ],
    [{ totalSteps: 10 }, /totalSteps must be at least one batch/],
    [{ objective: 'ppo' }, /objective must be one of 'clip' \| 'kl-penalty' \| 'clip\+kl' \| 'pg', got "ppo"/],
    [{ klController: { kind: 'pid' } }, /klController\.kind must be one of/],
    [{ klController: { kind: 'fixed', beta: 1, gain: 2 } }, /klController\.gain must be a known key/],
    [{ policy: { kind: 'tabular', width: 3 } }, /policy\.width must be a known key/],
    [{ policy: { hidden: [] } }, /policy\.hidden must be a non-empty array/],
    [{ backend: 'webgl' }, /backend must be one of 'wasm' \| 'cpu'/],
    [{ seed: -1 }, /seed must be a non-negative safe integer or a non-empty string, got -1/],
    [{ annealLr: 'yes' }, /annealLr must be true or false/],
    [{ earlyStopKl: 0 }, /earlyStopKl must be a number in \(0/],
    [{ targetKl: 0.01 }, /targetKl must be earlyStopKl \(the early-stopping threshold was renamed/],
    [{ dualClip: 1 }, /dualClip must be a number in \(1/],
    [null, /config must be an object/],
  ])('rejects %j with a ConfigError naming the field', (input, message) => {
    expect(() => resolvePpoConfig(input as never)).toThrow(ConfigError);
    expect(() => resolvePpoConfig(input as never)).toThrow(message);
  });
});

describe('resolvePpoConfig: undefined values', () => {
  it('treats a key set to undefined as left out (the world default applies)', () => {
    const plain = resolvePpoConfig({ env: 'bandit' });
    // What a JavaScript caller (or `lr: cond ? x : undefined` without exactOptionalPropertyTypes) passes.
    const input: Record<string, unknown> = { env: 'bandit', lr: undefined, earlyStopKl: undefined, seed: undefined };
    const withUndef = resolvePpoConfig(input as PpoConfigInput);
    expect(withUndef).toEqual(plain);
    expect(plain.lr).toBe(0.05); // the bandit's tabular default (world_defaults.ts), not DEFAULT_PPO_CONFIG's null
  });
});
