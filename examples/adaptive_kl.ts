// Docs: docs/concepts/kl_penalty.md — fixed vs adaptive vs proportional KL coefficients, side by side on one world.
/**
 * PPO with a KL(π_old‖π_new) penalty and nothing else holding the update back (objective 'kl-penalty', no clipping),
 * on FrozenLake 4×4 with a tabular policy. Three runs from the same seed differ only in how β moves:
 * - fixed: β never changes, so the KL of each update goes wherever the gradient takes it;
 * - adaptive (Schulman et al. 2017, https://arxiv.org/abs/1707.06347 §4): β ×= 2 when KL > 1.5·target, β ÷= 2 when
 *   KL < target/1.5;
 * - proportional (Ziegler et al. 2019, https://arxiv.org/abs/1909.08593 §2.2): β ×= 1 + clip(KL/target − 1, ±0.2)·n/horizon.
 * Every update reports the exact KL between the policy that collected the batch and the updated policy
 * (`kl/exact_rollout_end`, what the controllers observe) and the β used (`kl/coef`). The adaptive run keeps the KL
 * near the target; the fixed one does not. Run with `npx tsx examples/adaptive_kl.ts`.
 */
import { pathToFileURL } from 'node:url';
import { train, type BackendName, type KlControllerSettings } from 'klip';

// --- setup ---
/** Defaults of this example; `main(overrides)` replaces any of them. */
export const DEFAULTS = {
  /** Slippery ice (Gymnasium FrozenLake-v1 `is_slippery`). */
  slippery: true,
  /** Target KL(π_old‖π_new) per update, nats (the adaptive and proportional rules steer towards it). */
  targetKl: 0.002,
  /** The starting β of all three runs (and the only β of the fixed run). */
  beta: 1,
  /** Horizon of the proportional rule (env steps; smaller reacts faster). */
  horizon: 2048,
  /** Parallel env copies. */
  numEnvs: 8,
  /** Steps per env per update. */
  nSteps: 64,
  /** Updates per run. */
  updates: 60,
  /** Passes over each batch (more optimizer steps per update let β reach its balance point). */
  epochs: 4,
  /** Adam learning rate (constant: no annealing, so only β shrinks the steps). */
  lr: 0.05,
  /** Root seed, the same for the three runs. */
  seed: 1,
  /** tfjs backend: 'wasm' (klip's default) or 'cpu'. */
  backend: 'wasm' as BackendName,
  /** Print the table (set false in tests). */
  print: true,
};

/** One controller's run. */
export interface ControllerRun {
  /** 'fixed', 'adaptive' or 'proportional'. */
  kind: 'fixed' | 'adaptive' | 'proportional';
  /** Exact KL(π_rollout‖π_end) of each update (nats). */
  kl: number[];
  /** β used in each update. */
  beta: number[];
  /** Exact expected return of the policy after each update. */
  policyReturn: number[];
  /** Fraction of the second half of the updates whose KL lies within [target/2, 2·target]. */
  withinBand: number;
  /** Median over the second half of |log(KL/target)| (0: exactly on target; ln 2 ≈ 0.69: off by a factor 2). */
  medianLogError: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Run the three controllers and return their per-update KL and β. */
export async function main(
  overrides: Partial<typeof DEFAULTS> = {},
): Promise<{ target: number; optimalReturn: number; runs: ControllerRun[] }> {
  const cfg = { ...DEFAULTS, ...overrides };
  const controllers: Record<ControllerRun['kind'], KlControllerSettings> = {
    fixed: { kind: 'fixed', beta: cfg.beta },
    adaptive: { kind: 'adaptive', beta: cfg.beta, target: cfg.targetKl },
    proportional: { kind: 'proportional', beta: cfg.beta, target: cfg.targetKl, horizon: cfg.horizon },
  };

  // --- algorithm ---
  const runs: ControllerRun[] = [];
  let optimalReturn = NaN;
  for (const kind of ['fixed', 'adaptive', 'proportional'] as const) {
    const { history } = await train({
      env: 'frozenlake4x4',
      envOptions: { slippery: cfg.slippery },
      objective: 'kl-penalty', // −E[r·Â] + β·KL(π_old‖π): β is the only brake
      klEstimator: 'exact',
      klController: controllers[kind],
      klControllerHold: false, // the published loop: every update's KL reaches the rule (docs/concepts/kl_penalty.md §6)
      earlyStopKl: null, // no early stopping either: β alone holds the update
      adamEps: 1e-5, // CleanRL's Adam ε (the tabular default is 0.01)
      gaeLambda: 0.95,
      policy: { kind: 'tabular' },
      numEnvs: cfg.numEnvs,
      nSteps: cfg.nSteps,
      epochs: cfg.epochs,
      totalSteps: cfg.updates * cfg.numEnvs * cfg.nSteps,
      lr: cfg.lr,
      annealLr: false,
      entCoef: 0,
      seed: cfg.seed,
      backend: cfg.backend,
    });
    optimalReturn = history[0]!['charts/optimal_return']!;
    const kl = history.map((r) => r['kl/exact_rollout_end']!);
    const late = kl.slice(Math.floor(kl.length / 2));
    runs.push({
      kind,
      kl,
      beta: history.map((r) => r['kl/coef']!),
      policyReturn: history.map((r) => r['charts/policy_return']!),
      withinBand: late.filter((k) => k >= cfg.targetKl / 2 && k <= 2 * cfg.targetKl).length / late.length,
      medianLogError: median(late.map((k) => Math.abs(Math.log(Math.max(k, 1e-12) / cfg.targetKl)))),
    });
  }

  // --- logging ---
  if (cfg.print) {
    console.log(
      `KL(π_old‖π_new) per update, target ${cfg.targetKl}; β in brackets (exact optimum ${optimalReturn.toFixed(3)})`,
    );
    console.log(`update  ${runs.map((r) => r.kind.padEnd(24)).join('')}`);
    const every = Math.max(1, Math.floor(cfg.updates / 12));
    for (let u = 0; u < cfg.updates; u += every) {
      console.log(
        String(u + 1).padStart(6) +
          '  ' +
          runs.map((r) => `${r.kl[u]!.toExponential(2)} [β ${r.beta[u]!.toPrecision(3)}]`.padEnd(24)).join(''),
      );
    }
    for (const r of runs) {
      console.log(
        `${r.kind.padEnd(13)} second half: ${(100 * r.withinBand).toFixed(0).padStart(3)}% of updates within [target/2, 2·target], median |log(KL/target)| ${r.medianLogError.toFixed(2)}, final exact return ${r.policyReturn.at(-1)!.toFixed(3)}`,
      );
    }
  }
  return { target: cfg.targetKl, optimalReturn, runs };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
