/**
 * Synchronous vector env (Gymnasium `gymnasium/vector/sync_vector_env.py`): N copies stepped in turn, typed-array
 * results, autoreset in Gymnasium 1.x's `NEXT_STEP` mode or the `SAME_STEP` mode of SB3's VecEnv.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import { expectState } from './base.js';
import type { Space } from './spaces.js';
import type { Env, EnvState, ResetOptions, StepInfo } from './types.js';

/** Autoreset mode (Gymnasium `AutoresetMode`). */
export type AutoresetMode = 'next-step' | 'same-step';

/** Options of {@link VectorEnv}. */
export interface VectorEnvOptions {
  /**
   * `'next-step'`: the step after an episode ended resets that copy (its action is ignored, reward 0, flags false).
   * `'same-step'`: the copy is reset on the step its episode ends; the last observation goes to `finalObs`.
   * @defaultValue 'next-step' (Gymnasium 1.x `AutoresetMode.NEXT_STEP`)
   */
  autoreset?: AutoresetMode;
}

/** A finished episode reported by {@link VectorEnv.step}. */
export interface VectorEpisode {
  /** Which copy. */
  index: number;
  /** Undiscounted return. */
  return: number;
  /** Number of steps. */
  length: number;
  /** The last step's `info.success === true`. */
  success: boolean;
}

/** Observations of all copies: state indices for Discrete spaces, N × ∏shape floats (row-major) for Box spaces. */
export type VectorObs = Int32Array | Float64Array;

/** What {@link VectorEnv.reset} returns. */
export interface VectorResetResult {
  /** Observation of each copy. */
  obs: VectorObs;
  /** `info` of each copy. */
  infos: StepInfo[];
}

/**
 * What {@link VectorEnv.step} returns. The object, its typed arrays, its lists and its episode records belong to the
 * vector env and are **overwritten by the next `step`** (no allocation per step): copy what you keep
 * (`r.obs.slice()`, `[...r.episodes].map((e) => ({ ...e }))`). The observations and infos of the copies inside
 * `finalObs`, `finalInfo` and `infos` are the envs' own objects and are not reused.
 */
export interface VectorStepResult<Obs = unknown> {
  /** Observation of each copy (after autoreset in `'same-step'` mode). */
  obs: VectorObs;
  /** Reward of each copy. */
  rewards: Float64Array;
  /** 1 where the copy's episode terminated on this step. */
  terminated: Uint8Array;
  /** 1 where the copy's episode was truncated on this step. */
  truncated: Uint8Array;
  /** The last observation of an episode that ended on this step (null elsewhere). Bootstrap truncated episodes from it. */
  finalObs: (Obs | null)[];
  /** The last `info` of an episode that ended on this step (null elsewhere). */
  finalInfo: (StepInfo | null)[];
  /** `info` of each copy (the reset info after an autoreset). */
  infos: StepInfo[];
  /** Episodes that ended on this step. */
  episodes: VectorEpisode[];
}

function spaceKey(s: Space): string {
  return s.kind === 'discrete'
    ? `discrete:${s.n}`
    : `box:${s.shape.join('x')}:${Array.from(s.low).join(',')}:${Array.from(s.high).join(',')}`;
}

/**
 * Run N copies of an env in lock step with autoreset.
 *
 * Copy i is seeded with seed + i on `reset({ seed })` (Gymnasium `sync_vector_env.py`). Episode statistics are
 * tracked per copy: return G = Σ_t r_t and length T, reported in `episodes` when an episode ends.
 *
 * Source: Gymnasium `gymnasium/vector/sync_vector_env.py`, `gymnasium/vector/vector_env.py` (`AutoresetMode`);
 * SB3 `stable_baselines3/common/vec_env/dummy_vec_env.py` (same-step reset, `terminal_observation`).
 * @example
 * ```ts
 * const venv = makeVectorEnv(() => makeEnv('frozenlake4x4'), 8, { autoreset: 'same-step' });
 * let { obs } = venv.reset({ seed: 1 });
 * const r = venv.step(new Int32Array(8).fill(2)); // r.obs: Int32Array(8), r.rewards: Float64Array(8)
 * ```
 */
