import { describe, expect, it } from 'vitest';
import { ConfigError, NumericError } from '../../src/core/errors.js';
import { createEarlyStopping, type EarlyStoppingConfig } from '../../src/controllers/early_stop.js';

describe('createEarlyStopping', () => {
  it('defaults to SB3: k3, factor 1.5, per minibatch', () => {
    const es = createEarlyStopping({ targetKl: 0.02 });
    expect(es.statistic).toBe('k3');
    expect(es.factor).toBe(1.5);
    expect(es.granularity).toBe('minibatch');
    expect(es.threshold).toBeCloseTo(0.03, 15);
    expect(es.shouldStop(0.0301)).toBe(true);
    expect(es.shouldStop(0.03)).toBe(false); // strict >, as SB3 `approx_kl_div > 1.5 * target_kl`
    expect(es.shouldStop(0.025)).toBe(false);
  });

  it('CleanRL style: factor 1, per epoch', () => {
    const es = createEarlyStopping({ targetKl: 0.015, factor: 1, granularity: 'epoch', statistic: 'exact' });
    expect(es.threshold).toBe(0.015);
    expect(es.shouldStop(0.016)).toBe(true);
    expect(es.shouldStop(0.014)).toBe(false);
    expect(Object.isFrozen(es)).toBe(true);
  });

  it('rejects bad input', () => {
    expect(() => createEarlyStopping({ targetKl: 0 })).toThrow(
      'createEarlyStopping: config.targetKl must be a finite number > 0, got 0',
    );
    expect(() => createEarlyStopping({ targetKl: 0.01, factor: NaN })).toThrow(ConfigError);
    expect(() => createEarlyStopping({ targetKl: 0.01, statistic: 'k2' as 'k3' })).toThrow(
      `createEarlyStopping: config.statistic must be one of 'k1' | 'k3' | 'exact', got "k2"`,
    );
    expect(() => createEarlyStopping({ targetKl: 0.01, granularity: 'step' as 'epoch' })).toThrow(ConfigError);
    expect(() => createEarlyStopping({ targetKl: 0.01, target: 1 } as unknown as EarlyStoppingConfig)).toThrow(
      /config.target must be one of the keys/,
    );
    expect(() => createEarlyStopping({ targetKl: 0.01 }).shouldStop(NaN)).toThrow(NumericError);
  });
});
