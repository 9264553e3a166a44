/**
 * A minimal WebAssembly binary encoder for klip's few hand-written kernels: one exported memory and a list of
 * exported functions, each given as its signature, its extra locals and its body as raw instruction bytes
 * (WebAssembly Core Specification 2.0, §5 "Binary Format"; SIMD opcodes from §5.4.8). No text format and no
 * toolchain: the kernels build their bytes at load time, so the package ships no `.wasm` file.
 * @module
 */

/** Value type bytes (§5.3.1). */
export const T = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;

/** A value type byte. */
export type ValType = (typeof T)[keyof typeof T];

/** Unsigned LEB128 (§5.2.2). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (§5.2.2). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** Instructions used by the kernels (§5.4), as byte sequences; memory instructions take `align = 0, offset`. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(n)],
  f32Load: (offset = 0) => [0x2a, 0, ...uleb(offset)],
  f64Load: (offset = 0) => [0x2b, 0, ...uleb(offset)],
  f32Store: (offset = 0) => [0x38, 0, ...uleb(offset)],
  i32Eqz: [0x45],
  i32LtS: [0x48],
  i32GtS: [0x4a],
  i32GeS: [0x4e],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  f32Sqrt: [0x91],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32DemoteF64: [0xb6],
  v128Load: (offset = 0) => [0xfd, ...uleb(0x00), 0, ...uleb(offset)],
  v128Store: (offset = 0) => [0xfd, ...uleb(0x0b), 0, ...uleb(offset)],
  /** i8x16.shuffle with 16 lane indices (0–15 from the first operand, 16–31 from the second). */
  shuffle: (lanes: readonly number[]) => [0xfd, ...uleb(0x0d), ...lanes],
  v128Load64Splat: (offset = 0) => [0xfd, ...uleb(0x0a), 0, ...uleb(offset)],
  v128Load64Zero: (offset = 0) => [0xfd, ...uleb(0x5d), 0, ...uleb(offset)],
  f32x4Splat: [0xfd, ...uleb(0x13)],
  f64x2PromoteLowF32x4: [0xfd, ...uleb(0x5f)],
  f64x2Add: [0xfd, ...uleb(0xf0)],
  f64x2Mul: [0xfd, ...uleb(0xf2)],
  f32x4Sqrt: [0xfd, ...uleb(0xe3)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f32x4Div: [0xfd, ...uleb(0xe7)],
  f32x4DemoteF64x2Zero: [0xfd, ...uleb(0x5e)],
  /** `v128.const` of 16 bytes (little-endian lanes). */
  v128Const: (bytes: readonly number[]) => [0xfd, ...uleb(0x0c), ...bytes],
  v128Bitselect: [0xfd, ...uleb(0x52)],
  f64x2Lt: [0xfd, ...uleb(0x49)],
  f64x2Abs: [0xfd, ...uleb(0xec)],
  f64x2Neg: [0xfd, ...uleb(0xed)],
  f64x2Sub: [0xfd, ...uleb(0xf1)],
  f64x2Div: [0xfd, ...uleb(0xf3)],
  f64x2Min: [0xfd, ...uleb(0xf4)],
  i64x2Shl: [0xfd, ...uleb(0xcb)],
  i64x2Add: [0xfd, ...uleb(0xce)],
} as const;

/** One exported function: its signature, its extra locals (after the parameters) and its body bytes. */
export interface WasmFunction {
  name: string;
  params: readonly ValType[];
  results: readonly ValType[];
  locals: readonly ValType[];
  body: readonly number[];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(s));
  return [...uleb(bytes.length), ...bytes];
}

/**
 * Encode a module with one memory (exported as `memory`, `minPages` 64 KiB pages to start, growable from the host)
 * and the given functions, each exported under its name.
 */
export function encodeModule(functions: readonly WasmFunction[], minPages = 1): Uint8Array<ArrayBuffer> {
  const types = section(
    1,
    vec(functions.map((f) => [0x60, ...uleb(f.params.length), ...f.params, ...uleb(f.results.length), ...f.results])),
  );
  const funcs = section(3, vec(functions.map((_, i) => uleb(i))));
  const memory = section(5, vec([[0x00, ...uleb(minPages)]]));
  const exports = section(
    7,
    vec([[...name('memory'), 0x02, 0], ...functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])]),
  );
  const code = section(
    10,
    vec(
      functions.map((f) => {
        const locals = vec(f.locals.map((t) => [1, t]));
        const body = [...locals, ...f.body, ...op.end];
        return [...uleb(body.length), ...body];
      }),
    ),
  );
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...types,
    ...funcs,
    ...memory,
    ...exports,
    ...code,
  ]);
}

/**
 * Grow `memory` (64 KiB pages) until it holds at least `bytes` bytes. Growing replaces `memory.buffer`, so views made
 * before the call must be made again.
 */
export function ensureMemory(memory: WebAssembly.Memory, bytes: number): void {
  if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
}

/** A kernel module instantiated on first use, with a switch for tests ({@link lazyKernel}). */
export interface LazyKernel {
  /** The instance, or null where WebAssembly SIMD is unavailable or the kernel is switched off. */
  get(): WebAssembly.Instance | null;
  /** Switch the kernel off (the caller's JavaScript loops run instead) or back on. */
  setEnabled(on: boolean): void;
}

/**
 * The module of `functions`, compiled and instantiated synchronously on the first `get()` (the modules are small:
 * see each kernel's size test); a host that cannot compile it (no WebAssembly SIMD) gets null from then on.
 * @example
 * ```ts
 * const TANH_KERNEL = lazyKernel([TANH]);
 * const k = TANH_KERNEL.get(); // null → run the JavaScript loop
 * ```
 */
export function lazyKernel(functions: readonly WasmFunction[]): LazyKernel {
  let instance: WebAssembly.Instance | null | undefined;
  let enabled = true;
  return {
    get() {
      if (instance === undefined) {
        try {
          instance = new WebAssembly.Instance(new WebAssembly.Module(encodeModule(functions)), {});
        } catch {
          instance = null;
        }
      }
      return enabled ? instance : null;
    },
    setEnabled(on) {
      enabled = on;
    },
  };
}
