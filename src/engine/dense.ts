/**
 * Batched dense-layer kernels on typed arrays, for the fused engine: y = act(x·W + b) forward and the matching
 * backward pass (W `[in, out]` row-major, as the tfjs variables store it). The backward pass of y = x·W + b is
 * ∂L/∂W = xᵀ·∂L/∂y, ∂L/∂b = Σ_rows ∂L/∂y, ∂L/∂x = ∂L/∂y·Wᵀ; tanh′ = 1 − y², relu′ = [y > 0] (the tfjs `Tanh` and
 * `Relu` gradients, tfjs-core `gradients/Tanh_grad.ts`, `Relu_grad.ts`).
 * @module
 */

/**
 * Forward n rows through one dense layer: out[r,j] = b[j] + Σ_i x[r,i]·W[i,j], then tanh or relu when asked.
 * A one-hot input given as state indices (`states`) selects row s of W instead (out[r] = b + W[s_r]), which is exact.
 * @param x Float rows `[n, inDim]` (ignored when `states` is given).
 * @param states State index per row, or null.
 * @param act 0 none, 1 tanh, 2 relu.
 */
export function denseForward(
  n: number,
  inDim: number,
  outDim: number,
  W: Float32Array,
  b: Float32Array,
  x: Float64Array | null,
  states: Int32Array | null,
  out: Float64Array,
  act: number,
): void {
  for (let r = 0; r < n; r++) {
    const o = r * outDim;
    if (states) {
      const w = states[r]! * outDim;
      for (let j = 0; j < outDim; j++) out[o + j] = b[j]! + W[w + j]!;
    } else {
      for (let j = 0; j < outDim; j++) out[o + j] = b[j]!;
      const xi = r * inDim;
      for (let i = 0; i < inDim; i++) {
        const v = x![xi + i]!;
        if (v === 0) continue;
        const w = i * outDim;
        for (let j = 0; j < outDim; j++) out[o + j]! += v * W[w + j]!;
      }
    }
    if (act === 1) for (let j = 0; j < outDim; j++) out[o + j] = Math.tanh(out[o + j]!);
    else if (act === 2) for (let j = 0; j < outDim; j++) if (out[o + j]! < 0) out[o + j] = 0;
  }
}

/**
 * Backward n rows through one dense layer. On entry `dOut` holds ∂L/∂y (post-activation); it is turned in place into
 * ∂L/∂(pre-activation). Accumulates ∂L/∂W into `gW` and ∂L/∂b into `gb`, and writes ∂L/∂x into `dIn` when non-null
 * (`accumulate`: add to it instead of overwriting, for a torso that feeds two heads).
 * @param y The layer's stored output (post-activation), for the activation derivative.
 * @param act 0 none, 1 tanh, 2 relu.
 */
export function denseBackward(
  n: number,
  inDim: number,
  outDim: number,
  W: Float32Array,
  x: Float64Array | null,
  states: Int32Array | null,
  y: Float64Array,
  act: number,
  dOut: Float64Array,
  gW: Float64Array,
  gb: Float64Array,
  dIn: Float64Array | null,
  accumulate: boolean,
): void {
  for (let r = 0; r < n; r++) {
    const o = r * outDim;
    if (act === 1) {
      for (let j = 0; j < outDim; j++) {
        const t = y[o + j]!;
        dOut[o + j]! *= 1 - t * t;
      }
    } else if (act === 2) {
      for (let j = 0; j < outDim; j++) if (!(y[o + j]! > 0)) dOut[o + j] = 0;
    }
    for (let j = 0; j < outDim; j++) gb[j]! += dOut[o + j]!;
    if (states) {
      const w = states[r]! * outDim;
      for (let j = 0; j < outDim; j++) gW[w + j]! += dOut[o + j]!;
    } else {
      const xi = r * inDim;
      for (let i = 0; i < inDim; i++) {
        const v = x![xi + i]!;
        if (v === 0) continue;
        const w = i * outDim;
        for (let j = 0; j < outDim; j++) gW[w + j]! += v * dOut[o + j]!;
      }
    }
    if (dIn) {
      const xi = r * inDim;
      for (let i = 0; i < inDim; i++) {
        const w = i * outDim;
        let s = 0;
        for (let j = 0; j < outDim; j++) s += dOut[o + j]! * W[w + j]!;
        if (accumulate) dIn[xi + i]! += s;
        else dIn[xi + i] = s;
      }
    }
  }
}
