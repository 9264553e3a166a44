/**
 * KL to a frozen reference in the reward: on a Bernoulli bandit the trained policy reaches the closed-form optimum
 * π*_β ∝ π_ref·exp(r̄/β) (k1 in the reward keeps the policy gradient unbiased); k3 in the reward does not (it drives
 * the policy to the best arm); the metrics report the exact KL to the reference; a resumed run is bit-identical.
 */
import { describe, expect, it } from 'vitest';
import { klProbs } from '../../src/kl/probs.js';
import { deterministicPart } from '../../src/training/metrics.js';
import * as tf from '@tensorflow/tfjs';
import { Categorical } from '../../src/distributions/categorical.js';
import { useBackend } from '../helpers/backends.js';
import { penalizedRewards, type ReferenceKlEstimator, referenceKlLossMean } from '../../src/training/reference_kl.js';
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

describe('referenceKlLossMean', () => {
  useBackend('cpu');
  it('is mean(w·k(ℓ)) for the sample estimators and the mean exact KL for exact/full (float64 golden values)', () => {
    // python3: th=[[0.3,-0.2,0.5],[1,0,-1]]; rf=[[0,0.1,-0.3],[0.2,0.2,0.2]]; old=[[0.1,0,0.4],[0.5,0.1,-0.5]]
    // ls = x - log Σ exp x (rows); lp, lr, lo = ls(th), ls(rf), ls(old); a = [2, 0]
    // l = lp[a] - lr[a]; w = exp(lp[a] - lo[a]); k3 = exp(-l) - 1 + l
    // mean(w*k3), mean(w*l), mean(w*|l|), mean(w*l²/2), mean(Σ exp(lp)*(lp - lr))
    const golden = { k3: 0.18699871182294625, k1: 0.7321260856350464, abs: 0.7321260856350464 };
    const more = { mse: 0.22861049719875898, exact: 0.17992368962021132, full: 0.17992368962021132 };
    const theta = [
      [0.3, -0.2, 0.5],
      [1, 0, -1],
    ];
    for (const [estimator, want] of Object.entries({ ...golden, ...more })) {
      const got = tf.tidy(() => {
        const dist = Categorical.fromLogits(tf.tensor2d(theta));
        const old = Categorical.fromLogits(
          tf.tensor2d([
            [0.1, 0, 0.4],
            [0.5, 0.1, -0.5],
          ]),
        );
        const actions = tf.tensor1d([2, 0], 'int32');
        return referenceKlLossMean({
          dist,
          refDist: Categorical.fromLogits(
            tf.tensor2d([
              [0, 0.1, -0.3],
              [0.2, 0.2, 0.2],
            ]),
          ),
          actions,
          logProb: dist.logProb(actions),
          oldLogProb: old.logProb(actions),
          estimator: estimator as ReferenceKlEstimator,
        }).dataSync()[0]!;
      });
      expect(got, estimator).toBeCloseTo(want, 5);
    }
  });
});

