/**
 * Internal building blocks of the policies (not re-exported by the barrel): a named variable set with
 * versioning and JSON weights, seeded orthogonal initialisation in plain JS, and dense chains with a tensor
 * forward pass and an allocation-free float64 forward pass for single observations.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber, assertOneOf } from '../core/assert.js';
import { CheckpointError, ConfigError, ShapeError } from '../core/errors.js';
import type { Rng } from '../random/rng.js';
import type { Activation, PolicyWeight, SpaceLike } from './types.js';

let nextSetId = 0;

/** Initial value of one variable: shape and row-major float values. */
export interface VariableSpec {
  name: string;
  shape: number[];
  values: ArrayLike<number>;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * An owned list of named `tf.Variable`s. Logical names (`actor/0/kernel`) are stable across copies; the tfjs
 * names get a unique prefix because tfjs registers variables by name globally. `version` changes after any
 * `assign` to a member (klip's Adam, a tfjs optimizer, `setWeights`, a user's own `v.assign`): tfjs gives an
 * assigned variable the data of the new value (`Variable.assign` in tfjs-core `tensor.ts` replaces its `dataId`),
 * so comparing the members' `dataId`s with the ones last seen detects every write without patching `assign`.
 */
export class VariableSet {
  /** Logical names, e.g. `logits`, `actor/0/kernel`, in variable order. */
  readonly names: readonly string[];
  /** The shape of each variable. */
  readonly shapes: readonly (readonly number[])[];
  /** The tfjs variables (owned: `dispose()` frees them). */
  readonly variables: readonly tf.Variable[];
  /** Whether optimizers may update them (false for frozen copies). */
  readonly trainable: boolean;
  #version = 0;
  #seen: readonly object[];
  private disposed = false;

  constructor(prefix: string, specs: readonly VariableSpec[], trainable: boolean) {
    const id = nextSetId++;
    this.trainable = trainable;
    this.names = specs.map((s) => s.name);
    this.shapes = specs.map((s) => [...s.shape]);
    this.variables = specs.map((s) => {
      const v = tf.tidy(() =>
        tf.variable(
          tf.tensor(Float32Array.from(s.values), s.shape, 'float32'),
          trainable,
          `klip/${prefix}${id}/${s.name}`,
        ),
      );
      return v;
    });
    this.#seen = this.variables.map((v) => v.dataId);
  }

  /**
   * A counter that changes after any write to a member variable (compared with the `dataId`s last seen; O(number of
   * variables), a few reference comparisons per call).
   */
  get version(): number {
    const vars = this.variables;
    for (let i = 0; i < vars.length; i++) {
      if (vars[i]!.dataId !== this.#seen[i]) {
        this.#seen = vars.map((v) => v.dataId);
        this.#version++;
        break;
      }
    }
    return this.#version;
  }

  /** True after `dispose()`. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The variable called `name` (logical name). */
  get(name: string): tf.Variable {
    const i = this.names.indexOf(name);
    if (i < 0) throw new Error(`VariableSet: no variable ${name}`);
    return this.variables[i]!;
  }

  /** Current values of every variable, float32 read back synchronously. */
  readAll(): Float32Array[] {
    return this.variables.map((v) => v.dataSync() as Float32Array);
  }

  /** The weights as plain JSON records. */
  getWeights(): PolicyWeight[] {
    const data = this.readAll();
    return this.names.map((name, i) => ({ name, shape: [...this.shapes[i]!], values: Array.from(data[i]!) }));
  }

