/**
 * The fused engine's forward passes outside the optimizer steps (src/engine/rollout_eval.ts) against the tfjs path
 * they replace on the fused engine: `RolloutBuffer.fromRollout`'s forward pass, `rolloutToCurrentKl` and the
 * all-state probabilities, for a categorical MLP on one-hot (distinct states reused) and box observations and a
 * Gaussian MLP, on random weights far from the initial ones. Agreement is float32 rounding (≤ 1e-5).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/core/errors.js';
import { forwardRollout, fusedRolloutKl, fusedStateProbs } from '../../src/engine/rollout_eval.js';
import { fusedEngineForPolicy, syncEngineFromPolicy } from '../../src/engine/tfjs_bridge.js';
import { GaussianMlpPolicy } from '../../src/policies/gaussian_mlp.js';
import { MlpPolicy } from '../../src/policies/mlp.js';
import type { Policy } from '../../src/policies/types.js';
import { createRng, type Rng } from '../../src/random/rng.js';
import { RolloutBuffer } from '../../src/training/buffer.js';
import type { Rollout } from '../../src/training/rollout.js';
import { rolloutToCurrentKl } from '../../src/training/rollout_kl.js';
import { useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { expectNoLeak } from '../helpers/memory.js';

const T = 16;
const N = 4;
const B = T * N;

/** Scale every weight to random normals (the heads start at gain 0.01, where everything is near uniform). */
function spread(p: Policy, rng: Rng, scale: number): void {
  p.setWeights(p.getWeights().map((w) => ({ ...w, values: w.values.map(() => scale * rng.normal()) })));
}

/** A random rollout: discrete states in [0, S) or box rows of width `obsDim`; discrete or box actions. */
function randomRollout(rng: Rng, o: { states?: number; obsDim?: number; actions?: number; actDim?: number }): Rollout {
  const discreteObs = o.states !== undefined;
  const obsDim = discreteObs ? 1 : o.obsDim!;
  const actDim = o.actions !== undefined ? 1 : o.actDim!;
  const obsOf = (count: number) =>
    discreteObs
      ? Int32Array.from({ length: count }, () => rng.int(0, o.states!))
      : Float64Array.from({ length: count * obsDim }, () => rng.normal());
  const bootstrapIndex = Int32Array.from([5, ...Array.from({ length: N }, (_, i) => (T - 1) * N + i)]);
  const truncated = new Uint8Array(B);
  truncated[5] = 1;
  return {
    T,
    N,
    obsDim,
    actDim,
    obs: obsOf(B),
    actions:
      o.actions !== undefined
        ? Int32Array.from({ length: B }, () => rng.int(0, o.actions!))
        : Float64Array.from({ length: B * actDim }, () => rng.normal()),
    rewards: Float64Array.from({ length: B }, () => rng.normal()),
    terminated: new Uint8Array(B),
    truncated,
    bootstrapIndex,
    bootstrapObs: obsOf(bootstrapIndex.length),
    episodes: [],
  };
}

const CASES = [
  {
    name: 'categorical MLP, one-hot observations',
    oneHot: true,
    make: (rng: Rng) =>
      new MlpPolicy({
        obsSpace: { kind: 'discrete', n: 7 },
        actionSpace: { kind: 'discrete', n: 4 },
        hidden: [8, 8],
        rng,
      }),
    rollout: (rng: Rng) => randomRollout(rng, { states: 7, actions: 4 }),
  },
  {
    name: 'categorical MLP, box observations',
    oneHot: false,
    make: (rng: Rng) =>
      new MlpPolicy({
        obsSpace: { kind: 'box', shape: [3] },
        actionSpace: { kind: 'discrete', n: 3 },
        hidden: [8],
        rng,
      }),
    rollout: (rng: Rng) => randomRollout(rng, { obsDim: 3, actions: 3 }),
  },
  {
    name: 'Gaussian MLP, box observations',
    oneHot: false,
    make: (rng: Rng) =>
      new GaussianMlpPolicy({
        obsSpace: { kind: 'box', shape: [2] },
        actionSpace: { kind: 'box', shape: [2] },
        hidden: [8, 8],
        rng,
      }),
    rollout: (rng: Rng) => randomRollout(rng, { obsDim: 2, actDim: 2 }),
  },
];

