import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvError } from '../../src/core/errors.js';
import { createRng } from '../../src/random/rng.js';
import { TokenBandit } from '../../envs/token_bandit.js';
import { expectClose } from '../helpers/close.js';

/** Run one episode with a fixed token list; returns the step results. */
function rollout(env: TokenBandit, tokens: number[]): { obs: number; reward: number; terminated: boolean }[] {
  env.reset({ seed: 0 });
  const out: { obs: number; reward: number; terminated: boolean }[] = [];
  for (const y of tokens) {
    const r = env.step(y);
    out.push({ obs: r.obs, reward: r.reward, terminated: r.terminated });
    if (r.terminated) break;
  }
  return out;
}

/** A random position-conditioned policy table [T·V] from fast-check weights. */
const tableArb = (T: number, V: number): fc.Arbitrary<Float64Array> =>
  fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: T * V, maxLength: T * V }).map((w) => {
    const p = Float64Array.from(w);
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let v = 0; v < V; v++) s += p[t * V + v]!;
      for (let v = 0; v < V; v++) p[t * V + v]! /= s;
    }
    return p;
  });

/** Brute-force oracle: every sequence (stopping at eos) with its probability under `table`. */
function enumerate(
  T: number,
  V: number,
  eos: number,
  table: ArrayLike<number>,
  visit: (y: number[], p: number) => void,
): void {
  const rec = (y: number[], p: number): void => {
    const t = y.length;
    if (t === T || (t > 0 && y[t - 1] === eos)) {
      visit(y, p);
      return;
    }
    for (let v = 0; v < V; v++) rec([...y, v], p * table[t * V + v]!);
  };
  rec([], 1);
}

