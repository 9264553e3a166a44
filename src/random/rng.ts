/**
 * Seeded random streams on seedrandom's Alea generator. Every random draw in klip comes
 * from an {@link Rng}; nothing calls the global unseeded generator.
 * @module
 */
import seedrandom from 'seedrandom';
import { ConfigError } from '../core/errors.js';

/** The saved internal state of an {@link Rng}: plain JSON, restorable with {@link createRng.fromState}. */
export interface RngState {
  /** The seed path this stream was built from, e.g. `"42/train/rollout"`; children fork from it. */
  readonly seed: string;
  /** Alea's four state words (seedrandom `{ state: true }`). */
  readonly alea: AleaState;
}

/** The four state words of the Alea generator (Baagøe; seedrandom `alea.js`). */
export interface AleaState {
  /** The carry. */
  readonly c: number;
  /** First lag word. */
  readonly s0: number;
  /** Second lag word. */
  readonly s1: number;
  /** Third lag word. */
  readonly s2: number;
}

/** A seed: a non-negative safe integer or a non-empty string. */
export type Seed = number | string;

/** A deterministic stream of random numbers. Same seed → same draws, in Node and in the browser. */
export interface Rng {
  /** The seed path this stream was built from. */
  readonly seed: string;
  /** Uniform float in [0, 1) with 32 bits of randomness (Alea). */
  float(): number;
  /** Uniform integer in the half-open range [lo, hi). Throws `ConfigError` unless lo < hi are safe integers. */
  int(lo: number, hi: number): number;
  /** Standard normal draw N(0, 1) by the Box–Muller transform (consumes two uniforms). */
  normal(): number;
  /**
   * An independent child stream seeded by `${seed}/${label}`. A pure function of the parent's seed and the label:
   * it does not consume parent draws, so adding a consumer never shifts the others. Use a distinct label per consumer.
   */
  fork(label: string): Rng;
  /** A fresh non-zero 31-bit integer for the `seed` argument of one tfjs random op or initializer. */
  tfSeed(): number;
  /** A JSON-serializable snapshot of the stream, for checkpoints. */
  state(): RngState;
}

/** What klip uses of a seedrandom Alea generator built with `{ state }` (seedrandom `lib/alea.js`). */
interface AleaPrng {
  /** Uniform float in [0, 1), 32 bits. */
  (): number;
  /** Uniform float in [0, 1), 53 bits. */
  double(): number;
  /** The four state words. */
  state(): { c: number; s0: number; s1: number; s2: number };
}

/**
 * The one entry into seedrandom: `seedrandom.alea(seed, { state })`, typed. `state: true` starts from the seed,
 * a saved state continues from it (seedrandom README, "Saving and Restoring PRNG state").
 */
function alea(seed: string, state: AleaState | true): AleaPrng {
  return seedrandom.alea(seed, {
    state: state === true ? true : { c: state.c, s0: state.s0, s1: state.s1, s2: state.s2 },
  });
}

function makeRng(seed: string, prng: AleaPrng): Rng {
  const float = (): number => prng();
  const rng: Rng = {
    seed,
    float,
    int(lo: number, hi: number): number {
      if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo >= hi) {
        throw new ConfigError({
          fn: 'Rng.int',
          arg: '(lo, hi)',
          expected: 'safe integers with lo < hi',
          got: [lo, hi],
        });
      }
      const range = hi - lo;
      const u = range <= 2 ** 32 ? prng() : prng.double();
      return lo + Math.floor(u * range);
    },
    normal(): number {
      // Box–Muller; 1 − u ∈ (0, 1] keeps the log finite.
      const u1 = 1 - prng();
      const u2 = prng();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
    fork(label: string): Rng {
      if (typeof label !== 'string' || label.length === 0) {
        throw new ConfigError({ fn: 'Rng.fork', arg: 'label', expected: 'a non-empty string', got: label });
      }
      return createRng(`${seed}/${label}`);
    },
    tfSeed(): number {
      return 1 + Math.floor(prng() * (2 ** 31 - 1));
    },
    state(): RngState {
      return { seed, alea: { ...prng.state() } };
    },
  };
  return rng;
}

function normalizeSeed(seed: unknown, fn: string): string {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new ConfigError({
        fn,
        arg: 'seed',
        expected: 'a non-negative safe integer or a non-empty string',
        got: seed,
      });
    }
    return String(seed);
  }
  if (typeof seed === 'string' && seed.length > 0) return seed;
  throw new ConfigError({ fn, arg: 'seed', expected: 'a non-negative safe integer or a non-empty string', got: seed });
}

/**
 * Create a seeded random stream: `seedrandom.alea(String(seed), { state: true })`
 * (Baagøe's Alea, via seedrandom README "Saving and Restoring PRNG state").
 *
 * @param seed A non-negative safe integer or a non-empty string. NaN, negative and fractional numbers throw `ConfigError`.
 * @returns A new {@link Rng}.
 * @example
 * ```ts
 * const rng = createRng(42);
 * const init = rng.fork('init');      // independent labelled stream
 * const a = rng.int(0, 4);            // 0, 1, 2 or 3
 * const saved = rng.state();
 * const again = createRng.fromState(saved); // continues exactly where rng is now
 * ```
 */
export function createRng(seed: Seed): Rng {
  const s = normalizeSeed(seed, 'createRng');
  return makeRng(s, alea(s, true));
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** Whether `x` is a saved {@link RngState}: a non-empty seed and four finite Alea state words. */
function isRngState(x: unknown): x is RngState {
  if (x === null || typeof x !== 'object' || !('seed' in x) || typeof x.seed !== 'string' || x.seed.length === 0)
    return false;
  if (!('alea' in x) || x.alea === null || typeof x.alea !== 'object') return false;
  const a = x.alea;
  return (
    'c' in a &&
    isFiniteNumber(a.c) &&
    's0' in a &&
    isFiniteNumber(a.s0) &&
    's1' in a &&
    isFiniteNumber(a.s1) &&
    's2' in a &&
    isFiniteNumber(a.s2)
  );
}

/**
 * Restore a stream saved with `rng.state()`; the restored stream continues with exactly the draws
 * the original would have produced next.
 * @param state A value from {@link Rng.state} (after a JSON round trip is fine).
 * @throws ConfigError when `state` is not a saved Rng state.
 */
createRng.fromState = function fromState(state: RngState): Rng {
  if (!isRngState(state)) {
    throw new ConfigError({
      fn: 'createRng.fromState',
      arg: 'state',
      expected: 'an object { seed, alea: { c, s0, s1, s2 } } from rng.state()',
      got: state,
    });
  }
  return makeRng(state.seed, alea('', state.alea));
};

/**
 * The stream of a `seed` option: a new Rng from a seed (number or string; 0 when omitted), or the caller's own Rng
 * object used as it is (duck-typed by its `float` and `fork` methods).
 * @param fn The calling function, for the error.
 * @param seed A seed, an Rng, or undefined.
 * @throws ConfigError naming `seed` for anything else.
 * @example
 * ```ts
 * rngFromSeed('trainTokenPolicy', 3).fork('sequences');
 * ```
 */
export function rngFromSeed(fn: string, seed: unknown): Rng {
  if (seed === undefined) return createRng(0);
  if (typeof seed === 'number' || typeof seed === 'string') return createRng(seed);
  if (
    seed !== null &&
    typeof seed === 'object' &&
    typeof (seed as Rng).float === 'function' &&
    typeof (seed as Rng).fork === 'function'
  )
    return seed as Rng;
  throw new ConfigError({ fn, arg: 'seed', expected: 'a seed (number or string) or an Rng', got: seed });
}
