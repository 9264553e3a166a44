/**
 * Per-world defaults: the hyperparameters under which each built-in world learns on every seed, measured with
 * `klip compare` sweeps over 10 seeds (the commands and their tables are in docs/benchmarks.md, the check is
 * `npm run bench:learn`). `resolvePpoConfig` lays them between the library-wide `DEFAULT_PPO_CONFIG` and what the
 * caller wrote, so a field given explicitly always wins. Plain data, no tfjs.
 * @module
 */
import type { LinearScheduleSpec } from './schedule.js';

/** Optimizer settings of one policy kind. */
export interface WorldOptimizerDefaults {
  /** Adam learning rate. */
  lr: number;
  /** Adam ε. */
  adamEps: number;
  /** Linearly anneal the learning rate to 0. */
  annealLr: boolean;
}

/**
 * CliffWalking: an entropy bonus that starts large (0.5) and falls linearly to 0 at 90 % of training, with a larger
 * step (lr 0.5). The −13 path runs along the cliff edge, where any randomness left at the end costs −100, so the
 * final policy must be deterministic; but without exploration the critic's values of the edge cells stay those of
 * the early random walk (falls), no update tries the edge again, and every seed settles on a safe row (−15 or −17).
 * The ramp explores while the values are learned and is gone before the end: −13.0 on 20 of 20 seeds
 * (docs/benchmarks.md).
 */
const CLIFF_ENTROPY: LinearScheduleSpec = Object.freeze({ kind: 'linear', start: 0.5, end: 0, endFraction: 0.9 });

/** The fields a world may set (the rest come from `DEFAULT_PPO_CONFIG`). */
export interface WorldDefaults {
  /** Env steps of a default run (the learning benchmark's budget). */
  totalSteps: number;
  /** Parallel env copies. */
  numEnvs: number;
  /** Steps per env per rollout. */
  nSteps: number;
  /** Discount γ (FrozenLake 8×8 needs γ close to 1: its γ = 0.99 optimum reaches only 0.945 of the undiscounted one). */
  gamma: number;
  /** GAE λ. */
  gaeLambda: number;
  /** Entropy bonus coefficient: a number or a linear ramp ({@link LinearScheduleSpec}). */
  entCoef: number | LinearScheduleSpec;
  /** Target KL per update of the KL controller (nats), for every rule whose own default does not fit per-update KL. */
  klTarget: number;
  /** Learning rate and Adam ε of tabular policies. */
  tabular: WorldOptimizerDefaults;
  /** Learning rate and Adam ε of MLP policies (the Gaussian MLP too). */
  mlp: WorldOptimizerDefaults;
  /** Passes over each rollout, when the world sets its own (else `DEFAULT_PPO_CONFIG.epochs`). */
  epochs?: number;
  /** Minibatches per epoch, when the world sets its own (else `DEFAULT_PPO_CONFIG.numMinibatches`). */
  numMinibatches?: number;
}

/**
 * Tabular logits: Adam with ε = 0.01 instead of 1e-5. With a tiny ε, Adam moves every logit of every visited state
 * by ≈ lr per step whatever the size of its gradient, so a state seen once in a minibatch moves as far as one seen
 * a hundred times and rarely visited states collapse on noise; ε = 0.01 keeps small gradients small (measured in
 * docs/benchmarks.md: the worst of 10 seeds on FrozenLake 4×4 went from 0.44 to 0.80 of the optimum).
 * The learning rate is constant (no annealing): with an adaptive β, annealing it makes the late updates small for
 * a reason β cannot change.
 */
const TABULAR = Object.freeze({ lr: 0.2, adamEps: 0.01, annealLr: false });
/** MLP policies: CleanRL ppo.py (lr 2.5e-4 annealed, Adam ε 1e-5). */
const MLP = Object.freeze({ lr: 2.5e-4, adamEps: 1e-5, annealLr: true });

/**
 * Gridworlds: 32 envs × 32 steps (1024 per update, as 8 × 128 but over 4× as many episode starts) and GAE λ = 0.9.
 * On slippery FrozenLake 4×4 the worst of 20 seeds went from 0.43 (8 × 128, λ 0.95) to 0.85 of the optimum
 * (docs/benchmarks.md): with fewer, shorter rollouts the advantages lean less on long noisy returns, and near-tied
 * actions are not settled by a few lucky episodes.
 */
