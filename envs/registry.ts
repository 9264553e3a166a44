/**
 * The env registry for the CLI and the trainer (Gymnasium `gymnasium/envs/registration.py`, `gym.make`): an id maps
 * to a factory and a default time limit; `makeEnv` builds the env and wraps it in {@link TimeLimit} like `gym.make`.
 * Adding a world is one entry in `REGISTRY`. The grid and discrete-bandit ids are tabular MDPs ({@link isTabularEnv});
 * `token-bandit` (tokens), `continuous-bandit` and `lqr-pointmass` (Box actions) are not.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import { BernoulliBandit, ContextualBandit, GaussianBandit } from './bandits.js';
import { hasTabularModel } from './base.js';
import { Gridworld, type GridworldOptions } from './gridworld.js';
import { cliffWalking, FROZEN_LAKE_4X4, frozenLake4x4, frozenLake8x8, grid5x5 } from './maps.js';
import { TOKEN_REWARD_PRESETS, TokenBandit, type TokenRewardPreset } from './token_bandit.js';
import type { Env, TabularEnv } from './types.js';
import { TimeLimit } from './wrappers.js';
import { ContinuousBandit } from './continuous_bandit.js';
import { PointMassLqr } from './lqr.js';

/**
 * Options of {@link makeEnv}. Each id accepts only the keys that apply to it (others throw `EnvError`).
 *
 * Grid ids (`gridworld` also takes `map`, its ASCII map): `slippery`, `slipProbability`, `stepReward`, `goalReward`, `holeReward`, `cliffReward`, `maxEpisodeSteps`.
 * `bandit`: `probs`. `contextual-bandit`: `means`, `contextProbs`, `reward` ('bernoulli' | 'gaussian'), `std`.
 * `token-bandit`: `vocabSize`, `length`, `reward` (a preset name: 'count' | 'pattern' | 'length-penalized'; a custom
 * score function needs `new TokenBandit(…)`), `target`, `pattern`, `eos`, `lengthPenalty`, `reference`; it has no
 * time limit (an episode is one sequence of `length` tokens, shorter when `eos` ends it), so `maxEpisodeSteps` may
 * only be `null` there. Defaults of the token-bandit keys are those of {@link TokenBanditOptions}.
 * `gaussian-bandit`: `means` (one per arm), `stds`. `continuous-bandit`: `dim`, `optimum`, `std` (see
 * {@link ContinuousBanditOptions}). `lqr-pointmass`: `dim`, `dt`, `positionCost`, `velocityCost`, `actionCost`, `std`,
 * `startBound`, `maxEpisodeSteps` (see {@link PointMassLqrOptions}).
 */
