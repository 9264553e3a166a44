import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { getBackend, ready, setBackend } from '../../src/backend/backend.js';
import { BackendError, ConfigError } from '../../src/core/errors.js';
import { toTensor } from '../../src/core/tensor.js';
import { Categorical } from '../../src/distributions/categorical.js';
import { klDivergence } from '../../src/kl/exact.js';

describe('backend selection', () => {
  it('wasm is the default and loads offline from the installed package; cpu is selectable', async () => {
    expect(await setBackend()).toBe('wasm');
    expect(getBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // A real op on wasm: softmax of [0, ln 3] = [0.25, 0.75].
    const s = tf.softmax(tf.tensor1d([0, Math.log(3)]));
    const v = await s.data();
    expect(v[0]).toBeCloseTo(0.25, 6);
    s.dispose();
    expect(await setBackend('cpu')).toBe('cpu');
    expect(getBackend()).toBe('cpu');
  });

  it('cpu prints no banner recommending tfjs-node (klip never uses it)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await setBackend('cpu');
      const t = tf.tensor1d([1, 2, 3]); // the cpu backend's first write, where tfjs prints its banner
      expect(Array.from(await t.data())).toEqual([1, 2, 3]);
      t.dispose();
      expect(warn.mock.calls.flat().join(' ')).not.toMatch(/tfjs-node/);
    } finally {
      warn.mockRestore();
    }
  });

  it('rejects unknown backends with the allowed names', async () => {
    await expect(setBackend('webgl' as never)).rejects.toThrow(ConfigError);
    await expect(setBackend('tensorflow' as never)).rejects.toThrow(
      "setBackend: name must be one of 'wasm' | 'cpu', got \"tensorflow\"",
    );
  });
});

describe('ready()', () => {
  it('keeps the active backend, switches only when told, and shares one start between concurrent calls', async () => {
    await setBackend('cpu');
    expect(await ready()).toBe('cpu'); // idempotent: no switch to the default
    expect(getBackend()).toBe('cpu');
    const [a, b] = await Promise.all([ready({ backend: 'wasm' }), ready()]);
    expect([a, b]).toEqual(['wasm', 'wasm']);
    expect(tf.getBackend()).toBe('wasm');
    expect(await ready({ backend: 'cpu' })).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await expect(ready({ backend: 'webgl' as never })).rejects.toThrow(ConfigError);
  });

  it('waits for a setBackend that was not awaited', async () => {
    await setBackend('cpu');
    const pending = setBackend('wasm'); // not awaited: tfjs is now starting wasm
    expect(await ready()).toBe('wasm');
    const t = tf.tensor1d([1, 2]); // would throw "has not yet been initialized" had ready() returned early
    expect(Array.from(await t.data())).toEqual([1, 2]);
    t.dispose();
    await pending;
  });

  it('a tensor requested while the backend is starting throws BackendError naming ready()', async () => {
    await setBackend('cpu');
    const made = tf.tensor1d([3]);
    const engine = tf.engine() as unknown as { pendingBackendInit: Promise<boolean> | null };
    engine.pendingBackendInit = new Promise<boolean>(() => undefined); // tfjs's state while wasm compiles
    try {
      expect(() => toTensor('f', 'x', [1, 2])).toThrow(BackendError);
      expect(() => klDivergence(Categorical.fromLogits([[1, 0]]), Categorical.fromLogits([[0, 1]]))).toThrow(
        /^Categorical: backend must be ready before the first tensor: call `await ready\(\)`/,
      );
      // A tensor passed in is used as it is: no backend check.
      expect(toTensor('f', 'x', made)).toBe(made);
    } finally {
      engine.pendingBackendInit = null;
      made.dispose();
    }
    const t = toTensor('f', 'x', [1, 2]);
    expect(Array.from(await t.data())).toEqual([1, 2]);
    t.dispose();
  });
});