  /** Validate every record (names in order, shapes, value counts, numbers), then assign them all. */
  setWeights(fn: string, weights: readonly PolicyWeight[]): void {
    if (this.disposed)
      throw new ConfigError({
        fn,
        arg: 'this',
        expected: 'a policy that has not been disposed',
        got: 'a disposed policy',
      });
    if (!Array.isArray(weights))
      throw new CheckpointError({
        fn,
        arg: 'weights',
        expected: 'an array of { name, shape, values } records',
        got: weights,
      });
    if (weights.length !== this.names.length) {
      throw new CheckpointError({
        fn,
        arg: 'weights',
        expected: `${this.names.length} records (${this.names.join(', ')})`,
        got: `${weights.length} records`,
      });
    }
    const arrays: Float32Array[] = [];
    weights.forEach((w, i) => {
      const name = this.names[i]!;
      const shape = this.shapes[i]!;
      if (w === null || typeof w !== 'object' || !Array.isArray(w.shape) || !Array.isArray(w.values)) {
        throw new CheckpointError({ fn, arg: `weights[${i}]`, expected: 'an object { name, shape, values }', got: w });
      }
      if (w.name !== name)
        throw new CheckpointError({ fn, arg: `weights[${i}].name`, expected: `'${name}'`, got: w.name });
      if (w.shape.length !== shape.length || (w.shape as unknown[]).some((d: unknown, j: number) => d !== shape[j])) {
        throw new ShapeError({
          fn,
          arg: `weights[${i}].shape`,
          expected: `[${shape.join(',')}] for ${name}`,
          got: w.shape,
        });
      }
      const n = sizeOf(shape);
      if (w.values.length !== n) {
        throw new ShapeError({
          fn,
          arg: `weights[${i}].values`,
          expected: `${n} numbers for shape [${shape.join(',')}]`,
          got: `${w.values.length} values`,
        });
      }
      const arr = new Float32Array(n);
      for (let j = 0; j < n; j++) {
        const x = w.values[j];
        if (typeof x !== 'number')
          throw new CheckpointError({ fn, arg: `weights[${i}].values[${j}]`, expected: 'a number', got: x });
        arr[j] = x;
      }
      arrays.push(arr);
    });
    tf.tidy(() => {
      this.variables.forEach((v, i) => {
        v.assign(tf.tensor(arrays[i]!, this.shapes[i] as number[], 'float32'));
      });
    });
  }

  /** A deep copy with fresh variables (trainable or frozen). */
  copy(prefix: string, trainable: boolean): VariableSet {
    const data = this.readAll();
    return new VariableSet(
      prefix,
      this.names.map((name, i) => ({ name, shape: [...this.shapes[i]!], values: data[i]! })),
      trainable,
    );
  }

  /** Free every variable (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables) v.dispose();
  }
}

/**
 * A random matrix with orthonormal columns (rows ≥ cols) or rows (rows < cols), times `gain`: the
 * Saxe et al. (2014) initialiser as in `torch.nn.init.orthogonal_` and tfjs `Orthogonal`: A ~ N(0,1)^{max×min},
 * A = QR, Q ← Q·sign(diag R), transposed when rows < cols. Here in float64 JS by modified Gram–Schmidt run twice
 * (whose R has a positive diagonal, so Q is already sign-corrected), drawing A from `rng.normal()`.
 * @returns Row-major `[rows, cols]`.
 */
export function orthogonalMatrix(rows: number, cols: number, gain: number, rng: Rng): Float64Array {
  const big = Math.max(rows, cols);
  const small = Math.min(rows, cols);
  const q: Float64Array[] = Array.from({ length: small }, () => new Float64Array(big));
  for (let i = 0; i < big; i++) for (let j = 0; j < small; j++) q[j]![i] = rng.normal();
  for (let j = 0; j < small; j++) {
    const c = q[j]!;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const u = q[k]!;
        let dot = 0;
        for (let i = 0; i < big; i++) dot += u[i]! * c[i]!;
        for (let i = 0; i < big; i++) c[i]! -= dot * u[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < big; i++) norm += c[i]! * c[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < big; i++) c[i]! /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows ≥ cols: W = Q (big × small); else W = Qᵀ.
      out[r * cols + c] = gain * (rows >= cols ? q[c]![r]! : q[r]![c]!);
    }
  }
  return out;
}

/** One dense layer y = x·W + b with W `[inDim, outDim]`: indices of its variables in the set. */
export interface Dense {
  kernel: number;
  bias: number;
  inDim: number;
  outDim: number;
  /** Apply the activation after this layer. */
  activate: boolean;
}

/** Add the specs of a chain of dense layers with orthogonal kernels and zero biases. */
export function denseChain(
  specs: VariableSpec[],
  prefix: string,
  dims: readonly number[],
  gains: readonly number[],
  activateLast: boolean,
  rng: Rng | null,
): Dense[] {
  const layers: Dense[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    const inDim = dims[l]!;
    const outDim = dims[l + 1]!;
    const last = l + 2 === dims.length;
    const tag = last && !activateLast ? 'out' : String(l);
    layers.push({ kernel: specs.length, bias: specs.length + 1, inDim, outDim, activate: !last || activateLast });
    specs.push({
      name: `${prefix}/${tag}/kernel`,
      shape: [inDim, outDim],
      values: rng ? orthogonalMatrix(inDim, outDim, gains[l]!, rng) : new Float64Array(inDim * outDim),
    });
    specs.push({ name: `${prefix}/${tag}/bias`, shape: [outDim], values: new Float64Array(outDim) });
  }
  return layers;
}

export type { Activation } from './types.js';

/** Tensor forward through a chain (call inside tidy). */
export function chainForward(
  x: tf.Tensor,
  layers: readonly Dense[],
  vars: readonly tf.Variable[],
  activation: Activation,
): tf.Tensor {
  let h = x as tf.Tensor2D;
  for (const L of layers) {
    h = tf.add(tf.matMul(h, vars[L.kernel] as tf.Tensor2D), vars[L.bias]!) as tf.Tensor2D;
    if (L.activate) h = activation === 'tanh' ? tf.tanh(h) : tf.relu(h);
  }
  return h;
}

/** Float64 copies of a chain's weights (kernels transposed to `[out, in]`) plus scratch outputs, for the allocation-free forward pass. */
export interface FastChain {
  kernels: Float64Array[];
  biases: Float64Array[];
  outs: Float64Array[];
  layers: readonly Dense[];
  tanh: boolean;
}

/** Make the fast copy of a chain (weights filled by {@link refreshFastChain}). */
export function makeFastChain(layers: readonly Dense[], activation: Activation): FastChain {
  return {
    kernels: layers.map((L) => new Float64Array(L.inDim * L.outDim)),
    biases: layers.map((L) => new Float64Array(L.outDim)),
    outs: layers.map((L) => new Float64Array(L.outDim)),
    layers,
    tanh: activation === 'tanh',
  };
}

/** Copy the current weights (read with `readAll`) into the fast chain, kernels transposed to `[out, in]`. */
export function refreshFastChain(fc: FastChain, data: readonly Float32Array[]): void {
  fc.layers.forEach((L, l) => {
    const src = data[L.kernel]!;
    const dst = fc.kernels[l]!;
    const nIn = L.inDim;
    const nOut = L.outDim;
    for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) dst[j * nIn + i] = src[i * nOut + j]!;
    fc.biases[l]!.set(data[L.bias]!);
  });
}

