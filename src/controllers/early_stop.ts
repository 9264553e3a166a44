/**
 * Target-KL early stopping of the PPO epochs (plain numbers, no tfjs).
 *
 * - SB3 `ppo/ppo.py` `train()`: per minibatch, *before* the optimizer step, stop when
 *   `approx_kl_div > 1.5 * target_kl` (approx_kl_div is the k3 estimate `mean((exp(log_ratio) − 1) − log_ratio)`).
 * - CleanRL `ppo.py`: after each epoch, `if args.target_kl is not None and approx_kl > args.target_kl: break`
 *   (factor 1, approx_kl of the epoch's last minibatch, also k3).
 * @module
 */
import { assertFiniteNumber, assertOneOf } from '../core/assert.js';
import { ConfigError, NumericError } from '../core/errors.js';

/** Which KL statistic is compared with the threshold. */
export type EarlyStopStatistic = 'k1' | 'k3' | 'exact';
/** When the rule is checked: every minibatch before its step (SB3), or after each epoch (CleanRL). */
export type EarlyStopGranularity = 'minibatch' | 'epoch';

/** Options of {@link createEarlyStopping}. */
export interface EarlyStoppingConfig {
  /** Target KL(π_old‖π_θ) in nats (> 0). */
  targetKl: number;
  /** The statistic the caller feeds to `shouldStop`. @defaultValue 'k3' (SB3 and CleanRL `approx_kl`) */
  statistic?: EarlyStopStatistic;
  /** Stop when KL > factor·targetKl. @defaultValue 1.5 (SB3 `ppo.py`; CleanRL uses 1) */
  factor?: number;
  /** Where the check happens. @defaultValue 'minibatch' (SB3) */
  granularity?: EarlyStopGranularity;
}

/** A resolved early-stopping rule. */
export interface EarlyStopping {
  /** Target KL. */
  readonly targetKl: number;
  /** The statistic to compare. */
  readonly statistic: EarlyStopStatistic;
  /** Multiplier of the target. */
  readonly factor: number;
  /** Where the check happens. */
  readonly granularity: EarlyStopGranularity;
  /** factor·targetKl. */
  readonly threshold: number;
  /** True when `kl` > threshold. Throws NumericError for NaN. */
  shouldStop(kl: number): boolean;
}

/** The allowed statistics. */
export const EARLY_STOP_STATISTICS: readonly EarlyStopStatistic[] = Object.freeze(['k1', 'k3', 'exact'] as const);
/** The allowed granularities. */
export const EARLY_STOP_GRANULARITIES: readonly EarlyStopGranularity[] = Object.freeze(['minibatch', 'epoch'] as const);
/**
 * Defaults of {@link createEarlyStopping}.
 * @defaultValue `{ statistic: 'k3', factor: 1.5, granularity: 'minibatch' }` (SB3 `ppo/ppo.py`)
 */
export const EARLY_STOPPING_DEFAULTS: Readonly<
  Required<Pick<EarlyStoppingConfig, 'statistic' | 'factor' | 'granularity'>>
> = Object.freeze({ statistic: 'k3', factor: 1.5, granularity: 'minibatch' });

/**
 * Build a target-KL early-stopping rule.
 *
 * stop ⇔ KL > factor·targetKl
 *
 * SB3 (`ppo/ppo.py`): factor 1.5, checked per minibatch before the gradient step; CleanRL (`ppo.py`): factor 1, checked
 * after each epoch. The caller measures the statistic (k1, k3 or exact KL(π_old‖π_θ)) and asks `shouldStop`.
 * @param config see {@link EarlyStoppingConfig}.
 * @returns a frozen rule `{ targetKl, statistic, factor, granularity, threshold, shouldStop }`.
 * @throws ConfigError for targetKl ≤ 0, factor ≤ 0 (or factor·targetKl overflowing), an unknown statistic/granularity or key; `shouldStop` throws NumericError for NaN.
 * @example
 * ```ts
 * const es = createEarlyStopping({ targetKl: 0.01 });   // SB3: 0.015 threshold, per minibatch
 * es.shouldStop(0.02); // true
 * ```
 */
export function createEarlyStopping(config: EarlyStoppingConfig): EarlyStopping {
  const fn = 'createEarlyStopping';
  if (config === null || typeof config !== 'object') {
    throw new ConfigError({
      fn,
      arg: 'config',
      expected: 'an object { targetKl, statistic?, factor?, granularity? }',
      got: config,
    });
  }
  const allowed = ['targetKl', 'statistic', 'factor', 'granularity'];
  for (const [key, value] of Object.entries(config)) {
    if (!allowed.includes(key))
      throw new ConfigError({
        fn,
        arg: `config.${key}`,
        expected: `one of the keys ${allowed.join(', ')}`,
        got: value,
      });
  }
  const { targetKl } = config;
  const statistic = config.statistic ?? EARLY_STOPPING_DEFAULTS.statistic;
  const factor = config.factor ?? EARLY_STOPPING_DEFAULTS.factor;
  const granularity = config.granularity ?? EARLY_STOPPING_DEFAULTS.granularity;
  assertFiniteNumber(fn, 'config.targetKl', targetKl, { min: 0, minExclusive: true });
  assertFiniteNumber(fn, 'config.factor', factor, { min: 0, minExclusive: true });
  assertOneOf(fn, 'config.statistic', statistic, EARLY_STOP_STATISTICS);
  assertOneOf(fn, 'config.granularity', granularity, EARLY_STOP_GRANULARITIES);
  const threshold = factor * targetKl;
  if (!Number.isFinite(threshold)) {
    throw new ConfigError({
      fn,
      arg: 'config.factor',
      expected: `small enough that factor·targetKl is finite (targetKl = ${targetKl})`,
      got: factor,
    });
  }
  return Object.freeze({
    targetKl,
    statistic,
    factor,
    granularity,
    threshold,
    shouldStop(kl: number): boolean {
      if (typeof kl !== 'number' || Number.isNaN(kl)) {
        throw new NumericError({ fn: 'EarlyStopping.shouldStop', arg: 'kl', expected: 'a number (not NaN)', got: kl });
      }
      return kl > threshold;
    },
  });
}
