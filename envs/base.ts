/**
 * Internal helpers shared by the built-in worlds (not re-exported from `klip/envs`): action checks, seeding,
 * state restoration checks and table sampling.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import { createRng, type Rng, type RngState } from '../src/random/rng.js';
import type { EnvState, ResetOptions, Transition } from './types.js';

/** Default seed of an env reset before it was ever seeded (Gymnasium seeds from OS entropy; klip stays deterministic). */
export const DEFAULT_ENV_SEED = 0;

/** Throw `EnvError` unless `action` is an integer in [0, n). */
export function checkDiscreteAction(fn: string, action: unknown, n: number): asserts action is number {
  if (typeof action !== 'number' || !Number.isInteger(action) || action < 0 || action >= n) {
    throw new EnvError({ fn, arg: 'action', expected: `an integer in [0, ${n})`, got: action });
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

/** Throw `EnvError` when stepping is not allowed now. */
export function checkCanStep(fn: string, started: boolean, needsReset: boolean): void {
  if (!started)
    throw new EnvError({ fn, arg: 'env', expected: 'reset before the first step', got: 'step() before reset()' });
  if (needsReset) {
    throw new EnvError({
      fn,
      arg: 'env',
      expected: 'reset after an episode ends',
      got: 'step() after terminated or truncated',
      hint: 'Call reset() to start a new episode',
    });
  }
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
