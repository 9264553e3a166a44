/**
 * The "limit" reference of the end-to-end speed benchmark: a hand-written PPO loop in plain JavaScript (no tfjs,
 * float64 typed arrays, every buffer allocated once) that does the work of one `Trainer.step()` of klip
 * (`src/training/trainer.ts`) with the default `clip` objective, so klip's steps/s can be read against what a
 * straight loop on the same machine reaches.
 *
 * One {@link LimitPpo.update}, as the trainer's phases (Schulman et al. 2017, "Proximal Policy Optimization
 * Algorithms", Algorithm 1; CleanRL `ppo.py`):
 * 1. rollout: numEnvs × nSteps steps of klip's own envs (`makeEnv` in a same-step-autoreset `VectorEnv`, as
 *    `collectRollout` in `src/training/rollout.ts`), acting one env at a time by sampling π(·|s) with an `Rng`;
 *    truncated steps and the last step keep V(next obs) for bootstrapping (the final obs of a truncated episode);
 * 2. GAE(γ, λ) with the terminated/truncated split and λ-returns (`gae` in `src/objectives/advantages.ts`);
 * 3. epochs × numMinibatches optimizer steps, a fresh permutation per epoch, advantages normalised per minibatch
 *    (Â − mean)/(std + 1e-8) with the unbiased std (SB3, CleanRL `norm_adv`), the loss of `ppoUpdateStep`
 *    (`src/training/update.ts`), global-norm clipping and Adam, then the exact per-step KL(π_before‖π_after).
 *
 * Not done (klip does them for its metrics, checkpoints and checks): the batched tfjs forward of the rollout buffer
 * (the limit keeps log π and V from acting), the pre-step KL(π_rollout‖π_θ) statistics, clip fractions, k1/k3
 * per-step estimates, exact policy evaluation, finiteness checks.
 *
 * Usage: `npx tsx bench/limit_ppo.ts [--reps N] [--warmup N] [--json]` (run directly: 30 timed updates per case after
 * 10 untimed ones, since V8 needs about ten updates to optimise the loops; through `bench/index.ts`: its reps).
 * @module
 */
import { pathToFileURL } from 'node:url';
import { makeEnv, type MakeEnvOptions } from '../envs/registry.js';
import { VectorEnv } from '../envs/vector.js';
import { ConfigError } from '../src/core/errors.js';
import { createRng, type Rng } from '../src/random/rng.js';
import { type BenchCase, type BenchOptions, parseBenchArgs, runSuite } from './harness.js';

/**
 * The fixed coefficients of the limit loop: klip's `DEFAULT_PPO_CONFIG` for the `clip` objective on FrozenLake 4×4,
 * which are CleanRL `ppo.py`'s (γ, λ, clip ε also used as the value clip range, vf_coef, ent_coef, max_grad_norm,
 * Adam β₁, β₂, ε) and the advantage-normalisation ε.
 */
export const LIMIT_PPO_COEFFICIENTS = Object.freeze({
  gamma: 0.99,
  gaeLambda: 0.95,
  clip: 0.2,
  vfCoef: 0.5,
  entCoef: 0.01,
  maxGradNorm: 0.5,
  beta1: 0.9,
  beta2: 0.999,
  adamEps: 1e-5,
  advEps: 1e-8,
});

const C = LIMIT_PPO_COEFFICIENTS;

/** Options of {@link LimitPpo}. */
export interface LimitPpoOptions {
  /** A registered env id (`ENV_IDS` of `envs/registry.ts`) with discrete observations and actions. @defaultValue 'frozenlake4x4' */
  env?: string;
  /** Options of `makeEnv(env, envOptions)` (e.g. `{ slippery: false }`, `{ map }` for `gridworld`). @defaultValue {} */
  envOptions?: MakeEnvOptions;
  /** Env copies N. @defaultValue 8 */
  numEnvs?: number;
  /** Steps per env per rollout T. @defaultValue 128 */
  nSteps?: number;
  /** Passes over each rollout. @defaultValue 4 */
  epochs?: number;
  /** Minibatches per epoch (must divide N·T). @defaultValue 4 */
  numMinibatches?: number;
  /** `mlp`: separate actor and critic networks (CleanRL `Agent`); `tabular`: a logits table and a value table. @defaultValue 'mlp' */
  policy?: 'mlp' | 'tabular';
  /** Hidden widths of the MLP (tanh). @defaultValue [64, 64] */
  hidden?: number[];
  /**
   * `discrete`: the state index, one-hot input (the first layer is a row lookup); `box`: the same one-hot vector as
   * a generic float input (the first layer is a full dense product; MLP only).
   * @defaultValue 'discrete'
   */
  obs?: 'discrete' | 'box';
  /**
   * Discrete observations only: act from a per-state table filled once per weights version, and forward each
   * distinct state of a minibatch once (its samples' output gradients summed before one backward pass). Exact.
   * @defaultValue true for discrete observations
   */
  reuse?: boolean;
  /** Compute the exact KL(π_before‖π_after) of every optimizer step (a forward of the minibatch states). @defaultValue true */
  exactKl?: boolean;
  /** Adam learning rate (constant). @defaultValue 2.5e-4 */
  lr?: number;
  /** Seed of the init, env, rollout and minibatch streams. @defaultValue 1 */
  seed?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Network

/** One dense layer y = act(W·x + b), W stored `[out, in]` row-major, with views into the flat params and grads. */
interface Dense {
  inDim: number;
  outDim: number;
  W: Float64Array;
  b: Float64Array;
  gW: Float64Array;
  gb: Float64Array;
  tanh: boolean;
  /** Outputs (post-activation) `[cap, outDim]`. */
  out: Float64Array;
  /** ∂L/∂out `[cap, outDim]`, turned into ∂L/∂(pre-activation) by the backward pass. */
  dOut: Float64Array;
}

/** Options of {@link LimitNet}. */
export interface LimitNetOptions {
  /** `mlp` (separate actor and critic MLPs) or `tabular` (θ[S, A] and V[S]). */
  policy: 'mlp' | 'tabular';
  /** Number of states S (the one-hot width). */
  nStates: number;
  /** Number of actions A. */
  nActions: number;
  /** Hidden widths of each MLP. @defaultValue [64, 64] */
  hidden?: readonly number[];
  /** Input as state indices (`discrete`) or float rows (`box`, MLP only). @defaultValue 'discrete' */
  obs?: 'discrete' | 'box';
  /** Most rows one forward pass takes. */
  capacity: number;
  /** Init stream (one `normal()` per kernel entry). */
  rng: Rng;
}

/**
 * The policy and value network on one flat float64 parameter array (`params`, with `grads` of the same layout),
 * batched over rows that are state indices or float vectors.
 *
 * MLP (CleanRL `ppo.py` `Agent`): actor x → tanh(W₁x + b₁) → … → logits, critic x → tanh(…) → … → V, no shared
 * layers; kernels ~ N(0, gain²/max(in, out)) (the entry scale of an orthogonal matrix with that gain: √2 hidden,
 * 0.01 actor head, 1 critic head), zero biases. A one-hot row given as a state index s reads column s of W₁
 * (exact); a float row goes through the full product. Tabular: logits(s) = θ[s], V(s) = V[s], zeros at init (the
 * uniform policy, as klip's `TabularPolicy`).
 */
export class LimitNet {
  /** `mlp` or `tabular`. */
  readonly kind: 'mlp' | 'tabular';
  /** Number of states S. */
  readonly nStates: number;
  /** Number of actions A. */
  readonly nActions: number;
  /** Whether rows are float vectors (`box`). */
  readonly box: boolean;
  /** All parameters, flat. */
  readonly params: Float64Array;
  /** ∂L/∂params of the last {@link LimitNet.backward}, same layout. */
  readonly grads: Float64Array;
  /** Logits of the last forward pass `[cap, A]`. */
  readonly logits: Float64Array;
  /** Values of the last forward pass `[cap]`. */
  readonly values: Float64Array;
  /** ∂L/∂logits `[cap, A]`, written by the loss and read by {@link LimitNet.backward}. */
  readonly dLogits: Float64Array;
  /** ∂L/∂V `[cap]`, written by the loss and read by {@link LimitNet.backward}. */
  readonly dValues: Float64Array;
  readonly #actor: Dense[];
  readonly #critic: Dense[];
  readonly #scratch: BackScratch;

