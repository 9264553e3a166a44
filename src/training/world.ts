/**
 * Where the trainer's envs come from: a registered id (`makeEnv`), a factory `() => Env`, or one `Env` object, as
 * SB3's `PPO(policy, env)` takes a Gymnasium id or an env and CleanRL's `make_env` a thunk. A world the user built
 * is checked by {@link checkEnv} before training, and is recorded in the config under a label
 * (`custom:<name>`), so a checkpoint says what it was trained on; restoring it needs the same world again.
 * @module
 */
import { ConfigError, KlipError } from '../core/errors.js';
import { checkEnv } from '../../envs/check_env.js';
import { ENV_IDS, makeEnv } from '../../envs/registry.js';
import type { Env } from '../../envs/types.js';

/** A function that makes a fresh env copy (CleanRL `make_env(...)` thunk; Gymnasium `gym.vector` env_fns). */
export type EnvFactory = () => Env;

/** What `Trainer.create({ env })` accepts: a registered id, a factory, or one env object. */
export type EnvSource = string | EnvFactory | Env;

/** A resolved world: the label recorded in the config and a maker of env copies. */
export interface WorldSource {
  /** The config's `env`: the registered id, or `custom:<name>` for a user's world. */
  label: string;
  /** True for a user's world (factory or object), which `Trainer.restore` needs again. */
  custom: boolean;
  /** How many copies the world can make: 1 for a single env object, unbounded for ids and factories. */
  maxCopies: number;
  /** Make copy i (i < maxCopies). */
  make(i: number): Env;
}

/** Prefix of the config label of a user's world. */
export const CUSTOM_ENV_PREFIX = 'custom:';

/** True when `x` looks like a klip `Env` (reset/step functions and both spaces). */
export function isEnvLike(x: unknown): x is Env {
  if (x === null || typeof x !== 'object') return false;
  const e = x as Partial<Record<keyof Env, unknown>>;
  return (
    typeof e.reset === 'function' &&
    typeof e.step === 'function' &&
    e.observationSpace !== null &&
    typeof e.observationSpace === 'object' &&
    e.actionSpace !== null &&
    typeof e.actionSpace === 'object'
  );
}

/** The name a user's world is recorded under: its registration id, else the class name of the innermost env, else `env`. */
function worldName(env: Env): string {
  const id = env.spec?.id;
  if (typeof id === 'string' && id.length > 0) return id;
  const inner: unknown = env.unwrapped ?? env;
  const ctor = (Object.getPrototypeOf(inner) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof ctor === 'string' && ctor.length > 0 && ctor !== 'Object' ? ctor : 'env';
}

/**
 * Resolve `env` into a label and a maker of copies, running {@link checkEnv} on a user's world first (on a copy
 * of its own from a factory; on the object itself, before its first reset, when given one env).
 * @param fn The calling function, for error messages.
 * @param env A registered id, `() => Env`, or an `Env`.
 * @param envOptions `makeEnv` options (registered ids only).
 * @throws ConfigError when `env` is none of these, when a factory throws or returns no env, or when `envOptions` is
 *   given with a user's world; EnvError (from `checkEnv`) naming every problem of a user's world.
 */
export function resolveWorld(fn: string, env: unknown, envOptions: Record<string, unknown>): WorldSource {
  if (typeof env === 'string') {
    return { label: env, custom: false, maxCopies: Infinity, make: () => makeEnv(env, envOptions) };
  }
  if (typeof env !== 'function' && !isEnvLike(env)) {
    throw new ConfigError({
      fn,
      arg: 'env',
      expected: `a registered id (${ENV_IDS.join(', ')}), a factory () => Env, or an Env object`,
      got: env,
    });
  }
  if (Object.keys(envOptions).length > 0) {
    throw new ConfigError({
      fn,
      arg: 'envOptions',
      expected: "empty with a user's world (build the env with its options in the factory)",
      got: envOptions,
    });
  }
  if (isEnvLike(env)) {
    checkEnv(env, { throwOnProblem: true });
    return { label: `${CUSTOM_ENV_PREFIX}${worldName(env)}`, custom: true, maxCopies: 1, make: () => env };
  }
  const factory = env as () => unknown;
  const makeChecked = (): Env => {
    let made: unknown;
    try {
      made = factory();
    } catch (e) {
      if (e instanceof KlipError) throw e;
      throw new ConfigError({
        fn,
        arg: 'env',
        expected: 'a factory that returns an Env',
        got: `a factory that threw: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
    if (!isEnvLike(made)) {
      throw new ConfigError({
        fn,
        arg: 'env',
        expected: 'a factory that returns an Env (reset, step, observationSpace, actionSpace)',
        got: made,
      });
    }
    return made;
  };
  const probe = makeChecked();
  checkEnv(probe, { throwOnProblem: true });
  probe.close?.();
  const label = `${CUSTOM_ENV_PREFIX}${worldName(probe)}`;
  return { label, custom: true, maxCopies: Infinity, make: makeChecked };
}
