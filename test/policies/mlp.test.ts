import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointError, ConfigError, ShapeError } from '../../src/core/errors.js';
import { GaussianMlpPolicy } from '../../src/policies/gaussian_mlp.js';
import { MlpPolicy } from '../../src/policies/mlp.js';
import { frozenReference } from '../../src/policies/reference.js';
import type { Policy, PolicyWeight } from '../../src/policies/types.js';
import { createRng } from '../../src/random/rng.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

// χ²(3) critical value at p = 0.001 (scipy.stats.chi2.ppf(0.999, 3) = 16.266236196238129).
const CHI2_3_999 = 16.266236196238129;

const discreteObs = { kind: 'discrete' as const, n: 5 };
const boxObs = { kind: 'box' as const, shape: [3] };
const fourActions = { kind: 'discrete' as const, n: 4 };
const boxActions = { kind: 'box' as const, shape: [2] };

/** Scale every weight so the policy is far from uniform (the heads start at gain 0.01). */
function spread(p: Policy, seed: string, scale = 1): void {
  const rng = createRng(seed);
  p.setWeights(p.getWeights().map((w) => ({ ...w, values: w.values.map(() => scale * rng.normal()) })));
}

function mlp(seed: string, extra: Partial<ConstructorParameters<typeof MlpPolicy>[0]> = {}): MlpPolicy {
  return new MlpPolicy({
    obsSpace: boxObs,
    actionSpace: fourActions,
    hidden: [16, 16],
    rng: createRng(seed),
    ...extra,
  });
}

function gauss(seed: string): GaussianMlpPolicy {
  return new GaussianMlpPolicy({
    obsSpace: boxObs,
    actionSpace: boxActions,
    hidden: [16, 16],
    initLogStd: -0.5,
    rng: createRng(seed),
  });
}

