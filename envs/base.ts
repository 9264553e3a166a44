/**
 * What the built-in worlds share: {@link EnvBase}, the abstract base that owns seeding and the episode lifecycle
 * (re-exported from `klip/envs` for user-written worlds), and internal helpers (not re-exported): action checks,
 * seeding, state restoration checks and table sampling.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import { createRng, type Rng, type RngState } from '../src/random/rng.js';
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
  Transition,
} from './types.js';

/** Default seed of an env reset before it was ever seeded (Gymnasium seeds from OS entropy; klip stays deterministic). */
export const DEFAULT_ENV_SEED = 0;

/** Throw `EnvError` unless `action` is an integer in [0, n). */
export function checkDiscreteAction(fn: string, action: unknown, n: number): asserts action is number {
  if (typeof action !== 'number' || !Number.isInteger(action) || action < 0 || action >= n) {
    throw new EnvError({ fn, arg: 'action', expected: `an integer in [0, ${n})`, got: action });
  }
}

/**
 * Throw `EnvError` unless `action` is an array (or typed array) of `size` finite numbers: an element of an unbounded
 * `Box` of that size. NaN and ±∞ are refused.
 */
export function checkBoxAction(fn: string, action: unknown, size: number): asserts action is ArrayLike<number> {
  const ok =
    (Array.isArray(action) || (ArrayBuffer.isView(action) && !(action instanceof DataView))) &&
    'length' in action &&
    action.length === size;
  if (!ok) throw new EnvError({ fn, arg: 'action', expected: `an array of ${size} finite numbers`, got: action });
  for (let i = 0; i < size; i++) {
    const v: unknown = action[i];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new EnvError({ fn, arg: `action[${i}]`, expected: 'a finite number', got: v });
  }
}

/** The Rng to use after `reset(opts)`: a fresh one when seeded, else the current one (or seed 0 the first time). */
export function rngForReset(fn: string, current: Rng | null, opts: ResetOptions | undefined): Rng {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
    throw new EnvError({ fn, arg: 'opts', expected: 'an object { seed?, options? } or undefined', got: opts });
  }
  const seed = opts?.seed;
  if (seed !== undefined) {
    if (
      !(
        (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0) ||
        (typeof seed === 'string' && seed.length > 0)
      )
    ) {
      throw new EnvError({ fn, arg: 'seed', expected: 'a non-negative safe integer or a non-empty string', got: seed });
    }
    return createRng(seed);
  }
  return current ?? createRng(DEFAULT_ENV_SEED);
}

/**
 * The `EnvError` of a `step` that is not allowed now: before the first reset (`started` false), else after the
 * episode ended without a new reset.
 */
export function stepOrderError(fn: string, started: boolean): EnvError {
  if (!started)
    return new EnvError({ fn, arg: 'env', expected: 'reset before the first step', got: 'step() before reset()' });
  return new EnvError({
    fn,
    arg: 'env',
    expected: 'reset after an episode ends',
    got: 'step() after terminated or truncated',
    hint: 'Call reset() to start a new episode',
  });
}

/** Throw `EnvError` when stepping is not allowed now. */
export function checkCanStep(fn: string, started: boolean, needsReset: boolean): void {
  if (!started || needsReset) throw stepOrderError(fn, started);
}

/** Check a state's kind and return it typed as a record. */
export function expectState(fn: string, state: EnvState, kind: string): Record<string, unknown> {
  if (state === null || typeof state !== 'object' || state.kind !== kind) {
    throw new EnvError({ fn, arg: 'state', expected: `a state with kind "${kind}" from getState()`, got: state });
  }
  return state as Record<string, unknown>;
}

/** Read an integer field of a saved state, or throw `EnvError`. */
export function intField(fn: string, s: Record<string, unknown>, key: string, lo: number, hi: number): number {
  const v = s[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v >= hi) {
    throw new EnvError({ fn, arg: `state.${key}`, expected: `an integer in [${lo}, ${hi})`, got: v });
  }
  return v;
}

/** Read a nullable integer field. */
export function nullableIntField(
  fn: string,
  s: Record<string, unknown>,
  key: string,
  lo: number,
  hi: number,
): number | null {
  return s[key] === null ? null : intField(fn, s, key, lo, hi);
}

