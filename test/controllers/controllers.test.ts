import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, NumericError } from '../../src/core/errors.js';
import {
  ADAPTIVE_KL_DEFAULTS,
  createKlController,
  KL_CONTROLLER_KINDS,
  PROPORTIONAL_KL_DEFAULTS,
  RLLIB_KL_DEFAULTS,
} from '../../src/controllers/controllers.js';
import type { KlControllerConfig, KlControllerState } from '../../src/controllers/types.js';
import { expectClose } from '../helpers/close.js';

function trace(config: KlControllerConfig, kls: number[], nSteps = 1000): number[] {
  const ctl = createKlController(config);
  let s = ctl.init();
  const out = [ctl.coef(s)];
  for (const kl of kls) {
    s = ctl.update(s, { kl, nSteps });
    out.push(ctl.coef(s));
  }
  return out;
}

describe('createKlController: hand-computed traces', () => {
  it('fixed keeps β', () => {
    expect(trace({ kind: 'fixed', beta: 0.3 }, [0, 1, 100])).toEqual([0.3, 0.3, 0.3, 0.3]);
  });

  it('adaptive (PPO paper §4): halve below target/1.5, double above 1.5·target', () => {
    // β₀ = 1, target 0.01 → band [0.00667, 0.015]
    // 0.02 > 0.015 → 2; 0.02 → 4; 0.005 < 0.00667 → 2; 0.01 inside → 2; 0.001 → 1
    expect(trace({ kind: 'adaptive' }, [0.02, 0.02, 0.005, 0.01, 0.001])).toEqual([1, 2, 4, 2, 2, 1]);
    // Custom factor 3 and band 2 (band [0.005, 0.02]): 0.03 → 3; 0.015 inside → 3; 0.004 → 1
    expect(trace({ kind: 'adaptive', factor: 3, band: 2 }, [0.03, 0.015, 0.004])).toEqual([1, 3, 3, 1]);
  });

  it('proportional (Ziegler et al. 2019 / TRL): β·(1 + clip(KL/target − 1, ±0.2)·n/H)', () => {
    // β₀ 0.2, target 6, H 10000, n = 1000 → n/H = 0.1
    // KL 9:   e = clip(0.5)  =  0.2 → 0.2·1.02      = 0.204
    // KL 6.6: e = 0.1             → 0.204·1.01    = 0.20604
    // KL 3:   e = clip(−0.5) = −0.2 → 0.20604·0.98 = 0.2019192
    // KL 6:   e = 0               → 0.2019192
    expectClose(
      trace({ kind: 'proportional' }, [9, 6.6, 3, 6]),
      [0.2, 0.204, 0.20604, 0.2019192, 0.2019192],
      1e-15,
      1e-13,
    );
  });

  it('rllib (RLlib PPO update_kl): ×1.5 above 2·target, ×0.5 below target/2', () => {
    // β₀ 0.2, target 0.01: 0.03 > 0.02 → 0.3; 0.015 → 0.3; 0.004 < 0.005 → 0.15; 0.021 → 0.225
    expectClose(trace({ kind: 'rllib' }, [0.03, 0.015, 0.004, 0.021]), [0.2, 0.3, 0.3, 0.15, 0.225], 1e-15, 1e-13);
  });

  it('throws NumericError rather than return a β that overflowed to Infinity', () => {
    const ctl = createKlController({ kind: 'adaptive', beta: 1e308, target: 1e-6 });
    expect(() => ctl.update(ctl.init(), { kl: 1, nSteps: 1 })).toThrow(NumericError); // 2e308 = Infinity in float64
    const bounded = createKlController({ kind: 'adaptive', beta: 1e308, target: 1e-6, betaMax: 1e308 });
    expect(bounded.coef(bounded.update(bounded.init(), { kl: 1, nSteps: 1 }))).toBe(1e308);
  });

  it('clamps β into [betaMin, betaMax] after each update', () => {
    // 1 → 2 → 4 clamped to 3 → 3; then 1.5 → 0.75 clamped to 1 (betaMin)
    expect(trace({ kind: 'adaptive', betaMin: 1, betaMax: 3 }, [1, 1, 1, 0, 0])).toEqual([1, 2, 3, 3, 1.5, 1]);
  });

  it('exports the kinds and frozen defaults', () => {
    expect(KL_CONTROLLER_KINDS).toEqual(['fixed', 'adaptive', 'proportional', 'rllib']);
    expect(ADAPTIVE_KL_DEFAULTS).toEqual({ beta: 1, target: 0.01, factor: 2, band: 1.5 });
    expect(PROPORTIONAL_KL_DEFAULTS).toEqual({ beta: 0.2, target: 6, horizon: 10000 });
    expect(RLLIB_KL_DEFAULTS).toEqual({ beta: 0.2, target: 0.01 });
    expect(
      Object.isFrozen(ADAPTIVE_KL_DEFAULTS) &&
        Object.isFrozen(PROPORTIONAL_KL_DEFAULTS) &&
        Object.isFrozen(RLLIB_KL_DEFAULTS),
    ).toBe(true);
    const ctl = createKlController({ kind: 'proportional', beta: 0.1 });
    expect(ctl.config).toEqual({ kind: 'proportional', beta: 0.1, target: 6, horizon: 10000 });
    expect(Object.isFrozen(ctl.init())).toBe(true);
  });
});

