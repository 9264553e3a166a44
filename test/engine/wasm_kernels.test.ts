/**
 * The fused engine's WebAssembly SIMD kernels (src/engine/wasm/) must give bitwise the results of the JavaScript
 * loops they replace, since a seeded run's metric stream may not depend on which of the two ran (and Chromium or a
 * host without SIMD falls back to the loops). Each is checked against a plain reference written here from the
 * summation order the kernels document, with `Object.is` on every entry, with the kernels on and off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { FusedAdam } from '../../src/engine/adam.js';
import { denseBackward, denseForward } from '../../src/engine/dense.js';
import { setWasmAdamEnabled, WasmAdam } from '../../src/engine/wasm/adam_kernel.js';
import { setWasmDenseEnabled } from '../../src/engine/wasm/dense_kernel.js';
import { setWasmTanhEnabled, tanhF64 } from '../../src/engine/wasm/tanh_kernel.js';
import { ensureMemory, lazyKernel, op, sleb, T, uleb } from '../../src/engine/wasm/encode.js';
import { createRng } from '../../src/random/rng.js';

afterEach(() => {
  setWasmAdamEnabled(true);
  setWasmDenseEnabled(true);
  setWasmTanhEnabled(true);
});

function bitwiseEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

// The engine's tanh (tanh_kernel.test.ts checks it against Math.tanh); here the point is the summation order.
const activate = (u: number, act: number) => (act === 1 ? tanhF64(u) : act === 2 ? (u < 0 ? 0 : u) : u);

/** out[r,j] = b[j] + Σ_i x[r,i]·W[i,j], i ascending, float64; rows past the last block of 4 skip zero inputs. */
function refForward(n: number, I: number, O: number, W: Float32Array, b: Float32Array, x: Float64Array, act: number) {
  const out = new Float64Array(n * O);
  const blockRows = n - (n % 4);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < O; j++) {
      let s = b[j]!;
      for (let i = 0; i < I; i++) if (r < blockRows || x[r * I + i] !== 0) s += x[r * I + i]! * W[i * O + j]!;
      out[r * O + j] = activate(s, act);
    }
  return out;
}

/** The backward sums in the documented order: blocks of four rows, then the remaining rows one by one. */
function refBackward(
  n: number,
  I: number,
  O: number,
  W: Float32Array,
  x: Float64Array,
  y: Float64Array,
  act: number,
  dOut: Float64Array,
  dIn0: Float64Array,
  accumulate: boolean,
) {
  const d = Float64Array.from(dOut, (v, k) =>
    act === 1 ? v * (1 - y[k]! * y[k]!) : act === 2 ? (y[k]! > 0 ? v : 0) : v,
  );
  const gW = new Float64Array(I * O);
  const gb = new Float64Array(O);
  const dIn = Float64Array.from(dIn0);
  const blockRows = n - (n % 4);
  for (let r = 0; r < blockRows; r += 4)
    for (let j = 0; j < O; j++)
      gb[j]! += d[r * O + j]! + d[(r + 1) * O + j]! + d[(r + 2) * O + j]! + d[(r + 3) * O + j]!;
  for (let i = 0; i < I; i++)
    for (let j = 0; j < O; j++)
      for (let r = 0; r < blockRows; r += 4) {
        let t = x[r * I + i]! * d[r * O + j]! + x[(r + 1) * I + i]! * d[(r + 1) * O + j]!;
        t += x[(r + 2) * I + i]! * d[(r + 2) * O + j]!;
        t += x[(r + 3) * I + i]! * d[(r + 3) * O + j]!;
        gW[i * O + j]! += t;
      }
  for (let r = blockRows; r < n; r++) {
    for (let j = 0; j < O; j++) gb[j]! += d[r * O + j]!;
    for (let i = 0; i < I; i++) {
      if (x[r * I + i] === 0) continue;
      for (let j = 0; j < O; j++) gW[i * O + j]! += x[r * I + i]! * d[r * O + j]!;
    }
  }
  for (let r = 0; r < n; r++)
    for (let i = 0; i < I; i++) {
      let s = 0;
      for (let j = 0; j < O; j++) s += d[r * O + j]! * W[i * O + j]!;
      dIn[r * I + i] = accumulate ? dIn[r * I + i]! + s : s;
    }
  return { d, gW, gb, dIn };
}

const SHAPES: [number, number, number][] = [
  [9, 5, 6],
  [12, 16, 64],
  [7, 3, 1],
  [4, 8, 4],
  [3, 4, 8],
  [33, 17, 13],
];

