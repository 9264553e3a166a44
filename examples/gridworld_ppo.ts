// Docs: docs/concepts/ppo.md — PPO with a clipped objective and a KL penalty on FrozenLake 4×4, beside the exact optimum.
/**
 * PPO on slippery FrozenLake 4×4 (Gymnasium's map, 100-step limit) with a tabular policy, one update at a time with
 * `Trainer.step()`. Because the world is tabular, every update also reports the *exact* expected return of the
 * current policy and the exact optimum (finite-horizon dynamic programming), so the learning curve can be read
 * against the right answer rather than against noisy episode returns. At the end the greedy action of every cell is
 * drawn as an arrow. Run with `npx tsx examples/gridworld_ppo.ts`.
 */
import { pathToFileURL } from 'node:url';
import { Trainer, type BackendName, type MetricRecord, type PpoConfigInput } from 'klip';
import { FROZEN_LAKE_4X4 } from 'klip/envs';

// --- setup ---
/** Defaults of this example; `main(overrides)` replaces any of them. */
export const DEFAULTS = {
  /** Slippery ice (Gymnasium FrozenLake-v1 `is_slippery=True`: the intended move with probability 1/3). */
  slippery: true,
  /** PPO objective: 'clip' (CleanRL), 'kl-penalty', 'clip+kl' (clip and a KL(old‖new) penalty) or 'pg'. */
  objective: 'clip+kl' as 'clip' | 'kl-penalty' | 'clip+kl' | 'pg',
  /** Parallel env copies (CleanRL `num_envs`; klip's FrozenLake default, docs/benchmarks.md). */
  numEnvs: 32,
  /** Steps per env per update (CleanRL `num_steps`). */
  nSteps: 32,
  /** Updates; total env steps = updates · numEnvs · nSteps. */
  updates: 100,
  /** Adam learning rate (a tabular policy tolerates a large one; Adam ε is 0.01 for tabular policies). */
  lr: 0.2,
  /** Entropy bonus coefficient (CleanRL `ent_coef`). */
  entCoef: 0.01,
  /** Initial KL coefficient β of the penalty, adapted towards `targetKl` (adaptive rule, Schulman et al. 2017 §4). */
  beta: 1,
  /** Target KL(π_rollout‖π_end) per update of the adaptive controller (nats); also caps each update at 1.5× it. */
  targetKl: 0.005,
  /** Root seed (envs, policy init, rollouts and minibatches each get a labelled stream). */
  seed: 1,
  /** tfjs backend: 'wasm' (klip's default) or 'cpu'. */
  backend: 'wasm' as BackendName,
  /** Print progress and the final policy (set false in tests). */
  print: true,
};

/** What `main` returns: the curve and the final numbers. */
export interface GridworldPpoResult {
  /** One metric record per update (plain numbers). */
  history: MetricRecord[];
  /** Exact optimal return within the time limit. */
  optimalReturn: number;
  /** Exact expected return of the policy after the first and the last update. */
  firstPolicyReturn: number;
  finalPolicyReturn: number;
  /** Success rate of the last 100 sampled episodes at the end. */
  successRate: number | null;
  /** Greedy action per cell (0 left, 1 down, 2 right, 3 up). */
  greedy: number[];
}

/** Train and return the numbers. */
export async function main(overrides: Partial<typeof DEFAULTS> = {}): Promise<GridworldPpoResult> {
  const cfg = { ...DEFAULTS, ...overrides };
  const config: PpoConfigInput = {
    env: 'frozenlake4x4',
    envOptions: { slippery: cfg.slippery },
    objective: cfg.objective,
    klController: { kind: 'adaptive', beta: cfg.beta, target: cfg.targetKl },
    klEstimator: 'exact',
    policy: { kind: 'tabular' },
    numEnvs: cfg.numEnvs,
    nSteps: cfg.nSteps,
    totalSteps: cfg.updates * cfg.numEnvs * cfg.nSteps,
    lr: cfg.lr,
    entCoef: cfg.entCoef,
    seed: cfg.seed,
    backend: cfg.backend,
  };
  const trainer = await Trainer.create(config);

  // --- algorithm ---
  try {
    const optimalReturn = trainer.exactOptimum!.optimalReturn;
    while (!trainer.done) {
      const m = await trainer.step(); // rollout → GAE → epochs × minibatches → KL controller → metrics
      // --- logging ---
      if (cfg.print && (m.update === 1 || m.update! % 10 === 0)) {
        const ret = m['charts/policy_return']!;
        console.log(
          `update ${String(m.update).padStart(3)}  exact return ${ret.toFixed(3)} / ${optimalReturn.toFixed(3)}` +
            `  success ${(m['charts/success_rate'] ?? 0).toFixed(2)}  KL of the update ${m['kl/exact_rollout_end']!.toExponential(2)} (target ${cfg.targetKl})  β ${m['kl/coef']!.toPrecision(3)}`,
        );
      }
    }
    const snap = (await trainer.policySnapshot())!;
    const greedy = snap.probs.map((row) => row.indexOf(Math.max(...row)));
    const history = trainer.history.map((r) => ({ ...r }));
    const last = history.at(-1)!;
    if (cfg.print) {
      const arrows = ['←', '↓', '→', '↑'];
      console.log('greedy policy (H hole, G goal):');
      FROZEN_LAKE_4X4.forEach((row, r) => {
        console.log(
          '  ' +
            [...row].map((c, col) => (c === 'H' || c === 'G' ? c : arrows[greedy[r * row.length + col]!])).join(' '),
        );
      });
    }
    return {
      history,
      optimalReturn,
      firstPolicyReturn: history[0]!['charts/policy_return']!,
      finalPolicyReturn: last['charts/policy_return']!,
      successRate: last['charts/success_rate'] ?? null,
      greedy,
    };
  } finally {
    trainer.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
