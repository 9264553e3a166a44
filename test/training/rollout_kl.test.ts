import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FusedPpoEngine } from '../../src/engine/fused_mlp.js';
import { forwardRollout, fusedRolloutKl } from '../../src/engine/rollout_eval.js';
import { fusedEngineForPolicy, syncEngineFromPolicy } from '../../src/engine/tfjs_bridge.js';
import { encoderFor } from '../../src/policies/encoders.js';
import { TabularPolicy } from '../../src/policies/tabular.js';
import { createRng } from '../../src/random/rng.js';
import { RolloutBuffer } from '../../src/training/buffer.js';
import type { Rollout } from '../../src/training/rollout.js';
import { rolloutToCurrentKl } from '../../src/training/rollout_kl.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

/*
 * The KL of an update, KL(π_rollout‖π_current), on a 2-state, 3-action tabular policy: the buffer is filled under
 * π_rollout (logits ROLLOUT), then the weights are set to CURRENT. Expected values are float64 sums written here:
 *   exact = mean_k Σ_a π_r(a|s_k) (log π_r(a|s_k) − log π_c(a|s_k))        (direction: rollout ‖ current)
 *   k1 = mean_k (log π_r(a_k|s_k) − log π_c(a_k|s_k)),  k3 = mean_k ((ρ_k − 1) − log ρ_k),  ρ_k = π_c/π_r (Schulman 2020)
 *   gain = mean_k (ρ_k − 1)·Â_k,  clipGain = mean_k [min(ρ_k Â_k, clip(ρ_k, 1 ± ε) Â_k) − Â_k]
 * The two policies are chosen so that KL(π_r‖π_c) and KL(π_c‖π_r) differ by far more than the tolerance.
 */
const ROLLOUT = [
  [3.0, 0.0, -2.0],
  [0.0, 0.0, 0.0],
];
const CURRENT = [
  [0.0, 0.2, 0.0],
  [2.5, -2.0, 0.0],
];
const OBS = [0, 1, 0, 1];
const ACTS = [0, 2, 2, 1];
const ADV = [0.7, -1.3, 2.0, 0.4];

function logSoftmax(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return row.map((x) => x - lse);
}
const lr = ROLLOUT.map(logSoftmax);
const lc = CURRENT.map(logSoftmax);
const klRows = (p: number[][], q: number[][]) =>
  OBS.map((s) => p[s]!.reduce((acc, lp, a) => acc + Math.exp(lp) * (lp - q[s]![a]!), 0));
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function rollout(): Rollout {
  return {
    T: 2,
    N: 2,
    obsDim: 1,
    actDim: 1,
    obs: Int32Array.from(OBS),
    actions: Int32Array.from(ACTS),
    rewards: new Float64Array(4),
    terminated: new Uint8Array(4),
    truncated: new Uint8Array(4),
    bootstrapIndex: Int32Array.from([2, 3]),
    bootstrapObs: Int32Array.from([0, 1]),
    episodes: [],
  };
}

// rolloutToCurrentKl (tfjs) and the fused engine's fusedRolloutKl against the same float64 sums.
const SOURCES = TEST_BACKENDS.flatMap((b) => [[b, 'tfjs'] as const, [b, 'fused'] as const]);

describe.each(SOURCES)('the KL of an update on %s (%s)', (backend, via) => {
  useBackend(backend);
  let policy: TabularPolicy;
  let engine: FusedPpoEngine | null = null;
  beforeEach(() => {
    policy = new TabularPolicy({ numStates: 2, numActions: 3, rng: createRng(1), critic: true });
    policy.setWeights([
      { name: 'logits', shape: [2, 3], values: ROLLOUT.flat() },
      { name: 'values', shape: [2], values: [0, 0] },
    ]);
  });
  afterEach(() => policy.dispose());
  /** The buffer of the hand-made rollout under the current weights (π_rollout). */
  const fill = () => {
    const r = rollout();
    engine = via === 'fused' ? fusedEngineForPolicy(policy) : null;
    return RolloutBuffer.fromRollout({
      rollout: r,
      policy,
      encoder: encoderFor({ kind: 'discrete', n: 2 }),
      gamma: 1,
      gaeLambda: 1,
      normalizeAdvantages: 'none',
      ...(engine ? { forward: forwardRollout(engine, r, true) } : {}),
    });
  };
  /** KL(π_rollout‖π_current) by the path under test, π_current being the policy's weights now. */
  const measure = async (buffer: RolloutBuffer, opts: { advantages?: Float64Array; epsilon?: number } = {}) => {
    if (!engine) return rolloutToCurrentKl(buffer, policy, opts);
    syncEngineFromPolicy(engine, policy);
    return fusedRolloutKl(engine, { rollout: buffer.rollout, forward: buffer.forward! }, true, opts);
  };

  it('is 0 before the policy moves', async () => {
    const buffer = await fill();
    try {
      const kl = await measure(buffer, { advantages: Float64Array.from(ADV) });
      expectClose([kl.exact, kl.k1, kl.k3, kl.gain, kl.clipGain], [0, 0, 0, 0, 0], 1e-6);
    } finally {
      buffer.dispose();
    }
  });

  it('measures KL(π_rollout‖π_current) exactly and by k1/k3, and the plain and clipped surrogate gains', async () => {
    const buffer = await fill();
    try {
      policy.setWeights([
        { name: 'logits', shape: [2, 3], values: CURRENT.flat() },
        { name: 'values', shape: [2], values: [0, 0] },
      ]);
      const eps = 0.2;
      const kl = await measure(buffer, { advantages: Float64Array.from(ADV), epsilon: eps });
      const forward = avg(klRows(lr, lc));
      const reverse = avg(klRows(lc, lr));
      expect(Math.abs(forward - reverse)).toBeGreaterThan(0.05); // the direction is visible (1.128 vs 1.213)
      const logRatio = OBS.map((s, k) => lc[s]![ACTS[k]!]! - lr[s]![ACTS[k]!]!);
      const ratio = logRatio.map(Math.exp);
      expectClose(kl.exact, forward, 1e-5, 1e-5);
      expectClose(kl.k1, avg(logRatio.map((x) => -x)), 1e-5, 1e-5);
      expectClose(kl.k3, avg(ratio.map((r) => r - 1 - Math.log(r))), 1e-5, 1e-5);
      expectClose(kl.gain, avg(ratio.map((r, k) => (r - 1) * ADV[k]!)), 1e-5, 1e-5);
      const clip = (r: number) => Math.min(Math.max(r, 1 - eps), 1 + eps);
      expectClose(
        kl.clipGain,
        avg(ratio.map((r, k) => Math.min(r * ADV[k]!, clip(r) * ADV[k]!) - ADV[k]!)),
        1e-5,
        1e-5,
      );
      const noAdv = await measure(buffer);
      expect(noAdv.gain).toBeNaN();
      expect(noAdv.clipGain).toBeNaN();
    } finally {
      buffer.dispose();
    }
  });
});
