/**
 * One update's batch held as typed arrays for the fused engine, and its minibatches: the typed-array counterpart of
 * `RolloutBuffer.minibatch` (`src/training/buffer.ts`), read from the buffer once per update instead of gathered on
 * the device and read back per minibatch.
 * @module
 */
import { ShapeError } from '../core/errors.js';
import { normalizeAdvantages } from '../objectives/advantages.js';
import type { FusedMinibatch } from './fused_mlp.js';

/** The whole batch of one update (B samples), in the rollout's order. */
export interface FusedBatchArrays {
  /** State index per sample (one-hot observations), or null with `obs`. */
  states: Int32Array | null;
  /** Float observations `[B, inDim]` (the encoded float32 values), or null with `states`. */
  obs: Float32Array | null;
  /** Action indices `[B]` (categorical) or actions `[B, D]` (Gaussian, float32). */
  actions: Int32Array | Float32Array;
  /** log π_rollout(a|s) `[B]`. */
  oldLogProb: Float32Array;
  /** V_rollout(s) `[B]`. */
  oldValues: Float32Array;
  /** λ-returns `[B]`. */
  returns: Float32Array;
  /** π_rollout's normalised log-probabilities `[B, A]` (categorical). */
  oldLogits?: Float32Array;
  /** π_rollout's means `[B, D]` (Gaussian). */
  oldMean?: Float32Array;
  /** π_rollout's log-std `[B, D]` (Gaussian). */
  oldLogStd?: Float32Array;
  /** The advantages the policy loss sees before minibatch normalisation (`RolloutBuffer.policyAdvantages`). */
  policyAdvantages: Float64Array;
  /** Normalise the advantages per minibatch (`'minibatch'`, SB3/CleanRL) or not (`'batch'` already did, `'none'`). */
  normalization: 'minibatch' | 'batch' | 'none';
}

type Field =
  | 'states'
  | 'obs'
  | 'actions'
  | 'oldLogProb'
  | 'oldValues'
  | 'returns'
  | 'oldLogits'
  | 'oldMean'
  | 'oldLogStd';

/** One per-sample array: its source, its width per sample, and the minibatch array it is gathered into. */
interface Gather {
  src: Int32Array | Float32Array;
  width: number;
  dst: Int32Array | Float32Array;
}

/**
 * A batch whose minibatches are filled into preallocated arrays.
 *
 * `minibatch(idx)` gathers rows `idx` and, with `'minibatch'` normalisation, sets Â ← (Â − mean)/(std + 1e-8) with
 * the unbiased std ({@link normalizeAdvantages}, SB3 `ppo.py`), rounded to float32 as `RolloutBuffer.minibatch` does.
 * @example
 * ```ts
 * const data = new FusedRolloutBatch(arrays);
 * for (const idx of buffer.epochIndices(rng, 256)) engine.step(data.minibatch(idx), coef);
 * ```
 */
export class FusedRolloutBatch {
  /** Batch size B. */
  readonly size: number;
  readonly #a: FusedBatchArrays;
  readonly #mb: FusedMinibatch;
  readonly #adv: Float64Array;
  readonly #gathers: Gather[];

  /** @throws ShapeError when the arrays' lengths disagree or neither the categorical nor the Gaussian fields are complete. */
  constructor(arrays: FusedBatchArrays) {
    const fn = 'FusedRolloutBatch';
    const B = arrays.oldLogProb.length;
    if (B === 0) throw new ShapeError({ fn, arg: 'oldLogProb', expected: 'at least one sample', got: 0 });
    const gaussian = arrays.oldLogits === undefined;
    const fields: Field[] = [
      arrays.states ? 'states' : 'obs',
      'actions',
      'oldLogProb',
      'oldValues',
      'returns',
      ...(gaussian ? (['oldMean', 'oldLogStd'] as const) : (['oldLogits'] as const)),
    ];
    const mb: FusedMinibatch = {
      size: 0,
      states: null,
      obs: null,
      actions: new Int32Array(0),
      oldLogProb: new Float32Array(0),
      advantages: new Float32Array(B),
      returns: new Float32Array(0),
      oldValues: new Float32Array(0),
    };
    const width = gaussian ? (arrays.oldMean?.length ?? 0) / B : 0;
    this.#gathers = fields.map((k) => {
      const src = arrays[k];
      const w = src ? src.length / B : 0;
      const ok = src && Number.isInteger(w) && w >= 1 && (k !== 'actions' || !gaussian || w === width);
      const singles = ['states', 'oldLogProb', 'oldValues', 'returns'];
      if (!ok || (singles.includes(k) && w !== 1) || (k === 'actions' && !gaussian && w !== 1))
        throw new ShapeError({ fn, arg: k, expected: `${B} rows (one per sample)`, got: src?.length });
      const dst = src instanceof Int32Array ? new Int32Array(B * w) : new Float32Array(B * w);
      Reflect.set(mb, k, dst); // the field named k of the preallocated minibatch
      return { src, width: w, dst };
    });
    if (arrays.policyAdvantages.length !== B)
      throw new ShapeError({
        fn,
        arg: 'policyAdvantages',
        expected: `${B} entries`,
        got: arrays.policyAdvantages.length,
      });
    this.size = B;
    this.#a = arrays;
    this.#adv = new Float64Array(B);
    this.#mb = mb;
  }

  /**
   * The minibatch of rows `idx`, in preallocated arrays that the next call overwrites.
   * @throws ShapeError for an empty or too long index list, or an index outside [0, B).
   */
  minibatch(idx: Int32Array): FusedMinibatch {
    const fn = 'FusedRolloutBatch.minibatch';
    const M = idx.length;
    if (M === 0 || M > this.size)
      throw new ShapeError({ fn, arg: 'idx', expected: `1 to ${this.size} row indices`, got: M });
    for (let k = 0; k < M; k++) {
      const i = idx[k]!;
      if (!(i >= 0 && i < this.size))
        throw new ShapeError({ fn, arg: `idx[${k}]`, expected: `a row in [0, ${this.size})`, got: i });
      this.#adv[k] = this.#a.policyAdvantages[i]!;
    }
    for (const g of this.#gathers) {
      const { src, dst, width: w } = g;
      if (w === 1) for (let k = 0; k < M; k++) dst[k] = src[idx[k]!]!;
      else
        for (let k = 0; k < M; k++) {
          const i = idx[k]! * w;
          for (let j = 0; j < w; j++) dst[k * w + j] = src[i + j]!;
        }
    }
    const adv = this.#adv.subarray(0, M);
    (this.#mb.advantages as Float32Array).set(this.#a.normalization === 'minibatch' ? normalizeAdvantages(adv) : adv);
    this.#mb.size = M;
    return this.#mb;
  }
}
