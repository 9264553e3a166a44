/**
 * The trainer's policy: built from `config.policy` for the world's spaces, or given by the user and checked against
 * them. Kinds: `tabular` (a logits table), `mlp` (categorical MLP; the Gaussian MLP when actions are boxes) and
 * `gaussian` (diagonal-Gaussian MLP, CleanRL `ppo_continuous_action.py`).
 * @module
 */
import { ConfigError } from '../core/errors.js';
import { GaussianMlpPolicy } from '../policies/gaussian_mlp.js';
import { MlpPolicy } from '../policies/mlp.js';
import { TabularPolicy } from '../policies/tabular.js';
import type { Policy, SpaceLike } from '../policies/types.js';
import type { Rng } from '../random/rng.js';
import type { Env } from '../../envs/types.js';
import type { VectorEnv } from '../../envs/vector.js';
import type { PolicySettings, ResolvedPpoConfig } from './config.js';

/** True when `x` is a klip `Policy` object (rather than `PolicySettings`). */
export function isPolicy(x: unknown): x is Policy {
  if (x === null || typeof x !== 'object') return false;
  const p = x as Partial<Record<keyof Policy, unknown>>;
  return (
    typeof p.distribution === 'function' &&
    typeof p.act === 'function' &&
    typeof p.getWeights === 'function' &&
    typeof p.setWeights === 'function' &&
    Array.isArray(p.trainableVariables)
  );
}

/** The config's `policy.kind` of a policy object (`gaussian-mlp` is recorded as `gaussian`). */
export function configKindOf(policy: Policy): PolicySettings['kind'] {
  return policy.kind === 'gaussian-mlp' ? 'gaussian' : policy.kind;
}

/**
 * The policy kind a world gets when the config names none, as SB3 picks `MlpPolicy` by the spaces: tabular for
 * discrete observations and actions, mlp for box observations with discrete actions, gaussian for box actions.
 */
export function defaultPolicyKind(env: Pick<Env, 'observationSpace' | 'actionSpace'>): PolicySettings['kind'] {
  if (env.actionSpace.kind === 'box') return 'gaussian';
  return env.observationSpace.kind === 'discrete' ? 'tabular' : 'mlp';
}

function sameSpace(a: SpaceLike, b: { kind: string; n?: number; shape?: readonly number[] }): boolean {
  if (a.kind === 'discrete') return b.kind === 'discrete' && b.n === a.n;
  return b.kind === 'box' && b.shape !== undefined && b.shape.join(',') === a.shape.join(',');
}

function describeSpace(s: { kind: string; n?: number; shape?: readonly number[] }): string {
  return s.kind === 'discrete' ? `Discrete(${s.n})` : `Box(${(s.shape ?? []).join('×')})`;
}

/**
 * Check that a user's policy can act in the world and be trained: same observation and action spaces, trainable,
 * with a critic (GAE needs V(s)).
 * @throws ConfigError naming `policy` and what differs.
 */
export function checkPolicyFits(fn: string, policy: Policy, env: VectorEnv): void {
  const os = env.singleObservationSpace;
  const as = env.singleActionSpace;
  const problems: string[] = [];
  if (!sameSpace(policy.obsSpace, os))
    problems.push(`observations ${describeSpace(policy.obsSpace)} vs the world's ${describeSpace(os)}`);
  if (!sameSpace(policy.actionSpace, as))
    problems.push(`actions ${describeSpace(policy.actionSpace)} vs the world's ${describeSpace(as)}`);
  if (!policy.trainable) problems.push('a frozen policy (freeze()) cannot be trained');
  if (!policy.hasCritic) problems.push('no critic (PPO needs V(s) for its advantages)');
  if (problems.length > 0) {
    throw new ConfigError({
      fn,
      arg: 'policy',
      expected: "a trainable policy with a critic, built for the world's spaces",
      got: problems.join('; '),
    });
  }
}

/**
 * Build the policy `config.policy` describes for the world's spaces, initialised from `rng`.
 * @throws ConfigError for a one-action world or a kind the spaces do not allow.
 */
export function buildPolicy(config: ResolvedPpoConfig, env: VectorEnv, rng: Rng): Policy {
  const obsSpace = env.singleObservationSpace;
  const actionSpace = env.singleActionSpace;
  if (actionSpace.kind === 'discrete' && actionSpace.n < 2) {
    throw new ConfigError({
      fn: 'Trainer.create',
      arg: 'env',
      expected: 'a world with at least 2 actions (with one, the policy has nothing to choose)',
      got: `${config.env} with ${actionSpace.n} action`,
      hint: 'A bandit needs two or more arms in envOptions.probs',
    });
  }
  const kind = config.policy.kind;
  if (kind === 'tabular') {
    if (obsSpace.kind !== 'discrete' || actionSpace.kind !== 'discrete') {
      throw new ConfigError({
        fn: 'Trainer.create',
        arg: 'policy.kind',
        expected: `'${defaultPolicyKind({ observationSpace: obsSpace, actionSpace })}' for this world ('tabular' needs discrete observations and actions)`,
        got: 'tabular',
      });
    }
    return new TabularPolicy({ numStates: obsSpace.n, numActions: actionSpace.n, rng, critic: true });
  }
  const sizes = { obsSpace, hidden: config.policy.hidden, activation: config.policy.activation, rng };
  if (kind === 'gaussian') {
    if (actionSpace.kind === 'discrete') {
      throw new ConfigError({
        fn: 'Trainer.create',
        arg: 'policy.kind',
        expected: "'tabular' or 'mlp' for discrete actions ('gaussian' needs box actions)",
        got: 'gaussian',
      });
    }
    return new GaussianMlpPolicy({ ...sizes, actionSpace });
  }
  return actionSpace.kind === 'discrete'
    ? new MlpPolicy({ ...sizes, actionSpace })
    : new GaussianMlpPolicy({ ...sizes, actionSpace });
}
