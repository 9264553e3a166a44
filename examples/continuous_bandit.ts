// Docs: docs/continuous.md — PPO with a diagonal-Gaussian policy on a continuous-action bandit with a closed form.
/**
 * Continuous actions end to end: the `continuous-bandit` world (one pull per episode, reward
 * r(a) = −(a − a*)²/2 + noise, a* = 1) trained by PPO with a diagonal-Gaussian MLP policy (state-independent log-std,
 * CleanRL `ppo_continuous_action.py`), picked automatically for the box action space. The trainer reports the exact
 * expected return of the Gaussian policy N(μ, σ²), −((μ − a*)² + σ²)/2 (bias² plus variance), beside the optimum 0,
 * and the exact KL between the Gaussian policies before and after each update beside its k1/k3 estimates.
 * Run with `npx tsx examples/continuous_bandit.ts`.
 */
import { pathToFileURL } from 'node:url';
import { Trainer, type BackendName } from 'klip';

/** Defaults of this example; `main(overrides)` replaces any of them. */
export const DEFAULTS = {
  /** Env steps: 50 updates of 16 envs × 64 pulls. */
  totalSteps: 51_200,
  /** Adam learning rate, not annealed (the MLP default 2.5e-4 moves σ very slowly here). */
  lr: 3e-3,
  /** No entropy bonus: it would hold σ up, and the return pays σ²/2. */
  entCoef: 0,
  seed: 1,
  backend: 'wasm' as BackendName,
  print: true,
};

/** What `main` returns: the final mean action, σ, and the exact returns. */
export interface ContinuousBanditResult {
  mean: number;
  std: number;
  firstPolicyReturn: number;
  finalPolicyReturn: number;
  optimalReturn: number;
}

/** Train and report. */
export async function main(overrides: Partial<typeof DEFAULTS> = {}): Promise<ContinuousBanditResult> {
  const o = { ...DEFAULTS, ...overrides };
  const trainer = await Trainer.create({
    env: 'continuous-bandit',
    numEnvs: 16,
    nSteps: 64,
    epochs: 4,
    numMinibatches: 4,
    totalSteps: o.totalSteps,
    lr: o.lr,
    annealLr: false,
    entCoef: o.entCoef,
    seed: o.seed,
    backend: o.backend,
  });
  try {
    if (o.print) console.log('update  exact return  KL(old‖new) exact     k1        k3');
    while (!trainer.done) {
      const m = await trainer.step();
      if (o.print && m.update! % 10 === 0) {
        const kl = [m['kl/exact_rollout_end']!, m['kl/k1_rollout_end']!, m['kl/k3_rollout_end']!];
        console.log(
          `${String(m.update).padStart(6)}  ${m['charts/policy_return']!.toFixed(4).padStart(12)}  ${kl.map((x) => x.toExponential(2).padStart(9)).join(' ')}`,
        );
      }
    }
    const mean = (trainer.policy.predict(0, { deterministic: true }) as Float64Array)[0]!;
    const logStd = trainer.policy.getWeights().find((w) => w.name.endsWith('log_std'))!.values[0]!;
    const result = {
      mean,
      std: Math.exp(logStd),
      firstPolicyReturn: trainer.history[0]!['charts/policy_return']!,
      finalPolicyReturn: trainer.history.at(-1)!['charts/policy_return']!,
      optimalReturn: trainer.history.at(-1)!['charts/optimal_return']!,
    };
    if (o.print) console.log(`μ = ${result.mean.toFixed(3)} (a* = 1), σ = ${result.std.toFixed(3)}`);
    return result;
  } finally {
    trainer.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