export class VectorEnv<Obs = unknown, Act = unknown> {
  /** The copies. */
  readonly envs: Env<Obs, Act>[];
  /** Number of copies N. */
  readonly numEnvs: number;
  /** The observation space of one copy. */
  readonly singleObservationSpace: Space;
  /** The action space of one copy. */
  readonly singleActionSpace: Space;
  /** The autoreset mode. */
  readonly autoreset: AutoresetMode;
  #obsSize: number;
  #actSize: number;
  #boxAct: boolean;
  #started = false;
  #pending: Uint8Array;
  #returns: Float64Array;
  #lengths: Int32Array;
  #lastObs: VectorObs;
  /** The step result, reused by every `step` (see {@link VectorStepResult}). */
  #out: VectorStepResult<Obs>;
  /** One episode record per copy, reused: a copy ends at most one episode per step. */
  #episodePool: VectorEpisode[];

  /**
   * @param factories One function per copy, each returning a new env with the same spaces.
   * @param options `{ autoreset? }`.
   * @throws EnvError for an empty list, a non-function, copies with different spaces, or an unknown mode.
   */
  constructor(factories: readonly (() => Env<Obs, Act>)[], options: VectorEnvOptions = {}) {
    const fn = 'VectorEnv';
    if (!Array.isArray(factories) || factories.length === 0) {
      throw new EnvError({
        fn,
        arg: 'factories',
        expected: 'a non-empty array of functions returning envs',
        got: factories,
      });
    }
    const mode = options.autoreset ?? 'next-step';
    if (mode !== 'next-step' && mode !== 'same-step') {
      throw new EnvError({ fn, arg: 'options.autoreset', expected: "'next-step' or 'same-step'", got: mode });
    }
    this.autoreset = mode;
    this.envs = factories.map((f, i) => {
      if (typeof f !== 'function')
        throw new EnvError({ fn, arg: `factories[${i}]`, expected: 'a function returning an env', got: f });
      return f();
    });
    this.numEnvs = this.envs.length;
    this.singleObservationSpace = this.envs[0]!.observationSpace;
    this.singleActionSpace = this.envs[0]!.actionSpace;
    const ko = spaceKey(this.singleObservationSpace);
    const ka = spaceKey(this.singleActionSpace);
    this.envs.forEach((e, i) => {
      if (spaceKey(e.observationSpace) !== ko || spaceKey(e.actionSpace) !== ka) {
        throw new EnvError({
          fn,
          arg: `factories[${i}]`,
          expected: 'an env with the same spaces as copy 0',
          got: `observation ${spaceKey(e.observationSpace)}, action ${spaceKey(e.actionSpace)}`,
        });
      }
    });
    this.#obsSize = this.singleObservationSpace.kind === 'discrete' ? 1 : this.singleObservationSpace.size;
    this.#actSize = this.singleActionSpace.kind === 'discrete' ? 1 : this.singleActionSpace.size;
    this.#boxAct = this.#actSize !== 1 || this.singleActionSpace.kind === 'box';
    const N = this.numEnvs;
    this.#pending = new Uint8Array(N);
    this.#returns = new Float64Array(N);
    this.#lengths = new Int32Array(N);
    this.#lastObs = this.#newObs();
    this.#out = {
      obs: this.#newObs(),
      rewards: new Float64Array(N),
      terminated: new Uint8Array(N),
      truncated: new Uint8Array(N),
      finalObs: new Array<Obs | null>(N).fill(null),
      finalInfo: new Array<StepInfo | null>(N).fill(null),
      infos: new Array<StepInfo>(N).fill({}),
      episodes: [],
    };
    this.#episodePool = Array.from({ length: N }, (_, index) => ({ index, return: 0, length: 0, success: false }));
  }

  #newObs(): VectorObs {
    return this.singleObservationSpace.kind === 'discrete'
      ? new Int32Array(this.numEnvs)
      : new Float64Array(this.numEnvs * this.#obsSize);
  }

  #write(buf: VectorObs, i: number, o: unknown): void {
    if (this.#obsSize === 1 && buf instanceof Int32Array) buf[i] = o as number;
    else (buf as Float64Array).set(o as ArrayLike<number>, i * this.#obsSize);
  }

  #resetOne(i: number, opts?: ResetOptions): { obs: Obs; info: StepInfo } {
    const r = this.envs[i]!.reset(opts);
    this.#returns[i] = 0;
    this.#lengths[i] = 0;
    this.#pending[i] = 0;
    return r;
  }

  /**
   * Reset every copy; with `seed`, copy i gets seed + i (a string seed s gives `${s}/${i}`).
   * @param opts `{ seed?, options? }`.
   * @returns New arrays: `obs` (N observations) and `infos`.
   */
  reset(opts: ResetOptions = {}): VectorResetResult {
    const seed = opts.seed;
    if (
      seed !== undefined &&
      !(
        (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0) ||
        (typeof seed === 'string' && seed.length > 0)
      )
    ) {
      throw new EnvError({
        fn: 'VectorEnv.reset',
        arg: 'seed',
        expected: 'a non-negative safe integer or a non-empty string',
        got: seed,
      });
    }
    const obs = this.#newObs();
    const infos: StepInfo[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const o: ResetOptions = {};
      if (seed !== undefined) o.seed = typeof seed === 'number' ? seed + i : `${seed}/${i}`;
      if (opts.options !== undefined) o.options = opts.options;
      const r = this.#resetOne(i, o);
      this.#write(obs, i, r.obs);
      infos.push(r.info);
    }
    this.#started = true;
    this.#lastObs = obs.slice();
    return { obs, infos };
  }

  /**
   * Step every copy with its action, autoresetting copies whose episode ended (see {@link VectorEnvOptions.autoreset}).
   *
   * No allocation per step: the returned object and everything in it (`obs`, `rewards`, `terminated`, `truncated`,
   * the `finalObs` / `finalInfo` / `infos` lists, the `episodes` list and its records) are owned by the vector env and
   * **overwritten by the next `step`**. Copy what you keep across steps.
   * @param actions N integers for a Discrete action space, or N × ∏shape numbers (row-major) for a Box one.
   * @returns The vector env's reused result (see {@link VectorStepResult}); read or copy it before the next `step`.
   * @throws EnvError before `reset()`, for the wrong number of actions, or when a copy rejects its action.
   * @example
   * ```ts
   * const r = venv.step(actions);
   * const kept = r.obs.slice(); // r.obs is overwritten by the next step
   * ```
   */
  step(actions: ArrayLike<number>): VectorStepResult<Obs> {
    const fn = 'VectorEnv.step';
    if (!this.#started)
      throw new EnvError({ fn, arg: 'env', expected: 'reset before the first step', got: 'step() before reset()' });
    const N = this.numEnvs;
    const actSize = this.#actSize;
    if (actions === null || typeof actions !== 'object' || actions.length !== N * actSize) {
      throw new EnvError({
        fn,
        arg: 'actions',
        expected: `an array of ${N * actSize} numbers (${N} envs × ${actSize})`,
        got: actions,
      });
    }
    const out = this.#out;
    const { obs, rewards, terminated, truncated, finalObs, finalInfo, infos, episodes } = out;
    if (episodes.length !== 0) episodes.length = 0;
    const envs = this.envs;
    const pending = this.#pending;
    const returns = this.#returns;
    const lengths = this.#lengths;
    const boxAct = this.#boxAct;
    const sameStep = this.autoreset === 'same-step';
    for (let i = 0; i < N; i++) {
      const env = envs[i]!;
      finalObs[i] = null;
      finalInfo[i] = null;
      terminated[i] = 0;
      truncated[i] = 0;
      if (pending[i]) {
        // next-step mode: this step only resets the copy; its action is ignored.
        rewards[i] = 0;
        const r = this.#resetOne(i);
        this.#write(obs, i, r.obs);
        infos[i] = r.info;
        continue;
      }
      const a = boxAct ? Array.prototype.slice.call(actions, i * actSize, (i + 1) * actSize) : actions[i];
      const r = env.step(a as Act);
      const reward = r.reward;
      rewards[i] = reward;
      returns[i]! += reward;
      lengths[i]!++;
      infos[i] = r.info;
      if (r.terminated || r.truncated) {
        terminated[i] = r.terminated ? 1 : 0;
        truncated[i] = r.truncated ? 1 : 0;
        const ep = this.#episodePool[i]!;
        ep.return = returns[i]!;
        ep.length = lengths[i]!;
        ep.success = r.info.success === true;
        episodes.push(ep);
        finalObs[i] = r.obs;
        finalInfo[i] = r.info;
        if (sameStep) {
          const rr = this.#resetOne(i);
          this.#write(obs, i, rr.obs);
          infos[i] = rr.info;
        } else {
          this.#write(obs, i, r.obs);
          pending[i] = 1;
        }
      } else this.#write(obs, i, r.obs);
    }
    this.#lastObs.set(obs);
    return out;
  }

  /**
   * JSON snapshot of all copies and the autoreset bookkeeping.
   * @returns A new plain object `{ kind: 'vector', autoreset, started, pending, returns, lengths, obs, envs }`.
   */
  getState(): EnvState {
    return {
      kind: 'vector',
      autoreset: this.autoreset,
      started: this.#started,
      pending: Array.from(this.#pending),
      returns: Array.from(this.#returns),
      lengths: Array.from(this.#lengths),
      obs: Array.from(this.#lastObs),
      envs: this.envs.map((e) => e.getState()),
    };
  }

  /**
   * Restore a snapshot from {@link VectorEnv.getState}; stepping then continues bit for bit.
   * @param state The snapshot.
   * @throws EnvError when it does not match this vector env (kind, mode, number of copies).
   */
  setState(state: EnvState): void {
    const fn = 'VectorEnv.setState';
    const s = expectState(fn, state, 'vector');
    const N = this.numEnvs;
    if (s.autoreset !== this.autoreset)
      throw new EnvError({
        fn,
        arg: 'state.autoreset',
        expected: `'${this.autoreset}' like this vector env`,
        got: s.autoreset,
      });
    const arr = (key: string, len: number): number[] => {
      const v = s[key];
      if (!Array.isArray(v) || v.length !== len || v.some((x) => typeof x !== 'number' || Number.isNaN(x))) {
        throw new EnvError({ fn, arg: `state.${key}`, expected: `an array of ${len} numbers`, got: v });
      }
      return v as number[];
    };
    const envs = s.envs;
    if (!Array.isArray(envs) || envs.length !== N)
      throw new EnvError({ fn, arg: 'state.envs', expected: `an array of ${N} env states`, got: envs });
    if (typeof s.started !== 'boolean')
      throw new EnvError({ fn, arg: 'state.started', expected: 'a boolean', got: s.started });
    const pending = arr('pending', N);
    const returns = arr('returns', N);
    const lengths = arr('lengths', N);
    const obs = arr('obs', N * this.#obsSize);
    envs.forEach((e, i) => {
      this.envs[i]!.setState(e as EnvState);
    });
    this.#started = s.started;
    this.#pending = Uint8Array.from(pending);
    this.#returns = Float64Array.from(returns);
    this.#lengths = Int32Array.from(lengths);
    const o = this.#newObs();
    o.set(obs);
    this.#lastObs = o;
  }

  /**
   * The observations returned by the last `reset` or `step` (a copy), e.g. to continue after `setState`.
   * @returns A new typed array.
   */
  currentObs(): VectorObs {
    return this.#lastObs.slice();
  }

  /** Close every copy. */
  close(): void {
    for (const e of this.envs) e.close();
  }
}

/**
 * Build a {@link VectorEnv} of `n` copies from one factory.
 * @param makeOne Returns a new env each call.
 * @param n Number of copies, a positive integer.
 * @param options `{ autoreset? }`.
 * @returns A new vector env.
 * @example
 * ```ts
 * const venv = makeVectorEnv(() => makeEnv('cliffwalking'), 4);
 * ```
 */
export function makeVectorEnv<Obs, Act>(
  makeOne: () => Env<Obs, Act>,
  n: number,
  options: VectorEnvOptions = {},
): VectorEnv<Obs, Act> {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new EnvError({ fn: 'makeVectorEnv', arg: 'n', expected: 'a positive integer', got: n });
  if (typeof makeOne !== 'function')
    throw new EnvError({ fn: 'makeVectorEnv', arg: 'makeOne', expected: 'a function returning an env', got: makeOne });
  return new VectorEnv(
    Array.from({ length: n }, () => makeOne),
    options,
  );
}