export interface MakeEnvOptions extends GridworldOptions {
  /**
   * The ASCII map of `gridworld` (`Gridworld.fromMap`: rows of `S` start, `F`/`.` floor, `H` hole, `G` goal, `C` cliff,
   * `W` wall), as rows or one string with a row per line. Only `gridworld` takes it.
   * @defaultValue Gymnasium FrozenLake-v1's 4×4 map (its `desc` default), not slippery
   */
  map?: readonly string[] | string;
  /** Time limit; `null` removes it. @defaultValue 100 (4x4), 200 (8x8), none (cliffwalking), 50 (grid5x5) */
  maxEpisodeSteps?: number | null;
  /** Bernoulli arm probabilities for `bandit`. @defaultValue [0.2, 0.5, 0.8] */
  probs?: readonly number[];
  /**
   * Arm means: one row per context for `contextual-bandit`, one number per arm for `gaussian-bandit`.
   * @defaultValue [[0.8, 0.2, 0.1], [0.1, 0.7, 0.3], [0.2, 0.3, 0.9]] (contextual-bandit), [0.2, 0.5, 0.8] (gaussian-bandit)
   */
  means?: readonly number[] | readonly (readonly number[])[];
  /** Per-arm reward standard deviations of `gaussian-bandit` (a number broadcasts). @defaultValue 1 */
  stds?: number | readonly number[];
  /** Context probabilities for `contextual-bandit`. @defaultValue uniform */
  contextProbs?: readonly number[];
  /**
   * `contextual-bandit`: the reward noise, 'bernoulli' | 'gaussian'. `token-bandit`: the score preset,
   * 'count' | 'pattern' | 'length-penalized'. Each id accepts only its own values.
   * @defaultValue 'bernoulli' (contextual-bandit), 'count' (token-bandit)
   */
  reward?: 'bernoulli' | 'gaussian' | TokenRewardPreset;
  /**
   * A noise standard deviation: of Gaussian rewards for `contextual-bandit` (default 1), of the reward for
   * `continuous-bandit` (default 0.1), of the process noise for `lqr-pointmass` (default 0.01).
   */
  std?: number;
  /** Action dimension d of `continuous-bandit` (default 1) or number of axes d ∈ {1, 2} of `lqr-pointmass` (default 1). */
  dim?: number;
  /** The optimal action a* of `continuous-bandit` (a number broadcasts). @defaultValue 1 */
  optimum?: number | readonly number[];
  /** Time step Δt of `lqr-pointmass`. @defaultValue 0.1 */
  dt?: number;
  /** q_p of `lqr-pointmass`. @defaultValue 1 */
  positionCost?: number;
  /** q_v of `lqr-pointmass`. @defaultValue 0.1 */
  velocityCost?: number;
  /** r of `lqr-pointmass`. @defaultValue 0.1 */
  actionCost?: number;
  /** b of `lqr-pointmass`: start coordinates ~ U[−b, b]. @defaultValue 1 */
  startBound?: number;
  /** Vocabulary size V ≥ 2 of `token-bandit`. @defaultValue 8 */
  vocabSize?: number;
  /** Sequence length T ≥ 1 of `token-bandit` (the observation is the position t ∈ [0, T)). @defaultValue 6 */
  length?: number;
  /** Target token of the `count` and `length-penalized` presets of `token-bandit`. @defaultValue 0 */
  target?: number;
  /** Pattern (T tokens) of the `pattern` preset of `token-bandit`. @defaultValue [0, 1, 2, …] mod V */
  pattern?: readonly number[];
  /** End-of-sequence token of the `length-penalized` preset of `token-bandit`. @defaultValue V − 1 */
  eos?: number;
  /** λ, the cost per token of the `length-penalized` preset of `token-bandit`. @defaultValue 0.5 */
  lengthPenalty?: number;
  /** π_ref of `token-bandit`: 'uniform', one distribution over V, or a table [T][V]. @defaultValue 'uniform' */
  reference?: 'uniform' | readonly number[] | readonly (readonly number[])[];
}

interface RegistryEntry {
  /** Default time limit (undefined: none). */
  maxEpisodeSteps: number | undefined;
  /** False when the world fixes its own episode length (a numeric `maxEpisodeSteps` is then rejected). */
  limitable: boolean;
  /** Option keys this id accepts (besides `maxEpisodeSteps`). */
  keys: readonly string[];
  /** The allowed values of `options.reward`, when the id takes that key. */
  rewards?: readonly string[];
  make(options: MakeEnvOptions): Env;
}

const GRID_KEYS = ['slippery', 'slipProbability', 'stepReward', 'goalReward', 'holeReward', 'cliffReward'] as const;

function gridOptions(o: MakeEnvOptions): GridworldOptions {
  const out: Record<string, unknown> = {};
  for (const k of GRID_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out as GridworldOptions;
}

/**
 * The registered env ids (Gymnasium ids in lower case: FrozenLake-v1 4x4 / 8x8, CliffWalking-v1).
 * @example
 * ```ts
 * for (const id of ENV_IDS) makeEnv(id).reset({ seed: 0 });
 * ```
 */
export const ENV_IDS = Object.freeze([
  'frozenlake4x4',
  'frozenlake8x8',
  'cliffwalking',
  'grid5x5',
  'bandit',
  'contextual-bandit',
  'gaussian-bandit',
  'token-bandit',
  'gridworld',
  'continuous-bandit',
  'lqr-pointmass',
] as const);

/** One of {@link ENV_IDS}. */
export type EnvId = (typeof ENV_IDS)[number];

/** The ids of {@link ENV_IDS} whose worlds are tabular MDPs (`makeEnv` returns a {@link TabularEnv} for them). */
export type TabularEnvId = Exclude<EnvId, 'token-bandit' | ContinuousEnvId>;

/** The ids of {@link ENV_IDS} whose actions are real vectors (a `Box` action space). */
export type ContinuousEnvId = 'continuous-bandit' | 'lqr-pointmass';

/** Whether `x` is an array of numbers (values are checked by the world's constructor). */
function isNumbers(x: unknown): x is readonly number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number');
}

/** Whether `x` is an array of arrays of numbers. */
function isNumberRows(x: unknown): x is readonly (readonly number[])[] {
  return Array.isArray(x) && x.every(isNumbers);
}