/**
 * Forward one observation through a fast chain without allocating. The input is either a float vector or,
 * when `input` is a number, a one-hot state index (then the first layer is a row lookup).
 * @returns The chain's last scratch buffer (overwritten by the next call).
 */
export function fastForward(fc: FastChain, input: number | ArrayLike<number>): Float64Array {
  let x: ArrayLike<number> = fc.outs[0]!;
  for (let l = 0; l < fc.layers.length; l++) {
    const L = fc.layers[l]!;
    const WT = fc.kernels[l]!; // [out, in]
    const b = fc.biases[l]!;
    const out = fc.outs[l]!;
    const n = L.outDim;
    const m = L.inDim;
    if (l === 0 && typeof input === 'number') {
      for (let j = 0; j < n; j++) out[j] = b[j]! + WT[j * m + input]!;
    } else {
      const v = l === 0 ? (input as ArrayLike<number>) : x;
      for (let j = 0; j < n; j++) {
        // Four partial sums: shorter floating-point dependency chains (measured ~10% faster for m = 64).
        const base = j * m;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let i = 0;
        for (; i + 3 < m; i += 4) {
          a0 += WT[base + i]! * v[i]!;
          a1 += WT[base + i + 1]! * v[i + 1]!;
          a2 += WT[base + i + 2]! * v[i + 2]!;
          a3 += WT[base + i + 3]! * v[i + 3]!;
        }
        for (; i < m; i++) a0 += WT[base + i]! * v[i]!;
        out[j] = b[j]! + (a0 + a1 + (a2 + a3));
      }
    }
    if (L.activate) {
      if (fc.tanh) for (let j = 0; j < n; j++) out[j] = Math.tanh(out[j]!);
      else for (let j = 0; j < n; j++) if (out[j]! < 0) out[j] = 0;
    }
    x = out;
  }
  return x as Float64Array;
}

/** Validate an `Rng`-like object (structural). */
export function assertRng(fn: string, arg: string, rng: unknown): asserts rng is Rng {
  const r = rng as Partial<Rng> | null | undefined;
  if (!r || typeof r !== 'object' || typeof r.normal !== 'function' || typeof r.float !== 'function') {
    throw new ConfigError({ fn, arg, expected: 'an Rng from createRng(seed)', got: rng });
  }
}

