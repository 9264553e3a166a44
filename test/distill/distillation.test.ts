import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { bimodalTeacher, distillationLoss, fitGaussianStudent } from '../../src/distill/distillation.js';
import { createRng } from '../../src/random/rng.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

// Golden values: float64 numpy/scipy (/usr/bin/python3), generating code (TRL GKDTrainer.generalized_jsd_loss maths):
// from scipy.special import log_softmax, rel_entr
// T = np.array([0.7, 0.3]); S = np.array([0.4, 0.6]); rel_entr(T,S).sum(), rel_entr(S,T).sum()
// def gjsd(sl, tl, beta, tau=1.0):
//     ls = log_softmax(sl/tau, -1); lt = log_softmax(tl/tau, -1)
//     if beta == 0: return (np.exp(lt)*(lt-ls)).sum(-1)
//     if beta == 1: return (np.exp(ls)*(ls-lt)).sum(-1)
//     lm = np.logaddexp(ls + np.log1p(-beta), lt + np.log(beta))
//     return beta*(np.exp(lt)*(lt-lm)).sum(-1) + (1-beta)*(np.exp(ls)*(ls-lm)).sum(-1)
// d = gjsd(ST, TE, b); (d*mask).sum()/mask.sum()
const ST = [
  [
    [0.2, -1.0, 0.5],
    [1.5, 0.0, -0.3],
  ],
  [
    [0.0, 0.3, 0.3],
    [-2.0, 1.0, 0.7],
  ],
];
const TE = [
  [
    [1.0, 0.0, -1.0],
    [0.2, 0.2, 0.9],
  ],
  [
    [-0.5, 0.5, 1.5],
    [0.0, 0.0, 0.0],
  ],
];
const MASK = [
  [1, 1],
  [1, 0],
];
const GOLD_SEQ = [
  {
    kind: 'forward',
    beta: 0.5,
    div: [0.40922633838854194, 0.5664443827796322, 0.2028700866196294, 0],
    loss: 0.39284693592926784,
  },
  {
    kind: 'reverse',
    beta: 0.5,
    div: [0.5810366377265227, 0.522856787668042, 0.22369854665627523, 0],
    loss: 0.44253065735028,
  },
  {
    kind: 'jsd',
    beta: 0.5,
    div: [0.11332909404618638, 0.12796612926535425, 0.05177193008066651, 0],
    loss: 0.09768905113073571,
  },
  {
    kind: 'jsd',
    beta: 0.25,
    div: [0.0798944369065545, 0.0989880284218209, 0.0382143979697113, 0],
    loss: 0.07236562109936223,
  },
] as const;

