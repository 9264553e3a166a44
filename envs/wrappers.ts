/**
 * Wrappers (Gymnasium `gymnasium/wrappers/common.py`): {@link TimeLimit}, the only source of `truncated`, and
 * {@link EpisodeStats} (`RecordEpisodeStatistics`). Both forward the transition table of a tabular env, so planning
 * works on a wrapped env.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import { boolField, expectState, intField, numField } from './base.js';
import type { Space } from './spaces.js';
import type {
  Env,
  EnvSpec,
  EnvState,
  RenderFrame,
  ResetOptions,
  ResetResult,
  StepResult,
  TabularModel,
} from './types.js';

/** The observation type of an env type. */
export type ObsOf<E> = E extends {
  /** The env's reset, whose result carries the observation type. */
  reset(opts?: ResetOptions): ResetResult<infer O>;
}
  ? O
  : unknown;
/** The action type of an env type. */
export type ActOf<E> = E extends {
  /** The env's step, whose argument is the action type. */
  step(action: infer A): unknown;
}
  ? A
  : unknown;
/** The tabular model fields a wrapper forwards when it wraps a tabular env (nothing otherwise). */
export type TabularPart<E> = E extends TabularModel ? TabularModel : unknown;

/**
 * One getter per forwarded key, shared by every wrapper instance: V8 keeps wrappers built the same way on one hidden
 * class only when their accessor functions are identical (a fresh closure per instance gives each wrapper its own
 * hidden class, which makes the `step` call sites of a VectorEnv's copies megamorphic and ~2× slower). Each returns
 * the inner env's field as it is (planning reads `P` in its inner loops, so no further check here).
 */
const TABULAR_GETTERS = {
  nStates(this: { readonly env: Env }): unknown {
    const e = this.env;
    return 'nStates' in e ? e.nStates : undefined;
  },
  nActions(this: { readonly env: Env }): unknown {
    const e = this.env;
    return 'nActions' in e ? e.nActions : undefined;
  },
  P(this: { readonly env: Env }): unknown {
    const e = this.env;
    return 'P' in e ? e.P : undefined;
  },
  initialStateDistribution(this: { readonly env: Env }): unknown {
    const e = this.env;
    return 'initialStateDistribution' in e ? e.initialStateDistribution : undefined;
  },
} as const;

function forwardTabular(wrapper: { readonly env: Env }, env: Env): void {
  const inner = env as Partial<TabularModel>;
  if (inner.P === undefined || inner.nStates === undefined) return;
  for (const key of ['nStates', 'nActions', 'P', 'initialStateDistribution'] as const) {
    Object.defineProperty(wrapper, key, { get: TABULAR_GETTERS[key], enumerable: true, configurable: true });
  }
}

function checkInnerEnv(fn: string, env: unknown): asserts env is Env {
  const e = env as Partial<Env> | null;
  if (e === null || typeof e !== 'object' || typeof e.reset !== 'function' || typeof e.step !== 'function') {
    throw new EnvError({ fn, arg: 'env', expected: 'an env with reset() and step()', got: env });
  }
}

/**
 * Base of the wrappers (Gymnasium `gymnasium/core.py`, `Wrapper`): holds the inner env and forwards what a wrapper
 * does not change — spaces, `unwrapped`, `spec`, rendering, `close` and, for a tabular inner env, its transition
 * table (so planning works on a wrapped env). Subclasses implement `reset`, `step`, `getState` and `setState`.
 * @example
 * ```ts
 * class CountSteps<E extends Env> extends Wrapper<E> {
 *   steps = 0;
 *   reset(opts?: ResetOptions) { return this.env.reset(opts) as ResetResult<ObsOf<E>>; }
 *   step(a: ActOf<E>) { this.steps++; return this.env.step(a) as StepResult<ObsOf<E>>; }
 *   getState(): EnvState { return { kind: 'count-steps', steps: this.steps, inner: this.env.getState() }; }
 *   setState(s: EnvState) { this.env.setState(s.inner as EnvState); }
 * }
 * ```
 */
export abstract class Wrapper<E extends Env = Env> implements Env<ObsOf<E>, ActOf<E>> {
  /** The wrapped env. */
  readonly env: E;
  /** Registration data of the inner env (a wrapper may amend it). */
  spec?: EnvSpec;
  /** Forwarded from a tabular inner env. */
  declare readonly nStates?: TabularModel['nStates'];
  /** Forwarded from a tabular inner env. */
  declare readonly nActions?: TabularModel['nActions'];
  /** Forwarded from a tabular inner env. */
  declare readonly P?: TabularModel['P'];
  /** Forwarded from a tabular inner env. */
  declare readonly initialStateDistribution?: TabularModel['initialStateDistribution'];