  /** @throws ConfigError for bad sizes or a box tabular net. */
  constructor(o: LimitNetOptions) {
    const fn = 'LimitNet';
    const { nStates: S, nActions: A, capacity: cap } = o;
    for (const [k, v] of [
      ['nStates', S],
      ['nActions', A],
      ['capacity', cap],
    ] as const)
      if (!Number.isSafeInteger(v) || v < 1)
        throw new ConfigError({ fn, arg: k, expected: 'a positive integer', got: v });
    this.kind = o.policy;
    this.nStates = S;
    this.nActions = A;
    this.box = (o.obs ?? 'discrete') === 'box';
    if (this.kind === 'tabular') {
      if (this.box) throw new ConfigError({ fn, arg: 'obs', expected: "'discrete' for a tabular policy", got: 'box' });
      this.params = new Float64Array(S * A + S);
      this.grads = new Float64Array(S * A + S);
      this.logits = new Float64Array(cap * A);
      this.values = new Float64Array(cap);
      this.dLogits = new Float64Array(cap * A);
      this.dValues = new Float64Array(cap);
      this.#actor = [];
      this.#critic = [];
      this.#scratch = { dT: new Float64Array(0), xT: new Float64Array(0), wT: new Float64Array(0) };
      return;
    }
    const hidden = o.hidden ?? [64, 64];
    for (const h of hidden)
      if (!Number.isSafeInteger(h) || h < 1)
        throw new ConfigError({ fn, arg: 'hidden', expected: 'positive integer widths', got: hidden });
    const chainDims = (out: number): number[] => [S, ...hidden, out];
    const dims = [chainDims(A), chainDims(1)];
    let size = 0;
    for (const d of dims) for (let l = 0; l + 1 < d.length; l++) size += d[l]! * d[l + 1]! + d[l + 1]!;
    this.params = new Float64Array(size);
    this.grads = new Float64Array(size);
    let off = 0;
    const chain = (d: number[], headGain: number): Dense[] => {
      const layers: Dense[] = [];
      for (let l = 0; l + 1 < d.length; l++) {
        const inDim = d[l]!;
        const outDim = d[l + 1]!;
        const last = l + 2 === d.length;
        const W = this.params.subarray(off, off + inDim * outDim);
        const gW = this.grads.subarray(off, off + inDim * outDim);
        off += inDim * outDim;
        const b = this.params.subarray(off, off + outDim);
        const gb = this.grads.subarray(off, off + outDim);
        off += outDim;
        const std = (last ? headGain : Math.SQRT2) / Math.sqrt(Math.max(inDim, outDim));
        for (let k = 0; k < W.length; k++) W[k] = std * o.rng.normal();
        layers.push({
          inDim,
          outDim,
          W,
          b,
          gW,
          gb,
          tanh: !last,
          out: new Float64Array(cap * outDim),
          dOut: new Float64Array(cap * outDim),
        });
      }
      return layers;
    };
    this.#actor = chain(dims[0]!, 0.01);
    this.#critic = chain(dims[1]!, 1);
    const widths = [S, ...hidden];
    const maxW = Math.max(...widths);
    let maxWT = 0;
    for (const L of [...this.#actor, ...this.#critic]) maxWT = Math.max(maxWT, L.inDim * L.outDim);
    this.#scratch = {
      dT: new Float64Array(cap * Math.max(maxW, A)),
      xT: new Float64Array(cap * maxW),
      wT: new Float64Array(maxWT),
    };
    this.logits = this.#actor[this.#actor.length - 1]!.out;
    this.values = this.#critic[this.#critic.length - 1]!.out;
    this.dLogits = this.#actor[this.#actor.length - 1]!.dOut;
    this.dValues = this.#critic[this.#critic.length - 1]!.dOut;
  }

  /** Input width: S (one-hot). */
  get inDim(): number {
    return this.nStates;
  }

  /**
   * Forward n rows: logits into {@link LimitNet.logits} when `actor`, values into {@link LimitNet.values} when
   * `critic`.
   * @param states State index per row (discrete rows).
   * @param x Float rows `[n, S]` (box rows; ignored for discrete rows).
   */
  forward(n: number, states: Int32Array, x: Float64Array, actor: boolean, critic: boolean): void {
    if (this.kind === 'tabular') {
      const A = this.nActions;
      const S = this.nStates;
      const P = this.params;
      if (actor) {
        const out = this.logits;
        for (let r = 0; r < n; r++) {
          const base = states[r]! * A;
          const o = r * A;
          for (let a = 0; a < A; a++) out[o + a] = P[base + a]!;
        }
      }
      if (critic) {
        const V = this.values;
        const vOff = S * A;
        for (let r = 0; r < n; r++) V[r] = P[vOff + states[r]!]!;
      }
      return;
    }
    if (actor) this.#forwardChain(this.#actor, n, states, x);
    if (critic) this.#forwardChain(this.#critic, n, states, x);
  }

  #forwardChain(chain: Dense[], n: number, states: Int32Array, x: Float64Array): void {
    const L0 = chain[0]!;
    if (this.box) denseForward(n, L0.inDim, L0.outDim, L0.W, L0.b, x, L0.out, L0.tanh);
    else lookupForward(n, L0.inDim, L0.outDim, L0.W, L0.b, states, L0.out, L0.tanh);
    for (let l = 1; l < chain.length; l++) {
      const L = chain[l]!;
      denseForward(n, L.inDim, L.outDim, L.W, L.b, chain[l - 1]!.out, L.out, L.tanh);
    }
  }