describe.each(TEST_BACKENDS)('distillationLoss (%s backend)', (b) => {
  useBackend(b);

  it('seed example: teacher [0.7, 0.3], student [0.4, 0.6] → KL(T‖S) ≈ 0.1838, KL(S‖T) ≈ 0.1920', async () => {
    const studentLogits = tf.log(tf.tensor2d([[0.4, 0.6]]));
    const teacherLogits = tf.log(tf.tensor2d([[0.7, 0.3]]));
    const out: number[] = [];
    // β = 0, 0.1, 0.5, 0.9, 1 → 0.18378689738681223, 0.016517983060345777, 0.046200829181513435, 0.017099597161875868, 0.19204199316179799
    for (const [kind, beta] of [
      ['forward', 0.5],
      ['reverse', 0.5],
      ['jsd', 0],
      ['jsd', 0.1],
      ['jsd', 0.5],
      ['jsd', 0.9],
      ['jsd', 1],
    ] as const) {
      const { loss, divergence } = distillationLoss({ studentLogits, teacherLogits, kind, beta });
      expect(divergence.shape).toEqual([1]);
      out.push((await loss.data())[0]!);
      tf.dispose([loss, divergence]);
    }
    expectClose(
      out,
      [
        0.18378689738681217, 0.19204199316179815, 0.18378689738681223, 0.016517983060345777, 0.046200829181513435,
        0.017099597161875868, 0.19204199316179799,
      ],
      1e-5,
    );
    tf.dispose([studentLogits, teacherLogits]);
  });

  it.each(GOLD_SEQ)(
    '[B, T, V] with a mask: $kind β=$beta (golden, float64 oracle)',
    async ({ kind, beta, div, loss }) => {
      const [s, t, m] = [tf.tensor3d(ST), tf.tensor3d(TE), tf.tensor2d(MASK)];
      const r = distillationLoss({ studentLogits: s, teacherLogits: t, kind, beta, mask: m });
      expect(r.divergence.shape).toEqual([2, 2]);
      expectClose(await r.divergence.data(), div, 1e-5);
      expectClose((await r.loss.data())[0]!, loss, 1e-5);
      tf.dispose([s, t, m, r.loss, r.divergence]);
    },
  );

  it('temperature divides both logits (forward, τ = 2, no mask: plain mean)', async () => {
    const [s, t] = [tf.tensor3d(ST), tf.tensor3d(TE)];
    const r = distillationLoss({ studentLogits: s, teacherLogits: t, kind: 'forward', temperature: 2 });
    expectClose(
      await r.divergence.data(),
      [0.13336457438426852, 0.1395024483423418, 0.05882636015936138, 0.18559916261611523],
      1e-5,
    );
    expectClose((await r.loss.data())[0]!, 0.12932313637552173, 1e-5);
    tf.dispose([s, t, r.loss, r.divergence]);
  });

  it('gradients: ∇_s KL(T‖S) = S − T and ∇_s KL(S‖T) = S⊙(log S − log T − KL)', async () => {
    const s0 = [0.3, -0.2, 1.1, 0.0];
    const t0 = [1.0, 0.5, -0.5, 0.2];
    const soft = (x: number[]): number[] => {
      const z = x.reduce((a, v) => a + Math.exp(v), 0);
      return x.map((v) => Math.exp(v) / z);
    };
    const [S, T] = [soft(s0), soft(t0)];
    const kl = S.reduce((a, p, i) => a + p * Math.log(p / T[i]!), 0);
    const s = tf.tensor2d([s0]);
    const t = tf.tensor2d([t0]);
    const gf = tf.grad(
      (x: tf.Tensor) => distillationLoss({ studentLogits: x, teacherLogits: t, kind: 'forward' }).loss,
    )(s);
    const gr = tf.grad(
      (x: tf.Tensor) => distillationLoss({ studentLogits: x, teacherLogits: t, kind: 'reverse' }).loss,
    )(s);
    expectClose(
      await gf.data(),
      S.map((p, i) => p - T[i]!),
      1e-5,
    );
    expectClose(
      await gr.data(),
      S.map((p, i) => p * (Math.log(p / T[i]!) - kl)),
      1e-5,
    );
    tf.dispose([s, t, gf, gr]);
  });

  it('property: JSD_β ≥ 0, JSD_½ ≤ ln 2, and JSD_β/β → KL(T‖S) as β → 0, JSD_β/(1−β) → KL(S‖T) as β → 1', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }),
        async (a, c) => {
          const s = tf.tensor2d([a]);
          const t = tf.tensor2d([c]);
          const val = async (kind: 'forward' | 'reverse' | 'jsd', beta: number): Promise<number> => {
            const r = distillationLoss({ studentLogits: s, teacherLogits: t, kind, beta });
            const v = (await r.loss.data())[0]!;
            tf.dispose([r.loss, r.divergence]);
            return v;
          };
          const [fwd, rev, half, lo, hi] = [
            await val('forward', 0),
            await val('reverse', 0),
            await val('jsd', 0.5),
            await val('jsd', 1e-3),
            await val('jsd', 1 - 1e-3),
          ];
          tf.dispose([s, t]);
          expect(half).toBeGreaterThanOrEqual(-1e-6);
          expect(half).toBeLessThanOrEqual(Math.LN2 + 1e-6);
          expectClose(lo / 1e-3, fwd, 2e-3, 5e-2);
          expectClose(hi / 1e-3, rev, 2e-3, 5e-2);
        },
      ),
      { numRuns: 15, seed: 11 },
    );
  });

  it('does not leak tensors', async () => {
    const [s, t, m] = [tf.tensor3d(ST), tf.tensor3d(TE), tf.tensor2d(MASK)];
    for (const kind of ['forward', 'reverse', 'jsd'] as const) {
      await expectNoLeak(() => {
        const r = distillationLoss({ studentLogits: s, teacherLogits: t, kind, mask: m, beta: 0.3 });
        tf.dispose([r.loss, r.divergence]);
      });
    }
    await expectNoLeak(() =>
      tf
        .grad((x: tf.Tensor) => distillationLoss({ studentLogits: x, teacherLogits: t, kind: 'jsd' }).loss)(s)
        .dispose(),
    );
    tf.dispose([s, t, m]);
  });

  it('rejects bad input with named errors', () => {
    const [s, t, short, m1] = [tf.tensor3d(ST), tf.tensor3d(TE), tf.tensor2d([[1, 2]]), tf.ones([2])];
    try {
      expect(() => distillationLoss({ studentLogits: s, teacherLogits: short, kind: 'forward' })).toThrow(
        'distillationLoss: teacherLogits must be of the same shape as studentLogits [2,2,3], got a tensor of shape [1,2]',
      );
      expect(() => distillationLoss({ studentLogits: m1, teacherLogits: m1, kind: 'forward' })).toThrow(
        'distillationLoss: studentLogits must be a tensor of rank 2 or 3',
      );
      expect(() => distillationLoss({ studentLogits: s, teacherLogits: t, kind: 'jsd', beta: 1.5 })).toThrow(
        'distillationLoss: beta must be a finite number ≥ 0 and ≤ 1, got 1.5',
      );
      expect(() => distillationLoss({ studentLogits: s, teacherLogits: t, kind: 'forward', temperature: 0 })).toThrow(
        ConfigError,
      );
      expect(() => distillationLoss({ studentLogits: s, teacherLogits: t, kind: 'kl' as 'forward' })).toThrow(
        "distillationLoss: kind must be one of 'forward' | 'reverse' | 'jsd', got \"kl\"",
      );
      expect(() => distillationLoss({ studentLogits: s, teacherLogits: t, kind: 'forward', mask: m1 })).toThrow(
        ShapeError,
      );
    } finally {
      tf.dispose([s, t, short, m1]);
    }
  });
});

