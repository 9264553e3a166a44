/**
 * The forward product of {@link denseForward} for blocks of four rows as a WebAssembly SIMD kernel. Each output
 * out[r,j] = b[j] + Σ_i x[r,i]·W[i,j] starts at b[j] (float32 widened to float64) and adds the float64 products
 * for i = 0, 1, … in order, two columns per f64x2 lane pair: the operations and their order are those of the
 * JavaScript loop, so the result is bitwise the same (float64 + and × are correctly rounded everywhere, and no fused
 * multiply-add is used). Tiles of 4 rows × 4 columns stay in eight v128 locals.
 * @module
 */
import { ensureMemory, lazyKernel, op, T, type WasmFunction } from './encode.js';

// Parameters.
const X = 0;
const W = 1;
const B = 2;
const OUT = 3;
const BLOCKS = 4;
const IN = 5;
const J4 = 6;
const OUT_DIM = 7;
// i32 locals.
const J = 8;
const I = 9;
const XR = 10;
const OROW = 11;
const WP = 12;
const XP = 13; // 13–16: the four rows' x pointers
const RSX = 17;
const RSO = 18;
const RSW = 19;
const P = 20;
// v128 locals: accumulators (row r: low pair 21 + 2r, high pair 22 + 2r), then w low/high and the splat.
const ACC = 21;
const WL = 29;
const WH = 30;
const VS = 31;

const add = (local: number, delta: number[]) => [...op.get(local), ...delta, ...op.i32Add, ...op.set(local)];

const FORWARD: WasmFunction = {
  name: 'forward',
  params: [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32],
  results: [],
  locals: [...Array<number>(13).fill(T.i32), ...Array<number>(11).fill(T.v128)] as WasmFunction['locals'],
  body: [
    ...[...op.get(IN), ...op.i32(3), ...op.i32Shl, ...op.set(RSX)],
    ...[...op.get(OUT_DIM), ...op.i32(3), ...op.i32Shl, ...op.set(RSO)],
    ...[...op.get(OUT_DIM), ...op.i32(2), ...op.i32Shl, ...op.set(RSW)],
    ...[...op.get(X), ...op.set(XR), ...op.get(OUT), ...op.set(OROW)],
    ...op.block,
    ...op.loop,
    ...[...op.get(BLOCKS), ...op.i32Eqz, ...op.brIf(1)],
    ...[...op.i32(0), ...op.set(J)],
    ...op.block,
    ...op.loop,
    ...[...op.get(J), ...op.get(J4), ...op.i32LtS, ...op.i32Eqz, ...op.brIf(1)],
    // Accumulators ← b[j..j+3] widened, for all four rows.
    ...[...op.get(B), ...op.get(J), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.tee(P)],
    ...[...op.v128Load64Zero(0), ...op.f64x2PromoteLowF32x4],
    ...[...op.tee(ACC), ...op.tee(ACC + 2), ...op.tee(ACC + 4), ...op.set(ACC + 6)],
    ...[...op.get(P), ...op.v128Load64Zero(8), ...op.f64x2PromoteLowF32x4],
    ...[...op.tee(ACC + 1), ...op.tee(ACC + 3), ...op.tee(ACC + 5), ...op.set(ACC + 7)],
    // Pointers: W[0, j], x[r, 0] for the block's rows.
    ...[...op.get(W), ...op.get(J), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(WP)],
    ...[...op.get(XR), ...op.tee(XP)],
    ...[...op.get(RSX), ...op.i32Add, ...op.tee(XP + 1)],
    ...[...op.get(RSX), ...op.i32Add, ...op.tee(XP + 2)],
    ...[...op.get(RSX), ...op.i32Add, ...op.set(XP + 3)],
    ...[...op.get(IN), ...op.set(I)],
    ...op.block,
    ...op.loop,
    ...[...op.get(I), ...op.i32Eqz, ...op.brIf(1)],
    ...[...op.get(WP), ...op.v128Load64Zero(0), ...op.f64x2PromoteLowF32x4, ...op.set(WL)],
    ...[...op.get(WP), ...op.v128Load64Zero(8), ...op.f64x2PromoteLowF32x4, ...op.set(WH)],
    ...[0, 1, 2, 3].flatMap((r) => [
      ...[...op.get(XP + r), ...op.v128Load64Splat(0), ...op.set(VS)],
      ...[...op.get(ACC + 2 * r), ...op.get(VS), ...op.get(WL), ...op.f64x2Mul, ...op.f64x2Add, ...op.set(ACC + 2 * r)],
      ...[...op.get(ACC + 2 * r + 1), ...op.get(VS), ...op.get(WH), ...op.f64x2Mul, ...op.f64x2Add],
      ...op.set(ACC + 2 * r + 1),
      ...add(XP + r, op.i32(8)),
    ]),
    ...add(WP, op.get(RSW)),
    ...add(I, op.i32(-1)),
    ...op.br(0),
    ...op.end,
    ...op.end,
    // out[r, j..j+3] ← accumulators.
    ...[...op.get(OROW), ...op.get(J), ...op.i32(3), ...op.i32Shl, ...op.i32Add, ...op.set(P)],
    ...[0, 1, 2, 3].flatMap((r) => [
      ...[...op.get(P), ...op.get(ACC + 2 * r), ...op.v128Store(0)],
      ...[...op.get(P), ...op.get(ACC + 2 * r + 1), ...op.v128Store(16)],
      ...add(P, op.get(RSO)),
    ]),
    ...add(J, op.i32(4)),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...add(XR, [...op.get(RSX), ...op.i32(2), ...op.i32Shl]),
    ...add(OROW, [...op.get(RSO), ...op.i32(2), ...op.i32Shl]),
    ...add(BLOCKS, op.i32(-1)),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ],
};