describe('referenceKl in the loss', () => {
  // With w = π_θ/π_rollout kept in the gradient, k1, k3 and the exact KL all have the expected gradient
  // ∇KL(π_θ‖π_ref); without advantage normalization the reward term is not rescaled, so the fixed point is π*_β.
  // One seed per estimator keeps the suite short on the tfjs engine; KLIP_LEARN_SEEDS=1,…,10 tries more.
  const cases = (['k3', 'exact'] as const).map((estimator, i) => ({ estimator, seed: SEEDS[i % SEEDS.length]! }));
  for (const { estimator, seed } of cases) {
    it(`${estimator}: the policy reaches π*_β within 1e-2 nats (seed ${seed})`, async () => {
      const { ref, pi, before, t } = await trainBandit({
        seed,
        totalSteps: 20_480,
        lr: 0.05,
        normalizeAdvantages: 'none',
        referenceKl: { placement: 'loss', estimator, controller: { kind: 'fixed', beta: BETA } },
      });
      try {
        expect(klProbs(pi, optimum(ref))).toBeLessThan(1e-2);
        expect(t.config.referenceKl?.placement).toBe('loss');
        expect(t.history.at(-1)!['kl/ref_exact']!).toBeGreaterThan(0.3); // it moved away from π_ref
        // Measured from the buffer's parameters: KL(π_rollout‖π_ref), π_rollout the policy before update k.
        t.history.forEach((r, k) => {
          expect(Math.abs(r['kl/ref_exact']! - klProbs(before[k]!, ref))).toBeLessThan(1e-5);
        });
      } finally {
        t.dispose();
      }
    });
  }

  it('k1 in the loss, importance-weighted, reaches π*_β too', async () => {
    const { ref, pi, t } = await trainBandit({
      seed: SEEDS.at(-1)!,
      totalSteps: 20_480,
      lr: 0.05,
      normalizeAdvantages: 'none',
      referenceKl: { placement: 'loss', estimator: 'k1', controller: { kind: 'fixed', beta: BETA } },
    });
    t.dispose();
    expect(klProbs(pi, optimum(ref))).toBeLessThan(1e-2);
  });

  it('is refused on the fused engine, naming the setting', async () => {
    await expect(
      Trainer.create({ env: 'bandit', engine: 'fused', referenceKl: { placement: 'loss' } }),
    ).rejects.toThrow(/referenceKl\.placement must be 'reward' with engine 'fused'/);
    await expect(Trainer.create({ referenceKl: { placement: 'middle' as never } })).rejects.toThrow(
      /referenceKl\.placement must be one of 'reward' \| 'loss', got "middle"/,
    );
  });
});

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

  it('abs in the loss moves the policy to another fixed point than π*_β', async () => {
    const { ref, pi, t } = await trainBandit({
      seed: SEEDS[0]!,
      totalSteps: 20_480,
      lr: 0.05,
      normalizeAdvantages: 'none',
      referenceKl: { placement: 'loss', estimator: 'abs', controller: { kind: 'fixed', beta: BETA } },
    });
    t.dispose();
    // E_π|ℓ| is not KL(π‖π_ref): its minimiser puts ≈ 0 on the worst arm (π*_β keeps 0.039 there).
    expect(pi[0]!).toBeLessThan(0.01);
    expect(klProbs(pi, optimum(ref))).toBeGreaterThan(0.05);
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
      /resolvePpoConfig: referenceKl\.estimator must be one of 'k1' \| 'k3' \| 'abs' \| 'mse' \| 'full' \| 'exact', got "k9"/,
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
    // The run's reference is the seed's initial policy: another reference on restore is refused, caller's intact.
    await expect(Trainer.restore(ckpt, { reference: mine })).rejects.toThrow(
      /Trainer\.restore: opts\.reference must be left out: this run's reference is the seed's initial policy/,
    );
    expect(mine.getWeights().length).toBeGreaterThan(0); // not disposed
    mine.dispose();
    await expect(Trainer.create({ env: 'bandit', reference: 'latest' as never, referenceKl: {} })).rejects.toThrow(
      /Trainer\.create: reference must be 'initial' or a policy object, got "latest"/,
    );
  });
});

describe('reference: a given policy', () => {
  it('restoring a seed-built run with a policy object rebuilds π_ref from the seed', async () => {
    const cfg: TrainerInput = {
      env: 'bandit',
      numEnvs: 2,
      nSteps: 16,
      totalSteps: 4 * 32,
      backend: 'cpu',
      referenceKl: { estimator: 'k1' },
    };
    const full = await Trainer.create(cfg);
    while (!full.done) await full.step();
    const half = await Trainer.create(cfg);
    await half.step();
    await half.step();
    const ckpt = JSON.parse(JSON.stringify(await half.save()));
    const mine = half.policy.clone(); // trained weights: the reference must not become these
    half.dispose();
    expect(ckpt.referenceWeights).toBeUndefined();
    const resumed = await Trainer.restore(ckpt, { policy: mine });
    while (!resumed.done) await resumed.step();
    expect(resumed.history.map(deterministicPart)).toEqual(full.history.map(deterministicPart));
    resumed.dispose();
    full.dispose();
  });

  it('is π_ref: kl/ref_exact starts at KL(π_0‖π_given), and a restore reloads it from the checkpoint', async () => {
    const base: TrainerInput = { env: 'bandit', numEnvs: 2, nSteps: 16, totalSteps: 4 * 32, backend: 'cpu', seed: 3 };
    // A reference that prefers arm 0: a trained-looking policy built by hand from another trainer's policy.
    const donor = await Trainer.create({ ...base, seed: 99 });
    const given = donor.policy.clone();
    donor.dispose();
    const w = given.getWeights();
    given.setWeights(w.map((x) => (x.name === 'logits' ? { ...x, values: [2, 0, -1] } : x)));
    const ref = [2, 0, -1].map((v) => Math.exp(v) / (Math.exp(2) + 1 + Math.exp(-1)));
    const cfg: TrainerInput = { ...base, referenceKl: { estimator: 'full' }, reference: given };
    const full = await Trainer.create(cfg);
    const pi0 = (await full.policySnapshot())!.probs[0]!;
    while (!full.done) await full.step();
    expect(full.history[0]!['kl/ref_exact']!).toBeCloseTo(klProbs(pi0, ref), 5);
    const half = await Trainer.create(cfg);
    await half.step();
    await half.step();
    const ckpt = JSON.parse(JSON.stringify(await half.save()));
    half.dispose();
    expect(ckpt.referenceWeights).toBeDefined();
    given.setWeights(w); // the caller's object changed since: the checkpoint's copy is what counts
    const resumed = await Trainer.restore(ckpt);
    while (!resumed.done) await resumed.step();
    expect(resumed.history.map(deterministicPart)).toEqual(full.history.map(deterministicPart));
    resumed.dispose();
    full.dispose();
    await expect(Trainer.create({ ...base, reference: given })).rejects.toThrow(
      /Trainer\.create: reference must be left out without referenceKl/,
    );
    given.dispose();
  });
});