describe('forward vs reverse KL on a bimodal teacher (wasm backend)', () => {
  useBackend('wasm');
  const teacher = bimodalTeacher(); // 21 bins, modes at 5 and 15, σ = 1.5
  const massNear = (p: Float64Array, m: number): number => p.reduce((s, v, i) => s + (Math.abs(i - m) <= 3 ? v : 0), 0);

  it('bimodalTeacher is a normalised symmetric two-mode mixture', () => {
    expectClose(
      teacher.reduce((s, v) => s + v, 0),
      1,
      1e-12,
    );
    expectClose(teacher[5]!, teacher[15]!, 1e-12);
    expect(teacher[5]!).toBeGreaterThan(teacher[4]!);
    expect(teacher[10]!).toBeLessThan(teacher[5]! / 100); // deep valley between the modes
    expect(() => bimodalTeacher({ width: 0 })).toThrow('bimodalTeacher: width must be a finite number > 0, got 0');
  });

  it('from the same start, forward KL covers both modes and reverse KL collapses onto one', () => {
    let collapsedLeft = 0;
    for (const seed of [1, 2]) {
      const fwd = fitGaussianStudent({ teacher, kind: 'forward', rng: createRng(seed), steps: 300 });
      const rev = fitGaussianStudent({ teacher, kind: 'reverse', rng: createRng(seed), steps: 300 });
      // Mode-covering: mass near each mode, a wide student (σ ≫ the teacher's 1.5).
      expect(massNear(fwd.probs, 5)).toBeGreaterThan(0.25);
      expect(massNear(fwd.probs, 15)).toBeGreaterThan(0.25);
      expect(fwd.std).toBeGreaterThan(5);
      // Mode-seeking: > 0.9 of the mass within ±3 bins of one mode, σ close to the teacher's.
      const near = Math.max(massNear(rev.probs, 5), massNear(rev.probs, 15));
      expect(near).toBeGreaterThan(0.9);
      expectClose(rev.std, 1.5, 0.1);
      // On one of two equal modes the reverse KL is ≈ ln 2 (the half of the teacher's mass it ignores).
      expectClose(rev.loss, Math.LN2, 0.01);
      if (massNear(rev.probs, 5) > 0.9) collapsedLeft++;
      expect(rev.history[rev.history.length - 1]!).toBeLessThan(rev.history[0]!);
    }
    expect(collapsedLeft).toBe(1); // the two seeds start on different modes and each student keeps its own
  });

  it('is deterministic for a seed', () => {
    const a = fitGaussianStudent({ teacher, kind: 'jsd', beta: 0.5, rng: createRng(7), steps: 20 });
    const b = fitGaussianStudent({ teacher, kind: 'jsd', beta: 0.5, rng: createRng(7), steps: 20 });
    expect(a.history).toEqual(b.history);
    expect(Array.from(a.probs)).toEqual(Array.from(b.probs));
  });

  it('leaves no tensors behind and validates its options', () => {
    const before = tf.memory().numTensors;
    fitGaussianStudent({ teacher, kind: 'reverse', initMean: 6, steps: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(() => fitGaussianStudent({ teacher, kind: 'reverse' })).toThrow(
      'fitGaussianStudent: rng must be an Rng when initMean is not given, got undefined',
    );
    expect(() => fitGaussianStudent({ teacher: [0.5, 0.6], kind: 'reverse', initMean: 0 })).toThrow(ConfigError);
    expect(() => fitGaussianStudent({ teacher, kind: 'forward', initMean: 6, steps: -1 })).toThrow(
      'fitGaussianStudent: steps must be a finite integer ≥ 0, got -1',
    );
  });
});