/**
 * Build a policy that adopts `vars` (clone/freeze pass copied variables to the constructor's `adopt` argument);
 * disposes `vars` if the constructor throws, so a failed copy leaks nothing.
 */
export function withVariables<T>(vars: VariableSet, make: (adopt: VariableSet) => T): T {
  try {
    return make(vars);
  } catch (e) {
    vars.dispose();
    throw e;
  }
}

/** Which dense chains an MLP policy has, as indices into its variable set. */
export interface MlpLayout {
  /** Shared hidden layers (empty unless `sharedCritic`). */
  torso: Dense[];
  /** Actor layers after the torso (hidden + head, or only the head when shared). */
  actor: Dense[];
  /** Critic layers after the torso, or null without a critic. */
  critic: Dense[] | null;
}

/** Build the variable specs and layout of an MLP (CleanRL `Agent`: gains √2 hidden, `headGain` actor, 1 critic). */
export function buildMlp(args: {
  inDim: number;
  outDim: number;
  hidden: readonly number[];
  shared: boolean;
  critic: boolean;
  headGain: number;
  /** Null for copies (values are replaced by the copied variables). */
  rng: Rng | null;
}): { specs: VariableSpec[]; layout: MlpLayout } {
  const { inDim, outDim, hidden, shared, critic, headGain, rng } = args;
  const specs: VariableSpec[] = [];
  const hg = hidden.map(() => Math.SQRT2);
  if (shared) {
    const torso = denseChain(specs, 'torso', [inDim, ...hidden], hg, true, rng);
    const h = hidden.length ? hidden[hidden.length - 1]! : inDim;
    const actor = denseChain(specs, 'actor', [h, outDim], [headGain], false, rng);
    const crit = critic ? denseChain(specs, 'critic', [h, 1], [1], false, rng) : null;
    return { specs, layout: { torso, actor, critic: crit } };
  }
  const actor = denseChain(specs, 'actor', [inDim, ...hidden, outDim], [...hg, headGain], false, rng);
  const crit = critic ? denseChain(specs, 'critic', [inDim, ...hidden, 1], [...hg, 1], false, rng) : null;
  return { specs, layout: { torso: [], actor, critic: crit } };
}

/** Tensor forward and allocation-free fast forward of an MLP layout over a variable set. */
export class MlpNet {
  readonly #torso: FastChain;
  readonly #actor: FastChain;
  readonly #critic: FastChain | null;
  #version = -1;

  constructor(
    readonly vars: VariableSet,
    readonly layout: MlpLayout,
    readonly activation: Activation,
  ) {
    this.#torso = makeFastChain(layout.torso, activation);
    this.#actor = makeFastChain(layout.actor, activation);
    this.#critic = layout.critic ? makeFastChain(layout.critic, activation) : null;
  }

  /** Torso output (or x itself) → { actor output [B, out], critic output [B] or null }. Call inside tidy. */
  forward(
    x: tf.Tensor,
    withActor: boolean,
    withCritic: boolean,
  ): { actor: tf.Tensor | null; critic: tf.Tensor | null } {
    const v = this.vars.variables;
    const h = this.layout.torso.length ? chainForward(x, this.layout.torso, v, this.activation) : x;
    const actor = withActor ? chainForward(h, this.layout.actor, v, this.activation) : null;
    let critic: tf.Tensor | null = null;
    if (withCritic && this.layout.critic) {
      const c = chainForward(h, this.layout.critic, v, this.activation);
      critic = tf.reshape(c, [c.shape[0]!]);
    }
    return { actor, critic };
  }

  /** Whether the fast copies are older than the variables. */
  get stale(): boolean {
    return this.#version !== this.vars.version;
  }

