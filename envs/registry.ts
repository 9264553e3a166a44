/**
 * The env registry for the CLI and the trainer (Gymnasium `gymnasium/envs/registration.py`, `gym.make`): an id maps
 * to a factory and a default time limit; `makeEnv` builds the env and wraps it in {@link TimeLimit} like `gym.make`.
 * Adding a world is one entry in `REGISTRY`.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import { BernoulliBandit, ContextualBandit } from './bandits.js';
import type { GridworldOptions } from './gridworld.js';
import { cliffWalking, frozenLake4x4, frozenLake8x8, grid5x5 } from './maps.js';
import type { TabularEnv } from './types.js';
import { TimeLimit } from './wrappers.js';

/**
 * Options of {@link makeEnv}. Each id accepts only the keys that apply to it (others throw `EnvError`).
 *
 * Grid ids: `slippery`, `slipProbability`, `stepReward`, `goalReward`, `holeReward`, `cliffReward`, `maxEpisodeSteps`.
 * `bandit`: `probs`. `contextual-bandit`: `means`, `contextProbs`, `reward`, `std`.
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
  /** Reward noise for `contextual-bandit`. @defaultValue 'bernoulli' */
  reward?: 'bernoulli' | 'gaussian';
  /** Gaussian reward std for `contextual-bandit`. @defaultValue 1 */
  std?: number;
}

interface RegistryEntry {
  /** Default time limit (undefined: none). */
  maxEpisodeSteps: number | undefined;
  /** Option keys this id accepts (besides `maxEpisodeSteps`). */
  keys: readonly string[];
  make(options: MakeEnvOptions): TabularEnv;
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
export const ENV_IDS = Object.freeze(['frozenlake4x4', 'frozenlake8x8', 'cliffwalking', 'grid5x5', 'bandit', 'contextual-bandit'] as const);

/** One of {@link ENV_IDS}. */
export type EnvId = (typeof ENV_IDS)[number];

const REGISTRY: Record<EnvId, RegistryEntry> = {
  frozenlake4x4: { maxEpisodeSteps: 100, keys: GRID_KEYS, make: (o) => frozenLake4x4(gridOptions(o)) },
  frozenlake8x8: { maxEpisodeSteps: 200, keys: GRID_KEYS, make: (o) => frozenLake8x8(gridOptions(o)) },
  cliffwalking: { maxEpisodeSteps: undefined, keys: GRID_KEYS, make: (o) => cliffWalking(gridOptions(o)) },
  grid5x5: { maxEpisodeSteps: 50, keys: GRID_KEYS, make: (o) => grid5x5(gridOptions(o)) },
  bandit: { maxEpisodeSteps: undefined, keys: ['probs'], make: (o) => new BernoulliBandit({ probs: o.probs ?? [0.2, 0.5, 0.8] }) },
  'contextual-bandit': {
    maxEpisodeSteps: undefined,
    keys: ['means', 'contextProbs', 'reward', 'std'],
    make: (o) => new ContextualBandit({
      means: o.means ?? [[0.8, 0.2, 0.1], [0.1, 0.7, 0.3], [0.2, 0.3, 0.9]],
      ...(o.contextProbs !== undefined ? { contextProbs: o.contextProbs } : {}),
      ...(o.reward !== undefined ? { reward: o.reward } : {}),
      ...(o.std !== undefined ? { std: o.std } : {}),
    }),
  },
};

/**
 * Make a registered env, wrapped like Gymnasium's `gym.make`: the world, then `TimeLimit(maxEpisodeSteps)` when the
 * id has a limit (FrozenLake 4x4: 100, 8x8: 200, grid5x5: 50; CliffWalking and the bandits: none; bandit episodes are
 * one pull). Every registered env is tabular (the wrapper forwards the table), so planning works on the result.
 *
 * Source: Gymnasium `gymnasium/envs/registration.py` (`make`), `gymnasium/envs/__init__.py` (the limits).
 * @param id One of {@link ENV_IDS}.
 * @param options Per-id options (see {@link MakeEnvOptions}); `maxEpisodeSteps` overrides the limit, `null` removes it.
 * @returns A new env with `spec = { id, maxEpisodeSteps? }`.
 * @throws EnvError for an unknown id (listing the allowed ids) or an option the id does not take.
 * @example
 * ```ts
 * const env = makeEnv('frozenlake4x4', { slippery: false });
 * env.reset({ seed: 0 });
 * ```
 */
export function makeEnv(id: string, options: MakeEnvOptions | Record<string, unknown> = {}): TabularEnv {
  const fn = 'makeEnv';
  if (!(ENV_IDS as readonly string[]).includes(id)) {
    throw new EnvError({ fn, arg: 'id', expected: `one of ${ENV_IDS.join(', ')}`, got: id });
  }
  const entry = REGISTRY[id as EnvId];
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new EnvError({ fn, arg: 'options', expected: 'an object', got: options });
  const o = options as MakeEnvOptions;
  for (const k of Object.keys(o)) {
    if (k !== 'maxEpisodeSteps' && !entry.keys.includes(k)) {
      throw new EnvError({ fn, arg: `options.${k}`, expected: `an option of ${id}: one of ${['maxEpisodeSteps', ...entry.keys].join(', ')}`, got: k });
    }
  }
  const limit = o.maxEpisodeSteps === undefined ? entry.maxEpisodeSteps : o.maxEpisodeSteps;
  if (limit !== null && limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new EnvError({ fn, arg: 'options.maxEpisodeSteps', expected: 'a positive integer or null', got: limit });
  }
  const base = entry.make(o) as TabularEnv & { spec?: { id: string; maxEpisodeSteps?: number } };
  if (limit === null || limit === undefined) {
    Object.defineProperty(base, 'spec', { value: { id }, enumerable: true, configurable: true, writable: true });
    return base;
  }
  const wrapped = new TimeLimit(base, limit);
  wrapped.spec = { id, maxEpisodeSteps: limit };
  return wrapped as TimeLimit<TabularEnv> & TabularEnv;
}
