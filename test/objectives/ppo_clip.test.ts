import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { ppoClipLoss } from '../../src/objectives/ppo_clip.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

// Fixed inputs (rlax policy_gradients_test.py style). Ratios r = exp(lp − old):
// [1.2214, 0.8187, 1, 0.6065, 1.6487, 0.7408, 4.0552]
const LP = [-0.5, -1.2, -0.3, -2.0, -0.9, -1.5, -0.1];
const OLD = [-0.7, -1.0, -0.3, -1.5, -1.4, -1.2, -1.5];
const ADV = [1.0, -1.0, 0.5, -2.0, 1.5, -0.7, -1.0];

// Golden values, float64 numpy (python3 /tmp/c_golden.py):
//   import numpy as np
//   lp  = np.array([-0.5, -1.2, -0.3, -2.0, -0.9, -1.5, -0.1])
//   old = np.array([-0.7, -1.0, -0.3, -1.5, -1.4, -1.2, -1.5])
//   adv = np.array([1.0, -1.0, 0.5, -2.0, 1.5, -0.7, -1.0])
//   r = np.exp(lp - old)
//   def clip_loss(low, high, dual=None):
//       obj = np.minimum(r * adv, np.clip(r, 1 - low, 1 + high) * adv)
//       if dual is not None:
//           obj = np.where(adv < 0, np.maximum(obj, dual * adv), obj)
//       return -obj.mean(), np.mean((r < 1 - low) | (r > 1 + high))
//   for args in [(0.2, 0.2), (0.1, 0.3), (0.3, 0.1), (0.2, 0.2, 3.0), (0.1, 0.3, 2.0)]:
//       print(args, '%.8f %.8f' % clip_loss(*args))
//   print('k1 %.8f' % np.mean(old - lp)); print('k3 %.8f' % np.mean((r - 1) - np.log(r))); print('%.8f' % r.mean())
// Output:
//   (0.2, 0.2) 0.50484725 0.71428571
//   (0.1, 0.3) 0.53054246 0.71428571
//   (0.3, 0.1) 0.50607192 0.57142857
//   (0.2, 0.2, 3.0) 0.35410439 0.71428571
//   (0.1, 0.3, 2.0) 0.23694246 0.71428571
//   k1 -0.15714286   k3 0.28448623   ratioMean 1.44162909
const GOLDEN = {
  approxKlK1: -0.15714286,
  approxKlK3: 0.28448623,
  ratioMean: 1.44162909,
};

/** Independent float64 reference of the per-batch objective (plain JS). */
function refClipLoss(lp: number[], old: number[], adv: number[], low: number, high: number, dual?: number): number {
  let s = 0;
  for (let i = 0; i < lp.length; i++) {
    const r = Math.exp(lp[i]! - old[i]!);
    const a = adv[i]!;
    let o = Math.min(r * a, Math.min(Math.max(r, 1 - low), 1 + high) * a);
    if (dual !== undefined && a < 0) o = Math.max(o, dual * a);
    s += o;
  }
  return -s / lp.length;
}

async function run(args: Parameters<typeof ppoClipLoss>[0]): Promise<Record<string, number>> {
  const out = ppoClipLoss(args);
  const vals: Record<string, number> = {};
  for (const [k, v] of Object.entries(out)) vals[k] = (await v.data())[0]!;
  tf.dispose(Object.values(out));
  return vals;
}

function inputs(): { logProb: tf.Tensor1D; oldLogProb: tf.Tensor1D; advantages: tf.Tensor1D; dispose(): void } {
  const logProb = tf.tensor1d(LP);
  const oldLogProb = tf.tensor1d(OLD);
  const advantages = tf.tensor1d(ADV);
  return { logProb, oldLogProb, advantages, dispose: () => tf.dispose([logProb, oldLogProb, advantages]) };
}

/** d loss / d logProb by tf.grad. */
async function gradOf(f: (lp: tf.Tensor) => tf.Scalar, lp: number[]): Promise<number[]> {
  const x = tf.tensor1d(lp);
  const g = tf.grad(f)(x);
  const out = Array.from(await g.data());
  tf.dispose([x, g]);
  return out;
}

/** Central finite differences in float64 of a plain-JS function. */
function finiteDiff(f: (x: number[]) => number, x: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const p = [...x];
    const m = [...x];
    p[i]! += h;
    m[i]! -= h;
    return (f(p) - f(m)) / (2 * h);
  });
}

