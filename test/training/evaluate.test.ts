/**
 * Evaluation: `Policy.predict`, `evaluatePolicy`, `greedyReturn`, the trainer's `evalEvery` records and `isNewBest`,
 * each against values worked out by hand or by a float64 backward induction written here.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/backend.js';
import { ConfigError } from '../../src/core/errors.js';
import { isNewBest } from '../../src/node/session.js';
import { GaussianMlpPolicy } from '../../src/policies/gaussian_mlp.js';
import { TabularPolicy } from '../../src/policies/tabular.js';
import { createRng } from '../../src/random/rng.js';
import { evaluatePolicy, greedyReturn } from '../../src/training/evaluate.js';
import type { MetricRecord } from '../../src/training/metrics.js';
import { Trainer } from '../../src/training/trainer.js';
import { Gridworld, makeEnv } from '../../envs/index.js';
import type { TabularModel } from '../../envs/types.js';

const owned: { dispose(): void }[] = [];
beforeAll(async () => {
  await setBackend('cpu');
});
afterEach(() => {
  for (const o of owned.splice(0)) o.dispose();
});

/** A tabular policy on S states × A actions whose logits are `logits` (row-major). */
function tabular(S: number, A: number, logits: number[]): TabularPolicy {
  const p = new TabularPolicy({ numStates: S, numActions: A, rng: createRng(1), critic: true });
  p.setWeights([
    { name: 'logits', shape: [S, A], values: logits },
    { name: 'values', shape: [S], values: new Array(S).fill(0) },
  ]);
  owned.push(p);
  return p;
}

/** Exact return of a deterministic policy (action per state) by backward induction over `horizon` steps, float64. */
function deterministicReturn(m: TabularModel, action: number[], horizon: number): number {
  let v = new Float64Array(m.nStates);
  for (let t = 0; t < horizon; t++) {
    const next = new Float64Array(m.nStates);
    for (let s = 0; s < m.nStates; s++)
      for (const tr of m.P[s]![action[s]!]!) next[s]! += tr.prob * (tr.reward + (tr.terminated ? 0 : v[tr.next]!));
    v = next;
  }
  let total = 0;
  for (let s = 0; s < m.nStates; s++) total += m.initialStateDistribution[s]! * v[s]!;
  return total;
}

describe('Policy.predict', () => {
  it('tabular: the most likely action, the first of ties, or a sample that needs an rng', () => {
    const p = tabular(2, 3, [0, 2, 1, 5, 5, 0]);
    expect(p.predict(0, { deterministic: true })).toBe(1);
    expect(p.predict(1, { deterministic: true })).toBe(0); // tie between 0 and 1: the first, as argmax
    const counts = [0, 0, 0];
    const rng = createRng(3);
    for (let i = 0; i < 3000; i++) counts[p.predict(0, { deterministic: false, rng }) as number]!++;
    // softmax(0, 2, 1) = (0.0900, 0.6652, 0.2447)
    expect(counts[1]! / 3000).toBeCloseTo(0.6652, 1);
    expect(() => p.predict(0, { deterministic: false })).toThrow(/TabularPolicy\.predict: opts\.rng must be an Rng/);
    expect(() => p.predict(2, { deterministic: true })).toThrow(ConfigError);
  });

  it('Gaussian: the mean μ(obs), equal to the tfjs distribution mean', async () => {
    const p = new GaussianMlpPolicy({
      obsSpace: { kind: 'box', shape: [2] },
      actionSpace: { kind: 'box', shape: [2] },
      hidden: [4],
      rng: createRng(2),
    });
    owned.push(p);
    const obs = Float64Array.of(0.3, -0.7);
    const fast = p.predict(obs, { deterministic: true }) as Float64Array;
    const params = p.distribution(p.encoder.encode(Float64Array.from(obs))).params();
    expect(params.kind).toBe('diag-gaussian');
    if (params.kind !== 'diag-gaussian') return;
    const mean = Array.from(await params.mean.data());
    params.mean.dispose();
    params.logStd.dispose();
    expect(Array.from(fast)).toHaveLength(2);
    for (let d = 0; d < 2; d++) expect(fast[d]!).toBeCloseTo(mean[d]!, 5);
  });
});

