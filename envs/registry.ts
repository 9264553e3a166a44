/**
 * The env registry for the CLI and the trainer (Gymnasium `gymnasium/envs/registration.py`, `gym.make`): an id maps
 * to a factory and a default time limit; `makeEnv` builds the env and wraps it in {@link TimeLimit} like `gym.make`.
 * Adding a world is one entry in `REGISTRY`. Every id but `token-bandit` is a tabular MDP ({@link isTabularEnv}).
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import { BernoulliBandit, ContextualBandit } from './bandits.js';
import { hasTabularModel } from './base.js';
import type { GridworldOptions } from './gridworld.js';
import { cliffWalking, frozenLake4x4, frozenLake8x8, grid5x5 } from './maps.js';
import { TOKEN_REWARD_PRESETS, TokenBandit, type TokenRewardPreset } from './token_bandit.js';
import type { Env, TabularEnv } from './types.js';
import { TimeLimit } from './wrappers.js';

/**
 * Options of {@link makeEnv}. Each id accepts only the keys that apply to it (others throw `EnvError`).
 *
 * Grid ids: `slippery`, `slipProbability`, `stepReward`, `goalReward`, `holeReward`, `cliffReward`, `maxEpisodeSteps`.
 * `bandit`: `probs`. `contextual-bandit`: `means`, `contextProbs`, `reward` ('bernoulli' | 'gaussian'), `std`.
 * `token-bandit`: `vocabSize`, `length`, `reward` (a preset name: 'count' | 'pattern' | 'length-penalized'; a custom
 * score function needs `new TokenBandit(…)`), `target`, `pattern`, `eos`, `lengthPenalty`, `reference`; it has no
 * time limit (an episode is one sequence of `length` tokens, shorter when `eos` ends it), so `maxEpisodeSteps` may
 * only be `null` there. Defaults of the token-bandit keys are those of {@link TokenBanditOptions}.
 */
export interface MakeEnvOptions extends GridworldOptions {
  /** Time limit; `null` removes it. @defaultValue 100 (4x4), 200 (8x8), none (cliffwalking), 50 (grid5x5) */
  maxEpisodeSteps?: number | null;
  /** Bernoulli arm probabilities for `bandit`. @defaultValue [0.2, 0.5, 0.8] */
  probs?: readonly number[];
  /** Per-context arm means for `contextual-bandit`. @defaultValue [[0.8, 0.2, 0.1], [0.1, 0.7, 0.3], [0.2, 0.3, 0.9]] */
  means?: readonly (readonly number[])[];
  /** Context probabilities for `contextual-bandit`. @defaultValue uniform */
  contextProbs?: readonly number[];
  /**
   * `contextual-bandit`: the reward noise, 'bernoulli' | 'gaussian'. `token-bandit`: the score preset,
   * 'count' | 'pattern' | 'length-penalized'. Each id accepts only its own values.
   * @defaultValue 'bernoulli' (contextual-bandit), 'count' (token-bandit)
   */
  reward?: 'bernoulli' | 'gaussian' | TokenRewardPreset;
  /** Gaussian reward std for `contextual-bandit`. @defaultValue 1 */
  std?: number;
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
  make(options: MakeEnvOptions): Env<number, number>;
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
  'token-bandit',
] as const);

/** One of {@link ENV_IDS}. */
export type EnvId = (typeof ENV_IDS)[number];

/** The ids of {@link ENV_IDS} whose worlds are tabular MDPs (`makeEnv` returns a {@link TabularEnv} for them). */
export type TabularEnvId = Exclude<EnvId, 'token-bandit'>;

const TOKEN_KEYS = ['vocabSize', 'length', 'reward', 'target', 'pattern', 'eos', 'lengthPenalty', 'reference'] as const;

function tokenBanditOptions(o: MakeEnvOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of TOKEN_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Build a TokenBandit, reporting a bad option as `makeEnv: options.<key> …` (the key the caller wrote). */
function makeTokenBandit(o: MakeEnvOptions): TokenBandit {
  try {
    return new TokenBandit(tokenBanditOptions(o));
  } catch (e) {
    if (e instanceof EnvError && e.fn === 'TokenBandit') {
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
    make: (o) =>
      new ContextualBandit({
        means: o.means ?? [
          [0.8, 0.2, 0.1],
          [0.1, 0.7, 0.3],
          [0.2, 0.3, 0.9],
        ],
        ...(o.contextProbs !== undefined ? { contextProbs: o.contextProbs } : {}),
        ...(o.reward !== undefined ? { reward: o.reward as 'bernoulli' | 'gaussian' } : {}),
        ...(o.std !== undefined ? { std: o.std } : {}),
      }),
  },
  'token-bandit': {
    maxEpisodeSteps: undefined,
    limitable: false,
    keys: TOKEN_KEYS,
    rewards: TOKEN_REWARD_PRESETS,
    make: makeTokenBandit,
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
 * id has a limit (FrozenLake 4x4: 100, 8x8: 200, grid5x5: 50; CliffWalking and the bandits: none; bandit episodes are
 * one pull; a `token-bandit` episode is one sequence and never takes a limit). Every id but `token-bandit` is tabular
 * (the wrapper forwards the table), so planning works on the result; with a literal id the overloads give the type
 * (`TabularEnv` or `TokenBandit`), otherwise narrow with {@link isTabularEnv}.
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
 * Make an env from an id known only at run time (a CLI flag, a config file).
 * @param id One of {@link ENV_IDS}.
 * @param options Per-id options (see {@link MakeEnvOptions}).
 * @returns A new env; narrow it with {@link isTabularEnv} to plan on it.
 * @throws EnvError for an unknown id or a bad option.
 * @example
 * ```ts
 * const env = makeEnv(config.env, config.envOptions);
 * ```
 */
export function makeEnv(id: string, options?: MakeEnvOptions | Record<string, unknown>): Env<number, number>;
export function makeEnv(id: string, options: MakeEnvOptions | Record<string, unknown> = {}): Env<number, number> {
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
  const base = entry.make(o) as Env<number, number> & { spec?: { id: string; maxEpisodeSteps?: number } };
  if (limit === null || limit === undefined) {
    Object.defineProperty(base, 'spec', { value: { id }, enumerable: true, configurable: true, writable: true });
    return base;
  }
  const wrapped = new TimeLimit(base, limit);
  wrapped.spec = { id, maxEpisodeSteps: limit };
  return wrapped;
}
