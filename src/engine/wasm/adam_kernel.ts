/**
 * The Adam update of {@link FusedAdam} as a WebAssembly SIMD kernel: four float32 lanes per instruction, each lane
 * doing exactly the float32 operations of the scalar rule (§ `src/engine/adam.ts`), in the same order, so the
 * parameters and moments are bitwise those of the JavaScript loop (IEEE 754 float32 +, −, ×, ÷, √ are correctly
 * rounded in WebAssembly and in `Math.fround` of the float64 result alike). Per lane:
 *   g ← f32(grad) (· sc when scaled),  m ← b1·m + c1·g,  v ← b2·v + c2·(g·g),
 *   x ← x − ss · (m / (√v / sb2 + eps)).
 * The moments live in the kernel's memory; parameters and gradients are copied in and out around each call.
 * Measured 3–5× faster than the scalar loop on a 140 k-parameter network (`bench/engine.ts`).
 * @module
 */
import { encodeModule, ensureMemory, op, T, type WasmFunction } from './encode.js';

const X = 0;
const G = 1;
const M = 2;
const V = 3;
const N = 4;
const B1 = 5;
const SCALED = 13;
/** v128 locals: splats of params 5–12 at 14–21, then g, m, v. */
const SPLAT = 14;
const VG = 22;
const VM = 23;
const VV = 24;
/** f32 locals of the scalar tail. */
const SG = 25;
const SM = 26;
const SV = 27;
const splat = (param: number) => op.get(SPLAT + param - B1);

function advance(local: number, bytes: number): number[] {
  return [...op.get(local), ...op.i32(bytes), ...op.i32Add, ...op.set(local)];
}

/** `adam(x, g, m, v, n, b1, b2, c1, c2, sb2, eps, ss, sc, scaled)`: byte addresses, element count, constants. */
const ADAM: WasmFunction = {
  name: 'adam',
  params: [T.i32, T.i32, T.i32, T.i32, T.i32, T.f32, T.f32, T.f32, T.f32, T.f32, T.f32, T.f32, T.f32, T.i32],
  results: [],
  locals: [...Array<number>(11).fill(T.v128), T.f32, T.f32, T.f32] as WasmFunction['locals'],
  body: [
    ...[5, 6, 7, 8, 9, 10, 11, 12].flatMap((p) => [...op.get(p), ...op.f32x4Splat, ...op.set(SPLAT + p - B1)]),
    // Four lanes at a time while n ≥ 4.
    ...op.block,
    ...op.loop,
    ...[...op.get(N), ...op.i32(3), ...op.i32GtS, ...op.i32Eqz, ...op.brIf(1)],
    // g: two float64 pairs demoted and packed into four float32 lanes.
    ...[...op.get(G), ...op.v128Load(0), ...op.f32x4DemoteF64x2Zero],
    ...[...op.get(G), ...op.v128Load(16), ...op.f32x4DemoteF64x2Zero],
    ...op.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]),
    ...op.set(VG),
    ...[...op.get(SCALED), ...op.if, ...op.get(VG), ...splat(12), ...op.f32x4Mul, ...op.set(VG), ...op.end],
    // m ← b1·m + c1·g
    ...[...splat(5), ...op.get(M), ...op.v128Load(), ...op.f32x4Mul],
    ...[...splat(7), ...op.get(VG), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(VM)],
    // v ← b2·v + c2·(g·g)
    ...[...splat(6), ...op.get(V), ...op.v128Load(), ...op.f32x4Mul],
    ...[...splat(8), ...op.get(VG), ...op.get(VG), ...op.f32x4Mul, ...op.f32x4Mul, ...op.f32x4Add, ...op.set(VV)],
    ...[...op.get(M), ...op.get(VM), ...op.v128Store(), ...op.get(V), ...op.get(VV), ...op.v128Store()],
    // x ← x − ss·(m / (√v / sb2 + eps))
    ...[...op.get(X), ...op.get(X), ...op.v128Load()],
    ...[...splat(11), ...op.get(VM), ...op.get(VV), ...op.f32x4Sqrt, ...splat(9), ...op.f32x4Div],
    ...[...splat(10), ...op.f32x4Add, ...op.f32x4Div, ...op.f32x4Mul, ...op.f32x4Sub, ...op.v128Store()],
    ...[...advance(X, 16), ...advance(M, 16), ...advance(V, 16), ...advance(G, 32), ...advance(N, -4)],
    ...op.br(0),
    ...op.end,
    ...op.end,
    // The same, one element at a time, for the last n mod 4.
    ...op.block,
    ...op.loop,
    ...[...op.get(N), ...op.i32Eqz, ...op.brIf(1)],
    ...[...op.get(G), ...op.f64Load(), ...op.f32DemoteF64, ...op.set(SG)],
    ...[...op.get(SCALED), ...op.if, ...op.get(SG), ...op.get(12), ...op.f32Mul, ...op.set(SG), ...op.end],
    ...[...op.get(5), ...op.get(M), ...op.f32Load(), ...op.f32Mul],
    ...[...op.get(7), ...op.get(SG), ...op.f32Mul, ...op.f32Add, ...op.set(SM)],
    ...[...op.get(6), ...op.get(V), ...op.f32Load(), ...op.f32Mul],
    ...[...op.get(8), ...op.get(SG), ...op.get(SG), ...op.f32Mul, ...op.f32Mul, ...op.f32Add, ...op.set(SV)],
    ...[...op.get(M), ...op.get(SM), ...op.f32Store(), ...op.get(V), ...op.get(SV), ...op.f32Store()],
    ...[...op.get(X), ...op.get(X), ...op.f32Load()],
    ...[...op.get(11), ...op.get(SM), ...op.get(SV), ...op.f32Sqrt, ...op.get(9), ...op.f32Div],
    ...[...op.get(10), ...op.f32Add, ...op.f32Div, ...op.f32Mul, ...op.f32Sub, ...op.f32Store()],
    ...[...advance(X, 4), ...advance(M, 4), ...advance(V, 4), ...advance(G, 8), ...advance(N, -1)],
    ...op.br(0),
    ...op.end,
    ...op.end,
  ],
};

