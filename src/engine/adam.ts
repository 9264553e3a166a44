/**
 * Adam on typed arrays, step for step the rule of klip's tensor Adam (`src/training/adam.ts`), with the same
 * JSON-serializable state (`AdamState`), so the fused engine and the tfjs path can hand the optimizer to each other
 * and checkpoints do not change.
 *
 * Update (PyTorch `torch.optim.Adam`, as used by CleanRL `ppo.py`; Kingma & Ba 2015, arXiv:1412.6980):
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
 *   θ ← θ − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
 * The bias corrections are computed in float64 from the step count, then every constant and every intermediate is
 * rounded to float32 (`Math.fround`) as the tfjs kernels of `src/training/adam.ts` do.
 * @module
 */
import { assertFiniteNumber } from '../core/assert.js';
import { CheckpointError, ConfigError } from '../core/errors.js';
import type { AdamOptions, AdamState } from '../training/adam.js';
import { WasmAdam } from './wasm/adam_kernel.js';

const f = Math.fround;

/**
 * An Adam optimizer over a fixed list of float32 parameter arrays (moments held in float32 like the tfjs variables).
 * @example
 * ```ts
 * const adam = new FusedAdam([w.length, b.length], { eps: 1e-5 });
 * adam.apply([w, b], [gw, gb], 1, 2.5e-4);
 * ```
 */
export class FusedAdam {
  /** β₁. */
  readonly beta1: number;
  /** β₂. */
  readonly beta2: number;
  /** ε. */
  readonly eps: number;
  readonly #m: Float32Array[];
  readonly #v: Float32Array[];
  /** The WebAssembly SIMD kernel holding the moments, or null for the scalar loop (bitwise the same results). */
  readonly #kernel: WasmAdam | null;
  #t = 0;

  /**
   * @param sizes The length of each parameter array, in order.
   * @param opts β₁ (0.9), β₂ (0.999), ε (1e-5, CleanRL `ppo.py`), as `src/training/adam.ts`.
   * @throws ConfigError for β outside [0, 1) or ε ≤ 0.
   */
  constructor(sizes: readonly number[], opts: AdamOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-5;
    assertFiniteNumber('FusedAdam', 'beta1', this.beta1, { min: 0, max: 1, maxExclusive: true });
    assertFiniteNumber('FusedAdam', 'beta2', this.beta2, { min: 0, max: 1, maxExclusive: true });
    assertFiniteNumber('FusedAdam', 'eps', this.eps, { min: 0, minExclusive: true });
    this.#kernel = WasmAdam.create(sizes);
    this.#m = this.#kernel?.m ?? sizes.map((n) => new Float32Array(n));
    this.#v = this.#kernel?.v ?? sizes.map((n) => new Float32Array(n));
  }

  /** Steps taken so far (t). */
  get step(): number {
    return this.#t;
  }

  /**
   * One Adam step on every array with gradient `scale · grads[i]` (the gradient-clipping factor; 1 for none).
   * @param params Parameters, updated in place.
   * @param grads Gradients (float64; rounded to float32 after scaling, as a float32 tensor would hold them).
   * @param scale Multiplier of every gradient.
   * @param lr Learning rate ≥ 0.
   * @throws ConfigError for a bad `lr` or a wrong number of arrays.
   */
  apply(params: readonly Float32Array[], grads: readonly Float64Array[], scale: number, lr: number): void {
    assertFiniteNumber('FusedAdam.apply', 'lr', lr, { min: 0 });
    if (params.length !== this.#m.length || grads.length !== this.#m.length)
      throw new ConfigError({
        fn: 'FusedAdam.apply',
        arg: 'grads',
        expected: `${this.#m.length} parameter and gradient arrays`,
        got: { params: params.length, grads: grads.length },
      });
    for (let k = 0; k < params.length; k++)
      if (params[k]!.length !== this.#m[k]!.length || grads[k]!.length !== this.#m[k]!.length)
        throw new ConfigError({
          fn: 'FusedAdam.apply',
          arg: `params[${k}]`,
          expected: `a parameter and a gradient array of ${this.#m[k]!.length} entries`,
          got: { params: params[k]!.length, grads: grads[k]!.length },
        });
    this.#t += 1;
    const bias1 = 1 - this.beta1 ** this.#t;
    const bias2 = 1 - this.beta2 ** this.#t;
    const b1 = f(this.beta1);
    const b2 = f(this.beta2);
    const c1 = f(1 - this.beta1);
    const c2 = f(1 - this.beta2);
    const sb2 = f(Math.sqrt(bias2));
    const eps = f(this.eps);
    const ss = f(lr / bias1);
    const sc = f(scale);
    if (this.#kernel) {
      this.#kernel.apply(params, grads, { b1, b2, c1, c2, sb2, eps, ss, sc, scaled: scale !== 1 });
      return;
    }
    for (let k = 0; k < params.length; k++) {
      const x = params[k]!;
      const g = grads[k]!;
      const m = this.#m[k]!;
      const v = this.#v[k]!;
      for (let i = 0; i < x.length; i++) {
        const gi = scale === 1 ? f(g[i]!) : f(f(g[i]!) * sc);
        const mi = f(f(b1 * m[i]!) + f(c1 * gi));
        const vi = f(f(b2 * v[i]!) + f(c2 * f(gi * gi)));
        m[i] = mi;
        v[i] = vi;
        const denom = f(f(f(Math.sqrt(vi)) / sb2) + eps);
        x[i] = f(x[i]! - f(ss * f(mi / denom)));
      }
    }
  }

  /**
   * The state in the format of `Adam.getState` (`src/training/adam.ts`): `{ step, m, v }` with plain arrays.
   * @returns New arrays.
   */
  getState(): AdamState {
    return { step: this.#t, m: this.#m.map((a) => Array.from(a)), v: this.#v.map((a) => Array.from(a)) };
  }

  /**
   * Restore a state saved by {@link FusedAdam.getState} or by `Adam.getState`.
   * @throws CheckpointError when the state does not match the arrays' count and sizes.
   */
  setState(state: AdamState): void {
    const bad = (expected: string, got: unknown): never => {
      throw new CheckpointError({ fn: 'FusedAdam.setState', arg: 'state', expected, got });
    };
    if (state === null || typeof state !== 'object' || !Number.isSafeInteger(state.step) || state.step < 0)
      bad('an object { step, m, v } with a non-negative integer step', state);
    const n = this.#m.length;
    if (!Array.isArray(state.m) || !Array.isArray(state.v) || state.m.length !== n || state.v.length !== n)
      bad(`moment lists for ${n} arrays`, { m: state.m?.length, v: state.v?.length });
    for (let i = 0; i < n; i++) {
      for (const [name, arr] of [
        ['m', state.m[i]],
        ['v', state.v[i]],
      ] as const) {
        const size = this.#m[i]!.length;
        if (!Array.isArray(arr) || arr.length !== size || arr.some((a) => typeof a !== 'number' || !Number.isFinite(a)))
          bad(`${name}[${i}] with ${size} finite numbers`, Array.isArray(arr) ? `${arr.length} values` : arr);
      }
    }
    this.#t = state.step;
    for (let i = 0; i < n; i++) {
      this.#m[i]!.set(state.m[i]!);
      this.#v[i]!.set(state.v[i]!);
    }
  }
}