const arbConfig: fc.Arbitrary<KlControllerConfig> = fc.oneof(
  fc.record({ kind: fc.constant('fixed' as const), beta: fc.double({ min: 1e-3, max: 10, noNaN: true }) }),
  fc.record({
    kind: fc.constant('adaptive' as const),
    beta: fc.double({ min: 1e-3, max: 10, noNaN: true }),
    target: fc.double({ min: 1e-3, max: 1, noNaN: true }),
    factor: fc.double({ min: 1.1, max: 4, noNaN: true }),
    band: fc.double({ min: 1, max: 3, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('proportional' as const),
    beta: fc.double({ min: 1e-3, max: 10, noNaN: true }),
    target: fc.double({ min: 1e-2, max: 10, noNaN: true }),
    horizon: fc.integer({ min: 1000, max: 100000 }),
  }),
  fc.record({
    kind: fc.constant('rllib' as const),
    beta: fc.double({ min: 1e-3, max: 10, noNaN: true }),
    target: fc.double({ min: 1e-3, max: 1, noNaN: true }),
  }),
);
const arbKls = fc.array(fc.double({ min: 0, max: 20, noNaN: true }), { minLength: 1, maxLength: 20 });
const arbN = fc.integer({ min: 1, max: 199 });

/** Largest allowed multiplicative change of one update. */
function maxStep(c: KlControllerConfig, nSteps: number): [number, number] {
  const cfg = createKlController(c).config as unknown as Record<string, number>;
  switch (c.kind) {
    case 'fixed':
      return [1, 1];
    case 'adaptive':
      return [1 / cfg.factor!, cfg.factor!];
    case 'proportional':
      return [1 - (0.2 * nSteps) / cfg.horizon!, 1 + (0.2 * nSteps) / cfg.horizon!];
    case 'rllib':
      return [0.5, 1.5];
  }
}

describe('createKlController: properties', () => {
  it('β stays positive, moves toward the target, with a bounded step', () => {
    fc.assert(
      fc.property(arbConfig, arbKls, arbN, (config, kls, nSteps) => {
        const ctl = createKlController(config);
        const target = (ctl.config as { target?: number }).target;
        const [lo, hi] = maxStep(config, nSteps);
        let s = ctl.init();
        for (const kl of kls) {
          const next = ctl.update(s, { kl, nSteps });
          expect(next.beta).toBeGreaterThan(0);
          const ratio = next.beta / s.beta;
          expect(ratio).toBeGreaterThanOrEqual(lo * (1 - 1e-12));
          expect(ratio).toBeLessThanOrEqual(hi * (1 + 1e-12));
          if (target !== undefined && kl > target) expect(next.beta).toBeGreaterThanOrEqual(s.beta);
          if (target !== undefined && kl < target) expect(next.beta).toBeLessThanOrEqual(s.beta);
          if (ctl.kind === 'fixed') expect(next.beta).toBe(s.beta);
          s = next;
        }
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('respects betaMin / betaMax', () => {
    fc.assert(
      fc.property(
        arbConfig,
        arbKls,
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        (config, kls, a, w) => {
          const betaMin = a;
          const betaMax = a * (1 + w);
          const ctl = createKlController({
            ...config,
            beta: betaMin * (1 + w / 2),
            betaMin,
            betaMax,
          } as KlControllerConfig);
          let s = ctl.init();
          for (const kl of kls) {
            s = ctl.update(s, { kl, nSteps: 100 });
            expect(s.beta).toBeGreaterThanOrEqual(betaMin);
            expect(s.beta).toBeLessThanOrEqual(betaMax);
          }
        },
      ),
      { numRuns: 100, seed: 12 },
    );
  });

  it('states round-trip through JSON and continue identically; update never mutates', () => {
    fc.assert(
      fc.property(arbConfig, arbKls, arbKls, (config, first, second) => {
        const ctl = createKlController(config);
        let s = ctl.init();
        for (const kl of first) s = ctl.update(s, { kl, nSteps: 64 });
        let a: KlControllerState = s;
        let b = JSON.parse(JSON.stringify(s)) as KlControllerState;
        expect(b).toEqual(a);
        const before = a.beta;
        for (const kl of second) {
          a = ctl.update(a, { kl, nSteps: 64 });
          b = ctl.update(b, { kl, nSteps: 64 });
        }
        expect(b).toEqual(a);
        expect(s.beta).toBe(before);
      }),
      { numRuns: 100, seed: 13 },
    );
  });
});

describe('createKlController: errors', () => {
  it('rejects invalid configs with ConfigError naming the field and the allowed values', () => {
    expect(() => createKlController({ kind: 'pid' } as unknown as KlControllerConfig)).toThrow(
      `createKlController: config.kind must be one of 'fixed' | 'adaptive' | 'proportional' | 'rllib', got "pid"`,
    );
    expect(() => createKlController({ kind: 'adaptive', horizon: 10 } as unknown as KlControllerConfig)).toThrow(
      "createKlController: config.horizon must be one of the keys of the 'adaptive' rule: kind, beta, target, factor, band, betaMin, betaMax, got 10",
    );
    expect(() => createKlController({ kind: 'fixed' } as unknown as KlControllerConfig)).toThrow(
      /config.beta must be given for the 'fixed' rule/,
    );
    expect(() => createKlController({ kind: 'adaptive', beta: -1 })).toThrow(
      'createKlController: config.beta must be a finite number ≥ 0, got -1',
    );
    expect(() => createKlController({ kind: 'rllib', beta: NaN })).toThrow(ConfigError);
    expect(() => createKlController({ kind: 'rllib', target: 0 })).toThrow(
      'createKlController: config.target must be a finite number > 0, got 0',
    );
    expect(() => createKlController({ kind: 'proportional', horizon: 0 })).toThrow(
      'createKlController: config.horizon must be a finite number > 0, got 0',
    );
    expect(() => createKlController({ kind: 'adaptive', factor: 1 })).toThrow(ConfigError);
    expect(() => createKlController({ kind: 'adaptive', betaMin: 2, betaMax: 1 })).toThrow(ConfigError);
    expect(() => createKlController({ kind: 'adaptive', beta: 5, betaMax: 1 })).toThrow(
      /config.beta must be within \[betaMin, betaMax\]/,
    );
    expect(() => createKlController(null as unknown as KlControllerConfig)).toThrow(ConfigError);
  });

  it('update rejects a NaN or negative KL and a bad nSteps', () => {
    const ctl = createKlController({ kind: 'proportional' });
    const s = ctl.init();
    expect(() => ctl.update(s, { kl: NaN, nSteps: 10 })).toThrow(NumericError);
    expect(() => ctl.update(s, { kl: NaN, nSteps: 10 })).toThrow(
      'KlController.update: kl must be a finite number ≥ 0, got NaN',
    );
    expect(() => ctl.update(s, { kl: -0.1, nSteps: 10 })).toThrow(ConfigError);
    expect(() => ctl.update(s, { kl: 1, nSteps: 0 })).toThrow(
      'KlController.update: nSteps must be a positive integer, got 0',
    );
    expect(() => ctl.update(s, { kl: 1, nSteps: 2.5 })).toThrow(ConfigError);
    // 0.2·nSteps ≥ horizon could drive β to ≤ 0: rejected.
    expect(() => ctl.update(s, { kl: 1, nSteps: 50000 })).toThrow(
      /KlController.update: nSteps must be < horizon\/0.2 = 50000/,
    );
    expect(() => ctl.update({ beta: -1 }, { kl: 1, nSteps: 1 })).toThrow(ConfigError);
  });
});