  /** Copy the variables into the fast chains; returns the raw data for extra variables (e.g. logStd). */
  sync(): Float32Array[] {
    const data = this.vars.readAll();
    refreshFastChain(this.#torso, data);
    refreshFastChain(this.#actor, data);
    if (this.#critic) refreshFastChain(this.#critic, data);
    this.#version = this.vars.version;
    return data;
  }

  /**
   * One observation (state index for one-hot input, or a float vector) → actor output (a scratch buffer);
   * V(s) goes to `lastValue` when `withValue` (else NaN). No allocation.
   */
  fast(obs: number | ArrayLike<number>, withValue = true): Float64Array {
    const h = this.layout.torso.length ? fastForward(this.#torso, obs) : obs;
    const actor = fastForward(this.#actor, h);
    this.lastValue = withValue && this.#critic ? fastForward(this.#critic, h)[0]! : NaN;
    return actor;
  }

  /** V(s) of the last {@link MlpNet.fast} call (NaN without a critic or when not asked for). */
  lastValue = NaN;
}

/** Validated common options of the MLP policies. */
export interface ResolvedMlpOptions {
  obsSpace: SpaceLike;
  inDim: number;
  hidden: number[];
  activation: Activation;
  critic: boolean;
}

/** Validate obsSpace, hidden, activation, critic and rng of an MLP policy. */
export function resolveMlpOptions(
  fn: string,
  opts: {
    obsSpace: SpaceLike;
    hidden?: readonly number[];
    activation?: Activation;
    critic?: boolean;
    rng?: Rng;
  },
  needRng: boolean,
): ResolvedMlpOptions {
  if (opts === null || typeof opts !== 'object')
    throw new ConfigError({ fn, arg: 'opts', expected: 'an options object', got: opts });
  const { obsSpace, hidden = [64, 64], activation = 'tanh', critic = true } = opts;
  const inDim = spaceSize(fn, 'obsSpace', obsSpace);
  if (!Array.isArray(hidden))
    throw new ConfigError({ fn, arg: 'hidden', expected: 'an array of positive integers', got: hidden });
  hidden.forEach((h, i) => {
    assertFiniteNumber(fn, `hidden[${i}]`, h, { min: 1, integer: true });
  });
  assertOneOf(fn, 'activation', activation, ['tanh', 'relu'] as const);
  if (typeof critic !== 'boolean') throw new ConfigError({ fn, arg: 'critic', expected: 'a boolean', got: critic });
  if (needRng) assertRng(fn, 'rng', opts.rng);
  return { obsSpace, inDim, hidden: [...hidden], activation, critic };
}

/** n for a discrete space, Π shape for a box; ConfigError otherwise. */
export function spaceSize(fn: string, arg: string, space: unknown): number {
  const s = space as { kind?: unknown; n?: unknown; shape?: unknown } | null;
  if (s && typeof s === 'object' && s.kind === 'discrete') {
    assertFiniteNumber(fn, `${arg}.n`, s.n, { min: 1, integer: true });
    return s.n;
  }
  if (s && typeof s === 'object' && s.kind === 'box' && Array.isArray(s.shape) && s.shape.length > 0) {
    let n = 1;
    (s.shape as unknown[]).forEach((d, i) => {
      assertFiniteNumber(fn, `${arg}.shape[${i}]`, d, { min: 1, integer: true });
      n *= d;
    });
    return n;
  }
  throw new ConfigError({ fn, arg, expected: "a space { kind: 'discrete', n } or { kind: 'box', shape }", got: space });
}

/** Check one raw observation for the fast path; returns it. */
export function checkRawObs(fn: string, space: SpaceLike, inDim: number, obs: unknown): number | ArrayLike<number> {
  if (space.kind === 'discrete') {
    if (typeof obs !== 'number' || !Number.isInteger(obs) || obs < 0 || obs >= inDim) {
      throw new ConfigError({ fn, arg: 'obs', expected: `a state index in [0, ${inDim})`, got: obs });
    }
    return obs;
  }
  if (obs === null || typeof obs !== 'object' || (obs as ArrayLike<number>).length !== inDim) {
    throw new ShapeError({ fn, arg: 'obs', expected: `an array of ${inDim} numbers`, got: obs });
  }
  return obs as ArrayLike<number>;
}

/** Check an encoded batch [B, inDim] float32 for the tensor path. */
export function checkEncoded(fn: string, obs: unknown, inDim: number): tf.Tensor2D {
  const t = obs as tf.Tensor;
  if (!(obs instanceof tf.Tensor) || t.rank !== 2 || t.shape[1] !== inDim || t.dtype !== 'float32') {
    throw new ShapeError({
      fn,
      arg: 'obs',
      expected: `an encoded float32 tensor [B, ${inDim}] (see encoderFor)`,
      got: obs,
    });
  }
  return t as tf.Tensor2D;
}
