import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KlipError } from '../../src/core/errors.js';
import { forwardRollout } from '../../src/engine/rollout_eval.js';
import { fusedEngineForPolicy } from '../../src/engine/tfjs_bridge.js';
import { encoderFor } from '../../src/policies/encoders.js';
import { TabularPolicy } from '../../src/policies/tabular.js';
import { createRng } from '../../src/random/rng.js';
import { minibatchTensors, RolloutBuffer } from '../../src/training/buffer.js';
import type { Rollout } from '../../src/training/rollout.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

/*
 * The buffer against a float64 computation written here: a 3-state, 2-action tabular policy with known logits and
 * critic values, a hand-made rollout of T = 3 steps × N = 2 envs with one termination and one truncation, and GAE
 * written out as its recursion (Schulman et al. 2016, eq. 16, with time-limit bootstrapping as SB3
 * `compute_returns_and_advantage` + `handle_timeout_termination`).
 */
const LOGITS = [
  [0.3, -0.4],
  [-1.2, 0.5],
  [0.9, 0.1],
];
const VALUES = [0.4, -0.3, 1.1];
const GAMMA = 0.9;
const LAMBDA = 0.8;

/** Time-major t·N + i; env 0 terminates at t = 1, env 1 is truncated at t = 0 (final obs: state 2). */
function handRollout(): Rollout {
  return {
    T: 3,
    N: 2,
    obsDim: 1,
    actDim: 1,
    obs: Int32Array.from([0, 1, 1, 0, 2, 2]),
    actions: Int32Array.from([1, 0, 0, 1, 1, 1]),
    rewards: Float64Array.from([0.5, 1, 2, -1, 0, 3]),
    terminated: Uint8Array.from([0, 0, 1, 0, 0, 0]),
    truncated: Uint8Array.from([0, 1, 0, 0, 0, 0]),
    // truncated step 1 (final obs 2) and the last step of each env (t = 2: next obs 1 for env 0, 0 for env 1)
    bootstrapIndex: Int32Array.from([1, 4, 5]),
    bootstrapObs: Int32Array.from([2, 1, 0]),
    episodes: [],
  };
}

function logSoftmax(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return row.map((x) => x - lse);
}

/** GAE in float64, written from the recursion (independent of src/objectives/advantages.ts). */
function referenceGae(r: Rollout): { adv: number[]; ret: number[] } {
  const { T, N } = r;
  const obs = r.obs as Int32Array;
  const boot = new Map<number, number>();
  r.bootstrapIndex.forEach((k, j) => boot.set(k, VALUES[(r.bootstrapObs as Int32Array)[j]!]!));
  const adv = new Array<number>(T * N).fill(0);
  for (let i = 0; i < N; i++) {
    let next = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      const v = VALUES[obs[k]!]!;
      const nextValue = r.terminated[k] ? 0 : boot.has(k) ? boot.get(k)! : VALUES[obs[k + N]!]!;
      const delta = r.rewards[k]! + GAMMA * nextValue - v;
      const carry = r.terminated[k] || r.truncated[k] ? 0 : next;
      adv[k] = delta + GAMMA * LAMBDA * carry;
      next = adv[k]!;
    }
  }
  return { adv, ret: adv.map((a, k) => a + VALUES[obs[k]!]!) };
}

function normalized(xs: number[]): number[] {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
  return xs.map((x) => (x - m) / (sd + 1e-8));
}

// Each case runs on a buffer built by the tfjs forward pass and on one built from the fused engine's forward pass.
const SOURCES = TEST_BACKENDS.flatMap((b) => [[b, 'tfjs'] as const, [b, 'fused'] as const]);