const GRID = {
  numEnvs: 32,
  nSteps: 32,
  gamma: 0.99,
  gaeLambda: 0.9,
  entCoef: 0.01,
  klTarget: 0.01,
  tabular: TABULAR,
  mlp: MLP,
};

/**
 * The defaults of each built-in world (ids of `ENV_IDS`). A world not listed (a user's own env) gets
 * {@link FALLBACK_WORLD_DEFAULTS}.
 */
export const WORLD_DEFAULTS: Readonly<Record<string, Readonly<WorldDefaults>>> = Object.freeze({
  // A smaller step per update (target 0.005): near-tied actions (state 14: ↓ vs →) get more samples before the policy
  // commits; 19 of 20 seeds ≥ 0.90 of the optimum against 17 with 0.01 (docs/benchmarks.md).
  frozenlake4x4: Object.freeze({ ...GRID, totalSteps: 102_400, gaeLambda: 0.95, klTarget: 0.005 }),
  // Adam ε 0.1 for the tabular logits: on this larger map the fatal mistakes are in rarely visited cells near the
  // goal (e.g. ↓ instead of → beside a hole, 0.66 against 0.98), where a few noisy minibatches used to commit the
  // policy before the evidence arrived; with a large ε a small gradient moves a logit in proportion to its size
  // (lr·g/ε, as SGD) while well-visited cells keep Adam's normalized step. Seeds 1–20: worst 0.913 of the optimum
  // (ε 0.01: seed 9 at 0.31; docs/benchmarks.md).
  frozenlake8x8: Object.freeze({ ...GRID, totalSteps: 512_000, gamma: 0.995, tabular: { ...TABULAR, adamEps: 0.1 } }),
  cliffwalking: Object.freeze({
    ...GRID,
    totalSteps: 102_400,
    entCoef: CLIFF_ENTROPY,
    tabular: { ...TABULAR, lr: 0.5 },
  }),
  grid5x5: Object.freeze({ ...GRID, totalSteps: 51_200 }),
  // One state: every sample moves the same logits, so a grid's step size gives a KL of about the target per
  // optimizer step; lr 0.05 keeps one step well under it.
  bandit: Object.freeze({ ...GRID, totalSteps: 20_480, numEnvs: 8, nSteps: 64, tabular: { ...TABULAR, lr: 0.05 } }),
  'contextual-bandit': Object.freeze({
    ...GRID,
    totalSteps: 20_480,
    numEnvs: 8,
    nSteps: 64,
    tabular: { ...TABULAR, lr: 0.05 },
  }),
  'token-bandit': Object.freeze({ ...GRID, totalSteps: 51_200, numEnvs: 8, nSteps: 128 }),
  // Box actions, CleanRL ppo_continuous_action.py's shape (2048 steps per rollout, 10 epochs × 32 minibatches, no
  // entropy bonus, λ 0.95) with a 10× larger step: in 25 updates lr 3e-3 ends at E_π[r] ≈ −0.003 of the optimum 0 on
  // seeds 1–5, against −0.045 with CleanRL's 3e-4 and −0.40 with the grid defaults (lr 2.5e-4, 16 optimizer steps).
  'continuous-bandit': Object.freeze({
    ...GRID,
    totalSteps: 51_200,
    numEnvs: 8,
    nSteps: 256,
    epochs: 10,
    numMinibatches: 32,
    gaeLambda: 0.95,
    entCoef: 0,
    mlp: { lr: 3e-3, adamEps: 1e-5, annealLr: true },
  }),
});

/** Defaults for a world without an entry of its own. */
export const FALLBACK_WORLD_DEFAULTS: Readonly<WorldDefaults> = Object.freeze({ ...GRID, totalSteps: 51_200 });

/**
 * The defaults of one world.
 * @param env An env id.
 * @returns Its entry of {@link WORLD_DEFAULTS}, or {@link FALLBACK_WORLD_DEFAULTS}.
 * @example
 * ```ts
 * worldDefaults('frozenlake8x8').gamma; // 0.995
 * ```
 */
export function worldDefaults(env: string): Readonly<WorldDefaults> {
  return Object.hasOwn(WORLD_DEFAULTS, env) ? WORLD_DEFAULTS[env]! : FALLBACK_WORLD_DEFAULTS;
}
