/**
 * The tabular policy (`src/policies/tabular.ts`) as a {@link FusedModel}: logits(s) = θ[s] and V(s) = V[s], so the
 * forward pass is a row copy and the backward pass adds each row's output gradient into θ[s] and V[s].
 * @module
 */
import { ShapeError } from '../core/errors.js';
import type { FusedTabularLayout } from './layout.js';
import type { FusedModel, FusedRows } from './model.js';

/**
 * Tabular softmax policy θ ∈ ℝ^{S×A} with an optional value table V ∈ ℝ^S on typed arrays.
 *
 * Forward: logits[r] = θ[s_r], values[r] = V[s_r]. Backward: ∂L/∂θ[s] = Σ_{r: s_r = s} ∂L/∂logits[r], likewise V.
 * Rows must be state indices (a tabular policy reads one-hot observations only).
 */
export class FusedTabularModel implements FusedModel {
  readonly nActions: number;
  readonly inDim: number;
  readonly hasCritic: boolean;
  readonly params: Float32Array[];
  readonly grads: Float64Array[];
  #logits = new Float64Array(0);
  #values = new Float64Array(0);

  /** @param layout From `layoutFromVariables`. */
  constructor(layout: FusedTabularLayout) {
    this.nActions = layout.nActions;
    this.inDim = layout.nStates;
    this.hasCritic = layout.hasCritic;
    const S = layout.nStates;
    this.params = layout.hasCritic
      ? [new Float32Array(S * layout.nActions), new Float32Array(S)]
      : [new Float32Array(S * layout.nActions)];
    this.grads = this.params.map((p) => new Float64Array(p.length));
  }

  get logits(): Float64Array {
    return this.#logits;
  }

  get values(): Float64Array {
    return this.#values;
  }

  reserve(n: number): void {
    if (this.#values.length >= n) return;
    this.#logits = new Float64Array(n * this.nActions);
    this.#values = new Float64Array(n);
  }

  forward(rows: FusedRows, withValues: boolean): void {
    const st = rows.states;
    if (!st)
      throw new ShapeError({
        fn: 'FusedTabularModel.forward',
        arg: 'rows.states',
        expected: 'state indices',
        got: null,
      });
    this.reserve(rows.n);
    const A = this.nActions;
    const theta = this.params[0]!;
    const out = this.#logits;
    for (let r = 0; r < rows.n; r++) {
      const base = st[r]! * A;
      for (let a = 0; a < A; a++) out[r * A + a] = theta[base + a]!;
    }
    if (withValues && this.hasCritic) {
      const V = this.params[1]!;
      for (let r = 0; r < rows.n; r++) this.#values[r] = V[st[r]!]!;
    }
  }

  backward(rows: FusedRows, dLogits: Float64Array, dValues: Float64Array | null): void {
    const st = rows.states!;
    const A = this.nActions;
    const gTheta = this.grads[0]!;
    gTheta.fill(0);
    for (let r = 0; r < rows.n; r++) {
      const base = st[r]! * A;
      for (let a = 0; a < A; a++) gTheta[base + a]! += dLogits[r * A + a]!;
    }
    if (this.hasCritic) {
      const gV = this.grads[1]!;
      gV.fill(0);
      if (dValues) for (let r = 0; r < rows.n; r++) gV[st[r]!]! += dValues[r]!;
    }
  }
}
