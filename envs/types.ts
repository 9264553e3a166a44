/**
 * The environment contract, after Gymnasium 1.x `gymnasium/core.py:76-159`: `reset({ seed })` → `{ obs, info }`,
 * `step(action)` → `{ obs, reward, terminated, truncated, info }`, spaces, rendering, and JSON state for checkpoints.
 * @module
 */
import type { Space } from './spaces.js';

/** Options of {@link Env.reset}. */
export interface ResetOptions {
  /** Re-seed the env's own Rng with `createRng(seed)`; omitted: continue the current stream (seed 0 before any seed). */
  seed?: number | string;
  /** Env-specific reset options (unused by the built-in worlds). */
  options?: Record<string, unknown>;
}

/** Statistics of a finished episode (Gymnasium `RecordEpisodeStatistics` puts them in `info.episode`). */
export interface EpisodeInfo {
  /** Undiscounted return Σ_t r_t. */
  return: number;
  /** Number of steps. */
  length: number;
  /** Whether the episode reached a goal (gridworld goal; optimal arm for bandits). */
  success: boolean;
}

/** The `info` record of a reset or a step. Built-in worlds set the fields below; wrappers may add more. */
export interface StepInfo {
  /** Probability of the sampled transition under the transition table (Gymnasium `info["prob"]`). */
  prob?: number;
  /** True on the step that reached a goal (gridworlds) or pulled an optimal arm (bandits). */
  success?: boolean;
  /** Set by {@link EpisodeStats} on the step that ends an episode. */
  episode?: EpisodeInfo;
  /** The context index (contextual bandit). */
  context?: number;
  /** Anything else an env or wrapper reports. */
  [key: string]: unknown;
}

/** What {@link Env.reset} returns. */
export interface ResetResult<Obs> {
  /** The first observation. */
  obs: Obs;
  /** Diagnostic information. */
  info: StepInfo;
}

/** What {@link Env.step} returns: the Gymnasium 5-tuple as an object. */
export interface StepResult<Obs> {
  /** The next observation. */
  obs: Obs;
  /** The reward r_t (a number). */
  reward: number;
  /** The episode reached a terminal state of the MDP (no bootstrapping past it). */
  terminated: boolean;
  /** The episode was cut by a time limit ({@link TimeLimit} is the only source); bootstrap from `obs`. */
  truncated: boolean;
  /** Diagnostic information (`prob`, `success`, …). */
  info: StepInfo;
}

/** Registration data (Gymnasium `EnvSpec`, reduced). */
export interface EnvSpec {
  /** The registry id, e.g. `frozenlake4x4`. */
  id: string;
  /** The time limit applied by {@link makeEnv}, if any. */
  maxEpisodeSteps?: number;
}

/**
 * The saved state of an env: plain JSON (Rng state from `rng.state()`, position, steps elapsed, whether a reset is
 * needed, last action). `kind` names the class that wrote it; wrappers nest the inner env's state under `inner`.
 */
export interface EnvState {
  /** Which env or wrapper wrote the state, e.g. `gridworld`, `time-limit`. */
  kind: string;
  /** Env-specific JSON fields. */
  [key: string]: unknown;
}

/** A cell of a grid map. */
export interface GridCell {
  /** Row, 0 at the top. */
  row: number;
  /** Column, 0 at the left. */
  col: number;
}

/** A frame for drawing a grid world: map letters, agent cell, last action. */
export interface GridFrame {
  /** Discriminant. */
  kind: 'grid';
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  cols: number;
  /** `cells[r][c]` is the map letter (`S`, `F`, `H`, `G`, `C`, `W`). */
  cells: string[][];
  /** The agent's cell, or null before the first reset. */
  agent: GridCell | null;
  /** The last action taken (0 left, 1 down, 2 right, 3 up), or null right after a reset. */
  lastAction: number | null;
}

/** A frame for drawing a bandit: true arm values, last arm and reward. */
export interface BanditFrame {
  /** Discriminant. */
  kind: 'bandit';
  /** True expected reward per arm (of the current context for a contextual bandit). */
  armValues: number[];
  /** The last arm pulled, or null. */
  lastArm: number | null;
  /** The last reward, or null. */
  lastReward: number | null;
  /** The current context (contextual bandit only). */
  context?: number;
}

