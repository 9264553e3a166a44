/**
 * The fused engine's tanh (src/engine/wasm/tanh_kernel.ts): close to the true tanh, and the WebAssembly kernel
 * bitwise equal to the scalar function on every input, so a run's numbers do not depend on which one ran.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  setWasmTanhEnabled,
  tanhF64,
  tanhInPlace,
  tanhModuleBytes,
  wasmTanhAvailable,
} from '../../src/engine/wasm/tanh_kernel.js';
import { createRng } from '../../src/random/rng.js';

afterEach(() => setWasmTanhEnabled(true));

/** Inputs over every scale: ±10^e for e in [−12, 2], a dense sweep of [−25, 25], and the edge values. */
function sweep(): number[] {
  const xs: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const m = 10 ** (-12 + (14 * i) / 20_000);
    xs.push(m, -m);
  }
  for (let i = 0; i <= 20_000; i++) xs.push(-25 + (50 * i) / 20_000);
  xs.push(0, 19.06, 19.1, 20, 40, 41, 1e300, 5e-324, 1e-300, -1e-300, 0.5493061443340549 /* atanh(0.5) */);
  return xs;
}

describe('tanhF64', () => {
  it('is within 1e-15 relative of Math.tanh everywhere (about 2.5 ulp at worst), and exact at the edges', () => {
    let worst = 0;
    for (const x of sweep()) {
      const ref = Math.tanh(x);
      const rel = ref === 0 ? Math.abs(tanhF64(x)) : Math.abs(tanhF64(x) - ref) / Math.abs(ref);
      worst = Math.max(worst, rel);
    }
    expect(worst).toBeLessThan(1e-15);
    expect(tanhF64(0)).toBe(0);
    expect(tanhF64(20)).toBe(1);
    expect(tanhF64(-20)).toBe(-1);
    expect(tanhF64(Infinity)).toBe(1);
    expect(tanhF64(-Infinity)).toBe(-1);
    expect(tanhF64(NaN)).toBeNaN();
    expect(tanhF64(1e-300)).toBe(1e-300); // tanh x = x − x³/3 + …: x itself at this scale
    expect(tanhF64(5e-324)).toBe(5e-324);
  });

  it('is odd: tanh(−x) = −tanh(x) bitwise', () => {
    for (const x of sweep()) expect(Object.is(tanhF64(-x), -tanhF64(x)) || x === 0).toBe(true);
  });
});

describe('tanhInPlace', () => {
  it('uses the WebAssembly kernel here (Node 20 has WebAssembly SIMD); its module compiles synchronously in a page', () => {
    expect(wasmTanhAvailable()).toBe(true);
    // Chromium refuses a synchronous WebAssembly.Module on the main thread from 4 KiB on.
    expect(tanhModuleBytes().length).toBeLessThan(4096);
    expect(WebAssembly.validate(tanhModuleBytes())).toBe(true);
  });

  it.each([
    [0, 0],
    [1, 1],
    [3, 3],
    [4, 1],
    [7, 2],
    [256, 0],
    [1027, 5],
  ])('equals tanhF64 bitwise on every entry, kernel on and off (%i entries from offset %i)', (len, o) => {
    const rng = createRng(`tanh-${len}`);
    const values = [...sweep().slice(0, 64), NaN, Infinity, -Infinity, -0];
    const src = Float64Array.from({ length: o + len + 2 }, (_, i) => values[i % values.length]! * (0.5 + rng.float()));
    for (const wasm of [true, false]) {
      setWasmTanhEnabled(wasm);
      const a = src.slice();
      tanhInPlace(a, o, len);
      for (let i = 0; i < a.length; i++) {
        const want = i >= o && i < o + len ? tanhF64(src[i]!) : src[i]!;
        expect(Object.is(a[i], want), `entry ${i} (wasm ${wasm}): ${a[i]} vs ${want}`).toBe(true);
      }
    }
  });
});