  /**
   * @param env The env to wrap.
   * @param fn The wrapper's name, for the error message.
   * @throws EnvError when `env` has no `reset()` and `step()`.
   */
  protected constructor(env: E, fn: string) {
    checkInnerEnv(fn, env);
    this.env = env;
    if (env.spec) this.spec = { ...env.spec };
    forwardTabular(this, env);
  }

  /** The inner env's observation space. */
  get observationSpace(): Space {
    return this.env.observationSpace;
  }

  /** The inner env's action space. */
  get actionSpace(): Space {
    return this.env.actionSpace;
  }

  /** The innermost env. */
  get unwrapped(): Env {
    return this.env.unwrapped;
  }

  /** Reset the wrapper and the inner env. */
  abstract reset(opts?: ResetOptions): ResetResult<ObsOf<E>>;
  /** Step the inner env through the wrapper. */
  abstract step(action: ActOf<E>): StepResult<ObsOf<E>>;
  /** JSON snapshot of the wrapper with its inner env's state. */
  abstract getState(): EnvState;
  /** Restore a snapshot from `getState`. */
  abstract setState(state: EnvState): void;

  /** The inner env's text rendering. */
  render(): string {
    return this.env.render();
  }

  /** The inner env's frame. */
  renderFrame(): RenderFrame {
    return this.env.renderFrame();
  }

  /** Close the inner env. */
  close(): void {
    this.env.close();
  }
}

/**
 * Cut episodes after `maxEpisodeSteps` steps: truncated_t = [t ≥ maxEpisodeSteps] (t counts steps since reset).
 * As in Gymnasium, `truncated` is set on the limit step even when the episode also terminated there.
 *
 * Source: Gymnasium `gymnasium/wrappers/common.py:42-115` (`TimeLimit`).
 * @example
 * ```ts
 * const env = timeLimit(frozenLake4x4(), 100);
 * env.reset({ seed: 0 });
 * ```
 */
export class TimeLimit<E extends Env = Env> extends Wrapper<E> {
  /** The step limit. */
  readonly maxEpisodeSteps: number;
  #elapsed = 0;
  #started = false;
  #needsReset = true;

  /**
   * @param env The env to wrap.
   * @param maxEpisodeSteps A positive integer.
   * @throws EnvError when `maxEpisodeSteps` is not a positive integer.
   */
  constructor(env: E, maxEpisodeSteps: number) {
    super(env, 'TimeLimit');
    if (!Number.isSafeInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new EnvError({
        fn: 'TimeLimit',
        arg: 'maxEpisodeSteps',
        expected: 'a positive integer',
        got: maxEpisodeSteps,
      });
    }
    this.maxEpisodeSteps = maxEpisodeSteps;
    if (this.spec) this.spec = { ...this.spec, maxEpisodeSteps };
  }

  /** Steps taken since the last reset. */
  get elapsedSteps(): number {
    return this.#elapsed;
  }

  /**
   * Reset the inner env and the step counter.
   * @param opts `{ seed?, options? }`, passed through.
   * @returns The inner env's reset result.
   */
  reset(opts?: ResetOptions): ResetResult<ObsOf<E>> {
    const out = this.env.reset(opts) as ResetResult<ObsOf<E>>;
    this.#elapsed = 0;
    this.#started = true;
    this.#needsReset = false;
    return out;
  }

