/**
 * The trainer on the registered `token-bandit` world (issues 7 and 8): tabular (one state per position) and MLP
 * policies train; the exact metrics charts/policy_return, charts/optimal_return and charts/regret are reported and
 * checked against independent computations (closed forms from the snapshot, brute-force enumeration of sequences).
 */
import { describe, expect, it } from 'vitest';
import { Trainer, train } from '../../src/training/trainer.js';
import { deterministicPart } from '../../src/training/metrics.js';
import type { PpoConfigInput } from '../../src/training/config.js';

const BASE: PpoConfigInput = { backend: 'cpu', env: 'token-bandit', numEnvs: 4, nSteps: 24, seed: 3 };

/**
 * Independent score of a full sequence y ∈ [0, V)^T, written from the preset definitions (not TokenBandit.score):
 * count Σ[y_t = target]; pattern Σ[y_t = pattern_t]; length-penalized: tokens before the first eos, #target − λ·L.
 */
function referenceScore(
  y: number[],
  o: { reward: string; target: number; pattern: number[]; eos: number; lengthPenalty: number },
): number {
  if (o.reward === 'count') return y.filter((v) => v === o.target).length;
  if (o.reward === 'pattern') return y.filter((v, t) => v === o.pattern[t]).length;
  const cut = y.indexOf(o.eos);
  const written = cut < 0 ? y : y.slice(0, cut);
  return written.filter((v) => v === o.target).length - o.lengthPenalty * written.length;
}

/** max over all V^T sequences (a deterministic position policy writes one sequence; see sequenceOptimum). */
function bruteForceOptimum(V: number, T: number, o: Parameters<typeof referenceScore>[1]): number {
  let best = -Infinity;
  for (let k = 0; k < V ** T; k++) {
    const y = Array.from({ length: T }, (_, t) => Math.floor(k / V ** t) % V);
    best = Math.max(best, referenceScore(y, o));
  }
  return best;
}

