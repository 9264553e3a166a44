/**
 * tanh for the fused engine's hidden layers, in plain float64 arithmetic (+, −, ×, ÷ only), as a scalar JavaScript
 * function and as a WebAssembly SIMD kernel that performs the same operations in the same order on two lanes, so
 * both give bitwise the same numbers on every host. `Math.tanh` is not used: it cost about 16 ns a call (a fifth of
 * a float-observation update) and its last bit is not specified, so two JavaScript engines may round it
 * differently.
 *
 * Method: with a = |x| and y = min(2a, 80), write y = k·ln 2 + r with k = round(y / ln 2) (by adding and
 * subtracting 1.5·2⁵², which rounds to nearest) and r = (y − k·ln2_hi) − k·ln2_lo (Cody–Waite; the split of ln 2
 * of fdlibm's `exp`, so k·ln2_hi is exact). Then e^r − 1 = r·(1 + r/2! + … + r¹²/13!) by Horner (|r| ≤ 0.35, the
 * truncation is below 1e−17 relative), e^y − 1 = 2ᵏ·(e^r − 1) + (2ᵏ − 1), and tanh a = (e^y − 1)/(e^y − 1 + 2),
 * which keeps full relative precision near 0. The sign of x is put back last. At y = 80 the quotient is 1 to
 * float64 precision, as is tanh for every a ≥ 19.1. Relative error against `Math.tanh` stays below 1e−15
 * (test/engine/tanh_kernel.test.ts).
 * @module
 */
import { encodeModule, ensureMemory, lazyKernel, op, T, type WasmFunction } from './encode.js';

const LN2_HI = 0.6931471803691238; // fdlibm ln2_hi 0x3fe62e42fee00000
const LN2_LO = 1.9082149292705877e-10; // fdlibm ln2_lo 0x3dea39ef35793c76
const INV_LN2 = Math.LOG2E; // 1/ln 2 = 0x3ff71547652b82fe
/** 1.5·2⁵²: v + MAGIC − MAGIC rounds v to the nearest integer, and the low bits of v + MAGIC hold it. */
const MAGIC = 6755399441055744;
const Y_MAX = 80;
/** 1/n! for n = 1…13, each from the previous by one division (the same doubles everywhere). */
const INV_FACT: readonly number[] = (() => {
  const c = [1];
  for (let n = 2; n <= 13; n++) c.push(c[c.length - 1]! / n);
  return c;
})();
/** 2^k for k = 0…116 (exact: repeated doubling). */
const POW2 = (() => {
  const p = new Float64Array(117);
  p[0] = 1;
  for (let k = 1; k < p.length; k++) p[k] = p[k - 1]! * 2;
  return p;
})();

/**
 * tanh(x) by the method of this module, in scalar JavaScript: bitwise the WebAssembly kernel's result.
 * @param x Any float64 (NaN gives NaN, ±∞ give ±1).
 * @returns tanh(x), within 1e−15 relative of the exact value.
 * @example
 * ```ts
 * tanhF64(0.5); // 0.46211715726000974
 * ```
 */
export function tanhF64(x: number): number {
  const y = Math.min(Math.abs(x) * 2, Y_MAX);
  const kb = y * INV_LN2 + MAGIC;
  const k = kb - MAGIC;
  const r = y - k * LN2_HI - k * LN2_LO;
  let q = INV_FACT[12]!;
  for (let n = 11; n >= 0; n--) q = q * r + INV_FACT[n]!;
  const p = r * q;
  const s = POW2[k]!;
  const em = s * p + (s - 1);
  const t = em / (em + 2);
  return x < 0 ? -t : t;
}

/** The bytes of a v128 holding `v` in both f64 lanes. */
function f64x2(v: number): number[] {
  const b = Array.from(new Uint8Array(Float64Array.of(v).buffer));
  return [...b, ...b];
}

// Parameters; then two groups of eight v128 locals, one group per pair of lanes in flight.
const PTR = 0;
const PAIRS = 1;
const c = (v: number) => op.v128Const(f64x2(v));

/**
 * The statements of one pair's computation, for the pair at byte offset 16·g from PTR with locals from 2 + 8·g.
 * Two pairs run interleaved statement by statement, so their long dependency chains (Horner, the division) overlap.
 */