  /**
   * Backward pass of the last forward pass (which computed both heads on the same rows): `grads` ← ∂L/∂params from
   * {@link LimitNet.dLogits} and {@link LimitNet.dValues} (both overwritten on the way).
   */
  backward(n: number, states: Int32Array, x: Float64Array): void {
    const g = this.grads;
    if (this.kind === 'tabular') {
      g.fill(0);
      const A = this.nActions;
      const vOff = this.nStates * A;
      const dL = this.dLogits;
      const dV = this.dValues;
      for (let r = 0; r < n; r++) {
        const s = states[r]!;
        const base = s * A;
        const o = r * A;
        for (let a = 0; a < A; a++) g[base + a]! += dL[o + a]!;
        g[vOff + s]! += dV[r]!;
      }
      return;
    }
    this.#backwardChain(this.#actor, n, states, x);
    this.#backwardChain(this.#critic, n, states, x);
  }

  #backwardChain(chain: Dense[], n: number, states: Int32Array, x: Float64Array): void {
    for (let l = chain.length - 1; l >= 1; l--) {
      const L = chain[l]!;
      const prev = chain[l - 1]!;
      denseBackward(n, L.inDim, L.outDim, L.W, prev.out, L.out, L.dOut, L.gW, L.gb, prev.dOut, L.tanh, this.#scratch);
    }
    const L0 = chain[0]!;
    if (this.box)
      denseBackward(n, L0.inDim, L0.outDim, L0.W, x, L0.out, L0.dOut, L0.gW, L0.gb, null, L0.tanh, this.#scratch);
    else lookupBackward(n, L0.inDim, L0.outDim, states, L0.out, L0.dOut, L0.gW, L0.gb, L0.tanh);
  }
}

/**
 * C = A·Bᵀ for row-major A `[m, k]`, B `[p, k]`, C `[m, p]` (overwritten): every entry a dot product over k, computed
 * in 4 × 2 register tiles (each loaded entry of A serves two products and each of B four; about 1.4× the speed of
 * four rows × one column in V8), with 4 × 1 and 1 × 4 tiles at the edges and four partial sums for a lone entry.
 */
function gemmABt(m: number, p: number, k: number, A: Float64Array, B: Float64Array, Cm: Float64Array): void {
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const a0 = r * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    const c0 = r * p;
    const c1 = c0 + p;
    const c2 = c1 + p;
    const c3 = c2 + p;
    let c = 0;
    for (; c + 1 < p; c += 2) {
      const b0 = c * k;
      const b1 = b0 + k;
      let s00 = 0;
      let s10 = 0;
      let s20 = 0;
      let s30 = 0;
      let s01 = 0;
      let s11 = 0;
      let s21 = 0;
      let s31 = 0;
      for (let i = 0; i < k; i++) {
        const u = B[b0 + i]!;
        const v = B[b1 + i]!;
        const x0 = A[a0 + i]!;
        const x1 = A[a1 + i]!;
        const x2 = A[a2 + i]!;
        const x3 = A[a3 + i]!;
        s00 += x0 * u;
        s10 += x1 * u;
        s20 += x2 * u;
        s30 += x3 * u;
        s01 += x0 * v;
        s11 += x1 * v;
        s21 += x2 * v;
        s31 += x3 * v;
      }
      Cm[c0 + c] = s00;
      Cm[c1 + c] = s10;
      Cm[c2 + c] = s20;
      Cm[c3 + c] = s30;
      Cm[c0 + c + 1] = s01;
      Cm[c1 + c + 1] = s11;
      Cm[c2 + c + 1] = s21;
      Cm[c3 + c + 1] = s31;
    }
    if (c < p) {
      const b0 = c * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < k; i++) {
        const u = B[b0 + i]!;
        s0 += A[a0 + i]! * u;
        s1 += A[a1 + i]! * u;
        s2 += A[a2 + i]! * u;
        s3 += A[a3 + i]! * u;
      }
      Cm[c0 + c] = s0;
      Cm[c1 + c] = s1;
      Cm[c2 + c] = s2;
      Cm[c3 + c] = s3;
    }
  }
  const k4 = k & ~3;
  for (; r < m; r++) {
    const a0 = r * k;
    const c0 = r * p;
    let c = 0;
    for (; c + 3 < p; c += 4) {
      const b0 = c * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < k; i++) {
        const x = A[a0 + i]!;
        s0 += x * B[b0 + i]!;
        s1 += x * B[b1 + i]!;
        s2 += x * B[b2 + i]!;
        s3 += x * B[b3 + i]!;
      }
      Cm[c0 + c] = s0;
      Cm[c0 + c + 1] = s1;
      Cm[c0 + c + 2] = s2;
      Cm[c0 + c + 3] = s3;
    }
    for (; c < p; c++) {
      const b0 = c * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let i = 0;
      for (; i < k4; i += 4) {
        s0 += A[a0 + i]! * B[b0 + i]!;
        s1 += A[a0 + i + 1]! * B[b0 + i + 1]!;
        s2 += A[a0 + i + 2]! * B[b0 + i + 2]!;
        s3 += A[a0 + i + 3]! * B[b0 + i + 3]!;
      }
      for (; i < k; i++) s0 += A[a0 + i]! * B[b0 + i]!;
      Cm[c0 + c] = s0 + s1 + (s2 + s3);
    }
  }
}

/** dst `[cols, rows]` ← srcᵀ for src `[rows, cols]` (row-major). */
function transpose(rows: number, cols: number, src: Float64Array, dst: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[o + c]!;
  }
}

/** y[r] = act(W·x[r] + b) for n float rows, W `[out, in]`: y = x·Wᵀ ({@link gemmABt}), then bias and tanh. */
function denseForward(
  n: number,
  inDim: number,
  outDim: number,
  W: Float64Array,
  b: Float64Array,
  x: Float64Array,
  y: Float64Array,
  tanh: boolean,
): void {
  gemmABt(n, outDim, inDim, x, W, y);
  for (let r = 0; r < n; r++) {
    const o = r * outDim;
    if (tanh) for (let j = 0; j < outDim; j++) y[o + j] = Math.tanh(y[o + j]! + b[j]!);
    else for (let j = 0; j < outDim; j++) y[o + j]! += b[j]!;
  }
}

/** The first layer on one-hot rows given as state indices: y[r] = act(W[:, s_r] + b). */
function lookupForward(
  n: number,
  inDim: number,
  outDim: number,
  W: Float64Array,
  b: Float64Array,
  states: Int32Array,
  y: Float64Array,
  tanh: boolean,
): void {
  for (let r = 0; r < n; r++) {
    const s = states[r]!;
    const yr = r * outDim;
    for (let j = 0; j < outDim; j++) {
      const z = b[j]! + W[j * inDim + s]!;
      y[yr + j] = tanh ? Math.tanh(z) : z;
    }
  }
}

/** dOut ← dOut ⊙ tanh′ = dOut·(1 − y²) on the first `len` entries. */
function tanhGrad(len: number, y: Float64Array, dOut: Float64Array): void {
  for (let k = 0; k < len; k++) {
    const t = y[k]!;
    dOut[k]! *= 1 - t * t;
  }
}