/** A frame for drawing a continuous world: a point in ℝ^d (with its velocity for a point mass) and its target. */
export interface ContinuousFrame {
  /** Discriminant. */
  kind: 'continuous';
  /** The point: the mass's position (LQR) or the last action (continuous bandit); null before it exists. */
  position: number[] | null;
  /** The mass's velocity (LQR), or null when the world has none. */
  velocity: number[] | null;
  /** Where the reward is highest: the origin (LQR) or the optimal action a* (continuous bandit). */
  target: number[];
  /** The last action, or null right after a reset. */
  lastAction: number[] | null;
  /** The last reward, or null. */
  lastReward: number | null;
}

/** What {@link Env.renderFrame} returns: plain data a web page can draw. */
export type RenderFrame = GridFrame | BanditFrame | ContinuousFrame;

/**
 * A reinforcement-learning environment with the Gymnasium 1.x API.
 *
 * Episode: s₀ ~ ρ₀ at `reset`, then s_{t+1}, r_t ~ P(·|s_t, a_t) at each `step` until `terminated` or `truncated`.
 *
 * Source: Gymnasium `gymnasium/core.py:76-159` (`Env.step`, `Env.reset`).
 * @example
 * ```ts
 * const env = makeEnv('frozenlake4x4');
 * let { obs } = env.reset({ seed: 42 });
 * const { obs: next, reward, terminated, truncated } = env.step(env.actionSpace.sample(createRng(1)) as number);
 * ```
 */
export interface Env<Obs = unknown, Act = unknown> {
  /** The set observations come from. */
  readonly observationSpace: Space;
  /** The set actions must come from. */
  readonly actionSpace: Space;
  /** Registration data when made by {@link makeEnv}. */
  readonly spec?: EnvSpec;
  /** The innermost env under all wrappers (the env itself when unwrapped). */
  readonly unwrapped: Env;
  /** Start an episode; `seed` re-seeds the env's Rng. */
  reset(opts?: ResetOptions): ResetResult<Obs>;
  /** Take one action. Throws `EnvError` before the first reset, after an episode ended, or on an invalid action. */
  step(action: Act): StepResult<Obs>;
  /** The current state as ANSI text. */
  render(): string;
  /** The current state as plain data for drawing. */
  renderFrame(): RenderFrame;
  /** JSON snapshot of everything that determines future behaviour. */
  getState(): EnvState;
  /** Restore a snapshot from {@link Env.getState}; the env then continues bit for bit. */
  setState(state: EnvState): void;
  /** Release resources (nothing for the built-in worlds). */
  close(): void;
}

/** One outcome of taking action a in state s: P[s][a] lists these (Gymnasium `frozen_lake.py` `P[s][a]`). */
export interface Transition {
  /** Probability of this outcome. Rows sum to 1. */
  prob: number;
  /** Next state index. */
  next: number;
  /** Reward (expected reward for Gaussian bandits). */
  reward: number;
  /** Whether the outcome ends the episode. */
  terminated: boolean;
}

/** The explicit model of a finite MDP: what planning reads. Tabular envs and wrappers around them expose it. */
export interface TabularModel {
  /** Number of states |S|. */
  readonly nStates: number;
  /** Number of actions |A|. */
  readonly nActions: number;
  /** The transition table, `P[s][a]` = list of outcomes whose probabilities sum to 1. */
  readonly P: readonly (readonly (readonly Transition[])[])[];
  /** ρ₀(s), length nStates. */
  readonly initialStateDistribution: Float64Array;
}

/**
 * A finite MDP with state-index observations and an explicit transition table (Gymnasium toy_text envs).
 *
 * P(s′, r, done | s, a) = Σ { prob : (prob, s′, r, done) ∈ P[s][a] }.
 * @example
 * ```ts
 * const env: TabularEnv = frozenLake4x4();
 * env.P[0]![1]!; // [{ prob: 1/3, next: 0, reward: 0, terminated: false }, …]
 * ```
 */
export interface TabularEnv extends Env<number, number>, TabularModel {}
