import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, ShapeError } from '../../src/core/errors.js';
import { klProbs, softmax } from '../../src/kl/probs.js';
import { frozenReference } from '../../src/policies/reference.js';
import { TabularPolicy } from '../../src/policies/tabular.js';
import { createRng } from '../../src/random/rng.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

const S = 6;
const A = 4;

function randomPolicy(seed: string, scale = 1): TabularPolicy {
  return new TabularPolicy({ numStates: S, numActions: A, rng: createRng(seed), init: 'random', initScale: scale });
}

/** Pearson χ² of counts against probabilities. */
function chiSquared(counts: ArrayLike<number>, probs: ArrayLike<number>, n: number): number {
  let x = 0;
  for (let i = 0; i < counts.length; i++) x += (counts[i]! - n * probs[i]!) ** 2 / (n * probs[i]!);
  return x;
}
// χ²(3) critical value at p = 0.001 (scipy.stats.chi2.ppf(0.999, 3) = 16.266236196238129).
const CHI2_3_999 = 16.266236196238129;

describe('TabularPolicy: float64 tables and exact per-state KL', () => {
  useBackend('cpu'); // the tables live in variables; everything compared here is read back into float64
  it('klPerState equals klProbs row by row on seeded random tables', () => {
    const p = randomPolicy('kl-p', 1.5);
    const q = randomPolicy('kl-q', 1.5);
    try {
      // Independent float64 route: softmax of the stored float32 logits, then klProbs per state.
      const lp = p.getWeights()[0]!.values;
      const lq = q.getWeights()[0]!.values;
      const expected = Array.from({ length: S }, (_, s) =>
        klProbs(softmax(lp.slice(s * A, (s + 1) * A)), softmax(lq.slice(s * A, (s + 1) * A))),
      );
      const got = p.klPerState(q);
      expect(got).toBeInstanceOf(Float64Array);
      expect(got.length).toBe(S);
      expectClose(got, expected, 1e-14);
      // The tables really differ, so the comparison is not 0 = 0, and KL is asymmetric.
      expect(Math.min(...got)).toBeGreaterThan(1e-3);
      const back = q.klPerState(p);
      expect(Array.from(back).some((v, s) => Math.abs(v - got[s]!) > 1e-6)).toBe(true);
      expectClose(p.klPerState(p), new Array(S).fill(0), 0);
    } finally {
      p.dispose();
      q.dispose();
    }
  });

  it('probsTable rows are the float64 softmax of the logits and sum to 1', () => {
    const p = randomPolicy('table', 2);
    try {
      const logits = p.getWeights()[0]!.values;
      const P = p.probsTable();
      expect(P.length).toBe(S * A);
      for (let s = 0; s < S; s++) {
        const row = logits.slice(s * A, (s + 1) * A);
        // Hand-written softmax: exp(x_a) / Σ_b exp(x_b).
        const z = row.reduce((acc, x) => acc + Math.exp(x), 0);
        expectClose(
          P.subarray(s * A, (s + 1) * A),
          row.map((x) => Math.exp(x) / z),
          1e-15,
        );
        expect(Math.abs(P.subarray(s * A, (s + 1) * A).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-14);
      }
    } finally {
      p.dispose();
    }
  });

  it('zeros init is the uniform policy; options are validated with typed errors', () => {
    const p = new TabularPolicy({ numStates: 2, numActions: 4, critic: false });
    try {
      expectClose(p.probsTable(), new Array(8).fill(0.25), 1e-15);
      expect(p.hasCritic).toBe(false);
      expect(p.getWeights().map((w) => w.name)).toEqual(['logits']);
      expect(Number.isNaN(p.act(1, createRng(1)).value)).toBe(true);
    } finally {
      p.dispose();
    }
    expect(() => new TabularPolicy({ numStates: 0, numActions: 2 })).toThrow(
      /TabularPolicy: numStates must be a finite integer ≥ 1, got 0/,
    );
    expect(() => new TabularPolicy({ numStates: 2, numActions: 2.5 })).toThrow(ConfigError);
    expect(() => new TabularPolicy({ numStates: 2, numActions: 2, init: 'random' })).toThrow(
      /TabularPolicy: rng must be an Rng/,
    );
    expect(() => new TabularPolicy({ numStates: 2, numActions: 2, init: 'bogus' as 'zeros' })).toThrow(
      /init must be one of 'zeros' \| 'random'/,
    );
    const a = new TabularPolicy({ numStates: 2, numActions: 2 });
    const b = new TabularPolicy({ numStates: 3, numActions: 2 });
    try {
      expect(() => a.klPerState(b)).toThrow(ShapeError);
      expect(() => a.act(2, createRng(1))).toThrow(/TabularPolicy.act: obs must be a state index in \[0, 2\), got 2/);
      expect(() => a.act(0.5, createRng(1))).toThrow(ConfigError);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('same seed gives identical tables, a different seed different ones', () => {
    const [a, b, c] = [randomPolicy('same'), randomPolicy('same'), randomPolicy('other')];
    try {
      expect(a.getWeights()).toEqual(b.getWeights());
      expect(a.getWeights()[0]!.values).not.toEqual(c.getWeights()[0]!.values);
    } finally {
      [a, b, c].forEach((p) => p.dispose());
    }
  });
});

describe.each(TEST_BACKENDS)('TabularPolicy on the %s backend', (backend) => {
  useBackend(backend);

  it('act matches the tensor path: logProb, value, and one-hot vs index input', () => {
    const p = randomPolicy('act');
    try {
      p.setWeights([p.getWeights()[0]!, { name: 'values', shape: [S], values: [0.5, -1, 2, 0, 3.25, -0.75] }]);
      const states = Array.from({ length: S }, (_, s) => s);
      const rng = createRng('act-rng');
      const fast = states.map((s) => p.act(s, rng));
      const [lpIdx, lpHot, vIdx, vHot] = tf.tidy(() => {
        const idx = tf.tensor1d(states, 'int32');
        const hot = p.encoder.encode(Int32Array.from(states));
        const acts = fast.map((r) => r.action as number);
        return [
          p.distribution(idx).logProb(acts).dataSync(),
          p.distribution(hot).logProb(acts).dataSync(),
          p.value(idx).dataSync(),
          p.value(hot).dataSync(),
        ];
      });
      expectClose(
        fast.map((r) => r.logProb),
        lpIdx!,
        1e-5,
      );
      expectClose(lpHot!, lpIdx!, 1e-6);
      expectClose(
        fast.map((r) => r.value),
        [0.5, -1, 2, 0, 3.25, -0.75],
        0,
      );
      expectClose(vIdx!, [0.5, -1, 2, 0, 3.25, -0.75], 0);
      expectClose(vHot!, vIdx!, 0);
    } finally {
      p.dispose();
    }
  });

  it('act samples the same distribution as distribution(obs).sample (χ² with a fixed seed)', () => {
    const p = randomPolicy('chi', 1);
    try {
      const s = 3;
      const n = 4000;
      const probs = p.probsTable().subarray(s * A, (s + 1) * A);
      const rng = createRng('chi-act');
      const fastCounts = new Array(A).fill(0);
      for (let i = 0; i < n; i++) fastCounts[p.act(s, rng).action as number]++;
      const tensorCounts = new Array(A).fill(0);
      const drawn = tf.tidy(() =>
        p
          .distribution(tf.fill([n], s, 'int32'))
          .sample(createRng('chi-dist'))
          .dataSync(),
      );
      for (const a of drawn) tensorCounts[a]++;
      expect(chiSquared(fastCounts, probs, n)).toBeLessThan(CHI2_3_999);
      expect(chiSquared(tensorCounts, probs, n)).toBeLessThan(CHI2_3_999);
      // Not uniform, so the test can tell distributions apart.
      expect(chiSquared(fastCounts, [0.25, 0.25, 0.25, 0.25], n)).toBeGreaterThan(100);
    } finally {
      p.dispose();
    }
  });

  it('a one-state policy (numStates 1, a bandit) takes int32 indices: distribution, value and gradients', () => {
    // Regression: tf.oneHot rejects depth 1, so int32 indices used to throw "depth must be >=2" for S = 1.
    const p = new TabularPolicy({
      numStates: 1,
      numActions: 3,
      rng: createRng('one-state'),
      init: 'random',
      initScale: 1,
    });
    const opt = tf.train.sgd(1);
    try {
      p.setWeights([
        { name: 'logits', shape: [1, 3], values: [0.5, -1, 2] },
        { name: 'values', shape: [1], values: [1.25] },
      ]);
      // Independent float64 softmax of [0.5, -1, 2].
      const z = Math.exp(0.5) + Math.exp(-1) + Math.exp(2);
      const expected = [Math.exp(0.5) / z, Math.exp(-1) / z, Math.exp(2) / z];
      const [probsIdx, probsHot, vIdx] = tf.tidy(() => {
        const idx = tf.tensor1d([0, 0], 'int32');
        return [
          p.distribution(idx).probs().dataSync(),
          p
            .distribution(p.encoder.encode([0, 0]))
            .probs()
            .dataSync(),
          p.value(idx).dataSync(),
        ];
      });
      expectClose(probsIdx!, [...expected, ...expected], 1e-6);
      expectClose(probsHot!, probsIdx!, 1e-7);
      expectClose(vIdx!, [1.25, 1.25], 0);
      // Gradient of −log π(0|s=0) w.r.t. θ[0] is softmax − e_0; one SGD step with lr 1 moves θ by −(p − e_0).
      const { value, grads } = tf.variableGrads(
        () => tf.tidy(() => tf.neg(tf.sum(p.distribution(tf.tensor1d([0], 'int32')).logProb([0]))) as tf.Scalar),
        p.trainableVariables,
      );
      opt.applyGradients(grads);
      tf.dispose([value, grads]);
      expectClose(p.getWeights()[0]!.values, [0.5 + 1 - expected[0]!, -1 - expected[1]!, 2 - expected[2]!], 1e-5);
    } finally {
      opt.dispose();
      p.dispose();
    }
  });

  it('the fast path follows setWeights and optimizer steps', () => {
    const p = randomPolicy('follow');
    const opt = tf.train.sgd(1);
    try {
      const before = p.act(2, createRng('f')).logProb;
      const v0 = p.weightsVersion;
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(
            () => tf.neg(tf.sum(p.distribution(tf.tensor1d([2, 2, 2], 'int32')).logProb([0, 1, 0]))) as tf.Scalar,
          ),
        p.trainableVariables,
      );
      opt.applyGradients(grads);
      tf.dispose([value, grads]);
      expect(p.weightsVersion).toBeGreaterThan(v0);
      const r = p.act(2, createRng('f'));
      const lp = tf.tidy(
        () =>
          p
            .distribution(tf.tensor1d([2], 'int32'))
            .logProb([r.action as number])
            .dataSync()[0]!,
      );
      expectClose(r.logProb, lp, 1e-5);
      expect(Math.abs(p.act(2, createRng('f')).logProb - before)).toBeGreaterThan(1e-3);
      // setWeights to uniform: the next act sees it without an explicit sync.
      p.setWeights([{ name: 'logits', shape: [S, A], values: new Array(S * A).fill(0) }, p.getWeights()[1]!]);
      expectClose(p.act(5, createRng('g')).logProb, Math.log(0.25), 1e-12);
    } finally {
      opt.dispose();
      p.dispose();
    }
  });

  it('gradients reach every trainable variable', () => {
    const p = randomPolicy('grad');
    try {
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const x = p.encoder.encode(Int32Array.from([0, 1, 5]));
            const lp = p.distribution(x).logProb([1, 2, 3]);
            const v = p.value(x);
            return tf.add(tf.neg(tf.mean(lp)), tf.mean(tf.square(tf.sub(v, 1)))) as tf.Scalar;
          }),
        p.trainableVariables,
      );
      expect(Object.keys(grads).length).toBe(2);
      for (const g of Object.values(grads)) expect(tf.max(tf.abs(g)).dataSync()[0]!).toBeGreaterThan(1e-3);
      tf.dispose([value, grads]);
    } finally {
      p.dispose();
    }
  });

  it('getWeights → JSON → setWeights round-trips exactly; bad records throw typed errors and change nothing', () => {
    const a = randomPolicy('json-a');
    const b = randomPolicy('json-b');
    try {
      const json = JSON.stringify(a.getWeights());
      b.setWeights(JSON.parse(json));
      expect(b.getWeights()).toEqual(a.getWeights());
      expect(b.probsTable()).toEqual(a.probsTable());
      const w = a.getWeights();
      const snapshot = JSON.stringify(b.getWeights());
      expect(() => b.setWeights([{ ...w[0]!, name: 'lojits' }, w[1]!])).toThrow(
        /TabularPolicy.setWeights: weights\[0\].name must be 'logits', got "lojits"/,
      );
      expect(() => b.setWeights([{ ...w[0]!, shape: [A, S] }, w[1]!])).toThrow(ShapeError);
      expect(() => b.setWeights([w[0]!, { ...w[1]!, values: w[1]!.values.slice(1) }])).toThrow(ShapeError);
      expect(() => b.setWeights([w[0]!])).toThrow(CheckpointError);
      expect(() => b.setWeights([w[0]!, { ...w[1]!, values: [null, ...w[1]!.values.slice(1)] as number[] }])).toThrow(
        CheckpointError,
      );
      expect(() => b.setWeights('x' as never)).toThrow(CheckpointError);
      expect(JSON.stringify(b.getWeights())).toBe(snapshot);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('clone is independent; freeze/frozenReference has no trainable variables and does not move', () => {
    const p = randomPolicy('copies');
    const c = p.clone();
    const f = frozenReference(p);
    const opt = tf.train.sgd(0.5);
    try {
      expect(c.trainableVariables.length).toBe(2);
      expect(f.trainableVariables).toEqual([]);
      expect(f.trainable).toBe(false);
      expect(f.probsTable()).toEqual(p.probsTable());
      const pTable = p.probsTable();
      const step = (pol: TabularPolicy): void => {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(
              () =>
                tf.neg(
                  tf.sum(pol.distribution(tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32')).logProb([0, 0, 0, 0, 0, 0])),
                ) as tf.Scalar,
            ),
          pol.trainableVariables,
        );
        opt.applyGradients(grads);
        tf.dispose([value, grads]);
      };
      step(c);
      expect(p.probsTable()).toEqual(pTable);
      expect(c.klPerState(p)[0]!).toBeGreaterThan(1e-3);
      step(p);
      expect(f.probsTable()).toEqual(pTable);
      expect(f.klPerState(p)[0]!).toBeGreaterThan(1e-3);
    } finally {
      opt.dispose();
      [p, c, f].forEach((x) => x.dispose());
    }
  });

  it('does not leak: distribution methods, value, act (zero tensors), clone/freeze/dispose', async () => {
    const p = randomPolicy('leak');
    try {
      const x = tf.tensor1d([0, 2, 4], 'int32');
      await expectNoLeak(() =>
        tf.tidy(() => {
          const d = p.distribution(x);
          d.logProb([0, 1, 2]);
          d.entropy();
          d.kl(p.distribution(p.encoder.encode([1, 1, 1])));
        }),
      );
      await expectNoLeak(() => p.value(x).dispose());
      x.dispose();
      p.act(0, createRng(1)); // first act syncs the cache
      const rng = createRng(2);
      const info = await tf.profile(() => {
        for (let i = 0; i < 50; i++) p.act(i % S, rng);
      });
      expect(info.newTensors).toBe(0);
      expect(info.kernels.length).toBe(0);
    } finally {
      p.dispose();
    }
    const before = tf.memory().numTensors;
    const q = randomPolicy('leak2');
    const c = q.clone();
    const f = q.freeze();
    expect(tf.memory().numTensors).toBe(before + 6);
    [q, c, f].forEach((z) => z.dispose());
    q.dispose(); // twice is a no-op
    expect(tf.memory().numTensors).toBe(before);
    expect(() => q.act(0, createRng(1))).toThrow(
      /TabularPolicy.syncFastPath: this must be a policy that has not been disposed/,
    );
    expect(() => q.getWeights()).toThrow(ConfigError);
  });
});