describe('fused forward passes agree with the tfjs path (wasm)', () => {
  useBackend('wasm');

  it.each(CASES)('$name: π_rollout on the rollout, then KL(π_rollout‖π_current) after the weights move', async (c) => {
    const rng = createRng(`rollout-eval-${c.name}`);
    const policy = c.make(rng.fork('init'));
    try {
      spread(policy, rng.fork('w0'), 0.6);
      const rollout = c.rollout(rng.fork('rollout'));
      const engine = fusedEngineForPolicy(policy);
      const fwd = forwardRollout(engine, rollout, c.oneHot);
      const opts = { rollout, policy, encoder: policy.encoder, gamma: 0.9, gaeLambda: 0.8 } as const;
      const viaTfjs = await RolloutBuffer.fromRollout({ ...opts, normalizeAdvantages: 'none' });
      const viaFused = await RolloutBuffer.fromRollout({ ...opts, normalizeAdvantages: 'none', forward: fwd });
      try {
        expectClose(fwd.logProb, await viaTfjs.oldLogProb.data(), 1e-5, 1e-5);
        expectClose(fwd.values, await viaTfjs.oldValues.data(), 1e-5, 1e-5);
        const p = viaTfjs.params;
        if (p.kind === 'categorical') expectClose(fwd.logits!, await p.logits.data(), 1e-5, 1e-5);
        else {
          expectClose(fwd.mean!, await p.mean.data(), 1e-5, 1e-5);
          expectClose(fwd.logStd!, await p.logStd.data(), 1e-5, 1e-5);
        }
        expectClose(viaFused.advantages, viaTfjs.advantages, 1e-4, 1e-5); // bootstrap values included
        expectClose(await viaFused.obs.data(), await viaTfjs.obs.data(), 0);
        // π_current: new random weights, far from π_rollout.
        spread(policy, rng.fork('w1'), 0.6);
        syncEngineFromPolicy(engine, policy);
        const advantages = Float64Array.from({ length: B }, () => rng.normal());
        const ref = await rolloutToCurrentKl(viaTfjs, policy, { advantages, epsilon: 0.2 });
        const got = fusedRolloutKl(engine, { rollout, forward: fwd }, c.oneHot, { advantages, epsilon: 0.2 });
        expect(ref.exact).toBeGreaterThan(0.01); // the weights did move
        for (const k of ['exact', 'k1', 'k3', 'gain', 'clipGain'] as const)
          expectClose(got[k], ref[k], 1e-5 * (1 + Math.abs(ref[k])), 1e-4);
      } finally {
        viaTfjs.dispose();
        viaFused.dispose();
      }
    } finally {
      policy.dispose();
    }
  });

  it('π(·|s) on every state equals the tfjs distribution', () => {
    const policy = new MlpPolicy({
      obsSpace: { kind: 'discrete', n: 7 },
      actionSpace: { kind: 'discrete', n: 4 },
      hidden: [8, 8],
      rng: createRng('probs'),
    });
    try {
      spread(policy, createRng('probs-w'), 0.8);
      const probs = fusedStateProbs(fusedEngineForPolicy(policy));
      const ref = tf.tidy(() =>
        policy
          .distribution(policy.encoder.encode(Int32Array.from({ length: 7 }, (_, s) => s)))
          .probs()
          .dataSync(),
      );
      expectClose(probs, ref, 1e-6, 1e-5);
      for (let s = 0; s < 7; s++)
        expectClose(
          probs.subarray(s * 4, s * 4 + 4).reduce((a, b) => a + b, 0),
          1,
          1e-6, // float32 probabilities
        );
    } finally {
      policy.dispose();
    }
  });

  it('a state outside the network input is a ShapeError naming obs[t]; building from arrays leaks nothing', async () => {
    const policy = CASES[0]!.make(createRng('bad'));
    try {
      const rollout = randomRollout(createRng('bad-r'), { states: 7, actions: 4 });
      (rollout.obs as Int32Array)[3] = 7;
      const engine = fusedEngineForPolicy(policy);
      expect(() => forwardRollout(engine, rollout, true)).toThrow(ShapeError);
      expect(() => forwardRollout(engine, rollout, true)).toThrow(/obs\[3\]/);
      (rollout.obs as Int32Array)[3] = 0;
      const fwd = forwardRollout(engine, rollout, true);
      await expectNoLeak(async () => {
        const b = await RolloutBuffer.fromRollout({
          rollout,
          policy,
          encoder: policy.encoder,
          gamma: 0.9,
          gaeLambda: 0.8,
          normalizeAdvantages: 'none',
          forward: fwd,
        });
        b.obs; // encoded on first use, then owned by the buffer
        b.dispose();
      });
    } finally {
      policy.dispose();
    }
  });
});