/** Whether `x` is a number or an array of numbers. */
function isNumberOrNumbers(x: unknown): x is number | readonly number[] {
  return typeof x === 'number' || isNumbers(x);
}

function badOption(key: string, expected: string, got: unknown): EnvError {
  return new EnvError({ fn: 'makeEnv', arg: `options.${key}`, expected, got });
}

/** Copy the keys of `o` a world takes, leaving out undefined ones (exactOptionalPropertyTypes). */
function pick(o: MakeEnvOptions, keys: readonly (keyof MakeEnvOptions)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Build a world, reporting a bad option as `makeEnv: options.<key> …` (the key the caller wrote). */
function reportAsOption<T>(worldFn: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof EnvError && e.fn === worldFn) {
      throw new EnvError({
        fn: 'makeEnv',
        arg: `options.${e.arg}`,
        expected: e.expected,
        got: e.got,
        ...(e.hint ? { hint: e.hint } : {}),
      });
    }
    throw e;
  }
}

const CONTINUOUS_BANDIT_KEYS = ['dim', 'optimum', 'std'] as const;
const LQR_KEYS = ['dim', 'dt', 'positionCost', 'velocityCost', 'actionCost', 'std', 'startBound'] as const;

const TOKEN_KEYS = ['vocabSize', 'length', 'reward', 'target', 'pattern', 'eos', 'lengthPenalty', 'reference'] as const;

