import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { getBackend, setBackend } from '../../src/backend/backend.js';
import { ConfigError } from '../../src/core/errors.js';

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