/** Scratch of {@link denseBackward}: room for δᵀ, xᵀ and Wᵀ. */
interface BackScratch {
  dT: Float64Array;
  xT: Float64Array;
  wT: Float64Array;
}

/**
 * Backward of y = act(W·x + b) over n rows: dOut (∂L/∂y) becomes δ = ∂L/∂(pre-activation) in place, then
 * gb = Σ_r δ_r, gW = δᵀ·x and, when `dX` is given, dX = δ·W (all overwritten). Both products run as {@link gemmABt}
 * on transposed copies δᵀ, xᵀ, Wᵀ (n·(in + out) + in·out moves against 2·n·in·out multiply-adds).
 */
function denseBackward(
  n: number,
  inDim: number,
  outDim: number,
  W: Float64Array,
  x: Float64Array,
  y: Float64Array,
  dOut: Float64Array,
  gW: Float64Array,
  gb: Float64Array,
  dX: Float64Array | null,
  tanh: boolean,
  t: BackScratch,
): void {
  if (tanh) tanhGrad(n * outDim, y, dOut);
  for (let j = 0; j < outDim; j++) gb[j] = 0;
  for (let r = 0; r < n; r++) {
    const o = r * outDim;
    for (let j = 0; j < outDim; j++) gb[j]! += dOut[o + j]!;
  }
  transpose(n, outDim, dOut, t.dT);
  transpose(n, inDim, x, t.xT);
  gemmABt(outDim, inDim, n, t.dT, t.xT, gW);
  if (dX) {
    transpose(outDim, inDim, W, t.wT);
    gemmABt(n, inDim, outDim, dOut, t.wT, dX);
  }
}

/** Backward of the first layer on state rows: gW[:, s] = Σ_{r: s_r = s} δ_r, gb = Σ_r δ_r (overwritten). */
function lookupBackward(
  n: number,
  inDim: number,
  outDim: number,
  states: Int32Array,
  y: Float64Array,
  dOut: Float64Array,
  gW: Float64Array,
  gb: Float64Array,
  tanh: boolean,
): void {
  if (tanh) tanhGrad(n * outDim, y, dOut);
  gW.fill(0);
  gb.fill(0);
  for (let r = 0; r < n; r++) {
    const s = states[r]!;
    const o = r * outDim;
    for (let j = 0; j < outDim; j++) {
      const d = dOut[o + j]!;
      gb[j]! += d;
      gW[j * inDim + s]! += d;
    }
  }
}

