/**
 * Rollout collection into typed arrays: the vector env steps in plain JS, actions come from the
 * policy's tensor-free `act` fast path, and no tensor lives between updates except the policy's variables.
 * @module
 */
import type { ActOptions, Policy } from '../policies/types.js';
import type { Rng } from '../random/rng.js';
import type { VectorEnv } from '../../envs/vector.js';

/** One finished episode, as reported by the vector env. */
export interface EpisodeRecord {
  /** Undiscounted return. */
  return: number;
  /** Length in steps. */
  length: number;
  /** Whether a goal was reached (false where the env has no notion of success). */
  success: boolean;
}

/**
 * A rollout of T steps × N envs in time-major flat layout (index t·N + i).
 * Observations are state indices (`Int32Array`) for discrete spaces, or `obsDim` floats per step (`Float64Array`).
 */
export interface Rollout {
  /** Steps per env. */
  T: number;
  /** Number of env copies. */
  N: number;
  /** Floats per observation (1 for discrete). */
  obsDim: number;
  /** Floats per action (1 for discrete). */
  actDim: number;
  /** Observation s_t per step. */
  obs: Int32Array | Float64Array;
  /** Action a_t per step. */
  actions: Int32Array | Float64Array;
  /** Reward r_t per step. */
  rewards: Float64Array;
  /** 1 where the episode terminated at step t. */
  terminated: Uint8Array;
  /** 1 where the episode was truncated (time limit) at step t. */
  truncated: Uint8Array;
  /** Flat step indices whose next state's value is needed for bootstrapping: truncated steps and t = T−1 (not terminated). */
  bootstrapIndex: Int32Array;
  /** The next observation for each entry of `bootstrapIndex` (the final observation for truncated steps). */
  bootstrapObs: Int32Array | Float64Array;
  /** Episodes that ended during the rollout, in order. */
  episodes: EpisodeRecord[];
}

/** The rollout asks `act` for actions only: the values come from the update's own forward pass. */
const NO_VALUE: ActOptions = Object.freeze({ value: false });

/** The vector env's current observations between rollouts. */
export type CurrentObs = Int32Array | Float64Array;

/**
 * Collect `T` steps from every copy of `venv` (which must use `'same-step'` autoreset), starting from `obs`.
 * Actions are sampled with `policy.act(obs_i, rng, { value: false })`, which allocates no tensors and skips the critic.
 * @returns The rollout and the observations to continue from.
 */
export function collectRollout(args: {
  venv: VectorEnv;
  policy: Policy;
  rng: Rng;
  T: number;
  obs: CurrentObs;
  obsDim: number;
  actDim: number;
}): { rollout: Rollout; obs: CurrentObs } {
  const { venv, policy, rng, T, obsDim, actDim } = args;
  const N = venv.numEnvs;
  const discreteObs = args.obs instanceof Int32Array;
  const discreteAct = policy.actionSpace.kind === 'discrete';
  const obsBuf = discreteObs ? new Int32Array(T * N) : new Float64Array(T * N * obsDim);
  const actBuf = discreteAct ? new Int32Array(T * N) : new Float64Array(T * N * actDim);
  const rewards = new Float64Array(T * N);
  const terminated = new Uint8Array(T * N);
  const truncated = new Uint8Array(T * N);
  const bootIdx: number[] = [];
  const bootObs: number[] = [];
  const episodes: EpisodeRecord[] = [];
  let obs = args.obs;
  const stepActions = discreteAct ? new Int32Array(N) : new Float64Array(N * actDim);

  for (let t = 0; t < T; t++) {
    const base = t * N;
    if (discreteObs) (obsBuf as Int32Array).set(obs as Int32Array, base);
    else (obsBuf as Float64Array).set(obs as Float64Array, base * obsDim);
    for (let i = 0; i < N; i++) {
      const o = discreteObs ? (obs as Int32Array)[i]! : (obs as Float64Array).subarray(i * obsDim, (i + 1) * obsDim);
      const { action } = policy.act(o, rng, NO_VALUE);
      if (discreteAct) stepActions[i] = action as number;
      else stepActions.set(action as ArrayLike<number>, i * actDim);
    }
    if (discreteAct) (actBuf as Int32Array).set(stepActions as Int32Array, base);
    else (actBuf as Float64Array).set(stepActions, base * actDim);

    const res = venv.step(stepActions);
    rewards.set(res.rewards, base);
    terminated.set(res.terminated, base);
    truncated.set(res.truncated, base);
    for (const e of res.episodes) episodes.push({ return: e.return, length: e.length, success: Boolean(e.success) });
    for (let i = 0; i < N; i++) {
      const k = base + i;
      const last = t === T - 1;
      if (terminated[k]) continue;
      if (truncated[k]) {
        bootIdx.push(k);
        const fo = res.finalObs[i];
        if (discreteObs) bootObs.push(fo as number);
        else for (let d = 0; d < obsDim; d++) bootObs.push((fo as ArrayLike<number>)[d]!);
      } else if (last) {
        bootIdx.push(k);
        if (discreteObs) bootObs.push((res.obs as Int32Array)[i]!);
        else for (let d = 0; d < obsDim; d++) bootObs.push((res.obs as Float64Array)[i * obsDim + d]!);
      }
    }
    obs = res.obs as CurrentObs;
  }
  const rollout: Rollout = {
    T,
    N,
    obsDim,
    actDim,
    obs: obsBuf,
    actions: actBuf,
    rewards,
    terminated,
    truncated,
    bootstrapIndex: Int32Array.from(bootIdx),
    bootstrapObs: discreteObs ? Int32Array.from(bootObs) : Float64Array.from(bootObs),
    episodes,
  };
  return { rollout, obs: discreteObs ? Int32Array.from(obs as Int32Array) : Float64Array.from(obs as Float64Array) };
}
