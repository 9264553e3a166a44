/**
 * Typed errors of klip. Every message names the function, the argument, what was
 * expected and what came, in the style `resolvePpoConfig: clip must be in (0, 1), got 1.5`
 * (Gymnasium `TimeLimit.__init__`, tfjs-models `validateModelConfig`).
 *
 * This module imports nothing, so the tfjs-free layers (`src/random`, `envs/`) may use it.
 * @module
 */

/** Structured description of what went wrong; the message is built from it. */
export interface KlipErrorDetails {
  /** The public function or method that rejected its input, e.g. `klProbs`. */
  readonly fn: string;
  /** The argument (or config field / path) at fault, e.g. `p`, `config.clip`, `map[2][3]`. */
  readonly arg: string;
  /** What was expected, phrased to follow "must be", e.g. `a probability vector summing to 1`. */
  readonly expected: string;
  /** What came instead. Pass the raw value; it is described with {@link describeValue}. */
  readonly got?: unknown;
  /** Optional extra sentence (a hint or the allowed values). */
  readonly hint?: string;
}

/**
 * Render a value for an error message: numbers as written (NaN, Infinity), strings quoted,
 * arrays and objects shortened to about 80 characters.
 *
 * @example
 * ```ts
 * describeValue([1, NaN]); // "[1,NaN]"
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    const arr = Array.from(value as ArrayLike<unknown>);
    const inner = arr
      .slice(0, 12)
      .map((v) => (typeof v === 'number' ? String(v) : describeValue(v)))
      .join(',');
    const text = `[${inner}${arr.length > 12 ? `,… (${arr.length} items)` : ''}]`;
    return text.length > 100 ? `${text.slice(0, 97)}...` : text;
  }
  if (typeof value === 'object') {
    const shape = (value as { shape?: unknown }).shape;
    if (Array.isArray(shape)) return `a tensor of shape [${shape.join(',')}]`;
    try {
      const json = JSON.stringify(value, (_k, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
      );
      return json.length > 100 ? `${json.slice(0, 97)}...` : json;
    } catch {
      return 'an object';
    }
  }
  return String(value);
}

function formatMessage(d: KlipErrorDetails): string {
  const got = 'got' in d ? `, got ${describeValue(d.got)}` : '';
  const hint = d.hint ? `. ${d.hint}` : '';
  return `${d.fn}: ${d.arg} must be ${d.expected}${got}${hint}`;
}

/**
 * Base class of every error klip throws on purpose. Catch this to tell a klip input
 * problem from a bug. The fields repeat what the message says, for programs.
 *
 * @example
 * ```ts
 * try { klProbs([0.5, 0.6], [0.5, 0.5]); } catch (e) { if (e instanceof KlipError) console.log(e.fn, e.arg); }
 * ```
 */
export class KlipError extends Error {
  /** The function that threw. */
  readonly fn: string;
  /** The argument at fault. */
  readonly arg: string;
  /** What was expected. */
  readonly expected: string;
  /** The offending value, as received (may be undefined). */
  readonly got: unknown;
  /** The extra sentence after the main one (a hint or the allowed values), when there is one. */
  readonly hint: string | undefined;
  constructor(details: KlipErrorDetails) {
    super(formatMessage(details));
    this.name = new.target.name;
    this.fn = details.fn;
    this.arg = details.arg;
    this.expected = details.expected;
    this.got = details.got;
    this.hint = details.hint || undefined;
  }
}

/** A tensor or array has the wrong rank, shape or length, e.g. `logProb` of shape [3] beside `oldLogProb` of shape [4]. */
export class ShapeError extends KlipError {}
/** A configuration or scalar argument is of the wrong type, out of range, or an unknown name or key. */
export class ConfigError extends KlipError {}
/** An environment was misused (step before reset, invalid action) or built from a bad map or table. */
export class EnvError extends KlipError {}
/** A checkpoint is damaged, of another version, or does not match what it is restored into. */
export class CheckpointError extends KlipError {}
/** A value that must be finite is NaN or ±Infinity, or a probability vector does not sum to 1. */
export class NumericError extends KlipError {}
/**
 * The tensor backend is not ready: a tensor was requested before `await ready()` (or `await setBackend(…)`) finished.
 * tfjs starts the wasm backend asynchronously, so the first tensor must wait for it.
 */
export class BackendError extends KlipError {}
