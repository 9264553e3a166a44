/**
 * The versioned, JSON-serializable trainer checkpoint and its validation (no file I/O here; `klip/node` writes
 * checkpoints atomically). A checkpoint holds everything a resumed run needs to continue bit for bit:
 * config, policy weights, optimizer moments, controller state, Rng states, env states, counters and the episode
 * window. Its size does not grow with the run: the metric history lives in the run folder's `metrics.jsonl`
 * (version 1 checkpoints also held it; they still load, see {@link validateCheckpoint}).
 * @module
 */
import { CheckpointError } from '../core/errors.js';
import type { RngState } from '../random/rng.js';
import type { KlControllerState } from '../controllers/types.js';
import type { AdamState } from './adam.js';
import type { PpoConfig } from './config.js';
import type { EpisodeRecord } from './rollout.js';
import type { MetricRecord } from './metrics.js';

/** The format tag of klip checkpoints. */
export const CHECKPOINT_FORMAT = 'klip-checkpoint';
/**
 * The checkpoint schema version this klip writes. Version 2 leaves the metric history out; version 1 (with
 * `history`) is still read.
 */
export const CHECKPOINT_VERSION = 2;
/** The checkpoint versions this klip reads. */
const READABLE_VERSIONS: readonly number[] = [1, CHECKPOINT_VERSION];

/** A named weight array of a policy. */
export interface WeightRecord {
  /** The variable's name (checked on restore). */
  name: string;
  /** The tensor shape. */
  shape: number[];
  /** The values, row-major (float32 values written as JSON numbers). */
  values: number[];
}

/** A trainer checkpoint (plain JSON). */
export interface Checkpoint {
  /** The format tag `CHECKPOINT_FORMAT`, so a foreign JSON file is recognised. */
  format: typeof CHECKPOINT_FORMAT;
  /** The checkpoint schema version: `CHECKPOINT_VERSION` when written by this klip, 1 for an older one. */
  version: typeof CHECKPOINT_VERSION | 1;
  /** The klip version that wrote it. */
  klipVersion: string;
  /** The resolved configuration (schedules must be numbers to be saved). */
  config: PpoConfig;
  /** Updates completed. */
  update: number;
  /** Env steps collected. */
  globalStep: number;
  /** Episodes finished. */
  episodes: number;
  /** The policy's trainable weights, in `trainableVariables` order. */
  policy: WeightRecord[];
  /** The optimizer's moments and step count (bit-exact resume). */
  optimizer: AdamState;
  /**
   * π_ref's weights when the seed cannot rebuild the reference (a `reference` policy, or the initial copy of a given
   * policy); absent otherwise.
   */
  referenceWeights?: WeightRecord[];
  /** The KL controller's state (`KlController.init/update` output). */
  controller: KlControllerState & Record<string, unknown>;
  /** The state of the KL-to-reference controller, when the run has `referenceKl` (absent otherwise). */
  referenceController?: KlControllerState & Record<string, unknown>;
  /** The trainer's random streams, so the resumed run draws the same numbers. */
  rng: CheckpointRngStates;
  /** The vector env's state (`VectorEnv.getState()`). */
  env: unknown;
  /** The vector env's current observations. */
  obs: number[];
  /** The last ≤ 100 finished episodes. */
  episodeWindow: EpisodeRecord[];
  /**
   * Every update's metric record so far, one per update in order: always in version 1 checkpoints, absent in the
   * ones this klip writes (the run folder's `metrics.jsonl` has them; `Trainer.restore(ckpt, { history })` takes them).
   */
  history?: MetricRecord[];
}

/** The trainer's two random streams in a {@link Checkpoint}. */
export interface CheckpointRngStates {
  /** The stream that samples actions and env resets. */
  rollout: RngState;
  /** The stream that shuffles minibatches. */
  minibatch: RngState;
}

const FN = 'validateCheckpoint';

function bad(arg: string, expected: string, got: unknown, fn: string = FN): never {
  throw new CheckpointError({ fn, arg, expected, got });
}