function pairStatements(g: number): number[][] {
  const L = 2 + 8 * g;
  const [X, Y, KB, K, R, S, EM, TV] = [L, L + 1, L + 2, L + 3, L + 4, L + 5, L + 6, L + 7];
  // Each statement leaves the stack as it found it, so two pairs' statements can alternate.
  return [
    [...op.get(PTR), ...op.v128Load(16 * g), ...op.set(X)],
    [...op.get(X), ...op.f64x2Abs, ...c(2), ...op.f64x2Mul, ...c(Y_MAX), ...op.f64x2Min, ...op.set(Y)],
    [...op.get(Y), ...c(INV_LN2), ...op.f64x2Mul, ...c(MAGIC), ...op.f64x2Add, ...op.set(KB)],
    [...op.get(KB), ...c(MAGIC), ...op.f64x2Sub, ...op.set(K)],
    [
      ...[...op.get(Y), ...op.get(K), ...c(LN2_HI), ...op.f64x2Mul, ...op.f64x2Sub],
      ...[...op.get(K), ...c(LN2_LO), ...op.f64x2Mul, ...op.f64x2Sub, ...op.set(R)],
    ],
    [...c(INV_FACT[12]!), ...op.set(EM)], // q, kept in EM until p is formed
    ...[11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((n) => [
      ...op.get(EM),
      ...op.get(R),
      ...op.f64x2Mul,
      ...c(INV_FACT[n]!),
      ...op.f64x2Add,
      ...op.set(EM),
    ]),
    // s = 2^k: k sits in the low bits of kb; shifted into the exponent field and added to the bits of 1.0.
    [...op.get(KB), ...op.i32(52), ...op.i64x2Shl, ...c(1), ...op.i64x2Add, ...op.set(S)],
    // em = s·p + (s − 1) with p = q·r (× commutes bitwise)
    [
      ...[...op.get(S), ...op.get(EM), ...op.get(R), ...op.f64x2Mul, ...op.f64x2Mul],
      ...[...op.get(S), ...c(1), ...op.f64x2Sub, ...op.f64x2Add, ...op.set(EM)],
    ],
    [...op.get(EM), ...op.get(EM), ...c(2), ...op.f64x2Add, ...op.f64x2Div, ...op.set(TV)],
    // x < 0 ? −t : t
    [
      ...[...op.get(PTR), ...op.get(TV), ...op.f64x2Neg, ...op.get(TV)],
      ...[...op.get(X), ...c(0), ...op.f64x2Lt, ...op.v128Bitselect, ...op.v128Store(16 * g)],
    ],
  ];
}

const A = pairStatements(0);
const B = pairStatements(1);

/**
 * tanh in place over `pairs` pairs of float64 at `ptr` (16-byte aligned, `pairs` even), the operations of
 * {@link tanhF64}, two pairs per iteration.
 */
const TANH: WasmFunction = {
  name: 'tanh',
  params: [T.i32, T.i32],
  results: [],
  locals: Array<number>(16).fill(T.v128) as WasmFunction['locals'],
  body: [
    ...op.block,
    ...op.loop,
    ...[...op.get(PAIRS), ...op.i32Eqz, ...op.brIf(1)],
    ...A.flatMap((stmt, i) => [...stmt, ...B[i]!]),
    ...[...op.get(PTR), ...op.i32(32), ...op.i32Add, ...op.set(PTR)],
    ...[...op.get(PAIRS), ...op.i32(-2), ...op.i32Add, ...op.set(PAIRS)],
    ...op.br(0),
    ...op.end,
    ...op.end,
  ],
};

/**
 * The kernel's module bytes. Chromium compiles a module synchronously on the page's main thread only below 4 KiB,
 * so this must stay under that (test/engine/tanh_kernel.test.ts).
 */
export function tanhModuleBytes(): Uint8Array<ArrayBuffer> {
  return encodeModule([TANH]);
}

const TANH_KERNEL = lazyKernel([TANH]);
const kernel = () => TANH_KERNEL.get();
/** A view over the kernel's whole memory, rebuilt when the memory grows (a grown memory has a new buffer). */
let view: Float64Array | null = null;

/** Turn the WebAssembly tanh kernel off (or on); {@link tanhF64} then runs, bitwise the same. For tests. */
export function setWasmTanhEnabled(on: boolean): void {
  TANH_KERNEL.setEnabled(on);
}

/** Whether the WebAssembly tanh kernel is built and enabled (false where WebAssembly SIMD is missing). */
export function wasmTanhAvailable(): boolean {
  return kernel() !== null;
}

/**
 * a[o … o+len) ← tanh of each entry: the WebAssembly kernel on blocks of four, {@link tanhF64} on the last len mod 4
 * entries or where the kernel is unavailable. Bitwise the same either way.
 * @example
 * ```ts
 * tanhInPlace(h, 0, h.length);
 * ```
 */
export function tanhInPlace(a: Float64Array, o: number, len: number): void {
  const k = kernel();
  const pairs = k ? (len >> 2) << 1 : 0; // an even number of pairs: the kernel runs two at a time
  if (pairs > 0) {
    const memory = k!.exports.memory as WebAssembly.Memory;
    ensureMemory(memory, 16 * pairs);
    if (view?.buffer !== memory.buffer) view = new Float64Array(memory.buffer); // once per memory growth
    const n = 2 * pairs;
    // Short rows by hand (a subarray is an allocation), long ones by `set` (a block copy).
    if (n < 128) for (let j = 0; j < n; j++) view[j] = a[o + j]!;
    else view.set(a.subarray(o, o + n));
    (k!.exports.tanh as (ptr: number, pairs: number) => void)(0, pairs);
    if (n < 128) for (let j = 0; j < n; j++) a[o + j] = view[j]!;
    else a.set(view.subarray(0, n), o);
  }
  for (let j = o + 2 * pairs; j < o + len; j++) a[j] = tanhF64(a[j]!);
}