// Locals of kernelGrad (parameters x, d, gW, blocks, inDim, outDim, j4 = 0–6).
const KG = { x: 0, d: 1, gW: 2, blocks: 3, inDim: 4, outDim: 5, j4: 6 } as const;
const KI = 7; // i
const KJ = 8; // j
const KB = 9; // blocks left
const KXP = 10; // x[4·blk, i]
const KDP = 11; // d[4·blk, j]
const KG_P = 12; // gW[i, j]
const KRSX = 13;
const KRSO = 14;
const KROW = 15; // 15–18: the four rows' d pointers
const KXR = 19; // 19–22: the four rows' x pointers
const KV = 23; // 23–26: x[r, i] splats
const KAL = 27;
const KAH = 28;

/** Σ over rows r of the block of ((v0·d0 + v1·d1) + v2·d2) + v3·d3 for one lane pair at byte offset `off`. */
function blockSum(off: number): number[] {
  const term = (r: number) => [...op.get(KV + r), ...op.get(KROW + r), ...op.v128Load(off), ...op.f64x2Mul];
  return [...term(0), ...term(1), ...op.f64x2Add, ...term(2), ...op.f64x2Add, ...term(3), ...op.f64x2Add];
}

const KERNEL_GRAD: WasmFunction = {
  name: 'kernelGrad',
  params: [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32],
  results: [],
  locals: [...Array<number>(16).fill(T.i32), ...Array<number>(6).fill(T.v128)] as WasmFunction['locals'],
  body: [
    ...[...op.get(KG.inDim), ...op.i32(3), ...op.i32Shl, ...op.set(KRSX)],
    ...[...op.get(KG.outDim), ...op.i32(3), ...op.i32Shl, ...op.set(KRSO)],
    ...[...op.i32(0), ...op.set(KI)],
    ...op.block,
    ...op.loop,
    ...[...op.get(KI), ...op.get(KG.inDim), ...op.i32LtS, ...op.i32Eqz, ...op.brIf(1)],
    ...[...op.i32(0), ...op.set(KJ)],
    ...op.block,
    ...op.loop,
    ...[...op.get(KJ), ...op.get(KG.j4), ...op.i32LtS, ...op.i32Eqz, ...op.brIf(1)],
    // p = gW + 8·(i·outDim + j); accumulators ← gW[i, j..j+3].
    ...[...op.get(KG.gW), ...op.get(KI), ...op.get(KRSO), ...op.i32Mul, ...op.i32Add],
    ...[...op.get(KJ), ...op.i32(3), ...op.i32Shl, ...op.i32Add, ...op.tee(KG_P)],
    ...[...op.v128Load(0), ...op.set(KAL), ...op.get(KG_P), ...op.v128Load(16), ...op.set(KAH)],
    ...[...op.get(KG.x), ...op.get(KI), ...op.i32(3), ...op.i32Shl, ...op.i32Add, ...op.set(KXP)],
    ...[...op.get(KG.d), ...op.get(KJ), ...op.i32(3), ...op.i32Shl, ...op.i32Add, ...op.set(KDP)],
    ...[...op.get(KG.blocks), ...op.set(KB)],
    ...op.block,
    ...op.loop,
    ...[...op.get(KB), ...op.i32Eqz, ...op.brIf(1)],
    ...[...op.get(KXP), ...op.tee(KXR), ...op.get(KRSX), ...op.i32Add, ...op.tee(KXR + 1)],
    ...[...op.get(KRSX), ...op.i32Add, ...op.tee(KXR + 2), ...op.get(KRSX), ...op.i32Add, ...op.set(KXR + 3)],
    ...[...op.get(KDP), ...op.tee(KROW), ...op.get(KRSO), ...op.i32Add, ...op.tee(KROW + 1)],
    ...[...op.get(KRSO), ...op.i32Add, ...op.tee(KROW + 2), ...op.get(KRSO), ...op.i32Add, ...op.set(KROW + 3)],
    ...[0, 1, 2, 3].flatMap((r) => [...op.get(KXR + r), ...op.v128Load64Splat(0), ...op.set(KV + r)]),
    ...[...op.get(KAL), ...blockSum(0), ...op.f64x2Add, ...op.set(KAL)],
    ...[...op.get(KAH), ...blockSum(16), ...op.f64x2Add, ...op.set(KAH)],
    ...add(KXP, [...op.get(KRSX), ...op.i32(2), ...op.i32Shl]),
    ...add(KDP, [...op.get(KRSO), ...op.i32(2), ...op.i32Shl]),
    ...add(KB, op.i32(-1)),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...[...op.get(KG_P), ...op.get(KAL), ...op.v128Store(0), ...op.get(KG_P), ...op.get(KAH), ...op.v128Store(16)],
    ...add(KJ, op.i32(4)),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...add(KI, op.i32(1)),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ],
};