describe('TokenBandit', () => {
  it('count: reward 0 until the last token, then the number of targets; obs is the position', () => {
    const env = new TokenBandit({ vocabSize: 8, length: 6, reward: 'count', target: 3 });
    const steps = rollout(env, [3, 1, 3, 3, 0, 7]);
    expect(steps.map((s) => s.obs)).toEqual([1, 2, 3, 4, 5, 5]);
    expect(steps.map((s) => s.reward)).toEqual([0, 0, 0, 0, 0, 3]);
    expect(steps.map((s) => s.terminated)).toEqual([false, false, false, false, false, true]);
    expect(env.render()).toBe('3 1 3 3 0 7  reward 3\n');
  });

  it('pattern: counts positions matching the pattern', () => {
    const env = new TokenBandit({ vocabSize: 4, length: 4, reward: 'pattern', pattern: [1, 2, 3, 0] });
    expect(env.score([1, 2, 0, 0])).toBe(3);
    expect(env.score([0, 0, 0, 1])).toBe(0);
    expect(env.tokenRewards()![2]).toEqual([0, 0, 0, 1]);
  });

  it('length-penalized: eos ends the sequence early; score = hits − λ·L', () => {
    const env = new TokenBandit({
      vocabSize: 4,
      length: 5,
      reward: 'length-penalized',
      target: 1,
      lengthPenalty: 0.25,
    });
    expect(env.eos).toBe(3);
    const steps = rollout(env, [1, 1, 0, 3, 1]);
    expect(steps).toHaveLength(4);
    expect(steps[3]).toEqual({ obs: 3, reward: 2 - 0.25 * 3, terminated: true });
    expect(env.score([1, 3, 1, 1])).toBe(1 - 0.25);
    expect(env.score([1, 1, 1, 1, 1])).toBe(5 - 1.25);
    expect(env.tokenRewards()).toBeNull();
  });

  it('expectedScore matches brute-force enumeration for every preset (property)', () => {
    const T = 3;
    const V = 3;
    const envs = [
      new TokenBandit({ vocabSize: V, length: T, reward: 'count', target: 1 }),
      new TokenBandit({ vocabSize: V, length: T, reward: 'pattern', pattern: [2, 0, 1] }),
      new TokenBandit({ vocabSize: V, length: T, reward: 'length-penalized', target: 0, lengthPenalty: 0.3 }),
    ];
    fc.assert(
      fc.property(tableArb(T, V), (table) => {
        for (const env of envs) {
          let e = 0;
          enumerate(T, V, env.eos, table, (y, p) => (e += p * env.score(y)));
          expectClose(env.expectedScore(table), e, 1e-12);
        }
        // A custom score goes through the library's own enumeration.
        const custom = new TokenBandit({ vocabSize: V, length: T, reward: (y) => y[0]! * y[2]! });
        let e = 0;
        enumerate(T, V, -1, table, (y, p) => (e += p * y[0]! * y[2]!));
        expectClose(custom.expectedScore(table), e, 1e-12);
      }),
      { numRuns: 30, seed: 2 },
    );
  });

  it('sequenceKl equals Σ_y π(y)·log(π(y)/π_ref(y)) over whole sequences, with and without eos (property)', () => {
    const T = 3;
    const V = 3;
    const refTable = [
      [0.2, 0.3, 0.5],
      [0.6, 0.2, 0.2],
      [1 / 3, 1 / 3, 1 / 3],
    ];
    const ref = refTable.flat();
    const envs = [
      new TokenBandit({ vocabSize: V, length: T, reference: refTable }),
      new TokenBandit({ vocabSize: V, length: T, reward: 'length-penalized', target: 0, reference: refTable }),
    ];
    fc.assert(
      fc.property(tableArb(T, V), (table) => {
        for (const env of envs) {
          let kl = 0;
          enumerate(T, V, env.eos, table, (y, p) => {
            const q = y.reduce((a, v, t) => a * ref[t * V + v]!, 1);
            kl += p * Math.log(p / q);
          });
          expectClose(env.sequenceKl(table), kl, 1e-12, 1e-10);
        }
        expect(envs[0]!.sequenceKl(ref)).toBe(0);
      }),
      { numRuns: 30, seed: 4 },
    );
  });

  it('reference: uniform by default, one row for every position, or a per-position table', () => {
    expect(Array.from(new TokenBandit().referenceProbs(5))).toEqual(new Array(8).fill(1 / 8));
    const env = new TokenBandit({ vocabSize: 2, length: 2, reference: [0.9, 0.1] });
    expect(env.referenceTable()).toEqual([
      [0.9, 0.1],
      [0.9, 0.1],
    ]);
    const a = env.sampleReference(createRng(1));
    expect(env.sampleReference(createRng(1))).toEqual(a);
    // The frequency of token 0 under π_ref over many draws is ≈ 0.9 (binomial sd ≈ 0.007 for 2000 tokens).
    const rng = createRng(2);
    let zeros = 0;
    for (let i = 0; i < 1000; i++) zeros += env.sampleReference(rng).filter((y) => y === 0).length;
    expect(Math.abs(zeros / 2000 - 0.9)).toBeLessThan(0.03);
  });

  it('getState/setState resumes mid-sequence', () => {
    const env = new TokenBandit({ vocabSize: 4, length: 3, reward: 'count', target: 2 });
    env.reset({ seed: 5 });
    env.step(2);
    const saved = JSON.parse(JSON.stringify(env.getState()));
    const other = new TokenBandit({ vocabSize: 4, length: 3, reward: 'count', target: 2 });
    other.setState(saved);
    expect(other.tokens).toEqual([2]);
    other.step(1);
    expect(other.step(2).reward).toBe(2);
    expect(() => other.setState({ kind: 'gridworld' })).toThrow(EnvError);
  });

  it('rejects misuse with named EnvErrors', () => {
    const env = new TokenBandit({ vocabSize: 4, length: 2 });
    expect(() => env.step(0)).toThrow('TokenBandit.step: env must be reset before the first step');
    env.reset();
    expect(() => env.step(4)).toThrow('TokenBandit.step: action must be an integer in [0, 4), got 4');
    env.step(0);
    env.step(0);
    expect(() => env.step(0)).toThrow(EnvError);
    expect(() => new TokenBandit({ vocabSize: 1 })).toThrow(
      'TokenBandit: vocabSize must be an integer in [2, 65536), got 1',
    );
    expect(() => new TokenBandit({ reward: 'len' as 'count' })).toThrow(EnvError);
    expect(() => new TokenBandit({ vocabSize: 2, length: 2, reference: [0.5, 0.6] })).toThrow(EnvError);
    expect(() => new TokenBandit({ vocabSize: 2, length: 2, reference: [1, 0] })).toThrow(
      'TokenBandit: reference[1] must be a probability > 0, got 0',
    );
    expect(() => new TokenBandit({ reward: 'length-penalized', target: 7 })).toThrow(
      'TokenBandit: eos must be a token other than target (7), got 7',
    );
    expect(() => new TokenBandit({ reward: () => NaN }).score([0])).toThrow(EnvError);
    expect(() => env.expectedScore([1, 0])).toThrow(EnvError);
  });

  it('imports no tfjs', () => {
    const src = readFileSync(new URL('../../envs/token_bandit.ts', import.meta.url), 'utf8');
    expect(src).not.toMatch(/@tensorflow/);
  });

  it('optimalScore equals the brute-force max over all sequences, and info.success marks exactly the optimal ones', () => {
    const worlds = [
      new TokenBandit({ vocabSize: 3, length: 3, reward: 'count', target: 1 }),
      new TokenBandit({ vocabSize: 3, length: 3, reward: 'pattern', pattern: [2, 0, 1] }),
      new TokenBandit({ vocabSize: 3, length: 3, reward: 'length-penalized', target: 0, eos: 2, lengthPenalty: 0.4 }),
      new TokenBandit({ vocabSize: 3, length: 3, reward: 'length-penalized', target: 0, eos: 2, lengthPenalty: 1.5 }),
      new TokenBandit({ vocabSize: 3, length: 3, reward: (y) => (y[0]! - 1) * (y[2]! - 1) - 0.1 * y[1]! }),
    ];
    for (const env of worlds) {
      let best = -Infinity;
      const all: number[][] = [];
      for (let k = 0; k < 27; k++) all.push([k % 3, Math.floor(k / 3) % 3, Math.floor(k / 9)]);
      for (const y of all) best = Math.max(best, env.score(y));
      expect(env.optimalScore()).toBeCloseTo(best, 12);
      for (const y of all) {
        env.reset({ seed: 0 });
        let r = env.step(y[0]!);
        for (let t = 1; !r.terminated; t++) r = env.step(y[t]!);
        expect(r.info.success).toBe(Math.abs(r.reward - best) < 1e-9);
      }
    }
  });
});
