/**
 * KL-coefficient controllers: four rules behind one `(init, update, coef)` interface over a frozen state
 * (rlax `moving_averages.py` `create_ema` shape). Plain numbers, no tfjs.
 *
 * | rule | update of β after observing KL | defaults | source |
 * |---|---|---|---|
 * | fixed | β | β required | — |
 * | adaptive | KL < target/band → β/factor; KL > target·band → β·factor | β₀ 1, target 0.01, factor 2, band 1.5 | PPO paper §4 |
 * | proportional | e = clip(KL/target − 1, −0.2, 0.2); β ← β·(1 + e·nSteps/horizon) | β₀ 0.2, target 6, horizon 10000 | Ziegler et al. 2019; TRL |
 * | rllib | KL > 2·target → β·1.5; KL < target/2 → β·0.5 | β₀ 0.2, target 0.01 | RLlib PPO `update_kl` |
 * @module
 */
import { ConfigError, NumericError } from '../core/errors.js';
import type {
  AdaptiveKlControllerConfig,
  KlController,
  KlControllerConfig,
  KlControllerKind,
  KlControllerState,
  KlObservation,
  ProportionalKlControllerConfig,
  ResolvedKlControllerConfig,
  RllibKlControllerConfig,
} from './types.js';

export type {
  AdaptiveKlControllerConfig,
  FixedKlControllerConfig,
  KlBetaBounds,
  KlController,
  KlControllerConfig,
  KlControllerKind,
  KlControllerState,
  KlObservation,
  ProportionalKlControllerConfig,
  ResolvedKlControllerConfig,
  RllibKlControllerConfig,
} from './types.js';

import { KL_CONTROLLER_KINDS } from './types.js';

export { KL_CONTROLLER_KINDS };

/**
 * Defaults of the `adaptive` rule (Schulman et al. 2017, https://arxiv.org/abs/1707.06347 §4).
 * @defaultValue `{ beta: 1, target: 0.01, factor: 2, band: 1.5 }` (factor and band from the paper; β₀ and target are klip's choice)
 */
export const ADAPTIVE_KL_DEFAULTS: Readonly<
  Required<Pick<AdaptiveKlControllerConfig, 'beta' | 'target' | 'factor' | 'band'>>
> = Object.freeze({ beta: 1, target: 0.01, factor: 2, band: 1.5 });

/**
 * Defaults of the `proportional` rule (Ziegler et al. 2019, https://arxiv.org/abs/1909.08593 §2.2; TRL
 * `trainer/utils.py` `AdaptiveKLController`, `PPOConfig.init_kl_coef/target/horizon`).
 * @defaultValue `{ beta: 0.2, target: 6, horizon: 10000 }`
 */
export const PROPORTIONAL_KL_DEFAULTS: Readonly<
  Required<Pick<ProportionalKlControllerConfig, 'beta' | 'target' | 'horizon'>>
> = Object.freeze({ beta: 0.2, target: 6, horizon: 10000 });

/**
 * The clip on the proportional error e of the `proportional` rule.
 * @defaultValue 0.2 (lm-human-preferences `train_policy.py` l.116, TRL `np.clip(current / target - 1, -0.2, 0.2)`)
 */
export const PROPORTIONAL_KL_ERROR_CLIP = 0.2;

/**
 * Defaults of the `rllib` rule (RLlib `PPOConfig.kl_coeff`, `kl_target`; `update_kl` multiplies by 1.5 above 2·target
 * and by 0.5 below 0.5·target).
 * @defaultValue `{ beta: 0.2, target: 0.01 }`
 */
export const RLLIB_KL_DEFAULTS: Readonly<Required<Pick<RllibKlControllerConfig, 'beta' | 'target'>>> = Object.freeze({
  beta: 0.2,
  target: 0.01,
});