const DENSE = lazyKernel([FORWARD, KERNEL_GRAD]);
const kernel = () => DENSE.get();

/** Turn the WebAssembly dense kernel off (or on); the JavaScript loops then run, bitwise the same. For tests. */
export function setWasmDenseEnabled(on: boolean): void {
  DENSE.setEnabled(on);
}

const align16 = (bytes: number) => (bytes + 15) & ~15;

/**
 * out[r, j] = b[j] + Σ_i x[r, i]·W[i, j] for rows r < 4·blocks and columns j < j4 = outDim rounded down to a
 * multiple of 4 (other entries of those rows are left as the kernel's memory holds them: the caller computes them).
 * @returns false where WebAssembly SIMD is unavailable (nothing written).
 */
export function wasmDenseForward(
  blocks: number,
  inDim: number,
  outDim: number,
  W: Float32Array,
  b: Float32Array,
  x: Float64Array,
  out: Float64Array,
): boolean {
  const k = kernel();
  if (!k) return false;
  const rows = 4 * blocks;
  const xAt = 0;
  const wAt = align16(8 * rows * inDim);
  const bAt = wAt + align16(4 * inDim * outDim);
  const oAt = bAt + align16(4 * outDim);
  const end = oAt + 8 * rows * outDim;
  const memory = k.exports.memory as WebAssembly.Memory;
  ensureMemory(memory, end);
  const buf = memory.buffer;
  new Float64Array(buf, xAt, rows * inDim).set(x.subarray(0, rows * inDim));
  new Float32Array(buf, wAt, inDim * outDim).set(W.subarray(0, inDim * outDim));
  new Float32Array(buf, bAt, outDim).set(b.subarray(0, outDim));
  (k.exports.forward as (...a: number[]) => void)(xAt, wAt, bAt, oAt, blocks, inDim, outDim & ~3, outDim);
  out.set(new Float64Array(buf, oAt, rows * outDim));
  return true;
}

