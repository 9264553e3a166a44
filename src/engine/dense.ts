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
  let r0 = 0;
  if (!states) {
    // Four rows at a time: each kernel entry is loaded once per block (about 2× faster than row by row here).
    for (; r0 + 3 < n; r0 += 4) {
      const o0 = r0 * outDim;
      const o1 = o0 + outDim;
      const o2 = o1 + outDim;
      const o3 = o2 + outDim;
      for (let j = 0; j < outDim; j++) {
        const bj = b[j]!;
        out[o0 + j] = bj;
        out[o1 + j] = bj;
        out[o2 + j] = bj;
        out[o3 + j] = bj;
      }
      const x0i = r0 * inDim;
      for (let i = 0; i < inDim; i++) {
        const v0 = x![x0i + i]!;
        const v1 = x![x0i + inDim + i]!;
        const v2 = x![x0i + 2 * inDim + i]!;
        const v3 = x![x0i + 3 * inDim + i]!;
        const w = i * outDim;
        for (let j = 0; j < outDim; j++) {
          const wj = W[w + j]!;
          out[o0 + j]! += v0 * wj;
          out[o1 + j]! += v1 * wj;
          out[o2 + j]! += v2 * wj;
          out[o3 + j]! += v3 * wj;
        }
      }
      activate(out, o0, 4 * outDim, act);
    }
  }
  for (let r = r0; r < n; r++) {
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
    activate(out, o, outDim, act);
  }
}

/** Apply the activation (0 none, 1 tanh, 2 relu) to out[o, o + len). */
function activate(out: Float64Array, o: number, len: number, act: number): void {
  if (act === 1) for (let j = o; j < o + len; j++) out[j] = Math.tanh(out[j]!);
  else if (act === 2) for (let j = o; j < o + len; j++) if (out[j]! < 0) out[j] = 0;
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
  let r0 = 0;
  if (!states) {
    // Four rows at a time (as in denseForward): one load/store of each gW entry and W entry per block.
    for (; r0 + 3 < n; r0 += 4) {
      const o0 = r0 * outDim;
      const o1 = o0 + outDim;
      const o2 = o1 + outDim;
      const o3 = o2 + outDim;
      activationGrad(y, dOut, o0, 4 * outDim, act);
      for (let j = 0; j < outDim; j++) gb[j]! += dOut[o0 + j]! + dOut[o1 + j]! + dOut[o2 + j]! + dOut[o3 + j]!;
      const x0i = r0 * inDim;
      for (let i = 0; i < inDim; i++) {
        const v0 = x![x0i + i]!;
        const v1 = x![x0i + inDim + i]!;
        const v2 = x![x0i + 2 * inDim + i]!;
        const v3 = x![x0i + 3 * inDim + i]!;
        const w = i * outDim;
        for (let j = 0; j < outDim; j++)
          gW[w + j]! += v0 * dOut[o0 + j]! + v1 * dOut[o1 + j]! + v2 * dOut[o2 + j]! + v3 * dOut[o3 + j]!;
      }
      if (dIn) {
        for (let i = 0; i < inDim; i++) {
          const w = i * outDim;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let j = 0; j < outDim; j++) {
            const wj = W[w + j]!;
            s0 += dOut[o0 + j]! * wj;
            s1 += dOut[o1 + j]! * wj;
            s2 += dOut[o2 + j]! * wj;
            s3 += dOut[o3 + j]! * wj;
          }
          if (accumulate) {
            dIn[x0i + i]! += s0;
            dIn[x0i + inDim + i]! += s1;
            dIn[x0i + 2 * inDim + i]! += s2;
            dIn[x0i + 3 * inDim + i]! += s3;
          } else {
            dIn[x0i + i] = s0;
            dIn[x0i + inDim + i] = s1;
            dIn[x0i + 2 * inDim + i] = s2;
            dIn[x0i + 3 * inDim + i] = s3;
          }
        }
      }
    }
  }
  for (let r = r0; r < n; r++) {
    const o = r * outDim;
    activationGrad(y, dOut, o, outDim, act);
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

/** dOut ← dOut ⊙ act′ on [o, o + len): tanh′ = 1 − y², relu′ = [y > 0]. */
function activationGrad(y: Float64Array, dOut: Float64Array, o: number, len: number, act: number): void {
  if (act === 1) {
    for (let j = o; j < o + len; j++) {
      const t = y[j]!;
      dOut[j]! *= 1 - t * t;
    }
  } else if (act === 2) {
    for (let j = o; j < o + len; j++) if (!(y[j]! > 0)) dOut[j] = 0;
  }
}