describe.each([true, false])('dense kernels (WebAssembly %s)', (wasm) => {
  it.each(SHAPES)('forward and backward of %i rows, %i → %i are bitwise the reference', (n, I, O) => {
    setWasmDenseEnabled(wasm);
    setWasmTanhEnabled(wasm);
    const rng = createRng(`dense-${n}-${I}-${O}`);
    const W = Float32Array.from({ length: I * O }, () => 0.5 * rng.normal());
    const b = Float32Array.from({ length: O }, () => 0.2 * rng.normal());
    // Some exact zeros, which the single-row path skips.
    const x = Float64Array.from({ length: n * I }, (_, k) => (k % 5 === 2 ? 0 : rng.normal()));
    for (const act of [0, 1, 2]) {
      const out = new Float64Array(n * O);
      denseForward(n, I, O, W, b, x, null, out, act);
      expect(bitwiseEqual(out, refForward(n, I, O, W, b, x, act))).toBe(true);
      for (const accumulate of [false, true]) {
        const dOut = Float64Array.from({ length: n * O }, () => rng.normal());
        const dIn0 = Float64Array.from({ length: n * I }, () => rng.normal());
        const ref = refBackward(n, I, O, W, x, out, act, dOut, dIn0, accumulate);
        const d = Float64Array.from(dOut);
        const gW = new Float64Array(I * O);
        const gb = new Float64Array(O);
        const dIn = Float64Array.from(dIn0);
        denseBackward(n, I, O, W, x, null, out, act, d, gW, gb, dIn, accumulate);
        expect(bitwiseEqual(d, ref.d)).toBe(true);
        expect(bitwiseEqual(gb, ref.gb)).toBe(true);
        expect(bitwiseEqual(gW, ref.gW)).toBe(true);
        expect(bitwiseEqual(dIn, ref.dIn)).toBe(true);
      }
    }
  });
});

describe('FusedAdam WebAssembly kernel', () => {
  it('is used where WebAssembly SIMD exists (Node 20 has it)', () => {
    expect(WasmAdam.create([3, 5])).not.toBeNull();
    setWasmAdamEnabled(false);
    expect(WasmAdam.create([3, 5])).toBeNull();
  });

  it('gives bitwise the parameters and moments of the scalar loop, with and without a scale', () => {
    const sizes = [1, 3, 4, 5, 13, 1000];
    const rng = createRng('adam-wasm');
    const init = sizes.map((n) => Float32Array.from({ length: n }, () => rng.normal()));
    const grads = Array.from({ length: 6 }, () =>
      sizes.map((n) =>
        Float64Array.from({ length: n }, (_, i) =>
          // zeros, values that round to float32 subnormals, large and ordinary gradients
          i % 7 === 0 ? 0 : i % 7 === 1 ? 3e-41 * rng.normal() : i % 7 === 2 ? 1e4 * rng.normal() : rng.normal(),
        ),
      ),
    );
    const run = (wasm: boolean) => {
      setWasmAdamEnabled(wasm);
      const adam = new FusedAdam(sizes, { eps: 1e-8 });
      const params = init.map((x) => Float32Array.from(x));
      grads.forEach((g, t) => adam.apply(params, g, t % 2 ? Math.fround(0.37) : 1, 1e-3 * (t + 1)));
      return { params, state: adam.getState() };
    };
    const js = run(false);
    const wasm = run(true);
    sizes.forEach((_, k) => {
      expect(bitwiseEqual(wasm.params[k]!, js.params[k]!)).toBe(true);
      expect(bitwiseEqual(wasm.state.m[k]!, js.state.m[k]!)).toBe(true);
      expect(bitwiseEqual(wasm.state.v[k]!, js.state.v[k]!)).toBe(true);
    });
    // The state moves between the two: restoring a wasm state into a scalar optimizer continues identically.
    setWasmAdamEnabled(false);
    const restored = new FusedAdam(sizes, { eps: 1e-8 });
    restored.setState(wasm.state);
    setWasmAdamEnabled(true);
    const again = new FusedAdam(sizes, { eps: 1e-8 });
    again.setState(js.state);
    const p1 = wasm.params.map((x) => Float32Array.from(x));
    const p2 = js.params.map((x) => Float32Array.from(x));
    restored.apply(p1, grads[0]!, 1, 1e-3);
    again.apply(p2, grads[0]!, 1, 1e-3);
    sizes.forEach((_, k) => expect(bitwiseEqual(p1[k]!, p2[k]!)).toBe(true));
  });

  it('rejects a parameter or gradient array of the wrong length, naming it', () => {
    const adam = new FusedAdam([3, 2]);
    const p = [new Float32Array(3), new Float32Array(3)];
    const g = [new Float64Array(3), new Float64Array(2)];
    expect(() => adam.apply(p, g, 1, 0.01)).toThrowError(ConfigError);
    expect(() => adam.apply(p, g, 1, 0.01)).toThrowError(/params\[1\]/);
    expect(adam.step).toBe(0);
  });
});

describe('LEB128 encoding (WebAssembly Core Specification §5.2.2)', () => {
  it('matches the specification examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});

describe('kernel plumbing (encode.ts)', () => {
  it('ensureMemory grows to whole 64 KiB pages that hold the bytes, and never when they already fit', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    ensureMemory(memory, 65536);
    expect(memory.buffer.byteLength).toBe(65536);
    ensureMemory(memory, 65537);
    expect(memory.buffer.byteLength).toBe(2 * 65536);
    ensureMemory(memory, 5 * 65536 - 1);
    expect(memory.buffer.byteLength).toBe(5 * 65536);
  });

  it('lazyKernel instantiates a valid module once, gives null for an invalid one, and obeys setEnabled', () => {
    const good = lazyKernel([{ name: 'seven', params: [], results: [T.i32], locals: [], body: op.i32(7) }]);
    const k = good.get();
    expect((k!.exports.seven as () => number)()).toBe(7);
    expect(good.get()).toBe(k); // the same instance, not a new one
    good.setEnabled(false);
    expect(good.get()).toBeNull();
    good.setEnabled(true);
    expect(good.get()).toBe(k);
    // A body that leaves nothing for its declared i32 result fails validation.
    const bad = lazyKernel([{ name: 'broken', params: [], results: [T.i32], locals: [], body: [] }]);
    expect(bad.get()).toBeNull();
  });
});