function isObj(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/**
 * Check that `x` is a checkpoint this klip can restore, and return it typed.
 * @throws CheckpointError naming the first field that is missing, of the wrong type, of another format or version.
 * @example
 * ```ts
 * const ckpt = validateCheckpoint(JSON.parse(text));
 * const trainer = await Trainer.restore(ckpt);
 * ```
 */
export function validateCheckpoint(x: unknown): Checkpoint {
  checkCheckpointFields(x);
  return x;
}

/** The checks of {@link validateCheckpoint}; afterwards `x` is a `Checkpoint`. */
function checkCheckpointFields(x: unknown): asserts x is Checkpoint {
  if (!isObj(x)) bad('checkpoint', 'a JSON object', x);
  if (x.format !== CHECKPOINT_FORMAT)
    bad('checkpoint.format', `"${CHECKPOINT_FORMAT}" (is this a klip checkpoint?)`, x.format);
  if (!READABLE_VERSIONS.includes(x.version as number))
    bad(
      'checkpoint.version',
      `${READABLE_VERSIONS.join(' or ')} (written by klip ${String(x.klipVersion)})`,
      x.version,
    );
  if (typeof x.klipVersion !== 'string') bad('checkpoint.klipVersion', 'a version string', x.klipVersion);
  if (!isObj(x.config)) bad('checkpoint.config', 'an object', x.config);
  for (const k of ['update', 'globalStep', 'episodes'] as const) {
    if (!Number.isSafeInteger(x[k]) || (x[k] as number) < 0) bad(`checkpoint.${k}`, 'a non-negative integer', x[k]);
  }
  checkWeightList('checkpoint.policy', x.policy);
  if (x.referenceWeights !== undefined) checkWeightList('checkpoint.referenceWeights', x.referenceWeights);
  if (!isObj(x.optimizer)) bad('checkpoint.optimizer', 'an object { step, m, v }', x.optimizer);
  if (!isObj(x.controller) || typeof x.controller.beta !== 'number')
    bad('checkpoint.controller', 'a controller state { beta, … }', x.controller);
  if (
    x.referenceController !== undefined &&
    (!isObj(x.referenceController) || typeof x.referenceController.beta !== 'number')
  )
    bad('checkpoint.referenceController', 'a controller state { beta, … }', x.referenceController);
  if (!isObj(x.rng) || !isObj(x.rng.rollout) || !isObj(x.rng.minibatch))
    bad('checkpoint.rng', 'an object { rollout, minibatch } of Rng states', x.rng);
  if (x.env === undefined) bad('checkpoint.env', 'the vector env state', x.env);
  if (!Array.isArray(x.obs)) bad('checkpoint.obs', 'an array of observations', x.obs);
  if (!Array.isArray(x.episodeWindow)) bad('checkpoint.episodeWindow', 'an array', x.episodeWindow);
  // Version 1 always held the history; a later checkpoint may carry one (a library user's), then checked the same way.
  if (x.version === 1 || x.history !== undefined) checkHistory(x.history, x.update as number, 'checkpoint.history');
}

/**
 * Check a metric history against an update count: exactly `update` records, one per update in order (`update` =
 * 1, 2, …), each value a number or null.
 * @param history The records (a checkpoint's `history`, or the first lines of a run's `metrics.jsonl`).
 * @param update The number of completed updates they must cover.
 * @param arg The name used in the error, e.g. `checkpoint.history`.
 * @param fn The function named in the error. @defaultValue 'validateCheckpoint'
 * @throws CheckpointError naming `arg` (or the record) that does not fit.
 * @example
 * ```ts
 * checkHistory([{ update: 1 }, { update: 2 }], 2, 'history'); // passes
 * ```
 */
export function checkHistory(
  history: unknown,
  update: number,
  arg: string,
  fn: string = FN,
): asserts history is MetricRecord[] {
  if (!Array.isArray(history)) bad(arg, 'an array of metric records', history, fn);
  if (history.length !== update) bad(arg, `${update} records (one per update)`, `${history.length} records`, fn);
  for (let i = 0; i < history.length; i++) {
    const r: unknown = history[i];
    if (!isObj(r)) bad(`${arg}[${i}]`, 'a metric record { key: number | null }', r, fn);
    if (r.update !== i + 1) bad(`${arg}[${i}].update`, `${i + 1} (records in update order)`, r.update, fn);
    for (const [k, v] of Object.entries(r)) {
      // NaN/±Infinity are written as null in JSON; the KL of an update may be +Infinity only in memory.
      if (v !== null && typeof v !== 'number') bad(`${arg}[${i}].${k}`, 'a number or null', v, fn);
    }
  }
}

/** A non-empty list of finite float32 weights `{ name, shape, values }` (`checkpoint.policy` and `referenceWeights`). */
function checkWeightList(label: string, list: unknown): void {
  if (!Array.isArray(list) || list.length === 0) bad(label, 'a non-empty list of weights', list);
  // An index loop, not forEach: forEach skips the holes of a sparse array.
  for (let i = 0; i < list.length; i++) {
    const w: unknown = list[i];
    if (!isObj(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || !Array.isArray(w.values)) {
      bad(`${label}[${i}]`, 'an object { name, shape, values }', w);
    }
    if (!(w.shape as unknown[]).every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      bad(`${label}[${i}].shape`, 'a list of non-negative integers', w.shape);
    }
    const size = (w.shape as number[]).reduce((a, b) => a * b, 1);
    if ((w.values as unknown[]).length !== size)
      bad(
        `${label}[${i}].values`,
        `${size} numbers for shape [${String(w.shape)}]`,
        `${(w.values as unknown[]).length} values`,
      );
    const values = w.values as unknown[];
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      if (typeof v !== 'number' || !Number.isFinite(v))
        bad(`${label}[${i}].values`, 'finite numbers', 'a non-finite or non-numeric value');
      // A weight the float32 variables cannot hold would load as ±Infinity (e.g. 1e39, finite in JSON).
      if (Math.abs(v) > FLOAT32_MAX)
        bad(`${label}[${i}].values`, `numbers within the float32 range (|v| ≤ ${FLOAT32_MAX})`, v);
    }
  }
}

/** The largest finite float32, (2 − 2⁻²³)·2¹²⁷. */
const FLOAT32_MAX = 3.4028234663852886e38;