let compiled: WebAssembly.Module | null | undefined;
let enabled = true;

/** The compiled module, or null where WebAssembly SIMD is unavailable (compiled once, synchronously: ~0.5 kB). */
function adamModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(encodeModule([ADAM]));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * Turn the WebAssembly Adam kernel off (or back on) for optimizers created afterwards; they then run the scalar
 * JavaScript loop. For tests and benchmarks comparing the two; results are bitwise equal either way.
 */
export function setWasmAdamEnabled(on: boolean): void {
  enabled = on;
}

/** The float32 constants of one Adam step, as `FusedAdam.apply` rounds them. */
export interface AdamConstants {
  b1: number;
  b2: number;
  c1: number;
  c2: number;
  sb2: number;
  eps: number;
  ss: number;
  sc: number;
  scaled: boolean;
}

const align16 = (bytes: number) => (bytes + 15) & ~15;

/** Adam moments in WebAssembly memory and the kernel that updates them (see the module comment). */
export class WasmAdam {
  /** First moments, one view per parameter array. */
  readonly m: Float32Array[];
  /** Second moments. */
  readonly v: Float32Array[];
  readonly #adam: (...args: number[]) => void;
  readonly #x: Float32Array;
  readonly #g: Float64Array;
  readonly #mAt: number[];
  readonly #vAt: number[];
  readonly #xAt: number;
  readonly #gAt: number;

  private constructor(instance: WebAssembly.Instance, sizes: readonly number[]) {
    const memory = instance.exports.memory as WebAssembly.Memory;
    this.#adam = instance.exports.adam as (...args: number[]) => void;
    let at = 0;
    this.#mAt = [];
    this.#vAt = [];
    for (const n of sizes) {
      this.#mAt.push(at);
      at += align16(4 * n);
    }
    for (const n of sizes) {
      this.#vAt.push(at);
      at += align16(4 * n);
    }
    const max = Math.max(0, ...sizes);
    this.#xAt = at;
    at += align16(4 * max);
    this.#gAt = at;
    at += 8 * max;
    ensureMemory(memory, at);
    const buf = memory.buffer;
    this.m = sizes.map((n, i) => new Float32Array(buf, this.#mAt[i]!, n));
    this.v = sizes.map((n, i) => new Float32Array(buf, this.#vAt[i]!, n));
    this.#x = new Float32Array(buf, this.#xAt, max);
    this.#g = new Float64Array(buf, this.#gAt, max);
  }

  /** A kernel for arrays of these sizes (moments zero), or null where WebAssembly SIMD is unavailable or off. */
  static create(sizes: readonly number[]): WasmAdam | null {
    if (!enabled) return null;
    const mod = adamModule();
    return mod ? new WasmAdam(new WebAssembly.Instance(mod, {}), sizes) : null;
  }

  /** One Adam step on every array (parameters updated in place, moments in the kernel's memory). */
  apply(params: readonly Float32Array[], grads: readonly Float64Array[], c: AdamConstants): void {
    for (let k = 0; k < params.length; k++) {
      const x = params[k]!;
      const n = x.length;
      const xs = n === this.#x.length ? this.#x : this.#x.subarray(0, n);
      xs.set(x);
      this.#g.set(grads[k]!.length === n ? grads[k]! : grads[k]!.subarray(0, n));
      this.#adam(
        this.#xAt,
        this.#gAt,
        this.#mAt[k]!,
        this.#vAt[k]!,
        n,
        c.b1,
        c.b2,
        c.c1,
        c.c2,
        c.sb2,
        c.eps,
        c.ss,
        c.sc,
        c.scaled ? 1 : 0,
      );
      x.set(xs);
    }
  }
}
