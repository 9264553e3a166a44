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
  /** Actions `[B]`. */
  actions: Int32Array;
  /** log π_rollout(a|s) `[B]`. */
  oldLogProb: Float32Array;
  /** V_rollout(s) `[B]`. */
  oldValues: Float32Array;
  /** λ-returns `[B]`. */
  returns: Float32Array;
  /** π_rollout's normalised log-probabilities `[B, A]`. */
  oldLogits: Float32Array;
  /** The advantages the policy loss sees before minibatch normalisation (`RolloutBuffer.policyAdvantages`). */
  policyAdvantages: Float64Array;
  /** Normalise the advantages per minibatch (`'minibatch'`, SB3/CleanRL) or not (`'batch'` already did, `'none'`). */
  normalization: 'minibatch' | 'batch' | 'none';
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
  /** Number of actions A. */
  readonly nActions: number;
  readonly #a: FusedBatchArrays;
  readonly #inDim: number;
  readonly #mb: FusedMinibatch;
  readonly #adv: Float64Array;

  /** @throws ShapeError when the arrays' lengths disagree. */
  constructor(arrays: FusedBatchArrays) {
    const fn = 'FusedRolloutBatch';
    const B = arrays.actions.length;
    for (const k of ['oldLogProb', 'oldValues', 'returns', 'policyAdvantages'] as const) {
      if (arrays[k].length !== B)
        throw new ShapeError({ fn, arg: k, expected: `${B} entries (one per action)`, got: arrays[k].length });
    }
    if (B === 0 || arrays.oldLogits.length % B !== 0)
      throw new ShapeError({ fn, arg: 'oldLogits', expected: `[${B}, A] entries`, got: arrays.oldLogits.length });
    if (arrays.states ? arrays.states.length !== B : !arrays.obs || arrays.obs.length % B !== 0)
      throw new ShapeError({
        fn,
        arg: arrays.states ? 'states' : 'obs',
        expected: `${B} rows`,
        got: (arrays.states ?? arrays.obs)?.length,
      });
    this.size = B;
    this.nActions = arrays.oldLogits.length / B;
    this.#a = arrays;
    this.#inDim = arrays.obs ? arrays.obs.length / B : 1;
    const A = this.nActions;
    this.#adv = new Float64Array(B);
    this.#mb = {
      size: 0,
      states: arrays.states ? new Int32Array(B) : null,
      obs: arrays.obs ? new Float32Array(B * this.#inDim) : null,
      actions: new Int32Array(B),
      oldLogProb: new Float32Array(B),
      advantages: new Float32Array(B),
      returns: new Float32Array(B),
      oldValues: new Float32Array(B),
      oldLogits: new Float32Array(B * A),
    };
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
    const a = this.#a;
    const mb = this.#mb;
    const A = this.nActions;
    const D = this.#inDim;
    const oldLogits = mb.oldLogits!;
    for (let k = 0; k < M; k++) {
      const i = idx[k]!;
      if (!(i >= 0 && i < this.size))
        throw new ShapeError({ fn, arg: `idx[${k}]`, expected: `a row in [0, ${this.size})`, got: i });
      if (mb.states) mb.states[k] = a.states![i]!;
      else for (let d = 0; d < D; d++) mb.obs![k * D + d] = a.obs![i * D + d]!;
      mb.actions[k] = a.actions[i]!;
      mb.oldLogProb[k] = a.oldLogProb[i]!;
      mb.returns[k] = a.returns[i]!;
      mb.oldValues[k] = a.oldValues[i]!;
      for (let j = 0; j < A; j++) oldLogits[k * A + j] = a.oldLogits[i * A + j]!;
      this.#adv[k] = a.policyAdvantages[i]!;
    }
    const adv = this.#adv.subarray(0, M);
    const norm = a.normalization === 'minibatch' ? normalizeAdvantages(adv) : adv;
    (mb.advantages as Float32Array).set(norm);
    mb.size = M;
    return mb;
  }
}
