/**
 * The MLP policies' network (`src/policies/network.ts` `MlpNet`: optional shared torso, actor chain ending in the
 * logits head, critic chain ending in the value head) as a {@link FusedModel} over typed arrays, with every
 * activation kept for the backward pass.
 * @module
 */
import type { Activation } from '../policies/types.js';
import { denseBackward, denseForward } from './dense.js';
import type { FusedDense, FusedMlpLayout } from './layout.js';
import type { FusedModel, FusedRows } from './model.js';

const EMPTY = new Float64Array(0);

/** Scratch of one chain: per-layer outputs and output gradients `[cap, outDim]`. */
interface ChainBuffers {
  layers: FusedDense[];
  outs: Float64Array[];
  douts: Float64Array[];
}

/**
 * A dense MLP (tanh or relu hidden layers; CleanRL `ppo.py` `Agent` when the critic is separate) on typed arrays.
 *
 * Forward: h = torso(x) (or x), logits (or the Gaussian mean) = actor(h), V = critic(h); a Gaussian log-std is a
 * parameter the model holds but does not use (its gradient is the loss's business, zeroed by `backward`). Backward: reverse-mode through each chain with
 * {@link denseBackward}; with a shared torso the two heads' input gradients are summed before entering it.
 */
export class FusedMlpModel implements FusedModel {
  readonly nActions: number;
  readonly inDim: number;
  readonly hasCritic: boolean;
  readonly params: Float32Array[];
  readonly grads: Float64Array[];
  readonly #act: number;
  readonly #torso: ChainBuffers;
  readonly #actor: ChainBuffers;
  readonly #critic: ChainBuffers | null;
  #cap = 0;

  /**
   * @param layout From `layoutFromVariables`.
   * @param activation The hidden activation of the policy.
   */
  constructor(layout: FusedMlpLayout, activation: Activation) {
    this.nActions = layout.nActions;
    this.inDim = layout.inDim;
    this.hasCritic = layout.critic !== null;
    this.#act = activation === 'tanh' ? 1 : 2;
    const sizes: number[] = [];
    for (const L of [...layout.torso, ...layout.actor, ...(layout.critic ?? [])]) {
      sizes[L.kernel] = L.inDim * L.outDim;
      sizes[L.bias] = L.outDim;
    }
    if (layout.logStd !== null) sizes[layout.logStd] = layout.nActions;
    this.params = sizes.map((n) => new Float32Array(n));
    this.grads = sizes.map((n) => new Float64Array(n));
    const chain = (layers: FusedDense[]): ChainBuffers => ({ layers, outs: [], douts: [] });
    this.#torso = chain(layout.torso);
    this.#actor = chain(layout.actor);
    this.#critic = layout.critic ? chain(layout.critic) : null;
  }

  get logits(): Float64Array {
    return this.#actor.outs[this.#actor.layers.length - 1]!;
  }

  get values(): Float64Array {
    const c = this.#critic;
    return c ? c.outs[c.layers.length - 1]! : EMPTY;
  }

  reserve(n: number): void {
    if (n <= this.#cap) return;
    this.#cap = Math.max(n, this.#cap * 2);
    for (const c of [this.#torso, this.#actor, this.#critic]) {
      if (!c) continue;
      c.outs = c.layers.map((L) => new Float64Array(this.#cap * L.outDim));
      c.douts = c.layers.map((L) => new Float64Array(this.#cap * L.outDim));
    }
  }

  #forwardChain(c: ChainBuffers, n: number, x: Float64Array | null, states: Int32Array | null): void {
    const P = this.params;
    for (let l = 0; l < c.layers.length; l++) {
      const L = c.layers[l]!;
      const input = l === 0 ? x : c.outs[l - 1]!;
      const st = l === 0 ? states : null;
      denseForward(n, L.inDim, L.outDim, P[L.kernel]!, P[L.bias]!, input, st, c.outs[l]!, L.activate ? this.#act : 0);
    }
  }

  /** The input of the heads: the torso's output, or the rows themselves. */
  #headInput(rows: FusedRows): { x: Float64Array | null; states: Int32Array | null } {
    const t = this.#torso;
    return t.layers.length ? { x: t.outs[t.layers.length - 1]!, states: null } : { x: rows.obs, states: rows.states };
  }

  forward(rows: FusedRows, withValues: boolean): void {
    this.reserve(rows.n);
    if (this.#torso.layers.length) this.#forwardChain(this.#torso, rows.n, rows.obs, rows.states);
    const h = this.#headInput(rows);
    this.#forwardChain(this.#actor, rows.n, h.x, h.states);
    if (withValues && this.#critic) this.#forwardChain(this.#critic, rows.n, h.x, h.states);
  }

  /** Backward through a chain whose last `douts` holds ∂L/∂output; ∂L/∂input goes to `dIn` if non-null. */
  #backwardChain(
    c: ChainBuffers,
    n: number,
    x: Float64Array | null,
    states: Int32Array | null,
    dIn: Float64Array | null,
    accumulate: boolean,
  ): void {
    const P = this.params;
    const G = this.grads;
    for (let l = c.layers.length - 1; l >= 0; l--) {
      const L = c.layers[l]!;
      const input = l === 0 ? x : c.outs[l - 1]!;
      const st = l === 0 ? states : null;
      const din = l === 0 ? dIn : c.douts[l - 1]!;
      denseBackward(
        n,
        L.inDim,
        L.outDim,
        P[L.kernel]!,
        input,
        st,
        c.outs[l]!,
        L.activate ? this.#act : 0,
        c.douts[l]!,
        G[L.kernel]!,
        G[L.bias]!,
        din,
        l === 0 && accumulate,
      );
    }
  }

  backward(rows: FusedRows, dLogits: Float64Array, dValues: Float64Array | null): void {
    const n = rows.n;
    for (const g of this.grads) g.fill(0);
    const A = this.nActions;
    const a = this.#actor;
    a.douts[a.layers.length - 1]!.set(dLogits.subarray(0, n * A));
    const t = this.#torso;
    const shared = t.layers.length > 0;
    const h = this.#headInput(rows);
    const dH = shared ? t.douts[t.layers.length - 1]! : null;
    this.#backwardChain(a, n, h.x, h.states, dH, false);
    const c = this.#critic;
    if (c) {
      const last = c.douts[c.layers.length - 1]!;
      if (dValues) last.set(dValues.subarray(0, n));
      else last.fill(0, 0, n);
      this.#backwardChain(c, n, h.x, h.states, dH, true);
    }
    if (shared) this.#backwardChain(t, n, rows.obs, rows.states, null, false);
  }
}
