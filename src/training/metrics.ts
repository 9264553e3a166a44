/**
 * The metric keys the trainer reports after every update: the single source of truth.
 * `docs/metrics.md` documents each one (what, formula, when to worry); a test keeps the two in sync.
 * Keys follow CleanRL/SB3 style `namespace/snake_case`.
 * @module
 */

/** One record per update: metric key → number, or `null` where a value is undefined (e.g. no episode ended yet). */
export type MetricRecord = Record<string, number | null>;

/** A metric key (see {@link METRICS} for each one's meaning and docs/metrics.md for formulas). */
export type MetricKey =
  | 'update'
  | 'global_step'
  | 'kl/exact_old_new'
  | 'kl/exact_old_new_max'
  | 'kl/k1'
  | 'kl/k3'
  | 'kl/exact_rollout_end'
  | 'kl/k1_rollout_end'
  | 'kl/k3_rollout_end'
  | 'kl/exact_visitation'
  | 'kl/pre_step_max'
  | 'kl/coef'
  | 'kl/coef_held'
  | 'kl/binding'
  | 'kl/early_stopped'
  | 'kl/optimizer_steps'
  | 'policy/clip_fraction'
  | 'policy/entropy'
  | 'loss/policy'
  | 'loss/value'
  | 'loss/kl_penalty'
  | 'loss/total'
  | 'loss/grad_norm'
  | 'charts/episodic_return'
  | 'charts/episode_length'
  | 'charts/success_rate'
  | 'charts/episodes'
  | 'charts/lr'
  | 'charts/env_steps_per_s'
  | 'charts/policy_return'
  | 'charts/optimal_return'
  | 'charts/regret'
  | 'kl/ref_exact'
  | 'kl/ref_estimate'
  | 'kl/ref_coef'
  | 'eval/return'
  | 'eval/return_std'
  | 'eval/exact_return';

/**
 * Every metric key with a one-line meaning. Order is the column order of CSV files and reports.
 * @see docs/metrics.md for formulas and how to read them.
 */