/** Row-wise log-softmax logq[r] = z[r] − logsumexp(z[r]) (max-shifted) and entropy H[r] = −Σ q log q. */
function logSoftmaxRows(n: number, A: number, z: Float64Array, logq: Float64Array, H: Float64Array): void {
  for (let r = 0; r < n; r++) {
    const o = r * A;
    let max = z[o]!;
    for (let a = 1; a < A; a++) if (z[o + a]! > max) max = z[o + a]!;
    let sum = 0;
    for (let a = 0; a < A; a++) sum += Math.exp(z[o + a]! - max);
    const lse = max + Math.log(sum);
    let h = 0;
    for (let a = 0; a < A; a++) {
      const l = z[o + a]! - lse;
      logq[o + a] = l;
      h -= Math.exp(l) * l;
    }
    H[r] = h;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Learner: one minibatch's loss, gradient and optimizer step

/** A minibatch in preallocated arrays (the first M entries are used). */
export interface LimitMinibatch {
  /** State index per sample. */
  states: Int32Array;
  /** Float observation rows `[M, S]` (box input only). */
  x: Float64Array;
  /** Action per sample. */
  actions: Int32Array;
  /** log π_rollout(a|s). */
  oldLogProb: Float64Array;
  /** Advantages as the loss sees them (normalised by the caller). */
  advantages: Float64Array;
  /** λ-returns. */
  returns: Float64Array;
  /** V_rollout(s). */
  oldValues: Float64Array;
}

/** Options of {@link LimitLearner}. */
export interface LimitLearnerOptions extends Omit<LimitNetOptions, 'capacity'> {
  /** Largest minibatch M. */
  minibatchSize: number;
  /** Forward each distinct state once per minibatch (discrete rows only). */
  reuse: boolean;
  /** Compute the exact per-step KL after each step. */
  exactKl: boolean;
  /** Adam learning rate. */
  lr: number;
}

/**
 * The optimisation phase of PPO on one minibatch, the loss of klip's `ppoUpdateStep` (`src/training/update.ts`) for
 * the `clip` objective with CleanRL's value clipping, on a {@link LimitNet}:
 *
 * r = exp(log π(a|s) − log π_rollout(a|s)),
 * L = −mean(min(r·Â, clip(r, 1−ε, 1+ε)·Â))                                          (Schulman et al. 2017 eq. 7)
 *   + vfCoef · ½·mean(max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²))          (CleanRL `clip_vloss`)
 *   − entCoef · mean H(π(·|s)),
 * with the gradients of klip's fused engine at ties (`minimum` takes its first argument when equal, the clipped
 * branch passes the gradient only inside the closed range). Output gradients: ∂log π_a/∂z_j = [j = a] − q_j,
 * ∂H/∂z_j = −q_j(log q_j + H). Per row: Σ_samples (g_i[j = a_i]) − q_j Σ_samples g_i + entCoef/M·count·q_j(log q_j + H).
 *
 * The step: ‖g‖ = √Σg², g ← g·min(1, maxGradNorm/(‖g‖ + 1e-6)) (`torch.nn.utils.clip_grad_norm_`), Adam
 * (PyTorch's form: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr/(1−β₁ᵗ)·m/(√v/√(1−β₂ᵗ) + ε)), then the exact
 * KL(π_b‖π_a) = mean over samples of Σ_a π_b(a|s)(log π_b(a|s) − log π_a(a|s)) (each clamped at 0, as klip).
 */
export class LimitLearner {
  /** The network. */
  readonly net: LimitNet;
  /** The minibatch the caller fills before {@link LimitLearner.step}. */
  readonly mb: LimitMinibatch;
  /** Whether distinct states are forwarded once. */
  readonly reuse: boolean;
  /** Whether the per-step KL is computed. */
  readonly exactKl: boolean;
  /** Learning rate. */
  lr: number;
  readonly #A: number;
  readonly #m: Float64Array;
  readonly #v: Float64Array;
  #t = 0;
  readonly #slot: Int32Array;
  readonly #rowStates: Int32Array;
  readonly #rowOf: Int32Array;
  readonly #identity: Int32Array;
  readonly #count: Float64Array;
  readonly #logq: Float64Array;
  readonly #logqBefore: Float64Array;
  readonly #H: Float64Array;
  readonly #gA: Float64Array;
  readonly #gSum: Float64Array;
  #n = 0;
  #rows: Int32Array;
  #rowOfNow: Int32Array;

  /** @throws ConfigError for reuse with box rows, or bad sizes. */
  constructor(o: LimitLearnerOptions) {
    const M = o.minibatchSize;
    if (!Number.isSafeInteger(M) || M < 1)
      throw new ConfigError({ fn: 'LimitLearner', arg: 'minibatchSize', expected: 'a positive integer', got: M });
    const { minibatchSize: _m, reuse, exactKl, lr, ...netOpts } = o;
    this.net = new LimitNet({ ...netOpts, capacity: M });
    if (reuse && this.net.box)
      throw new ConfigError({ fn: 'LimitLearner', arg: 'reuse', expected: 'false with box observations', got: reuse });
    this.reuse = reuse;
    this.exactKl = exactKl;
    this.lr = lr;
    const A = this.net.nActions;
    const S = this.net.nStates;
    this.#A = A;
    this.mb = {
      states: new Int32Array(M),
      x: new Float64Array(this.net.box ? M * S : 0),
      actions: new Int32Array(M),
      oldLogProb: new Float64Array(M),
      advantages: new Float64Array(M),
      returns: new Float64Array(M),
      oldValues: new Float64Array(M),
    };
    this.#m = new Float64Array(this.net.params.length);
    this.#v = new Float64Array(this.net.params.length);
    this.#slot = new Int32Array(S).fill(-1);
    this.#rowStates = new Int32Array(M);
    this.#rowOf = new Int32Array(M);
    this.#identity = Int32Array.from({ length: M }, (_, i) => i);
    this.#count = new Float64Array(M);
    this.#logq = new Float64Array(M * A);
    this.#logqBefore = new Float64Array(M * A);
    this.#H = new Float64Array(M);
    this.#gA = new Float64Array(M * A);
    this.#gSum = new Float64Array(M);
    this.#rows = this.mb.states;
    this.#rowOfNow = this.#identity;
  }

  /**
   * The loss of the first M samples of {@link LimitLearner.mb} and its gradient into `net.grads`.
   * @param reuse Override of the learner's reuse setting (discrete rows only).
   * @returns The total loss.
   */
  lossAndGrad(M: number, reuse: boolean = this.reuse): number {
    const A = this.#A;
    const net = this.net;
    const mb = this.mb;
    const cnt = this.#count;
    let n: number;
    if (reuse && !net.box) {
      const slot = this.#slot;
      const rs = this.#rowStates;
      const ro = this.#rowOf;
      n = 0;
      for (let i = 0; i < M; i++) {
        const s = mb.states[i]!;
        let r = slot[s]!;
        if (r < 0) {
          r = n++;
          slot[s] = r;
          rs[r] = s;
          cnt[r] = 0;
        }
        ro[i] = r;
        cnt[r]!++;
      }
      for (let r = 0; r < n; r++) slot[rs[r]!] = -1;
      this.#rows = rs;
      this.#rowOfNow = ro;
    } else {
      n = M;
      cnt.fill(1, 0, M);
      this.#rows = mb.states;
      this.#rowOfNow = this.#identity;
    }
    this.#n = n;
    const rows = this.#rows;
    const rowOf = this.#rowOfNow;
    net.forward(n, rows, mb.x, true, true);
    const logq = this.#logq;
    const H = this.#H;
    logSoftmaxRows(n, A, net.logits, logq, H);
    const gA = this.#gA;
    const gSum = this.#gSum;
    const values = net.values;
    const dV = net.dValues;
    gA.fill(0, 0, n * A);
    gSum.fill(0, 0, n);
    dV.fill(0, 0, n);
    const invM = 1 / M;
    const lo = 1 - C.clip;
    const hi = 1 + C.clip;
    const vc = C.clip;
    const vf = C.vfCoef;
    const acts = mb.actions;
    const oldLp = mb.oldLogProb;
    const adv = mb.advantages;
    const ret = mb.returns;
    const oldV = mb.oldValues;
    let clipSum = 0;
    let vSum = 0;
    for (let i = 0; i < M; i++) {
      const r = rowOf[i]!;
      const a = acts[i]!;
      const ra = r * A + a;
      const ad = adv[i]!;
      const ratio = Math.exp(logq[ra]! - oldLp[i]!);
      const s1 = ratio * ad;
      const inside = ratio >= lo && ratio <= hi;
      const s2 = (inside ? ratio : ratio < lo ? lo : hi) * ad;
      let dRatio: number;
      if (s1 <= s2) {
        clipSum += s1;
        dRatio = ad;
      } else {
        clipSum += s2;
        dRatio = inside ? ad : 0;
      }
      const g = -dRatio * ratio * invM;
      gA[ra]! += g;
      gSum[r]! += g;
      const v = values[r]!;
      const R = ret[i]!;
      const ov = oldV[i]!;
      const u = (v - R) * (v - R);
      const d = v - ov;
      const vcl = ov + (d < -vc ? -vc : d > vc ? vc : d);
      const cl = (vcl - R) * (vcl - R);
      let dv: number;
      if (u >= cl) {
        vSum += u;
        dv = v - R;
      } else {
        vSum += cl;
        dv = d >= -vc && d <= vc ? vcl - R : 0;
      }
      dV[r]! += vf * dv * invM;
    }
    const dL = net.dLogits;
    const we = C.entCoef * invM;
    let entSum = 0;
    for (let r = 0; r < n; r++) {
      const c = cnt[r]!;
      const h = H[r]!;
      entSum += c * h;
      const o = r * A;
      const gs = gSum[r]!;
      const wc = we * c;
      for (let j = 0; j < A; j++) {
        const l = logq[o + j]!;
        const q = Math.exp(l);
        dL[o + j] = gA[o + j]! - q * gs + wc * q * (l + h);
      }
    }
    net.backward(n, rows, mb.x);
    return -clipSum * invM + vf * 0.5 * vSum * invM - C.entCoef * entSum * invM;
  }

  /**
   * One optimizer step on the first M samples of {@link LimitLearner.mb}: loss and gradient, global-norm clip, Adam,
   * then (with `exactKl`) the exact KL(π_before‖π_after) averaged over the samples.
   * @returns The pre-step loss and the per-step KL (NaN without `exactKl`).
   */
  step(M: number): { loss: number; stepKl: number } {
    const loss = this.lossAndGrad(M);
    const net = this.net;
    const g = net.grads;
    let sq = 0;
    for (let k = 0; k < g.length; k++) sq += g[k]! * g[k]!;
    const norm = Math.sqrt(sq);
    const scale = Math.min(1, C.maxGradNorm / (norm + 1e-6));
    const A = this.#A;
    const n = this.#n;
    if (this.exactKl) this.#logqBefore.set(this.#logq.subarray(0, n * A));
    this.#adam(scale);
    if (!this.exactKl) return { loss, stepKl: Number.NaN };
    net.forward(n, this.#rows, this.mb.x, true, false);
    const after = this.#logq;
    logSoftmaxRows(n, A, net.logits, after, this.#H);
    const before = this.#logqBefore;
    const cnt = this.#count;
    let kl = 0;
    for (let r = 0; r < n; r++) {
      const o = r * A;
      let k = 0;
      for (let j = 0; j < A; j++) {
        const lb = before[o + j]!;
        k += Math.exp(lb) * (lb - after[o + j]!);
      }
      if (k > 0) kl += cnt[r]! * k;
    }
    return { loss, stepKl: kl / M };
  }

  /** One Adam step with gradient scale·grads. */
  #adam(scale: number): void {
    this.#t += 1;
    const b1 = C.beta1;
    const b2 = C.beta2;
    const ss = this.lr / (1 - b1 ** this.#t);
    const sb2 = Math.sqrt(1 - b2 ** this.#t);
    const eps = C.adamEps;
    const p = this.net.params;
    const g = this.net.grads;
    const m = this.#m;
    const v = this.#v;
    for (let k = 0; k < p.length; k++) {
      const gk = g[k]! * scale;
      const mk = b1 * m[k]! + (1 - b1) * gk;
      const vk = b2 * v[k]! + (1 - b2) * gk * gk;
      m[k] = mk;
      v[k] = vk;
      p[k]! -= (ss * mk) / (Math.sqrt(vk) / sb2 + eps);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The PPO loop

/** The rollout arrays of the last update (views of the loop's buffers, overwritten by the next update). */
export interface LimitRolloutView {
  /** Number of env copies N (index t·N + i). */
  numEnvs: number;
  /** Reward per step. */
  rewards: Float64Array;
  /** V(s_t) per step. */
  values: Float64Array;
  /** 1 where the episode terminated. */
  terminated: Uint8Array;
  /** 1 where the episode was truncated. */
  truncated: Uint8Array;
  /** V(next obs) at truncated steps and at t = T−1 (0 elsewhere). */
  bootstrapValues: Float64Array;
  /** GAE advantages. */
  advantages: Float64Array;
  /** λ-returns. */
  returns: Float64Array;
}

/**
 * A plain-JavaScript PPO loop doing the work of one klip `Trainer.step()` per {@link LimitPpo.update} (see the module
 * comment): rollout on klip's envs, GAE, epochs × minibatches steps of the clipped PPO loss with value clipping and
 * an entropy bonus, global-norm clipping, Adam and the exact per-step KL. Streams as the trainer's: `seed` forks
 * `env` (the vector env's reset seed), `init`, `rollout` and `minibatch`.
 *
 * Sources: Schulman et al. 2017, "Proximal Policy Optimization Algorithms" (https://arxiv.org/abs/1707.06347);
 * Schulman et al. 2016, GAE (https://arxiv.org/abs/1506.02438); CleanRL `ppo.py`.
 * @example
 * ```ts
 * const ppo = new LimitPpo({ policy: 'mlp', reuse: true });
 * const { meanEpisodeReturn, lastLoss, lastStepKl } = ppo.update();
 * ```
 */
export class LimitPpo {
  /** The optimisation phase (network, minibatch buffers, Adam). */
  readonly learner: LimitLearner;
  /** Env copies N. */
  readonly numEnvs: number;
  /** Steps per env T. */
  readonly nSteps: number;
  /** Passes per update. */
  readonly epochs: number;
  /** Minibatches per epoch. */
  readonly numMinibatches: number;
  /** N·T / numMinibatches. */
  readonly minibatchSize: number;
  readonly #venv: VectorEnv<number, number>;
  readonly #rolloutRng: Rng;
  readonly #minibatchRng: Rng;
  readonly #S: number;
  readonly #A: number;
  readonly #B: number;
  readonly #reuse: boolean;
  readonly #obsNow: Int32Array;
  readonly #stepActions: Int32Array;
  readonly #states: Int32Array;
  readonly #obsF: Float64Array;
  readonly #actions: Int32Array;
  readonly #logp: Float64Array;
  readonly #values: Float64Array;
  readonly #rewards: Float64Array;
  readonly #terminated: Uint8Array;
  readonly #truncated: Uint8Array;
  readonly #boot: Float64Array;
  readonly #adv: Float64Array;
  readonly #ret: Float64Array;
  readonly #perm: Int32Array;
  readonly #tabFilled: Uint8Array;
  readonly #tabP: Float64Array;
  readonly #tabSum: Float64Array;
  readonly #tabLogp: Float64Array;
  readonly #tabV: Float64Array;
  readonly #p: Float64Array;
  readonly #one: Int32Array;
  readonly #oneX: Float64Array;

  /** @throws ConfigError for bad options or an env without discrete observations and actions. */
  constructor(opts: LimitPpoOptions = {}) {
    const fn = 'LimitPpo';
    const N = opts.numEnvs ?? 8;
    const T = opts.nSteps ?? 128;
    const epochs = opts.epochs ?? 4;
    const nmb = opts.numMinibatches ?? 4;
    for (const [k, v] of [
      ['numEnvs', N],
      ['nSteps', T],
      ['epochs', epochs],
      ['numMinibatches', nmb],
    ] as const)
      if (!Number.isSafeInteger(v) || v < 1)
        throw new ConfigError({ fn, arg: k, expected: 'a positive integer', got: v });
    const B = N * T;
    if (B % nmb !== 0)
      throw new ConfigError({ fn, arg: 'numMinibatches', expected: `a divisor of numEnvs·nSteps = ${B}`, got: nmb });
    const obs = opts.obs ?? 'discrete';
    const reuse = opts.reuse ?? obs === 'discrete';
    const lr = opts.lr ?? 2.5e-4;
    if (!(lr >= 0) || !Number.isFinite(lr))
      throw new ConfigError({ fn, arg: 'lr', expected: 'a finite lr ≥ 0', got: lr });
    const root = createRng(opts.seed ?? 1);
    const id = opts.env ?? 'frozenlake4x4';
    const envOptions = opts.envOptions ?? {};
    this.#venv = new VectorEnv<number, number>(
      Array.from({ length: N }, () => () => makeEnv(id, envOptions)),
      { autoreset: 'same-step' },
    );
    const os = this.#venv.singleObservationSpace;
    const as = this.#venv.singleActionSpace;
    if (os.kind !== 'discrete' || as.kind !== 'discrete')
      throw new ConfigError({ fn, arg: 'env', expected: 'a world with discrete observations and actions', got: id });
    const S = os.n;
    const A = as.n;
    this.numEnvs = N;
    this.nSteps = T;
    this.epochs = epochs;
    this.numMinibatches = nmb;
    this.minibatchSize = B / nmb;
    this.#S = S;
    this.#A = A;
    this.#B = B;
    this.#reuse = reuse;
    const { obs: start } = this.#venv.reset({ seed: root.fork('env').int(1, 2 ** 31 - 1) });
    this.#obsNow = Int32Array.from(start as Int32Array);
    this.learner = new LimitLearner({
      policy: opts.policy ?? 'mlp',
      nStates: S,
      nActions: A,
      hidden: opts.hidden ?? [64, 64],
      obs,
      rng: root.fork('init'),
      minibatchSize: this.minibatchSize,
      reuse,
      exactKl: opts.exactKl ?? true,
      lr,
    });
    this.#rolloutRng = root.fork('rollout');
    this.#minibatchRng = root.fork('minibatch');
    const box = this.learner.net.box;
    this.#stepActions = new Int32Array(N);
    this.#states = new Int32Array(B);
    this.#obsF = new Float64Array(box ? B * S : 0);
    this.#actions = new Int32Array(B);
    this.#logp = new Float64Array(B);
    this.#values = new Float64Array(B);
    this.#rewards = new Float64Array(B);
    this.#terminated = new Uint8Array(B);
    this.#truncated = new Uint8Array(B);
    this.#boot = new Float64Array(B);
    this.#adv = new Float64Array(B);
    this.#ret = new Float64Array(B);
    this.#perm = new Int32Array(B);
    this.#tabFilled = new Uint8Array(reuse ? S : 0);
    this.#tabP = new Float64Array(reuse ? S * A : 0);
    this.#tabSum = new Float64Array(reuse ? S : 0);
    this.#tabLogp = new Float64Array(reuse ? S * A : 0);
    this.#tabV = new Float64Array(reuse ? S : 0);
    this.#p = new Float64Array(A);
    this.#one = new Int32Array(1);
    this.#oneX = new Float64Array(box ? S : 0);
  }

  /** The arrays of the last rollout (views, overwritten by the next update). */
  rolloutView(): LimitRolloutView {
    return {
      numEnvs: this.numEnvs,
      rewards: this.#rewards,
      values: this.#values,
      terminated: this.#terminated,
      truncated: this.#truncated,
      bootstrapValues: this.#boot,
      advantages: this.#adv,
      returns: this.#ret,
    };
  }

  /** Forward state s (one row) into the net's row 0; with `box` as the one-hot float row. */
  #forwardOne(s: number, actor: boolean, critic: boolean): void {
    const net = this.learner.net;
    this.#one[0] = s;
    const x = this.#oneX;
    if (net.box) {
      x.fill(0);
      x[s] = 1;
    }
    net.forward(1, this.#one, x, actor, critic);
  }

  /** Fill the act table of state s: p_a = exp(z_a − max z), Σp, log π(a|s), V(s). */
  #fill(s: number): void {
    this.#forwardOne(s, true, true);
    const A = this.#A;
    const z = this.learner.net.logits;
    const p = this.#tabP;
    const lp = this.#tabLogp;
    const o = s * A;
    let max = z[0]!;
    for (let a = 1; a < A; a++) if (z[a]! > max) max = z[a]!;
    let sum = 0;
    for (let a = 0; a < A; a++) {
      const e = Math.exp(z[a]! - max);
      p[o + a] = e;
      sum += e;
    }
    const ls = Math.log(sum);
    for (let a = 0; a < A; a++) lp[o + a] = z[a]! - max - ls;
    this.#tabSum[s] = sum;
    this.#tabV[s] = this.learner.net.values[0]!;
    this.#tabFilled[s] = 1;
  }

  /** Sample an index with weights p[o … o+A) summing to `sum` (inverse CDF, one draw; `sampleCategorical`'s rule). */
  #sample(p: Float64Array, o: number, sum: number): number {
    const A = this.#A;
    const u = this.#rolloutRng.float() * sum;
    let acc = 0;
    let last = 0;
    for (let a = 0; a < A; a++) {
      const q = p[o + a]!;
      if (q > 0) {
        acc += q;
        last = a;
        if (u < acc) return a;
      }
    }
    return last;
  }

  /** V(s) of the current weights (table or a critic forward). */
  #valueOf(s: number): number {
    if (this.#reuse) {
      if (!this.#tabFilled[s]) this.#fill(s);
      return this.#tabV[s]!;
    }
    this.#forwardOne(s, false, true);
    return this.learner.net.values[0]!;
  }

  /** Phase 1: numEnvs × nSteps env steps. @returns Σ and count of the finished episodes' returns. */
  #collect(): { sum: number; count: number } {
    const N = this.numEnvs;
    const T = this.nSteps;
    const A = this.#A;
    const S = this.#S;
    const venv = this.#venv;
    const reuse = this.#reuse;
    const box = this.learner.net.box;
    const net = this.learner.net;
    const obsNow = this.#obsNow;
    const stepActions = this.#stepActions;
    const states = this.#states;
    const obsF = this.#obsF;
    const actions = this.#actions;
    const logp = this.#logp;
    const values = this.#values;
    const boot = this.#boot;
    const p = this.#p;
    if (reuse) this.#tabFilled.fill(0);
    boot.fill(0);
    let sum = 0;
    let count = 0;
    for (let t = 0; t < T; t++) {
      const base = t * N;
      for (let i = 0; i < N; i++) {
        const k = base + i;
        const s = obsNow[i]!;
        states[k] = s;
        let a: number;
        if (reuse) {
          if (!this.#tabFilled[s]) this.#fill(s);
          a = this.#sample(this.#tabP, s * A, this.#tabSum[s]!);
          logp[k] = this.#tabLogp[s * A + a]!;
          values[k] = this.#tabV[s]!;
        } else {
          if (box) {
            const o = k * S;
            obsF.fill(0, o, o + S);
            obsF[o + s] = 1;
          }
          this.#forwardOne(s, true, true);
          const z = net.logits;
          let max = z[0]!;
          for (let j = 1; j < A; j++) if (z[j]! > max) max = z[j]!;
          let tot = 0;
          for (let j = 0; j < A; j++) {
            const e = Math.exp(z[j]! - max);
            p[j] = e;
            tot += e;
          }
          a = this.#sample(p, 0, tot);
          logp[k] = z[a]! - max - Math.log(tot);
          values[k] = net.values[0]!;
        }
        actions[k] = a;
        stepActions[i] = a;
      }
      const res = venv.step(stepActions);
      this.#rewards.set(res.rewards, base);
      this.#terminated.set(res.terminated, base);
      this.#truncated.set(res.truncated, base);
      for (const e of res.episodes) {
        sum += e.return;
        count++;
      }
      const last = t === T - 1;
      for (let i = 0; i < N; i++) {
        const k = base + i;
        if (res.terminated[i]) continue;
        if (res.truncated[i]) boot[k] = this.#valueOf(res.finalObs[i] as number);
        else if (last) boot[k] = this.#valueOf((res.obs as Int32Array)[i]!);
      }
      obsNow.set(res.obs as Int32Array);
    }
    return { sum, count };
  }

  /** Phase 2: GAE(γ, λ) and λ-returns (`gae` of `src/objectives/advantages.ts`, into the loop's buffers). */
  #gae(): void {
    const N = this.numEnvs;
    const T = this.nSteps;
    const g = C.gamma;
    const gl = C.gamma * C.gaeLambda;
    const rew = this.#rewards;
    const val = this.#values;
    const term = this.#terminated;
    const trunc = this.#truncated;
    const boot = this.#boot;
    const adv = this.#adv;
    const ret = this.#ret;
    for (let i = 0; i < N; i++) {
      let next = 0;
      for (let t = T - 1; t >= 0; t--) {
        const k = t * N + i;
        const end = term[k] === 1 || trunc[k] === 1 || t === T - 1;
        const nv = term[k] ? 0 : end ? boot[k]! : val[k + N]!;
        const delta = rew[k]! + g * nv - val[k]!;
        next = delta + (end ? 0 : gl * next);
        adv[k] = next;
        ret[k] = next + val[k]!;
      }
    }
  }

  /** Gather minibatch `idx = perm[from … from+M)` into the learner's buffers, normalising the advantages. */
  #gather(from: number, M: number): void {
    const mb = this.learner.mb;
    const perm = this.#perm;
    const box = this.learner.net.box;
    const S = this.#S;
    const adv = mb.advantages;
    let mean = 0;
    for (let i = 0; i < M; i++) {
      const k = perm[from + i]!;
      mb.states[i] = this.#states[k]!;
      mb.actions[i] = this.#actions[k]!;
      mb.oldLogProb[i] = this.#logp[k]!;
      mb.returns[i] = this.#ret[k]!;
      mb.oldValues[i] = this.#values[k]!;
      const a = this.#adv[k]!;
      adv[i] = a;
      mean += a;
      if (box) {
        const src = this.#obsF;
        const x = mb.x;
        const o = i * S;
        const so = k * S;
        for (let d = 0; d < S; d++) x[o + d] = src[so + d]!;
      }
    }
    mean /= M;
    let ss = 0;
    for (let i = 0; i < M; i++) ss += (adv[i]! - mean) * (adv[i]! - mean);
    const std = M > 1 ? Math.sqrt(ss / (M - 1)) : 0;
    const inv = 1 / (std + C.advEps);
    for (let i = 0; i < M; i++) adv[i] = (adv[i]! - mean) * inv;
  }

  /**
   * One PPO update: a rollout of numEnvs × nSteps env steps, GAE, then epochs × numMinibatches optimizer steps.
   * @returns The mean return of the episodes that ended in this rollout (NaN when none did), the total loss of the
   *   last minibatch (before its step) and the exact KL(π_before‖π_after) of the last step (NaN without `exactKl`).
   */
  update(): { meanEpisodeReturn: number; lastLoss: number; lastStepKl: number } {
    const { sum, count } = this.#collect();
    this.#gae();
    const B = this.#B;
    const M = this.minibatchSize;
    const perm = this.#perm;
    const rng = this.#minibatchRng;
    let lastLoss = Number.NaN;
    let lastStepKl = Number.NaN;
    for (let epoch = 0; epoch < this.epochs; epoch++) {
      // `permutation(B, rng)` of src/random/sampling.ts: Fisher–Yates from the identity.
      for (let i = 0; i < B; i++) perm[i] = i;
      for (let i = B - 1; i > 0; i--) {
        const j = Math.floor(rng.float() * (i + 1));
        const tmp = perm[i]!;
        perm[i] = perm[j]!;
        perm[j] = tmp;
      }
      for (let from = 0; from < B; from += M) {
        this.#gather(from, M);
        const r = this.learner.step(M);
        lastLoss = r.loss;
        lastStepKl = r.stepKl;
      }
    }
    return { meanEpisodeReturn: count > 0 ? sum / count : Number.NaN, lastLoss, lastStepKl };
  }

  /** Close the env copies. */
  close(): void {
    this.#venv.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Benchmark

/**
 * A `rows × cols` grid map for `makeEnv('gridworld', { map })`: start top-left, goal bottom-right, about 10 % holes
 * drawn from `createRng('limit-grid/<rows>x<cols>')`, none on the top row or the right column (so the goal is
 * reachable).
 * @returns One string per row.
 */
export function limitGridMap(rows: number, cols: number): string[] {
  const rng = createRng(`limit-grid/${rows}x${cols}`);
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < cols; c++) {
      if (r === 0 && c === 0) line += 'S';
      else if (r === rows - 1 && c === cols - 1) line += 'G';
      else if (r === 0 || c === cols - 1) line += 'F';
      else line += rng.float() < 0.1 ? 'H' : 'F';
    }
    out.push(line);
  }
  return out;
}

/** The env label of a case: the id, or `gridworld R×C` for a map. */
function envLabel(opts: LimitPpoOptions): string {
  const id = opts.env ?? 'frozenlake4x4';
  const map = opts.envOptions?.map;
  if (id !== 'gridworld' || map === undefined) return id;
  const lines = typeof map === 'string' ? map.split('\n').filter((l) => l.trim().length > 0) : map;
  return `gridworld ${lines.length}×${lines[0]?.trim().length ?? 0}`;
}

/**
 * A benchmark case of the limit loop: `setup` builds a {@link LimitPpo}, each `run` is one `update()` (numEnvs × nSteps
 * env steps and the optimisation phase), rated in env steps/s. The bench name follows `bench/train.ts`
 * (`train <env>, N×T steps/update`) so the limit rows sit beside klip's.
 */
export function limitPpoCase(impl: string, opts: LimitPpoOptions): BenchCase {
  let ppo: LimitPpo | undefined;
  const N = opts.numEnvs ?? 8;
  const T = opts.nSteps ?? 128;
  return {
    bench: `train ${envLabel(opts)}, ${N}×${T} steps/update`,
    impl,
    work: N * T,
    unit: 'steps/s',
    setup: () => {
      ppo = new LimitPpo(opts);
    },
    run: () => ppo!.update(),
    teardown: () => ppo!.close(),
  };
}

/**
 * Time the limit loop on FrozenLake 4×4 (tabular; MLP 64-64 with reuse, without reuse, on box input; MLP 256-256
 * with reuse) and on a 32×32 grid ({@link limitGridMap}, MLP 64-64 with reuse), one `update()` per timed call.
 */
export async function main(opts: BenchOptions = parseBenchArgs()): Promise<void> {
  const grid32: LimitPpoOptions = { env: 'gridworld', envOptions: { map: limitGridMap(32, 32) } };
  await runSuite(
    'Limit PPO loop (plain JS, float64): one update = 8×128 env steps + 4 epochs × 4 minibatches',
    [
      limitPpoCase('limit tabular', { policy: 'tabular' }),
      limitPpoCase('limit mlp 64-64 reuse', { policy: 'mlp', reuse: true }),
      limitPpoCase('limit mlp 64-64 no reuse', { policy: 'mlp', reuse: false }),
      limitPpoCase('limit mlp 64-64 box', { policy: 'mlp', obs: 'box' }),
      limitPpoCase('limit mlp 256-256 reuse', { policy: 'mlp', hidden: [256, 256], reuse: true }),
      limitPpoCase('limit mlp 64-64 reuse', { ...grid32, policy: 'mlp', reuse: true }),
    ],
    opts,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const argv = process.argv.slice(2);
  const parsed = parseBenchArgs(argv);
  await main({
    ...parsed,
    reps: argv.includes('--reps') ? parsed.reps : 30,
    warmup: argv.includes('--warmup') ? parsed.warmup : 10,
  });
}