const BOUND_KEYS = ['betaMin', 'betaMax'] as const;
const KEYS: Record<KlControllerKind, readonly string[]> = {
  fixed: ['kind', 'beta', ...BOUND_KEYS],
  adaptive: ['kind', 'beta', 'target', 'factor', 'band', ...BOUND_KEYS],
  proportional: ['kind', 'beta', 'target', 'horizon', ...BOUND_KEYS],
  rllib: ['kind', 'beta', 'target', ...BOUND_KEYS],
};

const FN = 'createKlController';

function num(arg: string, x: unknown, check: (v: number) => boolean, expected: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || !check(x))
    throw new ConfigError({ fn: FN, arg: `config.${arg}`, expected, got: x });
  return x;
}

/**
 * Validate a KL controller configuration given as data (e.g. parsed JSON) and fill in the rule's defaults: what
 * `createKlController(config).config` holds. Errors name `config.<key>` with the values each rule accepts.
 * @param config `{ kind, … }` of unknown shape.
 * @returns The resolved configuration.
 * @throws ConfigError for an unknown kind, a key the rule does not take, or a value out of range.
 * @example
 * ```ts
 * resolveKlControllerConfig({ kind: 'adaptive' }).target; // 0.01
 * ```
 */
export function resolveKlControllerConfig(config: unknown): ResolvedKlControllerConfig {
  return resolve(config);
}

function resolve(config: unknown): ResolvedKlControllerConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError({
      fn: FN,
      arg: 'config',
      expected: `an object { kind: ${KL_CONTROLLER_KINDS.map((k) => `'${k}'`).join(' | ')}, … }`,
      got: config,
    });
  }
  const c = config as Record<string, unknown>;
  const kind = c.kind;
  if (typeof kind !== 'string' || !(KL_CONTROLLER_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigError({
      fn: FN,
      arg: 'config.kind',
      expected: `one of ${KL_CONTROLLER_KINDS.map((k) => `'${k}'`).join(' | ')}`,
      got: kind,
    });
  }
  const k = kind as KlControllerKind;
  const allowed = KEYS[k];
  for (const key of Object.keys(c)) {
    if (c[key] === undefined) continue;
    if (!allowed.includes(key)) {
      throw new ConfigError({
        fn: FN,
        arg: `config.${key}`,
        expected: `one of the keys of the '${k}' rule: ${allowed.join(', ')}`,
        got: c[key],
      });
    }
  }
  const nonNeg = (v: number): boolean => v >= 0;
  const positive = (v: number): boolean => v > 0;
  const bounds: { betaMin?: number; betaMax?: number } = {};
  if (c.betaMin !== undefined) bounds.betaMin = num('betaMin', c.betaMin, nonNeg, 'a finite number ≥ 0');
  if (c.betaMax !== undefined) {
    const lo = bounds.betaMin ?? 0;
    bounds.betaMax = num('betaMax', c.betaMax, (v) => v >= lo, `a finite number ≥ betaMin (${lo})`);
  }
  const beta0 = (fallback: number | undefined): number => {
    if (c.beta === undefined && fallback === undefined) {
      throw new ConfigError({
        fn: FN,
        arg: 'config.beta',
        expected: "given for the 'fixed' rule (a finite number ≥ 0)",
        got: undefined,
      });
    }
    const b = num('beta', c.beta ?? fallback, nonNeg, 'a finite number ≥ 0');
    if ((bounds.betaMin !== undefined && b < bounds.betaMin) || (bounds.betaMax !== undefined && b > bounds.betaMax)) {
      throw new ConfigError({
        fn: FN,
        arg: 'config.beta',
        expected: `within [betaMin, betaMax] = [${bounds.betaMin ?? 0}, ${bounds.betaMax ?? '∞'}]`,
        got: b,
      });
    }
    return b;
  };
  switch (k) {
    case 'fixed':
      return { kind: k, beta: beta0(undefined), ...bounds };
    case 'adaptive':
      return {
        kind: k,
        beta: beta0(ADAPTIVE_KL_DEFAULTS.beta),
        target: num('target', c.target ?? ADAPTIVE_KL_DEFAULTS.target, positive, 'a finite number > 0'),
        factor: num('factor', c.factor ?? ADAPTIVE_KL_DEFAULTS.factor, (v) => v > 1, 'a finite number > 1'),
        band: num('band', c.band ?? ADAPTIVE_KL_DEFAULTS.band, (v) => v >= 1, 'a finite number ≥ 1'),
        ...bounds,
      };
    case 'proportional':
      return {
        kind: k,
        beta: beta0(PROPORTIONAL_KL_DEFAULTS.beta),
        target: num('target', c.target ?? PROPORTIONAL_KL_DEFAULTS.target, positive, 'a finite number > 0'),
        horizon: num('horizon', c.horizon ?? PROPORTIONAL_KL_DEFAULTS.horizon, positive, 'a finite number > 0'),
        ...bounds,
      };
    case 'rllib':
      return {
        kind: k,
        beta: beta0(RLLIB_KL_DEFAULTS.beta),
        target: num('target', c.target ?? RLLIB_KL_DEFAULTS.target, positive, 'a finite number > 0'),
        ...bounds,
      };
  }
}