describe('training on token-bandit', () => {
  it('tabular PPO on the count preset: the exact policy return climbs from T/V to within 5% of the optimum T', async () => {
    const V = 4;
    const T = 3;
    const target = 2;
    const { history, trainer } = await train(
      { ...BASE, envOptions: { vocabSize: V, length: T, reward: 'count', target }, totalSteps: 96 * 30 },
      { keep: true },
    );
    try {
      const first = history[0]!;
      const last = history.at(-1)!;
      // Optimum of 'count': every position writes the target, score T.
      for (const r of history) expect(r['charts/optimal_return']).toBe(T);
      // The uniform start scores T/V = 0.75; one update cannot get near 3, the end must (a trainer that does not
      // learn, or learns the wrong token, fails).
      expect(first['charts/policy_return']!).toBeLessThan(2);
      expect(last['charts/policy_return']!).toBeGreaterThan(0.95 * T);
      expect(last['charts/regret']!).toBeCloseTo(T - last['charts/policy_return']!, 12);
      expect(last['charts/regret']!).toBeGreaterThanOrEqual(0);
      expect(last['kl/exact_visitation']).toBeNull();
      // policy_return is the exact expected score: Σ_t π(target|t), recomputed from the snapshot (float32 probs).
      const snap = (await trainer!.policySnapshot())!;
      expect(snap.probs).toHaveLength(T);
      for (const row of snap.probs) expect(row).toHaveLength(V);
      expect(snap.values).toHaveLength(T);
      expect(snap.probs.reduce((s, row) => s + row[target]!, 0)).toBeCloseTo(last['charts/policy_return']!, 5);
      // The greedy token at every position is the target.
      for (const row of snap.probs) expect(row.indexOf(Math.max(...row))).toBe(target);
      expect(trainer!.exactOptimum).toEqual({ optimalReturn: T, horizon: T });
      // The sampled episodic return follows the exact one.
      expect(last['charts/episodic_return']!).toBeGreaterThan(0.9 * T);
    } finally {
      trainer!.dispose();
    }
  }, 30_000);

  it('an MLP policy trains on it too, with the same exact metrics', async () => {
    const { history } = await train({
      ...BASE,
      envOptions: { vocabSize: 4, length: 3, reward: 'pattern', pattern: [1, 3, 0] },
      totalSteps: 96 * 12,
      policy: { kind: 'mlp', hidden: [16] },
      lr: 0.01,
    });
    for (const r of history) expect(r['charts/optimal_return']).toBe(3);
    const first = history[0]!['charts/policy_return']!;
    const last = history.at(-1)!['charts/policy_return']!;
    expect(Number.isFinite(first) && Number.isFinite(last)).toBe(true);
    expect(last).toBeGreaterThan(first + 0.5);
  }, 30_000);

  it('charts/optimal_return equals a brute-force enumeration of all sequences for every preset (V = 3, T = 3)', async () => {
    const V = 3;
    const T = 3;
    const cases: Record<string, unknown>[] = [
      { reward: 'count', target: 1 },
      { reward: 'pattern', pattern: [2, 2, 0] },
      { reward: 'length-penalized', target: 1, eos: 2, lengthPenalty: 0.25 }, // keep writing the target: 3·0.75
      { reward: 'length-penalized', target: 0, eos: 1, lengthPenalty: 1.5 }, // every token costs more than it earns: eos first, 0
      { reward: 'length-penalized', target: 2, eos: 0, lengthPenalty: -0.5 }, // a negative λ rewards length
    ];
    const seen: number[] = [];
    for (const c of cases) {
      const trainer = await Trainer.create({ ...BASE, envOptions: { vocabSize: V, length: T, ...c }, totalSteps: 96 });
      try {
        const o = {
          reward: c.reward as string,
          target: (c.target as number) ?? 0,
          pattern: (c.pattern as number[]) ?? [0, 1, 2],
          eos: (c.eos as number) ?? V - 1,
          lengthPenalty: (c.lengthPenalty as number) ?? 0.5,
        };
        const expected = bruteForceOptimum(V, T, o);
        expect(trainer.exactOptimum!.optimalReturn, JSON.stringify(c)).toBeCloseTo(expected, 12);
        expect(trainer.exactOptimum!.horizon).toBe(T);
        // The reported metric carries the same number; regret = optimum − policy return ≥ 0.
        const r = await trainer.step();
        expect(r['charts/optimal_return']).toBe(trainer.exactOptimum!.optimalReturn);
        expect(r['charts/regret']!).toBeGreaterThanOrEqual(-1e-9);
        seen.push(expected);
      } finally {
        trainer.dispose();
      }
    }
    // The cases exercise different optima (not all T), so the DP's branches are all checked.
    expect(seen).toEqual([3, 3, 2.25, 0, 4.5]);
  }, 30_000);

  it('the length-penalized policy return is exact: it matches a sum over all sequences of the snapshot policy', async () => {
    const V = 3;
    const T = 3;
    const o = { reward: 'length-penalized', target: 1, eos: 2, lengthPenalty: 0.25, pattern: [0, 1, 2] };
    const trainer = await Trainer.create({
      ...BASE,
      envOptions: {
        vocabSize: V,
        length: T,
        reward: o.reward,
        target: o.target,
        eos: o.eos,
        lengthPenalty: o.lengthPenalty,
      },
      totalSteps: 96 * 3,
    });
    try {
      let r = await trainer.step();
      r = await trainer.step();
      const { probs } = (await trainer.policySnapshot())!;
      // E[R] = Σ_y Π_t π_t(y_t) R(y) over all 27 full sequences (tokens after eos do not change R).
      const expectedScore = (pi: number[][]): number => {
        let e = 0;
        for (let k = 0; k < V ** T; k++) {
          const y = Array.from({ length: T }, (_, t) => Math.floor(k / V ** t) % V);
          e += y.reduce((p, v, t) => p * pi[t]![v]!, 1) * referenceScore(y, o);
        }
        return e;
      };
      const expected = expectedScore(probs);
      expect(r['charts/policy_return']!).toBeCloseTo(expected, 5);
      // The policy has moved away from uniform, so this is not the value at initialisation.
      expect(Math.abs(expected - expectedScore(probs.map(() => [1 / 3, 1 / 3, 1 / 3])))).toBeGreaterThan(1e-3);
    } finally {
      trainer.dispose();
    }
  }, 30_000);

  it('save/restore on token-bandit resumes bit for bit', async () => {
    const cfg = {
      ...BASE,
      envOptions: { vocabSize: 5, length: 4, reward: 'length-penalized', target: 3, eos: 0 },
      totalSteps: 96 * 3,
    } as PpoConfigInput;
    const { history: full } = await train(cfg);
    const a = await Trainer.create(cfg);
    let resumed: Trainer | undefined;
    try {
      await a.step();
      resumed = await Trainer.restore(JSON.parse(JSON.stringify(await a.save())));
      while (!resumed.done) await resumed.step();
      expect(resumed.history.map(deterministicPart)).toEqual(full.map(deterministicPart));
    } finally {
      a.dispose();
      resumed?.dispose();
    }
  }, 30_000);
});