function tokenBanditOptions(o: MakeEnvOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of TOKEN_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Build a TokenBandit, reporting a bad option as `makeEnv: options.<key> …` (the key the caller wrote). */
function makeTokenBandit(o: MakeEnvOptions): TokenBandit {
  return reportAsOption('TokenBandit', () => new TokenBandit(tokenBanditOptions(o)));
}

const REGISTRY: Record<EnvId, RegistryEntry> = {
  frozenlake4x4: { maxEpisodeSteps: 100, limitable: true, keys: GRID_KEYS, make: (o) => frozenLake4x4(gridOptions(o)) },
  frozenlake8x8: { maxEpisodeSteps: 200, limitable: true, keys: GRID_KEYS, make: (o) => frozenLake8x8(gridOptions(o)) },
  cliffwalking: {
    maxEpisodeSteps: undefined,
    limitable: true,
    keys: GRID_KEYS,
    make: (o) => cliffWalking(gridOptions(o)),
  },
  grid5x5: { maxEpisodeSteps: 50, limitable: true, keys: GRID_KEYS, make: (o) => grid5x5(gridOptions(o)) },
  // A map of the user's, limited to 100 steps like Gymnasium's FrozenLake-v1 with a custom `desc`.
  gridworld: {
    maxEpisodeSteps: 100,
    limitable: true,
    keys: [...GRID_KEYS, 'map'],
    make: (o) => Gridworld.fromMap(o.map ?? FROZEN_LAKE_4X4, gridOptions(o)),
  },
  bandit: {
    maxEpisodeSteps: undefined,
    limitable: true,
    keys: ['probs'],
    make: (o) => new BernoulliBandit({ probs: o.probs ?? [0.2, 0.5, 0.8] }),
  },
  'contextual-bandit': {
    maxEpisodeSteps: undefined,
    limitable: true,
    keys: ['means', 'contextProbs', 'reward', 'std'],
    rewards: ['bernoulli', 'gaussian'],
    make: (o) => {
      if (o.means !== undefined && !isNumberRows(o.means))
        throw badOption('means', 'an array of rows of numbers (one row of arm means per context)', o.means);
      return new ContextualBandit({
        means: o.means ?? [
          [0.8, 0.2, 0.1],
          [0.1, 0.7, 0.3],
          [0.2, 0.3, 0.9],
        ],
        ...(o.contextProbs !== undefined ? { contextProbs: o.contextProbs } : {}),
        ...(o.reward !== undefined ? { reward: o.reward as 'bernoulli' | 'gaussian' } : {}),
        ...(o.std !== undefined ? { std: o.std } : {}),
      });
    },
  },
  'gaussian-bandit': {
    maxEpisodeSteps: undefined,
    limitable: true,
    keys: ['means', 'stds'],
    make: (o) => {
      if (o.means !== undefined && !isNumbers(o.means))
        throw badOption('means', 'an array of numbers (one mean per arm)', o.means);
      if (o.stds !== undefined && !isNumberOrNumbers(o.stds))
        throw badOption('stds', 'a number or an array of numbers (one per arm)', o.stds);
      return new GaussianBandit({
        means: o.means ?? [0.2, 0.5, 0.8],
        ...(o.stds !== undefined ? { stds: o.stds } : {}),
      });
    },
  },
  'token-bandit': {
    maxEpisodeSteps: undefined,
    limitable: false,
    keys: TOKEN_KEYS,
    rewards: TOKEN_REWARD_PRESETS,
    make: makeTokenBandit,
  },
  'continuous-bandit': {
    maxEpisodeSteps: undefined,
    limitable: true,
    keys: CONTINUOUS_BANDIT_KEYS,
    make: (o) => reportAsOption('ContinuousBandit', () => new ContinuousBandit(pick(o, CONTINUOUS_BANDIT_KEYS))),
  },
  'lqr-pointmass': {
    maxEpisodeSteps: 100,
    limitable: true,
    keys: LQR_KEYS,
    make: (o) => reportAsOption('PointMassLqr', () => new PointMassLqr(pick(o, LQR_KEYS))),
  },
};

/**
 * Whether an env carries the explicit MDP model of a {@link TabularEnv} (`nStates`, `nActions`, the table `P`,
 * `initialStateDistribution`), directly or forwarded by a wrapper: a structural check, so planning
 * (`valueIteration`, `finiteHorizonValue`) can be called on the narrowed env.
 * @param env Any env (e.g. the result of {@link makeEnv} with an id only known at run time).
 * @returns True for the tabular worlds (grids, bandits) and wrappers around them; false for `token-bandit`.
 * @example
 * ```ts
 * const env = makeEnv(id);
 * if (isTabularEnv(env)) finiteHorizonValue(env, { horizon: 100 });
 * ```
 */
export function isTabularEnv(env: Env<number, number>): env is TabularEnv {
  return env !== null && typeof env === 'object' && hasTabularModel(env);
}

/**
 * Make a registered env, wrapped like Gymnasium's `gym.make`: the world, then `TimeLimit(maxEpisodeSteps)` when the
 * id has a limit (FrozenLake 4x4: 100, 8x8: 200, grid5x5: 50, lqr-pointmass: 100; CliffWalking and the bandits: none;
 * bandit episodes, the continuous bandit's included, are one pull; a `token-bandit` episode is one sequence and never
 * takes a limit). The grid and discrete-bandit ids are tabular (the wrapper forwards the table), so planning works on
 * the result; with a literal id the overloads give the type (`TabularEnv`, `TokenBandit`, `ContinuousBandit` or the
 * point mass's `Env<Float64Array, ArrayLike<number>>`), otherwise narrow with {@link isTabularEnv}.
 *
 * Source: Gymnasium `gymnasium/envs/registration.py` (`make`), `gymnasium/envs/__init__.py` (the limits).
 * @param id One of {@link ENV_IDS}.
 * @param options Per-id options (see {@link MakeEnvOptions}); `maxEpisodeSteps` overrides the limit, `null` removes it.
 * @returns A new env with `spec = { id, maxEpisodeSteps? }`.
 * @throws EnvError for an unknown id (listing the allowed ids), an option the id does not take, a `reward` value
 *   of another id, a time limit on `token-bandit`, or an invalid option value (`options.<key>` in the message).
 * @example
 * ```ts
 * const env = makeEnv('frozenlake4x4', { slippery: false });
 * env.reset({ seed: 0 });
 * ```
 */
export function makeEnv(id: TabularEnvId, options?: MakeEnvOptions | Record<string, unknown>): TabularEnv;
/**
 * Make the token bandit (see {@link TokenBandit}): observations are positions, actions tokens, no time limit.
 * @param id `'token-bandit'`.
 * @param options `vocabSize`, `length`, `reward` (a preset name), `target`, `pattern`, `eos`, `lengthPenalty`, `reference`.
 * @returns A new {@link TokenBandit} with `spec = { id: 'token-bandit' }`.
 * @throws EnvError for an option it does not take or an invalid value (`options.<key>` in the message).
 * @example
 * ```ts
 * const env = makeEnv('token-bandit', { vocabSize: 4, length: 3, reward: 'count', target: 2 });
 * ```
 */
export function makeEnv(id: 'token-bandit', options?: MakeEnvOptions | Record<string, unknown>): TokenBandit;
/**
 * Make the continuous-action bandit (see {@link ContinuousBandit}): one pull of a ∈ ℝ^d per episode, no time limit.
 * @param id `'continuous-bandit'`.
 * @param options `dim`, `optimum`, `std`.
 * @returns A new {@link ContinuousBandit} with `spec = { id: 'continuous-bandit' }`.
 * @throws EnvError for an option it does not take or an invalid value (`options.<key>` in the message).
 * @example
 * ```ts
 * const env = makeEnv('continuous-bandit', { dim: 2, optimum: [1, -1] });
 * ```
 */
export function makeEnv(id: 'continuous-bandit', options?: MakeEnvOptions | Record<string, unknown>): ContinuousBandit;
/**
 * Make the point-mass LQR world (see {@link PointMassLqr}) with its time limit (100 steps unless
 * `maxEpisodeSteps` says otherwise; `null` returns the bare {@link PointMassLqr}).
 * @param id `'lqr-pointmass'`.
 * @param options `dim`, `dt`, `positionCost`, `velocityCost`, `actionCost`, `std`, `startBound`, `maxEpisodeSteps`.
 * @returns A new env with `spec = { id: 'lqr-pointmass', maxEpisodeSteps }`; `env.unwrapped` is the
 *   {@link PointMassLqr} (its `optimum()` and `finiteHorizonOptimum()` give the exact answers).
 * @throws EnvError for an option it does not take or an invalid value (`options.<key>` in the message).
 * @example
 * ```ts
 * const env = makeEnv('lqr-pointmass', { dim: 2 });
 * ```
 */
export function makeEnv(
  id: 'lqr-pointmass',
  options?: MakeEnvOptions | Record<string, unknown>,
): Env<Float64Array, ArrayLike<number>>;
/**
 * Make an env from an id known only at run time (a CLI flag, a config file).
 * @param id One of {@link ENV_IDS}.
 * @param options Per-id options (see {@link MakeEnvOptions}).
 * @returns A new env; narrow it with {@link isTabularEnv} to plan on it. Its type says number observations and
 *   actions, which holds for every id but the {@link ContinuousEnvId}s (Box spaces: check `actionSpace.kind`).
 * @throws EnvError for an unknown id or a bad option.
 * @example
 * ```ts
 * const env = makeEnv(config.env, config.envOptions);
 * ```
 */
export function makeEnv(id: string, options?: MakeEnvOptions | Record<string, unknown>): Env<number, number>;
export function makeEnv(id: string, options: MakeEnvOptions | Record<string, unknown> = {}): Env {
  const fn = 'makeEnv';
  if (!(ENV_IDS as readonly string[]).includes(id)) {
    throw new EnvError({ fn, arg: 'id', expected: `one of ${ENV_IDS.join(', ')}`, got: id });
  }
  const entry = REGISTRY[id as EnvId];
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new EnvError({ fn, arg: 'options', expected: 'an object', got: options });
  const o = options as MakeEnvOptions;
  for (const k of Object.keys(o)) {
    if (k !== 'maxEpisodeSteps' && !entry.keys.includes(k)) {
      throw new EnvError({
        fn,
        arg: `options.${k}`,
        expected: `an option of ${id}: one of ${['maxEpisodeSteps', ...entry.keys].join(', ')}`,
        got: k,
      });
    }
  }
  if (entry.rewards && o.reward !== undefined && !entry.rewards.includes(o.reward as string)) {
    throw new EnvError({
      fn,
      arg: 'options.reward',
      expected: `one of ${entry.rewards.map((r) => `'${r}'`).join(', ')} for ${id}`,
      got: o.reward,
    });
  }
  if (!entry.limitable && o.maxEpisodeSteps !== undefined && o.maxEpisodeSteps !== null) {
    throw new EnvError({
      fn,
      arg: 'options.maxEpisodeSteps',
      expected: `null or left out for ${id} (its episodes end by themselves)`,
      got: o.maxEpisodeSteps,
    });
  }
  const limit = o.maxEpisodeSteps === undefined ? entry.maxEpisodeSteps : o.maxEpisodeSteps;
  if (limit !== null && limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new EnvError({ fn, arg: 'options.maxEpisodeSteps', expected: 'a positive integer or null', got: limit });
  }
  const base = entry.make(o);
  if (limit === null || limit === undefined) {
    Object.defineProperty(base, 'spec', { value: { id }, enumerable: true, configurable: true, writable: true });
    return base;
  }
  const wrapped = new TimeLimit(base, limit);
  wrapped.spec = { id, maxEpisodeSteps: limit };
  return wrapped;
}