/** β before clamping, for each rule (one small function per rule). */
function adaptiveRule(beta: number, kl: number, c: { target: number; factor: number; band: number }): number {
  if (kl < c.target / c.band) return beta / c.factor;
  if (kl > c.target * c.band) return beta * c.factor;
  return beta;
}

function proportionalRule(beta: number, kl: number, nSteps: number, c: { target: number; horizon: number }): number {
  const e = Math.min(Math.max(kl / c.target - 1, -PROPORTIONAL_KL_ERROR_CLIP), PROPORTIONAL_KL_ERROR_CLIP);
  return beta * (1 + (e * nSteps) / c.horizon);
}

function rllibRule(beta: number, kl: number, target: number): number {
  if (kl > 2 * target) return beta * 1.5;
  if (kl < 0.5 * target) return beta * 0.5;
  return beta;
}

/**
 * Create a KL-coefficient controller: `init()` gives `{ beta: β₀ }`, `update(state, { kl, nSteps })` the next state,
 * `coef(state)` the β to use. States are frozen plain objects that survive `JSON.parse(JSON.stringify(state))`.
 *
 * - fixed:        β_{k+1} = β_k
 * - adaptive:     β_{k+1} = β_k/f if KL < d/b;  β_k·f if KL > d·b;  else β_k            (f = 2, b = 1.5)
 * - proportional: e = clip(KL/d − 1, −0.2, 0.2);  β_{k+1} = β_k·(1 + e·nSteps/H)
 * - rllib:        β_{k+1} = 1.5·β_k if KL > 2d;  0.5·β_k if KL < d/2;  else β_k
 * then β_{k+1} ← clamp(β_{k+1}, betaMin, betaMax).
 *
 * Sources: Schulman et al. 2017 §4 (https://arxiv.org/abs/1707.06347); Ziegler et al. 2019 §2.2
 * (https://arxiv.org/abs/1909.08593), lm-human-preferences `train_policy.py` l.107-124, TRL `AdaptiveKLController`;
 * RLlib `ppo` `KLCoeffMixin.update_kl`.
 *
 * `update` throws NumericError instead of returning a β that overflowed to Infinity (a rule without `betaMax` that
 * keeps doubling): a checkpoint could not store it. The proportional rule requires 0.2·nSteps/horizon < 1 at each update (else one step could make β ≤ 0; TRL would
 * silently go negative): `update` throws a ConfigError instead.
 *
 * @param config `{ kind, … }`, see {@link KlControllerConfig}; unknown keys are rejected.
 * @returns the controller (a frozen plain object of pure functions).
 * @throws ConfigError for an unknown kind or key, a negative or NaN β, a target ≤ 0, a horizon ≤ 0, factor ≤ 1, band < 1,
 *   or bad bounds. `update` throws NumericError for a NaN/±Infinity KL and ConfigError for a negative KL, a nSteps that is
 *   not a positive integer, or a malformed state.
 * @example
 * ```ts
 * const ctl = createKlController({ kind: 'adaptive', beta: 1, target: 0.01 });
 * let s = ctl.init();
 * s = ctl.update(s, { kl: 0.05, nSteps: 2048 }); // KL > 1.5·target → β = 2
 * ctl.coef(s); // 2
 * ```
 */
