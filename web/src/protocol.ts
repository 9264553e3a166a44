/**
 * Messages between the playground page and its training worker. Plain JSON-cloneable data only: the worker
 * owns every tensor, the page only ever sees numbers.
 * @module
 */

import { KL_CONTROLLER_KINDS, OBJECTIVES, type PpoConfigInput, worldDefaults } from 'klip';
import type { RenderFrame } from 'klip/envs';

/** The env ids the playground offers, with their labels (ids from `ENV_IDS` of `klip/envs`). */
export const WORLDS: readonly { id: string; label: string }[] = [
  { id: 'grid5x5', label: '5×5 grid (no slip)' },
  { id: 'frozenlake4x4', label: 'FrozenLake 4×4 (slippery)' },
  { id: 'frozenlake8x8', label: 'FrozenLake 8×8 (slippery)' },
  { id: 'cliffwalking', label: 'CliffWalking 4×12' },
  { id: 'bandit', label: 'Bandit (3 arms)' },
];

/** Objective kinds of `PpoConfig.objective` (the library's list). */
export const OBJECTIVE_KINDS = OBJECTIVES;
/** KL controller kinds of `PpoConfig.klController.kind` (the library's list). */
export const CONTROLLER_KINDS = KL_CONTROLLER_KINDS;

/**
 * The update engine of the page's trainers: the fused typed-array engine, the one `klip train`'s default (`auto`)
 * picks for these worlds, so the CLI trains the same numbers on the same backend. In Chromium a FrozenLake 4×4
 * update takes 3–5 ms in the page's worker (docs/benchmarks.md), so a world learns visibly within a minute.
 */
export const ENGINE = 'fused' as const;

/** The most updates the page accepts for one run. */
export const MAX_UPDATES = 2000;

/** What the page lets a user choose. Everything else is a fixed playground default (see `toPpoConfig`). */
export interface PlaygroundSettings {
  env: string;
  objective: (typeof OBJECTIVE_KINDS)[number];
  controller: (typeof CONTROLLER_KINDS)[number];
  clipEpsilon: number;
  beta: number;
  targetKl: number;
  seed: number;
  updates: number;
  backend: 'wasm' | 'cpu';
}

/**
 * The settings the page starts with: what `klip train` runs (clip + adaptive KL, β₀ = 1, the world's target) on the
 * 5×5 grid, for that world's default budget (see {@link worldSettings}). Every other hyperparameter is the world's
 * default (`WORLD_DEFAULTS`), the same evidence as the CLI (docs/benchmarks.md).
 */
export const DEFAULT_SETTINGS: Readonly<PlaygroundSettings> = Object.freeze({
  env: 'grid5x5',
  objective: 'clip+kl',
  controller: 'adaptive',
  clipEpsilon: 0.2,
  beta: 1,
  targetKl: worldDefaults('grid5x5').klTarget,
  seed: 1,
  updates: defaultUpdates('grid5x5'),
  backend: 'wasm',
});

/** Env steps of one update in a world: its default numEnvs × nSteps. */
export function updateSize(env: string): number {
  const w = worldDefaults(env);
  return w.numEnvs * w.nSteps;
}

/** The world's default budget in updates (its `totalSteps` ÷ the update size). */
export function defaultUpdates(env: string): number {
  return Math.max(1, Math.round(worldDefaults(env).totalSteps / updateSize(env)));
}

/**
 * The settings a world starts with when it is chosen: the library's tuned budget and KL target of that world
 * (`WORLD_DEFAULTS`, the `npm run bench:learn` configs). Measured with the fused engine on wasm, seeds 1–8 (1–6 on
 * FrozenLake 8×8), the exact policy return gets half way from its start to the optimum by update: 5×5 grid 5–19
 * of 50, FrozenLake 4×4 31–46 of 100, FrozenLake 8×8 128–169 of 500, CliffWalking 3–4 of 100, bandit 6 of 40;
 * each run ends within 9 % of the optimum. At the page's normal speed that is well under a minute.
 */
export function worldSettings(env: string): { updates: number; targetKl: number } {
  return { updates: defaultUpdates(env), targetKl: worldDefaults(env).klTarget };
}

/**
 * The trainer config (a `PpoConfigInput`) for the chosen settings; sizes, learning rate, entropy bonus and γ
 * are the world's defaults. The Node side of the determinism test calls this too, so browser and Node train exactly
 * the same thing.
 */
export function toPpoConfig(s: PlaygroundSettings): PpoConfigInput {
  return {
    env: s.env,
    objective: s.objective,
    klController:
      s.controller === 'fixed'
        ? { kind: 'fixed', beta: s.beta }
        : { kind: s.controller, beta: s.beta, target: s.targetKl },
    clipEpsilon: s.clipEpsilon,
    seed: s.seed,
    backend: s.backend,
    engine: ENGINE,
    totalSteps: Math.max(1, Math.round(s.updates)) * updateSize(s.env),
  };
}

/** π(a|s) for every state and the critic's V(s) (see `Trainer.policySnapshot`). */
export interface Snapshot {
  probs: number[][];
  values: number[] | null;
}

/** A metric record (key → number or null), as `Trainer.step()` returns it. */
export type Record_ = Record<string, number | null>;

/** One trainer the worker built for a `reset`: side 0 is A (the only one outside A/B mode), side 1 is B. */
export interface SideReady {
  settings: PlaygroundSettings;
  numIterations: number;
  optimalReturn: number | null;
  frame: RenderFrame | null;
  snapshot: Snapshot | null;
}

/** Page → worker. `runs` holds one setting (a single run) or two (A/B mode: trained in turn, A then B). */
export type ToWorker =
  | { type: 'init'; wasmPaths: string }
  | { type: 'reset'; gen: number; runs: PlaygroundSettings[] }
  | { type: 'start'; delayMs: number }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'speed'; delayMs: number }
  | { type: 'run'; id: number; config: PpoConfigInput; nUpdates: number };

/** Worker → page. `gen` is the run generation of the `reset` that built the trainer (stale runs are ignored). */
export type FromWorker =
  | { type: 'backend'; backend: 'wasm' | 'cpu'; note: string | null }
  | { type: 'ready'; gen: number; backend: 'wasm' | 'cpu'; sides: SideReady[] }
  | {
      type: 'update';
      gen: number;
      side: number;
      record: Record_;
      frame: RenderFrame | null;
      snapshot: Snapshot | null;
      done: boolean;
    }
  | { type: 'running'; running: boolean }
  | { type: 'runResult'; id: number; records: Record_[] }
  /** A failure: `arg` is the library's argument at fault (e.g. `config.beta`) when it named one, `side` the run. */
  | { type: 'error'; message: string; id?: number; arg?: string; side?: number };
