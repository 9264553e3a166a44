/**
 * Small tfjs helpers shared by the tensor modules.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError, NumericError, ShapeError } from './errors.js';

/** A value accepted where a tensor is expected: a tensor, or (nested) number arrays / typed arrays. */
export type TensorLike = tf.Tensor | number | number[] | number[][] | Float32Array | Float64Array | Int32Array;

/**
 * Convert `x` to a float32 tensor (tfjs `convertToTensor`). A tensor is returned as is (not cloned, not owned);
 * arrays become new tensors that belong to the surrounding `tf.tidy`.
 * @throws BackendError when no backend is ready yet ({@link requireBackend}).
 * @throws ShapeError for ragged nested arrays or non-numeric input.
 */
export function toTensor(fn: string, arg: string, x: TensorLike, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  if (x instanceof tf.Tensor) return x;
  requireBackend(fn);
  const shape = rectangularShape(x);
  if (shape === null) throw new ShapeError({ fn, arg, expected: 'a tensor or a rectangular array of numbers', got: x });
  // tf.tensor accepts only Float32Array, Int32Array and Uint8Array views; copy other typed arrays (Float64Array, …).
  if (isTypedArray(x) && !(x instanceof Float32Array || x instanceof Int32Array || x instanceof Uint8Array)) {
    return tf.tensor(Array.from(x, Number), shape, dtype);
  }
  return tf.tensor(x as number[], shape, dtype);
}

/**
 * Check that tfjs has a backend ready for a new tensor. tfjs initialises the wasm backend asynchronously, so a tensor
 * created before `await ready()` (or `await setBackend(…)`, or `await tf.ready()`) finishes makes tfjs throw "The
 * highest priority backend 'wasm' has not yet been initialized"; this turns that state into a {@link BackendError}
 * that names `ready()`. A backend that initialises synchronously (tfjs-cpu as the only one registered) is started
 * here, as tfjs itself would.
 * @param fn The public function about to create a tensor, named in the error.
 * @throws BackendError when the backend is still starting.
 */
export function requireBackend(fn: string): void {
  try {
    void tf.engine().backend;
  } catch (e) {
    const message = (e as Error).message ?? '';
    if (!/has not yet been initialized/.test(message)) throw e;
    const name = /backend '([^']*)'/i.exec(message)?.[1];
    const known = name !== undefined && name !== 'null' && name !== 'undefined';
    throw new BackendError({
      fn,
      arg: 'backend',
      expected: "ready before the first tensor: call `await ready()` (from 'klip') once at the start",
      got: known ? `${name} (still starting)` : 'a backend still starting',
    });
  }
}

/** A typed array (an `ArrayBufferView` other than a `DataView`), readable by index. */
function isTypedArray(x: unknown): x is ArrayBufferView & ArrayLike<number | bigint> {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

/** The shape of a rectangular nested array of numbers, or null when ragged or not numeric. */
function rectangularShape(x: unknown): number[] | null {
  if (typeof x === 'number') return [];
  if (x instanceof DataView) return null;
  if (isTypedArray(x)) return [x.length];
  if (!Array.isArray(x)) return null;
  if (x.length === 0) return [0];
  const inner = rectangularShape(x[0]);
  if (inner === null) return null;
  for (let i = 1; i < x.length; i++) {
    const s = rectangularShape(x[i]);
    if (s === null || s.length !== inner.length || s.some((d, j) => d !== inner[j])) return null;
  }
  return [x.length, ...inner];
}

/**
 * Mean of `x` over the entries where `mask` is 1: Σ mask·x / max(Σ mask, 1). Returns a new scalar; caller disposes.
 */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(x, mask)).div(tf.maximum(tf.sum(mask), 1)) as tf.Scalar);
}

/**
 * Global L2 norm √(Σ_i ‖g_i‖²) of a list of tensors (as in `torch.nn.utils.clip_grad_norm_`).
 * Returns a new scalar; caller disposes.
 */
export function globalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as tf.Scalar;
  });
}

/**
 * Read a record of scalar tensors into numbers in one async round, then dispose them
 * (async reads cannot happen inside `tf.tidy`, which is synchronous). Non-tensor entries are copied as they are.
 * @throws NumericError naming the key when `requireFinite` and a value is NaN or ±Infinity.
 */
export async function readScalars<K extends string>(
  record: Record<K, tf.Tensor | number>,
  opts: { fn?: string; requireFinite?: boolean } = {},
): Promise<Record<K, number>> {
  const keys = Object.keys(record) as K[];
  const values = await Promise.all(
    keys.map(async (k) => {
      const v = record[k];
      if (typeof v === 'number') return v;
      const data = await v.data();
      return data[0] ?? NaN;
    }),
  );
  tf.dispose(keys.map((k) => record[k]).filter((v): v is tf.Tensor => typeof v !== 'number'));
  const out = {} as Record<K, number>;
  keys.forEach((k, i) => {
    const v = values[i]!;
    if (opts.requireFinite && !Number.isFinite(v)) {
      throw new NumericError({ fn: opts.fn ?? 'readScalars', arg: k, expected: 'a finite number', got: v });
    }
    out[k] = v;
  });
  return out;
}