export function createKlController(config: KlControllerConfig): KlController {
  const resolved = Object.freeze(resolve(config));
  const clamp = (b: number): number => {
    let x = b;
    if (resolved.betaMin !== undefined) x = Math.max(x, resolved.betaMin);
    if (resolved.betaMax !== undefined) x = Math.min(x, resolved.betaMax);
    return x;
  };
  const checkState = (fn: string, state: unknown): number => {
    const beta = state !== null && typeof state === 'object' ? (state as { beta?: unknown }).beta : undefined;
    if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0) {
      throw new ConfigError({
        fn,
        arg: 'state.beta',
        expected: 'a finite number ≥ 0 (a state from init() or update())',
        got: state,
      });
    }
    return beta;
  };
  const controller: KlController = {
    kind: resolved.kind,
    config: resolved,
    init(): KlControllerState {
      return Object.freeze({ beta: resolved.beta });
    },
    update(state: KlControllerState, observation: KlObservation): KlControllerState {
      const fn = 'KlController.update';
      const beta = checkState(fn, state);
      if (observation === null || typeof observation !== 'object') {
        throw new ConfigError({ fn, arg: 'observation', expected: 'an object { kl, nSteps }', got: observation });
      }
      const { kl, nSteps } = observation;
      if (typeof kl !== 'number' || !Number.isFinite(kl))
        throw new NumericError({ fn, arg: 'kl', expected: 'a finite number ≥ 0', got: kl });
      if (kl < 0)
        throw new ConfigError({
          fn,
          arg: 'kl',
          expected: 'a finite number ≥ 0 (clamp negative k1 estimates first)',
          got: kl,
        });
      if (typeof nSteps !== 'number' || !Number.isInteger(nSteps) || nSteps < 1) {
        throw new ConfigError({ fn, arg: 'nSteps', expected: 'a positive integer', got: nSteps });
      }
      let next: number;
      switch (resolved.kind) {
        case 'fixed':
          next = beta;
          break;
        case 'adaptive':
          next = adaptiveRule(beta, kl, resolved as { target: number; factor: number; band: number });
          break;
        case 'proportional': {
          const c = resolved as { target: number; horizon: number };
          if (PROPORTIONAL_KL_ERROR_CLIP * nSteps >= c.horizon) {
            throw new ConfigError({
              fn,
              arg: 'nSteps',
              expected: `< horizon/${PROPORTIONAL_KL_ERROR_CLIP} = ${c.horizon / PROPORTIONAL_KL_ERROR_CLIP} for the proportional rule (else β could reach 0 or below)`,
              got: nSteps,
            });
          }
          next = proportionalRule(beta, kl, nSteps, c);
          break;
        }
        case 'rllib':
          next = rllibRule(beta, kl, (resolved as { target: number }).target);
          break;
      }
      const beta1 = clamp(next);
      if (!Number.isFinite(beta1)) {
        // e.g. the adaptive rule doubling β past 1.8e308 under a target it never reaches, with no betaMax
        throw new NumericError({
          fn,
          arg: 'beta',
          expected: 'a finite β after the update (set betaMax to bound it)',
          got: beta1,
        });
      }
      return Object.freeze({ beta: beta1 });
    },
    coef(state: KlControllerState): number {
      return checkState('KlController.coef', state);
    },
  };
  return Object.freeze(controller);
}