describe.each(TEST_BACKENDS)('ppoClipLoss (%s backend)', (b) => {
  useBackend(b);

  it('matches the float64 golden values, symmetric clip, with the diagnostics', async () => {
    const x = inputs();
    const v = await run({ ...x, clip: 0.2 });
    x.dispose();
    expectClose(v.loss!, 0.50484725, 1e-5);
    expectClose(v.clipFraction!, 5 / 7, 1e-6);
    expectClose(v.approxKlK1!, GOLDEN.approxKlK1, 1e-5);
    expectClose(v.approxKlK3!, GOLDEN.approxKlK3, 1e-5);
    expectClose(v.ratioMean!, GOLDEN.ratioMean, 1e-5);
  });

  it('accepts `epsilon` as an alias of a numeric clip', async () => {
    const x = inputs();
    const v = await run({ ...x, epsilon: 0.2 });
    x.dispose();
    expectClose(v.loss!, 0.50484725, 1e-5);
  });

  it('asymmetric clip { low, high } (clip-higher) matches the golden values', async () => {
    const x = inputs();
    const a = await run({ ...x, clip: { low: 0.1, high: 0.3 } });
    const c = await run({ ...x, clip: { low: 0.3, high: 0.1 } });
    x.dispose();
    expectClose(a.loss!, 0.53054246, 1e-5);
    expectClose(a.clipFraction!, 5 / 7, 1e-6);
    expectClose(c.loss!, 0.50607192, 1e-5);
    expectClose(c.clipFraction!, 4 / 7, 1e-6);
  });

  it('dual clip matches the golden values and only changes negative-advantage samples', async () => {
    const x = inputs();
    const d = await run({ ...x, clip: 0.2, dualClip: 3 });
    const d2 = await run({ ...x, clip: { low: 0.1, high: 0.3 }, dualClip: 2 });
    x.dispose();
    expectClose(d.loss!, 0.35410439, 1e-5);
    expectClose(d2.loss!, 0.23694246, 1e-5);
    expectClose(d.clipFraction!, 5 / 7, 1e-6);
  });

  it('gradient w.r.t. logProb matches float64 finite differences (plain, asymmetric, dual)', async () => {
    const cases: Array<{ low: number; high: number; dual?: number }> = [
      { low: 0.2, high: 0.2 },
      { low: 0.1, high: 0.3 },
      { low: 0.2, high: 0.2, dual: 3 },
    ];
    for (const c of cases) {
      const old = tf.tensor1d(OLD);
      const adv = tf.tensor1d(ADV);
      const clip = c.low === c.high ? c.low : { low: c.low, high: c.high };
      const g = await gradOf(
        (lp) =>
          ppoClipLoss({ logProb: lp, oldLogProb: old, advantages: adv, clip, ...(c.dual ? { dualClip: c.dual } : {}) })
            .loss,
        LP,
      );
      tf.dispose([old, adv]);
      const fd = finiteDiff((lp) => refClipLoss(lp, OLD, ADV, c.low, c.high, c.dual), LP);
      expectClose(g, fd, 1e-4, 1e-4);
    }
  });

  it('has zero gradient on samples clipped in the direction of their advantage', async () => {
    const old = tf.tensor1d(OLD);
    const adv = tf.tensor1d(ADV);
    const g = await gradOf((lp) => ppoClipLoss({ logProb: lp, oldLogProb: old, advantages: adv, clip: 0.2 }).loss, LP);
    const gd = await gradOf(
      (lp) => ppoClipLoss({ logProb: lp, oldLogProb: old, advantages: adv, clip: 0.2, dualClip: 3 }).loss,
      LP,
    );
    tf.dispose([old, adv]);
    // r = 1.2214 > 1.2 with Â = 1; r = 1.6487 > 1.2 with Â = 1.5; r = 0.6065 < 0.8 with Â = −2; r = 0.7408 < 0.8 with Â = −0.7.
    expect(g[0]).toBe(0);
    expect(g[4]).toBe(0);
    expect(g[3]).toBe(0);
    expect(g[5]).toBe(0);
    // Unclipped samples get −r·Â/B; r = 4.055 with Â = −1 is outside the range but against its advantage: not clipped.
    const B = LP.length;
    expectClose(g[1]!, (-Math.exp(-0.2) * -1) / B, 1e-5);
    expectClose(g[2]!, (-1 * 0.5) / B, 1e-5);
    expectClose(g[6]!, (-Math.exp(1.4) * -1) / B, 1e-5);
    // The dual clip (c = 3 < r = 4.055, Â < 0) removes that gradient and leaves the others.
    expect(gd[6]).toBe(0);
    expectClose(gd.slice(0, 6), g.slice(0, 6), 1e-7);
  });

  it('property: loss equals the float64 reference and clipFraction ∈ [0, 1] on random inputs', async () => {
    const arb = fc.integer({ min: 1, max: 8 }).chain((n) =>
      fc.record({
        lp: fc.array(fc.double({ min: -3, max: 0, noNaN: true }), { minLength: n, maxLength: n }),
        old: fc.array(fc.double({ min: -3, max: 0, noNaN: true }), { minLength: n, maxLength: n }),
        adv: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n, maxLength: n }),
        low: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
        high: fc.double({ min: 0.05, max: 1, noNaN: true }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ({ lp, old, adv, low, high }) => {
        const logProb = tf.tensor1d(lp);
        const oldLogProb = tf.tensor1d(old);
        const advantages = tf.tensor1d(adv);
        const v = await run({ logProb, oldLogProb, advantages, clip: { low, high } });
        tf.dispose([logProb, oldLogProb, advantages]);
        const ref = refClipLoss(lp, old, adv, low, high);
        expect(Math.abs(v.loss! - ref)).toBeLessThanOrEqual(1e-3 + 1e-4 * Math.abs(ref));
        expect(v.clipFraction!).toBeGreaterThanOrEqual(0);
        expect(v.clipFraction!).toBeLessThanOrEqual(1);
        expect(v.approxKlK3!).toBeGreaterThanOrEqual(-1e-6);
      }),
      { numRuns: 25, seed: 42 },
    );
  });

  it('does not leak tensors', async () => {
    const x = inputs();
    await expectNoLeak(() => {
      const out = ppoClipLoss({ ...x, clip: { low: 0.2, high: 0.28 }, dualClip: 3 });
      tf.dispose(Object.values(out));
    });
    await expectNoLeak(() => {
      const g = tf.grad(
        (lp: tf.Tensor) =>
          ppoClipLoss({ logProb: lp, oldLogProb: x.oldLogProb, advantages: x.advantages, clip: 0.2 }).loss,
      )(x.logProb);
      g.dispose();
    });
    x.dispose();
  });

  it('rejects bad input with typed, named errors', () => {
    const x = inputs();
    const short = tf.tensor1d([1, 2]);
    const mat = tf.zeros([7, 1]);
    try {
      expect(() => ppoClipLoss({ ...x, advantages: short, clip: 0.2 })).toThrow(ShapeError);
      expect(() => ppoClipLoss({ ...x, advantages: short, clip: 0.2 })).toThrow(
        'ppoClipLoss: advantages must be of the same shape as logProb [7], got a tensor of shape [2]',
      );
      expect(() => ppoClipLoss({ ...x, oldLogProb: short, clip: 0.2 })).toThrow(
        /ppoClipLoss: oldLogProb must be of the same shape/,
      );
      expect(() => ppoClipLoss({ ...x, logProb: mat, clip: 0.2 })).toThrow(
        'ppoClipLoss: logProb must be a tensor of rank 1, got a tensor of shape [7,1]',
      );
      expect(() => ppoClipLoss({ ...x, clip: 1 })).toThrow(ConfigError);
      expect(() => ppoClipLoss({ ...x, clip: 1 })).toThrow(
        'ppoClipLoss: clip must be a finite number > 0 and < 1, got 1',
      );
      expect(() => ppoClipLoss({ ...x, clip: 1.5 })).toThrow(ConfigError);
      expect(() => ppoClipLoss({ ...x, clip: NaN })).toThrow(
        'ppoClipLoss: clip must be a finite number > 0 and < 1, got NaN',
      );
      expect(() => ppoClipLoss({ ...x, clip: { low: 1, high: 0.2 } })).toThrow(
        'ppoClipLoss: clip.low must be a finite number > 0 and < 1, got 1',
      );
      expect(() => ppoClipLoss({ ...x, clip: { low: 0.2, high: 0 } })).toThrow(
        'ppoClipLoss: clip.high must be a finite number > 0, got 0',
      );
      expect(() => ppoClipLoss({ ...x, clip: 0.2, dualClip: 1 })).toThrow(
        'ppoClipLoss: dualClip must be a finite number > 1, got 1',
      );
      expect(() => ppoClipLoss({ ...x, clip: 0.2, dualClip: 0.5 })).toThrow(ConfigError);
      expect(() => ppoClipLoss({ ...x, clip: 0.2, epsilon: 0.2 })).toThrow(
        /ppoClipLoss: clip must be given exactly once/,
      );
      expect(() => ppoClipLoss({ ...x })).toThrow(ConfigError);
      expect(() => ppoClipLoss({ ...x, epsilon: 1.2 })).toThrow(
        'ppoClipLoss: epsilon must be a finite number > 0 and < 1, got 1.2',
      );
    } finally {
      x.dispose();
      tf.dispose([short, mat]);
    }
  });
});
