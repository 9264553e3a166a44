import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Adam } from '../../src/training/adam.js';
import { CheckpointError, ConfigError } from '../../src/core/errors.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

/**
 * Reference: three steps of torch.optim.Adam on f(x) = Σ (x − c)², float64, generated with
 *   import torch
 *   x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
 *   c = torch.tensor([0.3, 0.1, -0.4], dtype=torch.float64)
 *   opt = torch.optim.Adam([x], lr=0.1, eps=1e-5)
 *   for _ in range(3):
 *       opt.zero_grad(); ((x - c) ** 2).sum().backward(); opt.step()
 *   print(x.tolist())   # torch 1.13 (Debian python3-torch)
 * → [0.7027457317147516, -1.7005873291731533, 0.20185605208965574]
 * The same recursion is also written out in float64 below, independently of the class.
 */
const TORCH_AFTER_3_STEPS = [0.7027457317147516, -1.7005873291731533, 0.20185605208965574];
function referenceAdam(
  x0: number[],
  c: number[],
  lr: number,
  steps: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-5,
): number[] {
  const x = [...x0];
  const m = x.map(() => 0);
  const v = x.map(() => 0);
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < x.length; i++) {
      const g = 2 * (x[i]! - c[i]!);
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps;
      x[i] = x[i]! - (lr / (1 - b1 ** t)) * (m[i]! / denom);
    }
  }
  return x;
}

describe.each(TEST_BACKENDS)('Adam on %s', (backend) => {
  useBackend(backend);
  const c = [0.3, 0.1, -0.4];
  const x0 = [1.0, -2.0, 0.5];

  function stepOnce(x: tf.Variable, opt: Adam, lr: number): void {
    const ct = tf.tensor1d(c);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(x, ct))) as tf.Scalar, [x]);
    opt.applyGradients([grads[x.name]!], lr);
    tf.dispose([value, grads, ct]);
  }

  it('matches the PyTorch Adam recursion (float64 reference) over 3 steps', async () => {
    const x = tf.tidy(() => tf.variable(tf.tensor1d(x0)));
    const opt = new Adam([x]);
    for (let i = 0; i < 3; i++) stepOnce(x, opt, 0.1);
    expectClose(referenceAdam(x0, c, 0.1, 3), TORCH_AFTER_3_STEPS, 1e-12);
    expectClose(await x.data(), TORCH_AFTER_3_STEPS, 1e-5);
    expect(opt.step).toBe(3);
    opt.dispose();
    x.dispose();
  });

  it('resumes bit for bit from a JSON round trip of its state', async () => {
    const a = tf.tidy(() => tf.variable(tf.tensor1d(x0)));
    const optA = new Adam([a]);
    for (let i = 0; i < 5; i++) stepOnce(a, optA, 0.05);

    const b = tf.tidy(() => tf.variable(tf.tensor1d(x0)));
    const optB = new Adam([b]);
    for (let i = 0; i < 2; i++) stepOnce(b, optB, 0.05);
    const saved = JSON.parse(JSON.stringify({ w: Array.from(await b.data()), s: await optB.getState() }));
    optB.dispose();
    b.dispose();

    const r = tf.tidy(() => tf.variable(tf.tensor1d(saved.w)));
    const optR = new Adam([r]);
    optR.setState(saved.s);
    for (let i = 0; i < 3; i++) stepOnce(r, optR, 0.05);
    expect(Array.from(await r.data())).toEqual(Array.from(await a.data()));
    tf.dispose([a, r]);
    optA.dispose();
    optR.dispose();
  });

  it('owns exactly its moment variables (no leaks) and rejects bad input', () => {
    const before = tf.memory().numTensors;
    const x = tf.tidy(() => tf.variable(tf.tensor1d(x0)));
    const opt = new Adam([x]);
    stepOnce(x, opt, 0.1);
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(() => opt.applyGradients([], 0.1)).toThrow(ConfigError);
    expect(() => opt.applyGradients([x], NaN)).toThrow('Adam.applyGradients: lr must be a finite number ≥ 0, got NaN');
    expect(() => opt.setState({ step: 1, m: [[0, 0]], v: [[0, 0, 0]] })).toThrow(CheckpointError);
    expect(() => opt.setState({ step: -1, m: [], v: [] })).toThrow(CheckpointError);
    expect(() => new Adam([x], { beta1: 1 })).toThrow(ConfigError);
    opt.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