/**
 * gW[i, j] += Σ over blocks of four rows, in order, of ((x[r,i]·d[r,j] + x[r+1,i]·d[r+1,j]) + x[r+2,i]·d[r+2,j]) +
 * x[r+3,i]·d[r+3,j], for columns j < outDim rounded down to a multiple of 4 (the caller adds the rest): the sums of
 * `kernelGradBlocks` in `src/engine/dense.ts`, in the same order.
 * @returns false where WebAssembly SIMD is unavailable (nothing written).
 */
export function wasmKernelGrad(
  blocks: number,
  inDim: number,
  outDim: number,
  x: Float64Array,
  d: Float64Array,
  gW: Float64Array,
): boolean {
  const k = kernel();
  if (!k) return false;
  const rows = 4 * blocks;
  const xAt = 0;
  const dAt = align16(8 * rows * inDim);
  const gAt = dAt + align16(8 * rows * outDim);
  const end = gAt + 8 * inDim * outDim;
  const memory = k.exports.memory as WebAssembly.Memory;
  ensureMemory(memory, end);
  const buf = memory.buffer;
  new Float64Array(buf, xAt, rows * inDim).set(x.subarray(0, rows * inDim));
  new Float64Array(buf, dAt, rows * outDim).set(d.subarray(0, rows * outDim));
  const g = new Float64Array(buf, gAt, inDim * outDim);
  g.set(gW.subarray(0, inDim * outDim));
  (k.exports.kernelGrad as (...a: number[]) => void)(xAt, dAt, gAt, blocks, inDim, outDim, outDim & ~3);
  gW.set(g);
  return true;
}

/**
 * ∂L/∂x for rows r < 4·blocks and inputs i < inDim rounded down to a multiple of 4: s[r,i] = Σ_j d[r,j]·W[i,j],
 * summed from 0 over j in order (the sums of `inputGradBlock` in `src/engine/dense.ts`), written to dIn or added
 * to it. This is the forward kernel run on d with Wᵀ (transposed while copying in) and a zero bias.
 * @returns false where WebAssembly SIMD is unavailable (nothing written).
 */
export function wasmInputGrad(
  blocks: number,
  inDim: number,
  outDim: number,
  W: Float32Array,
  d: Float64Array,
  dIn: Float64Array,
  accumulate: boolean,
): boolean {
  const k = kernel();
  if (!k) return false;
  const rows = 4 * blocks;
  const i4 = inDim & ~3;
  const dAt = 0;
  const wAt = align16(8 * rows * outDim);
  const zAt = wAt + align16(4 * inDim * outDim);
  const sAt = zAt + align16(4 * inDim);
  const end = sAt + 8 * rows * inDim;
  const memory = k.exports.memory as WebAssembly.Memory;
  ensureMemory(memory, end);
  const buf = memory.buffer;
  new Float64Array(buf, dAt, rows * outDim).set(d.subarray(0, rows * outDim));
  const wt = new Float32Array(buf, wAt, inDim * outDim);
  for (let i = 0; i < inDim; i++) for (let j = 0; j < outDim; j++) wt[j * inDim + i] = W[i * outDim + j]!;
  new Float32Array(buf, zAt, inDim).fill(0);
  (k.exports.forward as (...a: number[]) => void)(dAt, wAt, zAt, sAt, blocks, outDim, i4, inDim);
  const sums = new Float64Array(buf, sAt, rows * inDim);
  for (let r = 0; r < rows; r++) {
    const o = r * inDim;
    if (accumulate) for (let i = o; i < o + i4; i++) dIn[i]! += sums[i]!;
    else for (let i = o; i < o + i4; i++) dIn[i] = sums[i]!;
  }
  return true;
}