describe.each(SOURCES)('RolloutBuffer on %s (%s forward)', (backend, via) => {
  useBackend(backend);
  let policy: TabularPolicy;
  beforeEach(() => {
    policy = new TabularPolicy({ numStates: 3, numActions: 2, rng: createRng(1), critic: true });
    policy.setWeights([
      { name: 'logits', shape: [3, 2], values: LOGITS.flat() },
      { name: 'values', shape: [3], values: VALUES },
    ]);
  });
  afterEach(() => policy.dispose());
  const encoder = encoderFor({ kind: 'discrete', n: 3 });
  const make = (normalizeAdvantages: 'minibatch' | 'batch' | 'none' = 'minibatch') => {
    const rollout = handRollout();
    return RolloutBuffer.fromRollout({
      rollout,
      policy,
      encoder,
      gamma: GAMMA,
      gaeLambda: LAMBDA,
      normalizeAdvantages,
      ...(via === 'fused' ? { forward: forwardRollout(fusedEngineForPolicy(policy), rollout, true) } : {}),
    });
  };

  it('holds log π_rollout, V and the logits of every step, and GAE with termination and truncation', async () => {
    const r = handRollout();
    const buffer = await make();
    try {
      const obs = Array.from(r.obs as Int32Array);
      const acts = Array.from(r.actions as Int32Array);
      expectClose(
        await buffer.oldLogProb.data(),
        obs.map((s, k) => logSoftmax(LOGITS[s]!)[acts[k]!]!),
        1e-6,
      );
      expectClose(
        await buffer.oldValues.data(),
        obs.map((s) => VALUES[s]!),
        1e-6,
      );
      expect(buffer.params.kind).toBe('categorical');
      const logits = buffer.params.kind === 'categorical' ? buffer.params.logits : null;
      expectClose(
        await logits!.data(),
        obs.flatMap((s) => logSoftmax(LOGITS[s]!)),
        1e-6,
      );
      const { adv, ret } = referenceGae(r);
      expectClose(buffer.advantages, adv, 1e-6);
      expectClose(await buffer.returns.data(), ret, 1e-5);
      // the truncated step bootstraps from V(final obs = 2) = 1.1, not 0: δ = 1 + 0.9·1.1 − (−0.3)
      expectClose(buffer.advantages[1]!, 1 + GAMMA * 1.1 + 0.3, 1e-6);
      expect(buffer.size).toBe(6);
    } finally {
      buffer.dispose();
    }
  });

  it('gathers minibatch rows and normalizes advantages per minibatch, per batch or not at all', async () => {
    const { adv } = referenceGae(handRollout());
    const idx = Int32Array.from([4, 0, 3]);
    const rows = Array.from(idx);
    const cases: Array<['minibatch' | 'batch' | 'none', number[]]> = [
      ['minibatch', normalized(rows.map((k) => adv[k]!))],
      ['batch', rows.map((k) => normalized(adv)[k]!)],
      ['none', rows.map((k) => adv[k]!)],
    ];
    for (const [mode, expected] of cases) {
      const buffer = await make(mode);
      const mb = buffer.minibatch(idx);
      try {
        expectClose(await mb.advantages.data(), expected, 1e-5);
        const obs = handRollout().obs as Int32Array;
        expectClose(
          await mb.obs.data(),
          rows.flatMap((k) => [0, 1, 2].map((s) => (s === obs[k] ? 1 : 0))),
          0,
        );
        expect(Array.from(await mb.actions.data())).toEqual(rows.map((k) => (handRollout().actions as Int32Array)[k]!));
        expectClose(
          await mb.oldLogProb.data(),
          rows.map((k) => logSoftmax(LOGITS[obs[k]!]!)[(handRollout().actions as Int32Array)[k]!]!),
          1e-6,
        );
        expectClose(
          await mb.returns.data(),
          rows.map((k) => referenceGae(handRollout()).ret[k]!),
          1e-5,
        );
        expectClose(
          await mb.oldValues.data(),
          rows.map((k) => VALUES[obs[k]!]!),
          1e-6,
        );
        const lg = mb.oldParams.kind === 'categorical' ? mb.oldParams.logits : null;
        expectClose(
          await lg!.data(),
          rows.flatMap((k) => logSoftmax(LOGITS[obs[k]!]!)),
          1e-6,
        );
      } finally {
        tf.dispose(minibatchTensors(mb));
        buffer.dispose();
      }
    }
  });

  it('cuts each epoch into minibatches that cover every step once, drawn from the given stream', async () => {
    const buffer = await make();
    try {
      const a = buffer.epochIndices(createRng('mb'), 4);
      expect(a.map((x) => x.length)).toEqual([4, 2]);
      expect(a.flatMap((x) => Array.from(x)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      const b = buffer.epochIndices(createRng('mb'), 4);
      expect(b.map((x) => Array.from(x))).toEqual(a.map((x) => Array.from(x)));
      // a different stream gives a different order for at least one of a few seeds (6! = 720 orders)
      const others = ['x', 'y', 'z'].map((s) => buffer.epochIndices(createRng(s), 6)[0]!.join());
      expect(others.some((o) => o !== b.flatMap((x) => Array.from(x)).join())).toBe(true);
    } finally {
      buffer.dispose();
    }
  });

  it('frees every tensor it holds and refuses minibatches afterwards', async () => {
    const before = tf.memory().numTensors;
    const buffer = await make();
    const mb = buffer.minibatch(Int32Array.from([0, 1]));
    tf.dispose(minibatchTensors(mb));
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    buffer.dispose();
    buffer.dispose(); // idempotent
    expect(tf.memory().numTensors).toBe(before);
    expect(() => buffer.minibatch(Int32Array.from([0]))).toThrow(KlipError);
    expect(() => buffer.minibatch(Int32Array.from([0]))).toThrow(/RolloutBuffer\.minibatch/);
  });
});