/** Max |M − c·I| for the Gram matrix of W [r, c] on its smaller side. */
function orthogonalityError(w: PolicyWeight, gain: number): number {
  const [r, c] = w.shape as [number, number];
  const small = Math.min(r, c);
  let err = 0;
  for (let i = 0; i < small; i++) {
    for (let j = 0; j < small; j++) {
      let dot = 0;
      // r ≥ c: (WᵀW)_ij = Σ_k W[k,i]W[k,j]; r < c: (WWᵀ)_ij = Σ_k W[i,k]W[j,k].
      if (r >= c) for (let k = 0; k < r; k++) dot += w.values[k * c + i]! * w.values[k * c + j]!;
      else for (let k = 0; k < c; k++) dot += w.values[i * c + k]! * w.values[j * c + k]!;
      err = Math.max(err, Math.abs(dot - (i === j ? gain * gain : 0)));
    }
  }
  return err;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('MLP initialisation (CleanRL layer_init) and options', () => {
  useBackend('cpu');

  it('kernels are orthogonal with gains √2 / 0.01 / 1 and biases are zero', () => {
    const p = new MlpPolicy({
      obsSpace: { kind: 'discrete', n: 8 },
      actionSpace: fourActions,
      hidden: [64, 64],
      rng: createRng('ortho'),
    });
    try {
      const w = Object.fromEntries(p.getWeights().map((x) => [x.name, x]));
      expect(Object.keys(w)).toEqual([
        'actor/0/kernel',
        'actor/0/bias',
        'actor/1/kernel',
        'actor/1/bias',
        'actor/out/kernel',
        'actor/out/bias',
        'critic/0/kernel',
        'critic/0/bias',
        'critic/1/kernel',
        'critic/1/bias',
        'critic/out/kernel',
        'critic/out/bias',
      ]);
      expect(w['actor/0/kernel']!.shape).toEqual([8, 64]); // 8 < 64: W·Wᵀ = 2·I₈
      expect(orthogonalityError(w['actor/0/kernel']!, Math.SQRT2)).toBeLessThan(1e-5);
      expect(orthogonalityError(w['actor/1/kernel']!, Math.SQRT2)).toBeLessThan(1e-5); // 64×64
      expect(orthogonalityError(w['critic/1/kernel']!, Math.SQRT2)).toBeLessThan(1e-5);
      expect(orthogonalityError(w['actor/out/kernel']!, 0.01)).toBeLessThan(1e-9); // 64×4: WᵀW = 1e-4·I
      expect(orthogonalityError(w['critic/out/kernel']!, 1)).toBeLessThan(1e-5); // 64×1: ‖w‖ = 1
      // A wrong gain would fail: 0.01 ≠ √2.
      expect(orthogonalityError(w['actor/out/kernel']!, Math.SQRT2)).toBeGreaterThan(1);
      for (const name of Object.keys(w).filter((n) => n.endsWith('bias')))
        expect(w[name]!.values.every((v) => v === 0)).toBe(true);
    } finally {
      p.dispose();
    }
  });

  it('same seed → identical weights, different seed → different weights, and Math.random is never called', () => {
    const spy = vi.spyOn(Math, 'random');
    const a = mlp('seed-1');
    const b = mlp('seed-1');
    const c = mlp('seed-2');
    const g = gauss('seed-1');
    try {
      expect(a.getWeights()).toEqual(b.getWeights());
      expect(a.getWeights()[0]!.values).not.toEqual(c.getWeights()[0]!.values);
      a.act([0.1, 0.2, 0.3], createRng(1));
      g.act([0.1, 0.2, 0.3], createRng(1));
      tf.tidy(() => {
        const x = a.encoder.encode([0.1, 0.2, 0.3]);
        a.distribution(x).sample(createRng(2));
        g.distribution(x).sample(createRng(2));
        a.value(x);
      });
      a.clone().dispose();
      g.freeze().dispose();
      expect(spy).not.toHaveBeenCalled();
    } finally {
      [a, b, c, g].forEach((p) => p.dispose());
    }
  });

  it('shared critic: one torso with two heads', () => {
    const p = mlp('shared', { sharedCritic: true });
    try {
      expect(p.getWeights().map((w) => `${w.name}:${w.shape.join('x')}`)).toEqual([
        'torso/0/kernel:3x16',
        'torso/0/bias:16',
        'torso/1/kernel:16x16',
        'torso/1/bias:16',
        'actor/out/kernel:16x4',
        'actor/out/bias:4',
        'critic/out/kernel:16x1',
        'critic/out/bias:1',
      ]);
    } finally {
      p.dispose();
    }
  });

  it('bad options throw typed errors naming the argument', () => {
    const rng = createRng(1);
    expect(() => new MlpPolicy({ obsSpace: boxObs, actionSpace: boxActions as never, rng })).toThrow(
      /MlpPolicy: actionSpace must be a discrete space/,
    );
    expect(() => new MlpPolicy({ obsSpace: { kind: 'cube' } as never, actionSpace: fourActions, rng })).toThrow(
      ConfigError,
    );
    expect(() => new MlpPolicy({ obsSpace: boxObs, actionSpace: fourActions, hidden: [16, 0], rng })).toThrow(
      /MlpPolicy: hidden\[1\] must be a finite integer ≥ 1, got 0/,
    );
    expect(
      () => new MlpPolicy({ obsSpace: boxObs, actionSpace: fourActions, activation: 'gelu' as never, rng }),
    ).toThrow(/activation must be one of 'tanh' \| 'relu'/);
    expect(() => new MlpPolicy({ obsSpace: boxObs, actionSpace: fourActions } as never)).toThrow(
      /MlpPolicy: rng must be an Rng/,
    );
    expect(() => new GaussianMlpPolicy({ obsSpace: boxObs, actionSpace: fourActions as never, rng })).toThrow(
      /GaussianMlpPolicy: actionSpace must be a box space/,
    );
    expect(() => new GaussianMlpPolicy({ obsSpace: boxObs, actionSpace: boxActions, initLogStd: NaN, rng })).toThrow(
      ConfigError,
    );
    const p = mlp('bad-input', { critic: false });
    try {
      expect(() => p.act([1, 2], rng)).toThrow(/MlpPolicy.act: obs must be an array of 3 numbers/);
      expect(() =>
        tf.tidy(() => {
          p.distribution(tf.zeros([2, 4]));
        }),
      ).toThrow(ShapeError);
      expect(() => tf.tidy(() => p.value(tf.zeros([2, 3])))).toThrow(/critic: true/);
      expect(Number.isNaN(p.act([1, 2, 3], rng).value)).toBe(true);
    } finally {
      p.dispose();
    }
  });
});

describe.each(TEST_BACKENDS)('MlpPolicy on the %s backend', (backend) => {
  useBackend(backend);

  it.each([
    ['box obs, separate critic', {}],
    ['box obs, shared critic, relu', { sharedCritic: true, activation: 'relu' as const }],
    ['discrete obs (one-hot row lookup)', { obsSpace: discreteObs }],
  ])('act equals the tensor path (%s): logProb and value to 1e-5', (_label, extra) => {
    const p = mlp('eq', extra);
    try {
      spread(p, 'eq-w', 0.5);
      const discrete = p.obsSpace.kind === 'discrete';
      const obsList: (number | number[])[] = discrete
        ? [0, 1, 2, 3, 4]
        : [
            [0.1, -0.5, 2],
            [1, 1, 1],
            [-2, 0.3, 0],
          ];
      const rng = createRng('eq-act');
      const fast = obsList.map((o) => p.act(o, rng));
      const flat = discrete ? Int32Array.from(obsList as number[]) : Float64Array.from((obsList as number[][]).flat());
      const [lp, v] = tf.tidy(() => {
        const x = p.encoder.encode(flat);
        return [
          p
            .distribution(x)
            .logProb(fast.map((r) => r.action as number))
            .dataSync(),
          p.value(x).dataSync(),
        ];
      });
      expectClose(
        fast.map((r) => r.logProb),
        lp!,
        1e-5,
        1e-5,
      );
      expectClose(
        fast.map((r) => r.value),
        v!,
        1e-5,
        1e-5,
      );
      // Without the critic: the same actions and log-probabilities from the same stream; a box observation's value
      // is NaN (the critic did not run), a discrete state's comes from its table.
      const leanRng = createRng('eq-act');
      const lean = obsList.map((o) => p.act(o, leanRng, { value: false }));
      expect(lean.map((r) => r.action)).toEqual(fast.map((r) => r.action));
      expect(lean.map((r) => r.logProb)).toEqual(fast.map((r) => r.logProb));
      expect(lean.map((r) => r.value)).toEqual(discrete ? fast.map((r) => r.value) : obsList.map(() => NaN));
    } finally {
      p.dispose();
    }
  });

  it('act samples the same distribution as distribution(obs).sample (χ² with a fixed seed)', () => {
    const p = mlp('chi');
    try {
      spread(p, 'chi-w', 0.6);
      const o = [0.3, -0.2, 0.8];
      const n = 4000;
      const probs = tf.tidy(() => p.distribution(p.encoder.encode(o)).probs().dataSync());
      const rng = createRng('chi-act');
      const fast = new Array(4).fill(0);
      for (let i = 0; i < n; i++) fast[p.act(o, rng).action as number]++;
      const viaTensor = new Array(4).fill(0);
      const flat = new Float64Array(n * 3);
      for (let i = 0; i < n; i++) flat.set(o, i * 3);
      for (const a of tf.tidy(() => p.distribution(p.encoder.encode(flat)).sample(createRng('chi-dist')).dataSync()))
        viaTensor[a]++;
      const chi = (counts: number[], q: ArrayLike<number>): number =>
        counts.reduce((acc, c, i) => acc + (c - n * q[i]!) ** 2 / (n * q[i]!), 0);
      expect(chi(fast, probs)).toBeLessThan(CHI2_3_999);
      expect(chi(viaTensor, probs)).toBeLessThan(CHI2_3_999);
      expect(chi(fast, [0.25, 0.25, 0.25, 0.25])).toBeGreaterThan(100); // far from uniform: the test has power
    } finally {
      p.dispose();
    }
  });

  it('the fast path follows an Adam step and setWeights without an explicit sync', () => {
    const p = mlp('follow');
    const opt = tf.train.adam(0.05);
    try {
      spread(p, 'follow-w', 0.5);
      const o = [0.5, 0.5, -1];
      const lpOf = (a: number): number =>
        tf.tidy(() => p.distribution(p.encoder.encode(o)).logProb([a]).dataSync()[0]!);
      const before = p.act(o, createRng('s')).logProb;
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => tf.neg(tf.mean(p.distribution(p.encoder.encode([...o, ...o])).logProb([0, 1]))) as tf.Scalar),
        p.trainableVariables,
      );
      opt.applyGradients(p.trainableVariables.map((v) => ({ name: v.name, tensor: grads[v.name]! })));
      tf.dispose([value, grads]);
      const r = p.act(o, createRng('s'));
      expectClose(r.logProb, lpOf(r.action as number), 1e-5, 1e-5);
      expect(Math.abs(r.logProb - before)).toBeGreaterThan(1e-3);
      const zeros = p.getWeights().map((w) => ({ ...w, values: w.values.map(() => 0) }));
      p.setWeights(zeros);
      const u = p.act(o, createRng('t'));
      expectClose(u.logProb, Math.log(0.25), 1e-12);
      expect(u.value).toBe(0);
    } finally {
      opt.dispose();
      p.dispose();
    }
  });

  it('a discrete state acts from its per-state table until the weights change (Adam step, setWeights, sync)', () => {
    // The table keeps each visited state's probabilities between calls; a stale table would keep sampling from the
    // old weights. Each check compares with the tensor path, which never sees the table.
    const p = mlp('table', { obsSpace: discreteObs });
    const opt = tf.train.adam(0.05);
    try {
      spread(p, 'table-w', 0.5);
      const lpOf = (s: number, a: number): number =>
        tf.tidy(
          () =>
            p
              .distribution(p.encoder.encode(Int32Array.of(s)))
              .logProb([a])
              .dataSync()[0]!,
        );
      const vOf = (s: number): number => tf.tidy(() => p.value(p.encoder.encode(Int32Array.of(s))).dataSync()[0]!);
      const rng = createRng('table-act');
      for (let k = 0; k < 20; k++) {
        const s = k % 5;
        const r = p.act(s, rng);
        expectClose(r.logProb, lpOf(s, r.action as number), 1e-5, 1e-5);
        expectClose(r.value, vOf(s), 1e-5, 1e-5);
      }
      const before = p.act(2, createRng('s')).logProb;
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(
            () => tf.neg(tf.mean(p.distribution(p.encoder.encode(Int32Array.of(2, 2))).logProb([0, 1]))) as tf.Scalar,
          ),
        p.trainableVariables,
      );
      opt.applyGradients(p.trainableVariables.map((v) => ({ name: v.name, tensor: grads[v.name]! })));
      tf.dispose([value, grads]);
      const after = p.act(2, createRng('s'));
      expectClose(after.logProb, lpOf(2, after.action as number), 1e-5, 1e-5);
      expect(Math.abs(after.logProb - before)).toBeGreaterThan(1e-3);
      p.syncFastPath(); // an explicit sync also starts a fresh table
      expectClose(p.act(2, createRng('s')).logProb, after.logProb, 0, 0);
      p.setWeights(p.getWeights().map((w) => ({ ...w, values: w.values.map(() => 0) })));
      const u = p.act(2, createRng('t'));
      expectClose(u.logProb, Math.log(0.25), 1e-12);
      expect(u.value).toBe(0);
    } finally {
      opt.dispose();
      p.dispose();
    }
  });

  it('acting on a discrete state samples π(·|s) (χ² with a fixed seed)', () => {
    const p = mlp('chi-d', { obsSpace: discreteObs });
    try {
      spread(p, 'chi-d-w', 0.6);
      const n = 4000;
      const probs = tf.tidy(() =>
        p
          .distribution(p.encoder.encode(Int32Array.of(3)))
          .probs()
          .dataSync(),
      );
      const rng = createRng('chi-d-act');
      const counts = [0, 0, 0, 0];
      for (let i = 0; i < n; i++) counts[p.act(3, rng).action as number]!++;
      const chi = (q: ArrayLike<number>): number =>
        counts.reduce((acc, c, i) => acc + (c - n * q[i]!) ** 2 / (n * q[i]!), 0);
      expect(chi(probs)).toBeLessThan(CHI2_3_999);
      expect(chi([0.25, 0.25, 0.25, 0.25])).toBeGreaterThan(100);
    } finally {
      p.dispose();
    }
  });

  it('gradients reach every trainable variable (no tf.gather gradient needed)', () => {
    for (const p of [mlp('grad'), mlp('grad-shared', { sharedCritic: true, obsSpace: discreteObs })]) {
      try {
        const obs =
          p.obsSpace.kind === 'discrete'
            ? Int32Array.from([0, 3, 4])
            : Float64Array.from([0.1, 0.2, 0.3, -1, 0, 1, 2, 2, -2]);
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const x = p.encoder.encode(obs);
              const lp = p.distribution(x).logProb([1, 2, 3]);
              return tf.add(
                tf.neg(tf.mean(tf.mul(lp, tf.tensor1d([1, -0.5, 2])))),
                tf.mean(tf.square(tf.sub(p.value(x), 1))),
              ) as tf.Scalar;
            }),
          p.trainableVariables,
        );
        expect(Object.keys(grads).length).toBe(p.trainableVariables.length);
        for (const v of p.trainableVariables)
          expect(tf.max(tf.abs(grads[v.name]!)).dataSync()[0]!, v.name).toBeGreaterThan(0);
        tf.dispose([value, grads]);
      } finally {
        p.dispose();
      }
    }
  });

  it('getWeights → JSON → setWeights round-trips exactly; bad records throw and change nothing', () => {
    const a = mlp('rt-a');
    const b = mlp('rt-b');
    try {
      b.setWeights(JSON.parse(JSON.stringify(a.getWeights())));
      expect(b.getWeights()).toEqual(a.getWeights());
      const o = [0.2, 0.1, -0.3];
      expect(b.act(o, createRng(9))).toEqual(a.act(o, createRng(9)));
      const w = a.getWeights();
      const snap = JSON.stringify(b.getWeights());
      const bad = (i: number, patch: Partial<PolicyWeight>): PolicyWeight[] =>
        w.map((x, j) => (j === i ? { ...x, ...patch } : x));
      expect(() => b.setWeights(bad(2, { name: 'actor/9/kernel' }))).toThrow(
        /MlpPolicy.setWeights: weights\[2\].name must be 'actor\/1\/kernel'/,
      );
      expect(() => b.setWeights(bad(0, { shape: [16, 3] }))).toThrow(ShapeError);
      expect(() => b.setWeights(bad(11, { values: [] }))).toThrow(ShapeError);
      expect(() => b.setWeights(w.slice(1))).toThrow(CheckpointError);
      expect(() => b.setWeights(bad(1, { values: w[1]!.values.map(() => 'x') as never }))).toThrow(CheckpointError);
      expect(JSON.stringify(b.getWeights())).toBe(snap);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('clone is independent; freeze has no trainable variables and its outputs stay fixed', () => {
    const p = mlp('copies');
    const c = p.clone();
    const f = frozenReference(p);
    const opt = tf.train.sgd(0.5);
    try {
      spread(p, 'copies-w', 0.3); // after copying: p moves, the copies keep the initial weights
      expect(f.trainableVariables).toEqual([]);
      expect(f.trainable).toBe(false);
      expect(c.trainableVariables.length).toBe(12);
      const x = [0.4, -0.4, 0.9];
      const logits = (q: Policy): number[] =>
        tf.tidy(() =>
          Array.from((q.distribution(q.encoder.encode(x)) as unknown as { logits(): tf.Tensor }).logits().dataSync()),
        );
      const fBefore = logits(f);
      expectClose(logits(c), fBefore, 0);
      const step = (q: Policy): void => {
        const { value, grads } = tf.variableGrads(
          () => tf.tidy(() => tf.neg(tf.mean(q.distribution(q.encoder.encode(x)).logProb([2]))) as tf.Scalar),
          q.trainableVariables,
        );
        opt.applyGradients(grads);
        tf.dispose([value, grads]);
      };
      const pBefore = logits(p);
      step(c);
      expectClose(logits(p), pBefore, 0);
      expect(logits(c)[2]! - fBefore[2]!).toBeGreaterThan(1e-4);
      step(p);
      expectClose(logits(f), fBefore, 0);
      expect(f.act(x, createRng(3)).logProb).toBeCloseTo(fBefore[f.act(x, createRng(3)).action as number]!, 5);
    } finally {
      opt.dispose();
      [p, c, f].forEach((q) => q.dispose());
    }
  });

  it('does not leak: distribution methods, value, act (zero tensors), clone/freeze/dispose', async () => {
    const p = mlp('leak');
    try {
      const x = p.encoder.encode([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
      await expectNoLeak(() =>
        tf.tidy(() => {
          const d = p.distribution(x);
          d.logProb([0, 3]);
          d.entropy();
          d.kl(p.distribution(x));
        }),
      );
      await expectNoLeak(() => p.value(x).dispose());
      x.dispose();
      p.act([0, 0, 0], createRng(1));
      const rng = createRng(2);
      const obs = Float64Array.from([0.3, 0.1, -0.2]);
      const info = await tf.profile(() => {
        for (let i = 0; i < 50; i++) p.act(obs, rng);
      });
      expect(info.newTensors).toBe(0);
      expect(info.kernels.length).toBe(0);
    } finally {
      p.dispose();
    }
    const before = tf.memory().numTensors;
    const q = mlp('leak2', { sharedCritic: true });
    const c = q.clone();
    const f = q.freeze();
    [q, c, f].forEach((z) => z.dispose());
    expect(tf.memory().numTensors).toBe(before);
    expect(() => q.act([0, 0, 0], createRng(1))).toThrow(ConfigError);
  });
});

describe.each(TEST_BACKENDS)('GaussianMlpPolicy on the %s backend', (backend) => {
  useBackend(backend);

  it('distribution is N(μ(s), diag exp(logStd)²) with a state-independent logStd; act logProb and value match', () => {
    const p = gauss('g-eq');
    try {
      spread(p, 'g-eq-w', 0.5);
      const logStd = p.getWeights().find((w) => w.name === 'actor/log_std')!;
      expect(logStd.shape).toEqual([2]);
      const obs = [
        [0.1, 0.2, 0.3],
        [-1, 0, 2],
      ];
      const rng = createRng('g-act');
      const fast = obs.map((o) => p.act(o, rng));
      const [lp, v, std] = tf.tidy(() => {
        const x = p.encoder.encode(obs.flat());
        const d = p.distribution(x);
        const actions = tf.tensor2d(
          fast.flatMap((r) => Array.from(r.action as Float64Array)),
          [2, 2],
        );
        return [d.logProb(actions).dataSync(), p.value(x).dataSync(), d.std().dataSync()];
      });
      expectClose(
        fast.map((r) => r.logProb),
        lp!,
        1e-4,
        1e-5,
      );
      expectClose(
        fast.map((r) => r.value),
        v!,
        1e-5,
        1e-5,
      );
      // σ is exp(logStd) for every row.
      expectClose(std!, [...logStd.values, ...logStd.values].map(Math.exp), 1e-6, 1e-6);
      // Without the critic: the same draws and log-probabilities, value NaN.
      const leanRng = createRng('g-act');
      const lean = obs.map((o) => p.act(o, leanRng, { value: false }));
      expect(lean.map((r) => Array.from(r.action as Float64Array))).toEqual(
        fast.map((r) => Array.from(r.action as Float64Array)),
      );
      expect(lean.map((r) => r.logProb)).toEqual(fast.map((r) => r.logProb));
      expect(lean.map((r) => r.value)).toEqual([NaN, NaN]);
    } finally {
      p.dispose();
    }
  });

  it('act samples the same Gaussian as distribution(obs).sample (moments and same-stream draws)', () => {
    const p = gauss('g-mom');
    try {
      spread(p, 'g-mom-w', 0.5);
      const o = [0.5, -0.5, 1];
      const [mu, sigma, sampled] = tf.tidy(() => {
        const d = p.distribution(p.encoder.encode(o));
        return [d.mean().dataSync(), d.std().dataSync(), d.sample(createRng('same')).dataSync()];
      });
      // DiagGaussian.sample draws μ + σ·ε with ε from rng.normal() in order, as act does.
      expectClose(p.act(o, createRng('same')).action as Float64Array, sampled!, 1e-5, 1e-5);
      const n = 4000;
      const rng = createRng('g-many');
      const sum = [0, 0];
      const sq = [0, 0];
      for (let i = 0; i < n; i++) {
        const a = p.act(o, rng).action as Float64Array;
        for (let d = 0; d < 2; d++) {
          sum[d]! += a[d]!;
          sq[d]! += a[d]! ** 2;
        }
      }
      for (let d = 0; d < 2; d++) {
        const m = sum[d]! / n;
        const sd = Math.sqrt(sq[d]! / n - m * m);
        expect(Math.abs(m - mu![d]!)).toBeLessThan((4 * sigma![d]!) / Math.sqrt(n));
        expect(Math.abs(sd / sigma![d]! - 1)).toBeLessThan(0.06);
      }
    } finally {
      p.dispose();
    }
  });

  it('gradients reach every variable including log_std; the fast path follows the step', () => {
    const p = gauss('g-grad');
    const opt = tf.train.sgd(0.1);
    try {
      const o = [0.3, 0.2, 0.1, 1, -1, 0];
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const x = p.encoder.encode(o);
            const lp = p.distribution(x).logProb(
              tf.tensor2d([
                [0.5, -0.5],
                [1, 2],
              ]),
            );
            return tf.add(tf.neg(tf.mean(lp)), tf.mean(tf.square(tf.sub(p.value(x), 1)))) as tf.Scalar;
          }),
        p.trainableVariables,
      );
      for (const v of p.trainableVariables)
        expect(tf.max(tf.abs(grads[v.name]!)).dataSync()[0]!, v.name).toBeGreaterThan(0);
      const before = p.act(o.slice(0, 3), createRng('x')).logProb;
      opt.applyGradients(grads);
      tf.dispose([value, grads]);
      const r = p.act(o.slice(0, 3), createRng('x'));
      const lp = tf.tidy(
        () =>
          p
            .distribution(p.encoder.encode(o.slice(0, 3)))
            .logProb(tf.tensor2d([Array.from(r.action as Float64Array)]))
            .dataSync()[0]!,
      );
      expectClose(r.logProb, lp, 1e-4, 1e-5);
      expect(Math.abs(r.logProb - before)).toBeGreaterThan(1e-3);
    } finally {
      opt.dispose();
      p.dispose();
    }
  });

  it('round-trips weights, freezes, and does not leak', async () => {
    const before = tf.memory().numTensors;
    const p = gauss('g-rt');
    const q = gauss('g-rt2');
    const f = p.freeze();
    try {
      q.setWeights(JSON.parse(JSON.stringify(p.getWeights())));
      expect(q.getWeights()).toEqual(p.getWeights());
      expect(f.trainableVariables).toEqual([]);
      const x = p.encoder.encode([0.1, 0.2, 0.3]);
      await expectNoLeak(() =>
        tf.tidy(() => {
          const d = p.distribution(x);
          d.logProb(tf.tensor2d([[0, 0]]));
          d.entropy();
          d.kl(f.distribution(x));
        }),
      );
      await expectNoLeak(() => p.value(x).dispose());
      x.dispose();
      p.act([0, 0, 0], createRng(1));
      const rng = createRng(5);
      const info = await tf.profile(() => {
        for (let i = 0; i < 20; i++) p.act([0.1, 0.1, 0.1], rng);
      });
      expect(info.newTensors).toBe(0);
    } finally {
      [p, q, f].forEach((z) => z.dispose());
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
