// Docs: docs/concepts/rlhf.md — the closed-form optimum π* ∝ π_ref·exp(r/β) of the KL-regularized bandit and the reward–KL frontier.
/**
 * Train a tabular policy on max_π E_π[r] − β·KL(π‖π_ref) for several β and compare it with the closed form:
 * π*(a) ∝ π_ref(a)·exp(r(a)/β), J* = β·log Σ π_ref·exp(r/β). Prints the frontier (KL, E[r]) of the trained policies
 * beside the closed-form curve. Run with `npx tsx examples/kl_regularized_bandit.ts`.
 */
import { pathToFileURL } from 'node:url';
import { klRegularizedOptimum, rewardKlFrontier, setBackend, type BackendName, type RewardKlFrontier } from 'klip';

// --- setup ---
/** Defaults of this example; `main(overrides)` replaces any of them. */
export const DEFAULTS = {
  /** The reference π_ref over the arms (the "SFT model"); the policy starts here. */
  piRef: [0.1, 0.2, 0.3, 0.4] as number[],
  /** The reward r(a) of each arm. */
  rewards: [1, 0.5, -0.2, 0.3] as number[],
  /** The KL coefficients β to train at. */
  betas: [0.1, 0.5, 2] as number[],
  /** 'exact' (loss −E_π[r] + β·KL exact over the arms) or 'sampled' (REINFORCE with the reward r − β·k1). */
  mode: 'exact' as 'exact' | 'sampled',
  /** Adam steps per β. */
  steps: 300,
  /** Adam learning rate. */
  lr: 0.1,
  /** Root seed (each β gets the stream seed/beta-i). */
  seed: 1,
  /** tfjs backend: 'wasm' (klip's default) or 'cpu'. */
  backend: 'wasm' as BackendName,
  /** Print the table (set false in tests). */
  print: true,
};

/** Train at each β, print the trained points beside the closed form, return the frontier data. */
export async function main(overrides: Partial<typeof DEFAULTS> = {}): Promise<RewardKlFrontier> {
  const cfg = { ...DEFAULTS, ...overrides };
  await setBackend(cfg.backend);

  // --- algorithm ---
  const frontier = rewardKlFrontier({
    piRef: cfg.piRef,
    rewards: cfg.rewards,
    betas: cfg.betas,
    mode: cfg.mode,
    steps: cfg.steps,
    lr: cfg.lr,
    seed: cfg.seed,
    curvePoints: 25,
  });

  // --- logging ---
  if (cfg.print) {
    console.log(
      `π_ref = [${cfg.piRef.join(', ')}], r = [${cfg.rewards.join(', ')}], mode = ${cfg.mode}, ${cfg.steps} Adam steps`,
    );
    console.log(
      `${'β'.padStart(6)} ${'π*'.padEnd(34)} ${'KL* '.padStart(8)} ${'E*[r]'.padStart(8)} ${'KL(π‖π_ref)'.padStart(12)} ${'E_π[r]'.padStart(8)} ${'KL(π‖π*)'.padStart(10)}`,
    );
    frontier.trained.forEach((t, i) => {
      const o = frontier.optimal[i]!;
      const pi = Array.from(klRegularizedOptimum(cfg.piRef, cfg.rewards, t.beta).probs, (p) => p.toFixed(3)).join(', ');
      console.log(
        `${t.beta.toFixed(2).padStart(6)} ${`[${pi}]`.padEnd(34)} ${o.kl.toFixed(4).padStart(8)} ${o.expectedReward.toFixed(4).padStart(8)} ` +
          `${t.kl.toFixed(4).padStart(12)} ${t.expectedReward.toFixed(4).padStart(8)} ${t.klToOptimum.toExponential(1).padStart(10)}`,
      );
    });
    console.log(
      'closed-form frontier (KL, E[r]) as β falls: ' +
        frontier.curve
          .filter((_, i) => i % 6 === 0)
          .map((p) => `(${p.kl.toFixed(3)}, ${p.expectedReward.toFixed(3)})`)
          .reverse()
          .join(' '),
    );
    console.log('Each trained point lies on the curve: no policy earns more reward for the same KL budget.');
  }
  return frontier;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
