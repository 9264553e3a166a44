/**
 * Policy evaluation on a separate env copy (SB3 `evaluate_policy`, `EvalCallback`): K episodes with the greedy
 * (deterministic) or sampled action, the mean and standard deviation of the episode returns, and, for a tabular MDP,
 * the exact return of the greedy policy.
 * @module
 */
import { ConfigError } from '../core/errors.js';
import { finiteHorizonValue } from '../../envs/planning.js';
import type { Env, TabularModel } from '../../envs/types.js';
import { argmaxRange } from '../policies/predict.js';
import type { Policy } from '../policies/types.js';
import type { Rng } from '../random/rng.js';

/** What {@link evaluatePolicy} measured. */
export interface EvaluationResult {
  /** Mean undiscounted episode return over the episodes. */
  meanReturn: number;
  /** Population standard deviation of the episode returns (SB3 `np.std`). */
  stdReturn: number;
  /** Mean episode length. */
  meanLength: number;
  /** Each episode's return, in order. */
  returns: number[];
}

/**
 * Run `episodes` episodes of `policy` on `env` and summarise their returns (SB3 `evaluate_policy`, which returns
 * `np.mean(episode_rewards), np.std(episode_rewards)`). The env is reset with a seed drawn from `rng` before the
 * first episode and without one afterwards, so the episodes form one seeded sequence. An episode that reaches
 * `maxSteps` without ending counts as truncated there (a greedy policy can walk into a wall forever in a world
 * without a time limit).
 * @param args.policy The policy (its fast path; no tensors are created).
 * @param args.env An env copy of its own, not one the trainer steps.
 * @param args.episodes K ≥ 1.
 * @param args.deterministic Greedy actions (SB3's default for evaluation) or samples.
 * @param args.rng The stream of the reset seed and of sampled actions.
 * @param args.maxSteps Step cap per episode.
 * @throws ConfigError for a non-positive episode count or step cap.
 * @example
 * ```ts
 * const { meanReturn } = evaluatePolicy({ policy, env: makeEnv('frozenlake4x4'), episodes: 10, deterministic: true, rng, maxSteps: 100 });
 * ```
 */
export function evaluatePolicy(args: {
  policy: Policy;
  env: Env;
  episodes: number;
  deterministic: boolean;
  rng: Rng;
  maxSteps: number;
}): EvaluationResult {
  const { policy, env, episodes, deterministic, rng, maxSteps } = args;
  const fn = 'evaluatePolicy';
  if (!Number.isSafeInteger(episodes) || episodes < 1)
    throw new ConfigError({ fn, arg: 'episodes', expected: 'an integer ≥ 1', got: episodes });
  if (!Number.isSafeInteger(maxSteps) || maxSteps < 1)
    throw new ConfigError({ fn, arg: 'maxSteps', expected: 'an integer ≥ 1', got: maxSteps });
  const returns: number[] = [];
  let steps = 0;
  for (let k = 0; k < episodes; k++) {
    let { obs } = env.reset(k === 0 ? { seed: rng.int(1, 2 ** 31 - 1) } : undefined);
    let total = 0;
    for (let t = 0; t < maxSteps; t++) {
      const action = policy.predict(
        obs as number | Float64Array,
        deterministic ? { deterministic } : { deterministic, rng },
      );
      const r = env.step(typeof action === 'number' ? action : Array.from(action));
      total += r.reward;
      steps++;
      obs = r.obs;
      if (r.terminated || r.truncated) break;
    }
    returns.push(total);
  }
  const mean = returns.reduce((a, b) => a + b, 0) / episodes;
  const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / episodes;
  return { meanReturn: mean, stdReturn: Math.sqrt(variance), meanLength: steps / episodes, returns };
}

/**
 * The exact expected return of the greedy policy of a probability table within `horizon` steps: the table's argmax
 * per state (the first of ties) as a deterministic policy, evaluated by `finiteHorizonValue`.
 * @param model The MDP.
 * @param probs π(a|s), row-major nStates × nActions.
 * @param horizon The time limit.
 */
export function greedyReturn(model: TabularModel, probs: Float64Array, horizon: number): number {
  const A = model.nActions;
  const greedy = new Float64Array(probs.length);
  for (let s = 0; s < model.nStates; s++) greedy[s * A + argmaxRange(probs, s * A, A)] = 1;
  return finiteHorizonValue(model, { horizon, policy: greedy }).startValue;
}
