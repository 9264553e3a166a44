/**
 * Adam with a plain, JSON-serializable state, so that a resumed run continues bit for bit.
 * tfjs's `AdamOptimizer.setWeights` recomputes β₁ᵗ with `tf.pow` while training multiplies step by step,
 * which changes the last bits after a restore; here the bias corrections are computed in float64 from the
 * step count on every step, before and after a restore alike.
 *
 * Update (PyTorch `torch.optim.Adam`, as used by CleanRL `ppo.py`; Kingma & Ba 2015, arXiv:1412.6980):
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
 *   θ ← θ − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { CheckpointError, ConfigError } from '../core/errors.js';
import { assertFiniteNumber } from '../core/assert.js';

/** Saved optimizer state: the step count and the two moment vectors per variable (flat, row-major). */
export interface AdamState {
  /** Steps taken so far (t). */
  step: number;
  /** First moments, one flat array per variable, in variable order. */
  m: number[][];
  /** Second moments, one flat array per variable, in variable order. */
  v: number[][];
}

/** Adam hyper-parameters. */
export interface AdamOptions {
  /** β₁. @defaultValue 0.9 (PyTorch) */
  beta1?: number;
  /** β₂. @defaultValue 0.999 (PyTorch) */
  beta2?: number;
  /** ε. @defaultValue 1e-5 (CleanRL ppo.py; PyTorch's default is 1e-8) */
  eps?: number;
}

/**
 * An Adam optimizer over a fixed list of variables. Owns its moment variables: call `dispose()`.
 * @example
 * ```ts
 * const opt = new Adam(policy.trainableVariables, { eps: 1e-5 });
 * const { value, grads } = tf.variableGrads(lossFn, policy.trainableVariables);
 * opt.applyGradients(policy.trainableVariables.map((v) => grads[v.name]!), 2.5e-4);
 * tf.dispose([value, grads]);
 * ```
 */
export class Adam {
  /** β₁. */
  readonly beta1: number;
  /** β₂. */
  readonly beta2: number;
  /** ε. */
  readonly eps: number;
  private readonly vars: readonly tf.Variable[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  constructor(variables: readonly tf.Variable[], opts: AdamOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-5;
    assertFiniteNumber('Adam', 'beta1', this.beta1, { min: 0, max: 1, maxExclusive: true });
    assertFiniteNumber('Adam', 'beta2', this.beta2, { min: 0, max: 1, maxExclusive: true });
    assertFiniteNumber('Adam', 'eps', this.eps, { min: 0, minExclusive: true });
    this.vars = variables;
    // Variables survive tf.tidy; the zerosLike intermediates do not.
    this.m = variables.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
    this.v = variables.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
  }

  /** Steps taken so far. */
  get step(): number {
    return this.t;
  }

  /**
   * Apply one Adam step with learning rate `lr` to the variables, `grads[i]` being the gradient of variable i.
   * Does not dispose `grads` (the caller owns them).
   * @throws ConfigError when `lr` is not a positive finite number or the gradient count differs.
   */
  applyGradients(grads: readonly tf.Tensor[], lr: number): void {
    assertFiniteNumber('Adam.applyGradients', 'lr', lr, { min: 0 });
    if (grads.length !== this.vars.length) {
      throw new ConfigError({
        fn: 'Adam.applyGradients',
        arg: 'grads',
        expected: `${this.vars.length} gradients, one per variable`,
        got: grads.length,
      });
    }
    this.t += 1;
    const bias1 = 1 - this.beta1 ** this.t;
    const bias2 = 1 - this.beta2 ** this.t;
    const stepSize = lr / bias1;
    const sqrtBias2 = Math.sqrt(bias2);
    tf.tidy(() => {
      const b1 = tf.scalar(this.beta1);
      const b2 = tf.scalar(this.beta2);
      const c1 = tf.scalar(1 - this.beta1);
      const c2 = tf.scalar(1 - this.beta2);
      const sb2 = tf.scalar(sqrtBias2);
      const eps = tf.scalar(this.eps);
      const ss = tf.scalar(stepSize);
      this.vars.forEach((x, i) => {
        const g = grads[i]!;
        const m = this.m[i]!;
        const v = this.v[i]!;
        m.assign(tf.add(tf.mul(b1, m), tf.mul(c1, g)));
        v.assign(tf.add(tf.mul(b2, v), tf.mul(c2, tf.square(g))));
        const denom = tf.add(tf.div(tf.sqrt(v), sb2), eps);
        x.assign(tf.sub(x, tf.mul(ss, tf.div(m, denom))));
      });
    });
  }

  /** Read the state (moments and step count) as plain arrays, for a checkpoint. */
  async getState(): Promise<AdamState> {
    const m = await Promise.all(this.m.map(async (x) => Array.from(await x.data())));
    const v = await Promise.all(this.v.map(async (x) => Array.from(await x.data())));
    return { step: this.t, m, v };
  }

  /**
   * Restore a state saved by {@link Adam.getState} for the same variables.
   * @throws CheckpointError when the state does not match the variables' count and sizes.
   */
  setState(state: AdamState): void {
    const bad = (expected: string, got: unknown): never => {
      throw new CheckpointError({ fn: 'Adam.setState', arg: 'state', expected, got });
    };
    if (state === null || typeof state !== 'object' || !Number.isSafeInteger(state.step) || state.step < 0)
      bad('an object { step, m, v } with a non-negative integer step', state);
    if (
      !Array.isArray(state.m) ||
      !Array.isArray(state.v) ||
      state.m.length !== this.vars.length ||
      state.v.length !== this.vars.length
    ) {
      bad(`moment lists for ${this.vars.length} variables`, { m: state.m?.length, v: state.v?.length });
    }
    this.vars.forEach((x, i) => {
      for (const [name, arr] of [
        ['m', state.m[i]],
        ['v', state.v[i]],
      ] as const) {
        if (
          !Array.isArray(arr) ||
          arr.length !== x.size ||
          arr.some((a) => typeof a !== 'number' || !Number.isFinite(a))
        ) {
          bad(`${name}[${i}] with ${x.size} finite numbers`, Array.isArray(arr) ? `${arr.length} values` : arr);
        }
      }
    });
    this.t = state.step;
    this.vars.forEach((x, i) => {
      tf.tidy(() => {
        this.m[i]!.assign(tf.tensor(state.m[i]!, x.shape, 'float32'));
        this.v[i]!.assign(tf.tensor(state.v[i]!, x.shape, 'float32'));
      });
    });
  }

  /** Free the moment variables. */
  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