export const METRICS: Readonly<Record<MetricKey, string>> = Object.freeze({
  update: 'Index of the update (1-based), one rollout + optimisation phase.',
  global_step: 'Environment steps collected so far, over all vector-env copies.',
  'kl/exact_old_new':
    'Mean over optimizer steps of the exact KL(π_before‖π_after) of each step, averaged over the minibatch states.',
  'kl/exact_old_new_max': 'Max over the optimizer steps of this update of the same per-step exact KL.',
  'kl/k1':
    'Mean over optimizer steps of the k1 estimate of the per-step KL (rollout actions, importance-weighted to π_before).',
  'kl/k3':
    'Mean over optimizer steps of the k3 estimate of the per-step KL (rollout actions, importance-weighted to π_before).',
  'kl/exact_rollout_end':
    'Exact KL(π_rollout‖π_end) between the policy that collected the batch and the policy after the update, averaged over the batch states.',
  'kl/k1_rollout_end':
    'k1 estimate of KL(π_rollout‖π_end) from the batch actions (sampled from π_rollout): CleanRL-style approx_kl (old form).',
  'kl/k3_rollout_end':
    'k3 estimate of KL(π_rollout‖π_end) from the batch actions: CleanRL approx_kl = E[(r − 1) − log r].',
  'kl/exact_visitation':
    'Tabular envs: exact KL(π_rollout‖π_end) over all states, weighted by π_rollout’s state visitation.',
  'kl/pre_step_max':
    'Max over the applied optimizer steps of the early-stopping statistic (earlyStopStatistic) of KL(π_rollout‖π_before), measured on the minibatch just before each step.',
  'kl/coef': 'The KL coefficient β used in this update (from the KL controller).',
  'kl/coef_held':
    '1 when the trainer did not pass this update’s KL to the controller (no KL term, no learning signal, or the penalty was not binding), so β stays; else 0.',
  'kl/binding':
    'Binding ratio ρ = 2β·KL(π_rollout‖π_end) / surrogate gain: ≈ 1 when the KL penalty stopped the update, ≪ 1 when it did not; null without a KL term or without a gain.',
  'kl/early_stopped': '1 when target-KL early stopping ended this update before its last minibatch, else 0.',
  'kl/optimizer_steps': 'Optimizer steps taken in this update (fewer than epochs × minibatches after an early stop).',
  'policy/clip_fraction': 'Fraction of samples whose ratio lay outside the clip range, averaged over optimizer steps.',
  'policy/entropy': 'Mean policy entropy H(π(·|s)) over the minibatch states, averaged over optimizer steps (nats).',
  'loss/policy': 'Policy loss (clipped surrogate, KL-penalized surrogate or REINFORCE), averaged over optimizer steps.',
  'loss/value': 'Value loss ½(V − R)² (clipped max form when enabled), averaged over optimizer steps.',
  'loss/kl_penalty':
    'β · mean KL term added to the loss (0 for objectives without a KL term), averaged over optimizer steps.',
  'loss/total': 'The total loss minimized: policy + vf_coef·value − ent_coef·entropy (+ KL penalty).',
  'loss/grad_norm': 'Global gradient norm before clipping, averaged over optimizer steps.',
  'charts/episodic_return':
    'Mean undiscounted return of the last 100 finished episodes (SB3 ep_rew_mean); null before the first.',
  'charts/episode_length': 'Mean length of the last 100 finished episodes.',
  'charts/success_rate':
    'Fraction of the last 100 finished episodes that succeeded (reached a goal; bandits: pulled an optimal arm; token-bandit: scored the optimum).',
  'charts/episodes': 'Episodes finished so far.',
  'charts/lr': 'Learning rate used in this update.',
  'charts/env_steps_per_s':
    'Wall-clock throughput of this update, env steps per second including the optimisation (not deterministic).',
  'charts/policy_return':
    'Tabular envs, token-bandit and continuous-bandit: exact expected return of the current policy from the start distribution, within the time limit.',
  'charts/optimal_return':
    'Tabular envs, token-bandit, continuous-bandit and lqr-pointmass: exact optimal expected return from the start distribution, within the time limit.',
  'charts/regret': 'Tabular envs and token-bandit: charts/optimal_return − charts/policy_return (≥ 0).',
  'kl/ref_exact':
    'With referenceKl: exact KL(π_rollout‖π_ref) to the frozen reference (the initial policy), averaged over the batch states; null without one.',
  'kl/ref_estimate':
    'With referenceKl: the mean of the per-step estimate kl_t that went into the rewards r_t − β_ref·kl_t; null without one.',
  'kl/ref_coef': 'With referenceKl: β_ref used on this rollout (from its own controller); null without one.',
  'eval/return':
    'Mean return of evalEpisodes episodes of the greedy policy on a separate env copy (SB3 EvalCallback mean_reward); null on updates without an evaluation.',
  'eval/return_std': 'Standard deviation of the same episode returns; null on updates without an evaluation.',
  'eval/exact_return':
    'Tabular envs: exact expected return of the greedy policy (argmax per state) within the time limit; null on updates without an evaluation.',
} satisfies Record<MetricKey, string>);

/** All metric keys, in report/CSV column order. */
export const METRIC_KEYS: readonly MetricKey[] = Object.freeze(Object.keys(METRICS) as MetricKey[]);

/** Keys that measure wall-clock time: they differ between identical runs and are left out of determinism checks. */
export const WALL_CLOCK_METRICS: readonly MetricKey[] = Object.freeze(['charts/env_steps_per_s'] as MetricKey[]);

/** A record without its wall-clock keys: what must be identical between two runs with the same seed and backend. */
export function deterministicPart(record: MetricRecord): MetricRecord {
  const out: MetricRecord = {};
  for (const [k, v] of Object.entries(record)) if (!(WALL_CLOCK_METRICS as readonly string[]).includes(k)) out[k] = v;
  return out;
}
