/**
 * KL to a frozen reference in the reward: on a Bernoulli bandit the trained policy reaches the closed-form optimum
 * π*_β ∝ π_ref·exp(r̄/β) (k1 in the reward keeps the policy gradient unbiased); k3 in the reward does not (it drives
 * the policy to the best arm); the metrics report the exact KL to the reference; a resumed run is bit-identical.
 */
import { describe, expect, it } from 'vitest';
import { klProbs } from '../../src/kl/probs.js';
import { deterministicPart } from '../../src/training/metrics.js';
import { penalizedRewards } from '../../src/training/reference_kl.js';
import { Trainer, type TrainerInput } from '../../src/training/trainer.js';

const SEEDS = (process.env.KLIP_LEARN_SEEDS ?? '1,2').split(',').map(Number);
const MEANS = [0.2, 0.5, 0.8]; // the default bandit's Bernoulli arms
const BETA = 0.2;

/** π*_β(a) ∝ π_ref(a)·exp(r̄(a)/β) (Rafailov et al. 2023 eq. 4; Korbak et al. 2022), in float64. */
function optimum(ref: number[]): number[] {
  const w = ref.map((p, a) => p * Math.exp(MEANS[a]! / BETA));
  const z = w.reduce((x, y) => x + y, 0);
  return w.map((x) => x / z);
}

/** Train, keeping π before each update: `before[k]` is the policy that collected rollout k + 1. */
async function trainBandit(
  cfg: TrainerInput,
): Promise<{ ref: number[]; pi: number[]; before: number[][]; t: Trainer }> {
  const t = await Trainer.create({ env: 'bandit', objective: 'clip', entCoef: 0, backend: 'cpu', ...cfg });
  const before: number[][] = [];
  while (!t.done) {
    before.push((await t.policySnapshot())!.probs[0]!);
    await t.step();
  }
  const pi = (await t.policySnapshot())!.probs[0]!;
  return { ref: before[0]!, pi, before, t }; // π_ref is the policy before any update
}

describe('penalizedRewards', () => {
  it('subtracts β·kl per step and names bad input', () => {
    // 1 − 0.2·0.5 = 0.9, 0 − 0.2·(−1) = 0.2
    expect(Array.from(penalizedRewards(Float64Array.of(1, 0), Float64Array.of(0.5, -1), 0.2))).toEqual([0.9, 0.2]);
    expect(() => penalizedRewards(Float64Array.of(1), Float64Array.of(1, 2), 0.1)).toThrow(
      /penalizedRewards: kl must be 1 values/,
    );
    expect(() => penalizedRewards(Float64Array.of(1), Float64Array.of(1), -1)).toThrow(/penalizedRewards: beta/);
  });
});

describe('referenceKl in the reward', () => {
  for (const seed of SEEDS) {
    it(`k1: the policy reaches π*_β within 1e-2 nats, and kl/ref_exact is KL(π‖π_ref) (seed ${seed})`, async () => {
      const { ref, pi, before, t } = await trainBandit({
        seed,
        totalSteps: 81_920,
        lr: 0.02,
        engine: 'fused',
        referenceKl: { estimator: 'k1', controller: { kind: 'fixed', beta: BETA } },
      });
      try {
        expect(klProbs(pi, optimum(ref))).toBeLessThan(1e-2);
        // kl/ref_exact of update k is KL(π_rollout‖π_ref) with π_rollout the policy before update k (one state).
        t.history.forEach((r, k) => {
          expect(r['kl/ref_coef']).toBe(BETA);
          expect(Math.abs(r['kl/ref_exact']! - klProbs(before[k]!, ref))).toBeLessThan(1e-5);
        });
        expect(t.history[0]!['kl/ref_estimate']).toBe(0); // π_rollout = π_ref: every log-ratio is 0
      } finally {
        t.dispose();
      }
    });
  }

  it('k3 in the reward is not the KL-regularized objective: the policy collapses onto the best arm', async () => {
    const { ref, pi, t } = await trainBandit({
      seed: 1,
      totalSteps: 40_960,
      engine: 'fused',
      referenceKl: { estimator: 'k3', controller: { kind: 'fixed', beta: BETA } },
    });
    t.dispose();
    expect(pi[2]!).toBeGreaterThan(0.99);
    expect(klProbs(pi, optimum(ref))).toBeGreaterThan(0.1);
  });

  it('leaves the kl/ref keys null without it, and resumes bit for bit with an adaptive β_ref', async () => {
    const cfg: TrainerInput = {
      env: 'frozenlake4x4',
      numEnvs: 4,
      nSteps: 32,
      totalSteps: 4 * 32 * 4,
      backend: 'cpu',
      referenceKl: { estimator: 'k3', controller: { kind: 'adaptive', beta: 0.5, target: 0.01 } },
    };
    const plain = await Trainer.create({ ...cfg, referenceKl: null });
    await plain.step();
    expect([plain.history[0]!['kl/ref_exact'], plain.history[0]!['kl/ref_coef']]).toEqual([null, null]);
    plain.dispose();
    const full = await Trainer.create(cfg);
    while (!full.done) await full.step();
    const half = await Trainer.create(cfg);
    await half.step();
    await half.step();
    const ckpt = JSON.parse(JSON.stringify(await half.save()));
    half.dispose();
    expect(ckpt.referenceController.beta).toBe(full.history[2]!['kl/ref_coef']);
    const resumed = await Trainer.restore(ckpt);
    while (!resumed.done) await resumed.step();
    expect(resumed.history.map(deterministicPart)).toEqual(full.history.map(deterministicPart));
    expect(new Set(full.history.map((r) => r['kl/ref_coef'])).size).toBeGreaterThan(1); // β_ref adapted
    resumed.dispose();
    full.dispose();
  });

  it('names a bad setting', async () => {
    await expect(Trainer.create({ referenceKl: { estimator: 'k9' as never } })).rejects.toThrow(
      /resolvePpoConfig: referenceKl\.estimator must be one of 'k1' \| 'k3' \| 'full', got "k9"/,
    );
    await expect(Trainer.create({ referenceKl: { controller: { kind: 'fixed', beta: -1 } } })).rejects.toThrow(
      /referenceKl\.controller\.beta/,
    );
    // A policy object cannot stand in for the reference on restore; the refusal leaves the caller's policy alive.
    const t = await Trainer.create({
      env: 'bandit',
      numEnvs: 2,
      nSteps: 8,
      totalSteps: 32,
      backend: 'cpu',
      referenceKl: {},
    });
    await t.step();
    const ckpt = JSON.parse(JSON.stringify(await t.save()));
    const mine = t.policy.clone();
    t.dispose();
    await expect(Trainer.restore(ckpt, { policy: mine })).rejects.toThrow(
      /Trainer\.restore: opts\.policy must be left out with referenceKl/,
    );
    expect(mine.getWeights().length).toBeGreaterThan(0); // not disposed
    mine.dispose();
  });
});