  /**
   * Step the inner env and set `truncated` when the limit is reached.
   * @param action Passed through.
   * @returns The inner step result with `truncated = inner.truncated ∨ elapsed ≥ maxEpisodeSteps`.
   * @throws EnvError before the first reset or after the episode ended (terminated or truncated).
   */
  step(action: ActOf<E>): StepResult<ObsOf<E>> {
    if (!this.#started)
      throw new EnvError({
        fn: 'TimeLimit.step',
        arg: 'env',
        expected: 'reset before the first step',
        got: 'step() before reset()',
      });
    if (this.#needsReset) {
      throw new EnvError({
        fn: 'TimeLimit.step',
        arg: 'env',
        expected: 'reset after an episode ends',
        got: 'step() after terminated or truncated',
        hint: 'Call reset() to start a new episode',
      });
    }
    const out = this.env.step(action) as StepResult<ObsOf<E>>;
    this.#elapsed++;
    if (this.#elapsed >= this.maxEpisodeSteps && !out.truncated) out.truncated = true;
    if (out.terminated || out.truncated) this.#needsReset = true;
    return out;
  }

  /**
   * JSON snapshot `{ kind: 'time-limit', elapsed, started, needsReset, inner }`.
   * @returns A new plain object.
   */
  getState(): EnvState {
    return {
      kind: 'time-limit',
      elapsed: this.#elapsed,
      started: this.#started,
      needsReset: this.#needsReset,
      inner: this.env.getState(),
    };
  }

  /**
   * Restore a snapshot from {@link TimeLimit.getState}.
   * @param state The snapshot.
   * @throws EnvError when it is not a time-limit state.
   */
  setState(state: EnvState): void {
    const fn = 'TimeLimit.setState';
    const s = expectState(fn, state, 'time-limit');
    const elapsed = intField(fn, s, 'elapsed', 0, Number.MAX_SAFE_INTEGER);
    const started = boolField(fn, s, 'started');
    const needsReset = boolField(fn, s, 'needsReset');
    this.env.setState(s.inner as EnvState);
    this.#elapsed = elapsed;
    this.#started = started;
    this.#needsReset = needsReset;
  }
}

/**
 * Wrap an env with a {@link TimeLimit}; a tabular env stays typed as tabular (its table is forwarded).
 *
 * truncated_t = [t ≥ maxEpisodeSteps]. Source: Gymnasium `gymnasium/wrappers/common.py` (`TimeLimit`).
 * @param env The env to wrap.
 * @param maxEpisodeSteps A positive integer.
 * @returns A new wrapper (the env is not copied).
 * @example
 * ```ts
 * const env = timeLimit(frozenLake4x4(), 100);
 * valueIteration(env, { gamma: 0.99 }); // the table is forwarded
 * ```
 */
export function timeLimit<E extends Env>(env: E, maxEpisodeSteps: number): TimeLimit<E> & TabularPart<E> {
  return new TimeLimit(env, maxEpisodeSteps) as TimeLimit<E> & TabularPart<E>;
}

/**
 * Record episode statistics: on the step that ends an episode, `info.episode = { return: Σ r_t, length: T, success }`
 * where `success` is the last step's `info.success === true`.
 *
 * Source: Gymnasium `gymnasium/wrappers/common.py` (`RecordEpisodeStatistics`).
 * @example
 * ```ts
 * const env = new EpisodeStats(timeLimit(frozenLake4x4(), 100));
 * env.reset({ seed: 0 });
 * const r = env.step(1); // r.info.episode is set when r.terminated || r.truncated
 * ```
 */
export class EpisodeStats<E extends Env = Env> extends Wrapper<E> {
  #return = 0;
  #length = 0;

  /** @param env The env to wrap. */
  constructor(env: E) {
    super(env, 'EpisodeStats');
  }

  /** The time limit of the inner env, if it has one. */
  get maxEpisodeSteps(): number | undefined {
    return (this.env as { maxEpisodeSteps?: number }).maxEpisodeSteps;
  }

  /**
   * Reset the inner env and the running statistics.
   * @param opts Passed through.
   * @returns The inner env's reset result.
   */
  reset(opts?: ResetOptions): ResetResult<ObsOf<E>> {
    const out = this.env.reset(opts) as ResetResult<ObsOf<E>>;
    this.#return = 0;
    this.#length = 0;
    return out;
  }

  /**
   * Step the inner env, accumulate the return and length, and report them when the episode ends.
   * @param action Passed through.
   * @returns The inner result; `info.episode` is added on the last step of an episode.
   */
  step(action: ActOf<E>): StepResult<ObsOf<E>> {
    const out = this.env.step(action) as StepResult<ObsOf<E>>;
    this.#return += out.reward;
    this.#length++;
    if (out.terminated || out.truncated) {
      out.info = {
        ...out.info,
        episode: { return: this.#return, length: this.#length, success: out.info.success === true },
      };
    }
    return out;
  }

  /**
   * JSON snapshot `{ kind: 'episode-stats', return, length, inner }`.
   * @returns A new plain object.
   */
  getState(): EnvState {
    return { kind: 'episode-stats', return: this.#return, length: this.#length, inner: this.env.getState() };
  }

  /**
   * Restore a snapshot from {@link EpisodeStats.getState}.
   * @param state The snapshot.
   * @throws EnvError when it is not an episode-stats state.
   */
  setState(state: EnvState): void {
    const fn = 'EpisodeStats.setState';
    const s = expectState(fn, state, 'episode-stats');
    const ret = numField(fn, s, 'return');
    const len = intField(fn, s, 'length', 0, Number.MAX_SAFE_INTEGER);
    this.env.setState(s.inner as EnvState);
    this.#return = ret;
    this.#length = len;
  }
}
