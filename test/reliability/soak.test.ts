/**
 * Soak test: many updates of a tiny run in-process, sampling `tf.memory().numTensors` and the V8 heap at
 * ten evenly spaced points. The tensor count must be exactly flat; the heap must not trend upwards.
 *
 * `KLIP_SOAK=1` (set by .ci/run): 1 000 updates, a sample every 100. Without the flag: the same checks on a
 * 100-update run, a sample every 10 (no skipped test either way).
 *
 * Heap bound: the least-squares slope of heapUsed over samples 2…10 (sample 1 is warm-up: JIT, tfjs kernel caches)
 * must stay below 10 KiB per update, i.e. 1 MiB per 100 updates. One update of this config allocates far more
 * than that in transient garbage, so a leak of even one rollout's typed arrays per update would exceed it. The one
 * legitimate growth, the trainer's metric history (one ~40-key record per update, about 2 KiB), stays below it.
 * heapUsed is read after a full GC (`gc()` made reachable with `--expose-gc` at runtime); if that is unavailable,
 * the minimum of several readings is used instead.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../src/training/trainer.js';

const SOAK = process.env.KLIP_SOAK === '1';
const UPDATES = SOAK ? 1000 : 100;
const EVERY = UPDATES / 10;
const SLOPE_BOUND = 10 * 1024; // bytes per update (= 1 MiB per 100 updates)

function getGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const fromVm = runInNewContext('gc') as unknown;
    return typeof fromVm === 'function' ? (fromVm as () => void) : null;
  } catch {
    return null;
  }
}

function heapSample(gc: (() => void) | null): number {
  if (gc) {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  }
  let min = Infinity;
  for (let i = 0; i < 5; i++) min = Math.min(min, process.memoryUsage().heapUsed);
  return min;
}

/** Least-squares slope of ys against xs. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

describe(`soak: ${UPDATES} updates of a tiny run (${SOAK ? 'KLIP_SOAK=1' : 'short version; KLIP_SOAK=1 runs 1 000'})`, () => {
  it(
    'tensor count exactly flat, heap without upward trend',
    async () => {
      expect(slope([1, 2, 3], [5, 7, 9])).toBeCloseTo(2, 12); // the fit itself
      const gc = getGc();
      const trainer = await Trainer.create({
        env: 'frozenlake4x4',
        numEnvs: 1,
        nSteps: 16,
        numMinibatches: 2,
        epochs: 2,
        totalSteps: 16 * UPDATES,
        backend: 'cpu',
        seed: 3,
        objective: 'clip+kl',
        klEstimator: 'k3',
      });
      const at: number[] = [];
      const tensors: number[] = [];
      const heap: number[] = [];
      try {
        while (!trainer.done) {
          await trainer.step();
          if (trainer.update % EVERY === 0) {
            at.push(trainer.update);
            tensors.push(tf.memory().numTensors);
            heap.push(heapSample(gc));
          }
        }
      } finally {
        trainer.dispose();
      }
      expect(at).toHaveLength(10);
      expect(
        tensors.every((n) => n === tensors[0]),
        `numTensors at ${at.join(', ')}: ${tensors.join(', ')}`,
      ).toBe(true);
      const s = slope(at.slice(1), heap.slice(1));
      expect(
        s,
        `heapUsed (bytes) at ${at.join(', ')}: ${heap.join(', ')}; slope ${s.toFixed(0)} B/update`,
      ).toBeLessThan(SLOPE_BOUND);
    },
    SOAK ? 240_000 : 60_000,
  );
});