describe('evaluatePolicy and greedyReturn', () => {
  it('walks the corridor SFFG in 3 steps with the greedy policy, and nowhere with the wrong one', () => {
    const env = Gridworld.fromMap(['SFFG']);
    // Actions: 0 Left, 1 Down, 2 Right, 3 Up. Right is the most likely action everywhere.
    const right = tabular(
      4,
      4,
      Array.from({ length: 16 }, (_, i) => (i % 4 === 2 ? 3 : 0)),
    );
    const res = evaluatePolicy({
      policy: right,
      env,
      episodes: 3,
      deterministic: true,
      rng: createRng(1),
      maxSteps: 50,
    });
    expect(res).toEqual({ meanReturn: 1, stdReturn: 0, meanLength: 3, returns: [1, 1, 1] });
    const left = tabular(
      4,
      4,
      Array.from({ length: 16 }, (_, i) => (i % 4 === 0 ? 3 : 0)),
    );
    const stuck = evaluatePolicy({
      policy: left,
      env,
      episodes: 2,
      deterministic: true,
      rng: createRng(1),
      maxSteps: 7,
    });
    expect(stuck).toEqual({ meanReturn: 0, stdReturn: 0, meanLength: 7, returns: [0, 0] }); // capped at maxSteps
    expect(() =>
      evaluatePolicy({ policy: right, env, episodes: 0, deterministic: true, rng: createRng(1), maxSteps: 5 }),
    ).toThrow(/evaluatePolicy: episodes must be an integer ≥ 1, got 0/);
  });

  it('greedyReturn equals a backward induction of the argmax policy on slippery FrozenLake', () => {
    const env = makeEnv('frozenlake4x4', { slippery: true });
    const rng = createRng(7);
    const probs = new Float64Array(64);
    const argmax: number[] = [];
    for (let s = 0; s < 16; s++) {
      const row = [rng.float(), rng.float(), rng.float(), rng.float()];
      const z = row.reduce((a, b) => a + b, 0);
      row.forEach((x, a) => (probs[s * 4 + a] = x / z));
      argmax.push(row.indexOf(Math.max(...row)));
    }
    expect(greedyReturn(env, probs, 100)).toBeCloseTo(deterministicReturn(env, argmax, 100), 12);
  });
});

describe('Trainer evalEvery', () => {
  it('evaluates on updates 3, 6 and the last, with the exact greedy return, the same on every run', async () => {
    const cfg = {
      env: 'frozenlake4x4',
      numEnvs: 4,
      nSteps: 32,
      totalSteps: 4 * 32 * 7,
      evalEvery: 3,
      evalEpisodes: 5,
      backend: 'cpu' as const,
    };
    const runs: MetricRecord[][] = [];
    for (let k = 0; k < 2; k++) {
      const t = await Trainer.create(cfg);
      owned.push(t);
      const env = makeEnv('frozenlake4x4', { slippery: true });
      while (!t.done) {
        const r = await t.step();
        if (r['eval/return'] === null) continue;
        const snap = (await t.policySnapshot())!;
        const argmax = snap.probs.map((row) => row.indexOf(Math.max(...row)));
        expect(r['eval/exact_return']!).toBeCloseTo(deterministicReturn(env, argmax, 100), 6);
      }
      runs.push(t.history);
    }
    const evaluated = runs[0]!.filter((r) => r['eval/return'] !== null).map((r) => r.update as number);
    expect(evaluated).toEqual([3, 6, 7]);
    expect(runs[0]!.map((r) => [r['eval/return'], r['eval/return_std']])).toEqual(
      runs[1]!.map((r) => [r['eval/return'], r['eval/return_std']]),
    );
    // Five episodes of 0/1 rewards: the mean is a multiple of 1/5.
    for (const u of evaluated) expect((runs[0]![u - 1]!['eval/return']! * 5) % 1).toBeCloseTo(0, 9);
  });

  it('does not change training: the other metrics equal a run without evaluation', async () => {
    const base = { env: 'frozenlake4x4', numEnvs: 4, nSteps: 32, totalSteps: 4 * 32 * 4, backend: 'cpu' as const };
    const a = await Trainer.create(base);
    const b = await Trainer.create({ ...base, evalEvery: 1 });
    owned.push(a, b);
    while (!a.done) await a.step();
    while (!b.done) await b.step();
    const strip = (r: MetricRecord) => {
      const {
        'eval/return': _1,
        'eval/return_std': _2,
        'eval/exact_return': _3,
        'charts/env_steps_per_s': _4,
        ...rest
      } = r;
      return rest;
    };
    expect(b.history.map(strip)).toEqual(a.history.map(strip));
  });

  it('refuses evaluation with a single Env object', async () => {
    await expect(Trainer.create({ env: Gridworld.fromMap(['SFG']), evalEvery: 2 })).rejects.toThrow(
      /Trainer\.create: evalEvery must be null with a single Env object/,
    );
  });
});

describe('isNewBest', () => {
  const rec = (v: number | null): MetricRecord => ({ 'eval/return': v });
  it('is true only for an evaluation above every earlier one', () => {
    expect(isNewBest([rec(null)])).toBe(false);
    expect(isNewBest([rec(0.2)])).toBe(true);
    expect(isNewBest([rec(0.2), rec(null), rec(0.3)])).toBe(true);
    expect(isNewBest([rec(0.3), rec(null), rec(0.3)])).toBe(false); // a tie keeps the earlier best
    expect(isNewBest([rec(0.5), rec(0.1)])).toBe(false);
  });
});