/** Read a boolean field. */
export function boolField(fn: string, s: Record<string, unknown>, key: string): boolean {
  const v = s[key];
  if (typeof v !== 'boolean') throw new EnvError({ fn, arg: `state.${key}`, expected: 'a boolean', got: v });
  return v;
}

/** Read a number field. */
export function numField(fn: string, s: Record<string, unknown>, key: string): number {
  const v = s[key];
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new EnvError({ fn, arg: `state.${key}`, expected: 'a number', got: v });
  return v;
}

/**
 * Read a field of a saved state holding `length` finite numbers (a JSON array), or throw `EnvError`.
 * @returns A new `Float64Array`.
 */
export function vectorField(fn: string, s: Record<string, unknown>, key: string, length: number): Float64Array {
  const v = s[key];
  if (!Array.isArray(v) || v.length !== length || v.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
    throw new EnvError({ fn, arg: `state.${key}`, expected: `an array of ${length} finite numbers`, got: v });
  return Float64Array.from(v);
}

/** Read a field of a saved state that is null or `length` finite numbers. */
export function nullableVectorField(
  fn: string,
  s: Record<string, unknown>,
  key: string,
  length: number,
): Float64Array | null {
  const v = s[key];
  if (v === null) return null;
  if (!Array.isArray(v) || v.length !== length || v.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
    throw new EnvError({ fn, arg: `state.${key}`, expected: `null or an array of ${length} finite numbers`, got: v });
  return Float64Array.from(v);
}

/** Read a field of a saved state that is null or a number (not NaN). */
export function nullableNumField(fn: string, s: Record<string, unknown>, key: string): number | null {
  const v = s[key];
  if (v !== null && (typeof v !== 'number' || Number.isNaN(v)))
    throw new EnvError({ fn, arg: `state.${key}`, expected: 'null or a number', got: v });
  return v;
}

/** Restore an Rng from a saved state field (null allowed: not yet seeded). */
export function rngField(fn: string, s: Record<string, unknown>): Rng | null {
  const v = s.rng;
  if (v === null) return null;
  try {
    return createRng.fromState(v as RngState);
  } catch {
    throw new EnvError({ fn, arg: 'state.rng', expected: 'null or an Rng state from rng.state()', got: v });
  }
}

/** Precomputed cumulative sampling table for P[s][a] rows: fast, allocation-free sampling. */
export interface CompiledTable {
  /** Offset of row k = s·A + a into the flat arrays; row k spans [offset[k], offset[k+1]). */
  offset: Int32Array;
  cum: Float64Array;
  prob: Float64Array;
  next: Int32Array;
  reward: Float64Array;
  terminated: Uint8Array;
}

/** Flatten a transition table for sampling. */
export function compileTable(P: readonly (readonly (readonly Transition[])[])[], nActions: number): CompiledTable {
  const rows = P.length * nActions;
  const offset = new Int32Array(rows + 1);
  let total = 0;
  for (let s = 0; s < P.length; s++) for (let a = 0; a < nActions; a++) total += P[s]![a]!.length;
  const cum = new Float64Array(total);
  const prob = new Float64Array(total);
  const next = new Int32Array(total);
  const reward = new Float64Array(total);
  const terminated = new Uint8Array(total);
  let k = 0;
  for (let s = 0; s < P.length; s++) {
    for (let a = 0; a < nActions; a++) {
      offset[s * nActions + a] = k;
      let acc = 0;
      for (const t of P[s]![a]!) {
        acc += t.prob;
        cum[k] = acc;
        prob[k] = t.prob;
        next[k] = t.next;
        reward[k] = t.reward;
        terminated[k] = t.terminated ? 1 : 0;
        k++;
      }
    }
  }
  offset[rows] = k;
  return { offset, cum, prob, next, reward, terminated };
}

/** Index of the outcome drawn from row `row` with one uniform u from `rng` (first cum > u·total; last on rounding). */
export function sampleRow(t: CompiledTable, row: number, rng: Rng): number {
  const lo = t.offset[row]!;
  const hi = t.offset[row + 1]! - 1;
  const u = rng.float() * t.cum[hi]!;
  for (let k = lo; k < hi; k++) if (u < t.cum[k]!) return k;
  return hi;
}

/**
 * Whether `env` carries the explicit model of a finite MDP ({@link TabularModel}: `nStates`, `nActions`, the table
 * `P`, `initialStateDistribution`), as a structural check: integer sizes, an array `P`, a defined ρ₀.
 * @param env Any object.
 * @returns True when the four fields are present with those types.
 */
export function hasTabularModel<E extends object>(env: E): env is E & TabularModel {
  return (
    'nStates' in env &&
    Number.isSafeInteger(env.nStates) &&
    'nActions' in env &&
    Number.isSafeInteger(env.nActions) &&
    'P' in env &&
    Array.isArray(env.P) &&
    'initialStateDistribution' in env &&
    env.initialStateDistribution !== undefined
  );
}

/**
 * Abstract base of an environment: it owns the env's {@link Rng}, seeding and the episode lifecycle, so a world
 * implements its dynamics only.
 *
 * - `reset({ seed })` re-seeds the Rng with `createRng(seed)` (without a seed the stream continues; seed 0 before
 *   any seed, `rngForReset`), marks the episode started and calls `resetState` with the Rng.
 * - `step(action)` throws `EnvError` before the first reset and after `terminated` or `truncated` until the next
 *   reset (the errors of `checkCanStep`), checks the action (`checkAction`), then calls
 *   `stepState` with the Rng; a result with `terminated` or `truncated` ends the episode.
 * - `getState()` is `{ kind, rng, started, needsReset, …saveState() }`; `setState` checks `kind`, `rng`,
 *   `started` and `needsReset`, then lets `restoreState` check and restore the world's own fields.
 *
 * The base draws nothing itself: every draw is the subclass's, in its own order, from the Rng it is handed.
 *
 * Source: the lifecycle of Gymnasium `gymnasium/core.py:76-159` (`Env.reset(seed=…)` seeds `np_random`) and the
 * order enforcement of `gymnasium/wrappers/common.py` (`OrderEnforcing`).
 * @example
 * ```ts
 * class Coin extends EnvBase<number, number> {
 *   readonly observationSpace = new Discrete(1);
 *   readonly actionSpace = new Discrete(2);
 *   constructor() { super('Coin', 'coin'); }
 *   protected checkAction(fn: string, a: number) { checkDiscreteAction(fn, a, 2); }
 *   protected resetState() { return { obs: 0, info: {} }; }
 *   protected stepState(a: number, rng: Rng) {
 *     return { obs: 0, reward: rng.float() < 0.5 ? a : 1 - a, terminated: true, truncated: false, info: {} };
 *   }
 *   protected saveState() { return {}; }
 *   protected restoreState() {}
 *   render() { return 'coin\n'; }
 *   renderFrame(): RenderFrame { return { kind: 'bandit', armValues: [0.5, 0.5], lastArm: null, lastReward: null }; }
 * }
 * ```
 */
export abstract class EnvBase<Obs, Act> implements Env<Obs, Act> {
  /** The set observations come from. */
  abstract readonly observationSpace: Space;
  /** The set actions must come from. */
  abstract readonly actionSpace: Space;
  /**
   * Registration data, set by `makeEnv` (undefined for a world built directly). Declared here so every instance of a
   * world has the same hidden class whether or not it was registered (keeps `step` call sites monomorphic).
   */
  spec?: EnvSpec;
  readonly #kind: string;
  readonly #resetFn: string;
  readonly #stepFn: string;
  readonly #setStateFn: string;
  #rng: Rng | null = null;
  #started = false;
  #needsReset = true;

  /**
   * @param name The class name used in error messages (`${name}.step`, `${name}.reset`, `${name}.setState`).
   * @param kind The `kind` of the saved state (`getState().kind`).
   */
  protected constructor(name: string, kind: string) {
    this.#kind = kind;
    this.#resetFn = `${name}.reset`;
    this.#stepFn = `${name}.step`;
    this.#setStateFn = `${name}.setState`;
  }

  /** This env (it wraps nothing). */
  get unwrapped(): this {
    return this;
  }

  /** Whether the env was reset at least once (or restored from a state that was). */
  protected get started(): boolean {
    return this.#started;
  }

  /**
   * Throw `EnvError` (naming `action`) unless `action` is in the action space.
   * @param fn The calling function, e.g. `Gridworld.step`.
   * @param action The action passed to `step`.
   */
  protected abstract checkAction(fn: string, action: Act): void;

  /**
   * Start an episode: draw the start state from `rng` (if random) and return the first observation.
   * @param rng The env's stream, already re-seeded when `reset` was given a seed.
   * @param opts The options passed to `reset`.
   */
  protected abstract resetState(rng: Rng, opts: ResetOptions | undefined): ResetResult<Obs>;

  /**
   * Apply a checked action: draw what is random from `rng` and return the transition. `terminated` or `truncated`
   * ends the episode (the base then refuses `step` until the next reset).
   * @param action An action that passed `checkAction`.
   * @param rng The env's stream.
   */
  protected abstract stepState(action: Act, rng: Rng): StepResult<Obs>;

  /** The world's own JSON fields of `getState()` (besides `kind`, `rng`, `started`, `needsReset`). */
  protected abstract saveState(): Record<string, unknown>;

  /**
   * Check the world's own fields of a saved state and, only when all are valid, restore them (throw `EnvError`
   * naming `state.<field>` otherwise).
   * @param fn The calling function, e.g. `Gridworld.setState`.
   * @param state The saved state, its `kind`, `rng`, `started` and `needsReset` already checked.
   */
  protected abstract restoreState(fn: string, state: Record<string, unknown>): void;

  /** The current state as ANSI text. */
  abstract render(): string;

  /** The current state as plain data for drawing. */
  abstract renderFrame(): RenderFrame;

  /**
   * Start an episode; `seed` re-seeds the env's Rng (Gymnasium `reset(seed=…)`).
   * @param opts `{ seed?, options? }`.
   * @returns The first observation and its info (see the world's `resetState`).
   * @throws EnvError for a bad seed or options.
   */
  reset(opts?: ResetOptions): ResetResult<Obs> {
    const rng = rngForReset(this.#resetFn, this.#rng, opts);
    this.#rng = rng;
    this.#started = true;
    this.#needsReset = false;
    return this.resetState(rng, opts);
  }

  /**
   * Take one action.
   * @param action An element of `actionSpace`.
   * @returns `{ obs, reward, terminated, truncated, info }` (see the world's `stepState`).
   * @throws EnvError before the first reset, after the episode ended without a new reset, or for an invalid action.
   */
  step(action: Act): StepResult<Obs> {
    const rng = this.#rng;
    if (rng === null || !this.#started || this.#needsReset)
      throw stepOrderError(this.#stepFn, this.#started && rng !== null);
    this.checkAction(this.#stepFn, action);
    const out = this.stepState(action, rng);
    if (out.terminated || out.truncated) this.#needsReset = true;
    return out;
  }

  /**
   * JSON snapshot `{ kind, rng, started, needsReset, …the world's fields }` of everything that determines what
   * happens next.
   * @returns A new plain object.
   */
  getState(): EnvState {
    return {
      kind: this.#kind,
      rng: this.#rng ? this.#rng.state() : null,
      started: this.#started,
      needsReset: this.#needsReset,
      ...this.saveState(),
    };
  }

  /**
   * Restore a snapshot from `getState()` (after a JSON round trip is fine); the env then continues bit for bit.
   * @param state The snapshot.
   * @throws EnvError when it is not a state of this kind of world (nothing is changed then).
   */
  setState(state: EnvState): void {
    const fn = this.#setStateFn;
    const s = expectState(fn, state, this.#kind);
    const rng = rngField(fn, s);
    const started = boolField(fn, s, 'started');
    const needsReset = boolField(fn, s, 'needsReset');
    this.restoreState(fn, s);
    this.#rng = rng;
    this.#started = started;
    this.#needsReset = needsReset;
  }

  /** Nothing to release. */
  close(): void {}
}
