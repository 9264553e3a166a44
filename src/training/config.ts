/**
 * PPO trainer configuration: `PpoConfig` with a JSDoc per field (default and its source),
 * the frozen `DEFAULT_PPO_CONFIG`, and `resolvePpoConfig(partial)` that merges, derives and validates
 * (tfjs-models `validateModelConfig`, CleanRL `Args`).
 * @module
 */
import { isPlainObject } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';
import { BACKENDS, type BackendName } from '../backend/backend.js';
import type { Schedule } from './schedule.js';
import type { EarlyStopStatistic } from '../controllers/early_stop.js';
import { KL_CONTROLLER_KINDS, resolveKlControllerConfig } from '../controllers/controllers.js';
import type { KlControllerKind, ResolvedKlControllerConfig } from '../controllers/types.js';
import { worldDefaults } from './world_defaults.js';
import { hasKlTerm } from './kl_control.js';
import {
  REFERENCE_KL_ESTIMATORS,
  REFERENCE_KL_PLACEMENTS,
  type ReferenceKlEstimator,
  type ReferenceKlPlacement,
} from './reference_kl.js';

export { hasKlTerm } from './kl_control.js';

/** All objective names: the one list {@link ObjectiveKind} is derived from. */
export const OBJECTIVES = Object.freeze(['clip', 'kl-penalty', 'clip+kl', 'pg'] as const);
/** Objectives the trainer can optimise. */
export type ObjectiveKind = (typeof OBJECTIVES)[number];

/** How the KL(π_rollout‖π_θ) term of the `kl-penalty` and `clip+kl` objectives may be computed: the one list. */
export const PENALTY_KL_KINDS = Object.freeze(['exact', 'k1', 'k3'] as const);
/** How the KL(π_rollout‖π_θ) term of the `kl-penalty` and `clip+kl` objectives is computed per sample. */
export type PenaltyKlKind = (typeof PENALTY_KL_KINDS)[number];
/** The policy kinds the trainer builds: the one list {@link PolicySettings}.kind is derived from. */
export const POLICY_KINDS = Object.freeze(['tabular', 'mlp', 'gaussian'] as const);

/** The update engines a run records: tfjs ops (`ppoUpdateStep`) or the fused Float32Array engine (`src/engine`). */
export const ENGINES = Object.freeze(['tfjs', 'fused'] as const);
/** An update engine. */
export type Engine = (typeof ENGINES)[number];
/** What the `engine` setting accepts: an engine, or `'auto'`, the faster of the two for the run ({@link autoEngine}). */
export const ENGINE_CHOICES = Object.freeze(['auto', ...ENGINES] as const);
/** The `engine` setting. */
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/**
 * The engine `'auto'` resolves to: the fused engine, except with the reference KL in the loss, which only the tfjs
 * loss has. Measured end to end (docs/benchmarks.md, "Choosing the engine"): with one-hot observations each distinct
 * state is forwarded once and the fused engine was 8–11× faster than tfjs-wasm at every width from 64 to 512; with
 * float observations its WebAssembly SIMD kernels made it 2–4× faster at the same widths.
 * @param o The policy kind, where the reference KL goes (null without one), and the observation kind. Only the
 * placement changes the answer today; the kinds stay part of the rule's input for hosts where that would change.
 * @returns `'fused'` or `'tfjs'`.
 * @example
 * ```ts
 * autoEngine({ policyKind: 'mlp', referenceKlPlacement: null, observation: 'box' }); // 'fused'
 * ```
 */
export function autoEngine(o: {
  policyKind: (typeof POLICY_KINDS)[number];
  referenceKlPlacement: ReferenceKlPlacement | null;
  observation: 'discrete' | 'box';
}): Engine {
  return o.referenceKlPlacement === 'loss' ? 'tfjs' : 'fused';
}

/** Settings of the KL-to-reference penalty ({@link PpoConfig.referenceKl}). */
export interface ReferenceKlSettings {
  /** `reward` (r_t − β_ref·kl_t, TRL PPO) or `loss` (β_ref·mean kl_t added to the loss, GRPO). @defaultValue 'reward' */
  placement?: ReferenceKlPlacement;
  /**
   * kl_t: `k1` (log π − log π_ref, TRL's `kl`), `k3`, `abs`, `mse`, or `full` = `exact` (the exact KL at s_t).
   * @defaultValue 'k1'
   */
  estimator?: ReferenceKlEstimator;
  /** The controller of β_ref (its `target` is a KL per step). @defaultValue { kind: 'fixed', beta: 0.1 } */
  controller?: KlControllerSettings;
}

/** {@link ReferenceKlSettings} with the defaults filled in (what `config.json` records). */
export interface ResolvedReferenceKl {
  /** Where the penalty acts. */
  placement: ReferenceKlPlacement;
  /** kl_t's estimator. */
  estimator: ReferenceKlEstimator;
  /** β_ref's controller, with the rule's defaults. */
  controller: ResolvedKlControllerConfig;
}

/** KL controller settings (see `createKlController`). */
export interface KlControllerSettings {
  /** `fixed` | `adaptive` (PPO paper) | `proportional` (Ziegler et al./TRL) | `rllib`. */
  kind: KlControllerKind;
  /** Initial β. Defaults depend on the rule (see `createKlController`); the fixed rule defaults to 1 here. */
  beta?: number;
  /** Target KL per update (nats). @defaultValue the world's target (`WORLD_DEFAULTS`: 0.005 on FrozenLake 4×4, 0.01 elsewhere), for every rule */
  target?: number;
  /** Horizon of the proportional rule (env steps). */
  horizon?: number;
  /** Lower bound on β. */
  betaMin?: number;
  /** Upper bound on β. */
  betaMax?: number;
  /** Multiplicative factor of the adaptive rule. */
  factor?: number;
  /** Tolerance band of the adaptive rule. */
  band?: number;
}

/** Policy settings. */
export interface PolicySettings {
  /**
   * `tabular` (a logits table; discrete observations and actions), `mlp` (categorical MLP; with box actions it is the
   * Gaussian MLP) or `gaussian` (diagonal-Gaussian MLP with a state-independent log-std, CleanRL
   * `ppo_continuous_action.py`; box actions). @defaultValue `Trainer.create` picks by the world's spaces: 'tabular'
   * for discrete observations and actions, 'mlp' for box observations with discrete actions, 'gaussian' for box actions
   */
  kind: (typeof POLICY_KINDS)[number];
  /** Hidden layer sizes of the MLP. @defaultValue [64, 64] (CleanRL ppo.py `Agent`) */
  hidden: number[];
  /** MLP activation. @defaultValue 'tanh' (CleanRL ppo.py) */
  activation: 'tanh' | 'relu';
}

/**
 * Where PPO normalizes advantages, Â ← (Â − mean)/(std + 1e-8): per minibatch (SB3 `ppo.py`, CleanRL `norm_adv`),
 * once over the whole batch, or not at all.
 */
export type AdvantageNormalization = 'minibatch' | 'batch' | 'none';

/** The full trainer configuration. Every field has a default; pass a partial to {@link resolvePpoConfig}. */
export interface PpoConfig {
  /** Environment preset id (see `ENV_IDS` in `klip/envs`). @defaultValue 'frozenlake4x4' */
  env: string;
  /** Options passed to the preset (e.g. `{ slippery: false }`, `{ maxEpisodeSteps: 50 }`). @defaultValue {} */
  envOptions: Record<string, unknown>;
  /** Parallel env copies. @defaultValue the world's (`WORLD_DEFAULTS`): 32 on the grids; 4 in `DEFAULT_PPO_CONFIG` (CleanRL ppo.py `num_envs`) */
  numEnvs: number;
  /** Steps per env per rollout. @defaultValue the world's (`WORLD_DEFAULTS`): 32 on the grids; 128 in `DEFAULT_PPO_CONFIG` (CleanRL `num_steps`) */
  nSteps: number;
  /** Total env steps to train for; the number of updates is ⌊totalSteps / (numEnvs·nSteps)⌋. @defaultValue the world's (`WORLD_DEFAULTS`) budget, at least one batch */
  totalSteps: number;
  /** Passes over each batch. @defaultValue 4 (CleanRL `update_epochs`) */
  epochs: number;
  /** Minibatches per epoch. @defaultValue 4 (CleanRL `num_minibatches`) */
  numMinibatches: number;
  /** Adam learning rate, or a schedule of progress remaining (1 → 0). `null` picks the world's (`WORLD_DEFAULTS`) value for the policy kind. @defaultValue the world's (`WORLD_DEFAULTS`): 2.5e-4 for MLPs (CleanRL), 0.2 for tabular logits */
  lr: Schedule | null;
  /** Linearly anneal a numeric `lr` to 0 over training. @defaultValue the world's (`WORLD_DEFAULTS`): true for MLPs (CleanRL `anneal_lr`), false for tabular policies */
  annealLr: boolean;
  /** Adam ε. @defaultValue the world's (`WORLD_DEFAULTS`): 1e-5 for MLPs (CleanRL ppo.py optimizer), 0.01 for tabular policies */
  adamEps: number;
  /** Discount γ. @defaultValue the world's (`WORLD_DEFAULTS`): 0.99 (CleanRL, SB3), 0.995 on FrozenLake 8×8 */
  gamma: number;
  /** GAE λ. @defaultValue the world's (`WORLD_DEFAULTS`): 0.9 on the grids, 0.95 on FrozenLake 4×4 and in `DEFAULT_PPO_CONFIG` (CleanRL `gae_lambda`, SB3) */
  gaeLambda: number;
  /** The objective. @defaultValue 'clip' */
  objective: ObjectiveKind;
  /** Clip range ε of clip(r, 1−ε, 1+ε), or a schedule. @defaultValue 0.2 (CleanRL `clip_coef`, SB3 `clip_range`) */
  clipEpsilon: Schedule;
  /** Upper clip range for asymmetric clipping clip(r, 1−ε, 1+ε_high); `null` = symmetric. @defaultValue null (DAPO uses 0.28) */
  clipEpsilonHigh: number | null;
  /** Dual-clip constant c > 1 (Ye et al. 2020); `null` = off. @defaultValue null */
  dualClip: number | null;
  /** KL controller driving β for the `kl-penalty` and `clip+kl` objectives; resolved with every field set. @defaultValue { kind: 'adaptive', beta: 1, target: the world's (0.01), factor: 2, band: 1.5 } (PPO paper §4) */
  klController: KlControllerSettings;
  /**
   * Hold β on updates that are no evidence for the rule: no learning signal in the rollout, or a KL under the rule's
   * lower edge when the penalty was not what stopped the update (src/training/kl_control.ts). `false` feeds every
   * update's KL to the rule, as the published loops do (PPO paper, TRL, RLlib).
   * @defaultValue true (klip's trust-region loop; docs/concepts/kl_penalty.md §6)
   */
  klControllerHold: boolean;
  /** How the penalty's KL(π_rollout‖π_θ) is computed. @defaultValue 'exact' */
  klEstimator: PenaltyKlKind;
  /**
   * KL threshold of early stopping (`--early-stop-kl`): an update's optimizer steps stop once the statistic of
   * KL(π_rollout‖π_θ) exceeds earlyStopFactor·earlyStopKl; `null` = off. SB3 calls it `target_kl`; klip keeps
   * "target" for the controller's `klController.target` (`--target-kl`).
   * @defaultValue `klController.target` for objectives with a KL term (the trust-region cap of the controller loop,
   *   see docs/concepts/kl_penalty.md), null otherwise (SB3 `target_kl=None`)
   */
  earlyStopKl: number | null;
  /** Statistic compared with earlyStopFactor·earlyStopKl. @defaultValue 'exact' (SB3 and CleanRL use the k3 approx_kl; klip has the exact KL) */
  earlyStopStatistic: EarlyStopStatistic;
  /** Early stop when statistic > factor·earlyStopKl. @defaultValue 1.5 (SB3 ppo.py; also the adaptive rule's band) */
  earlyStopFactor: number;
  /** Check per minibatch before the step (SB3) or after each epoch (CleanRL). @defaultValue 'minibatch' */
  earlyStopGranularity: 'minibatch' | 'epoch';
  /** Entropy bonus coefficient. @defaultValue the world's (`WORLD_DEFAULTS`): 0.01 (CleanRL `ent_coef`), 0 on CliffWalking */
  entCoef: Schedule;
  /** Value loss coefficient. @defaultValue 0.5 (CleanRL `vf_coef`, SB3) */
  vfCoef: number;
  /** Clip the value loss (max form) with range clipEpsilon. @defaultValue true (CleanRL `clip_vloss`) */
  clipValueLoss: boolean;
  /** Global gradient-norm clip; `null` = off. @defaultValue 0.5 (CleanRL `max_grad_norm`, SB3) */
  maxGradNorm: number | null;
  /** Advantage normalization: per minibatch (CleanRL), per batch, or none. @defaultValue 'minibatch' */
  normalizeAdvantages: AdvantageNormalization;
  /** Policy kind and sizes. */
  policy: PolicySettings;
  /** tfjs backend. @defaultValue 'wasm' */
  backend: BackendName;
  /**
   * KL to a frozen reference π_ref (the policy at the start of training, or the `reference` policy given to
   * `Trainer.create`). In the reward (TRL PPO; Ziegler et al. 2019) every step's reward becomes r_t − β_ref·kl_t with
   * kl_t the `estimator` of KL(π‖π_ref) at s_t; in the loss (GRPO) β_ref·mean kl_t is added to every minibatch loss.
   * β_ref follows its own `controller` (default fixed, β_ref = 0.1). null = no reference penalty. @defaultValue null
   */
  referenceKl: ReferenceKlSettings | null;
  /**
   * How the optimizer steps run: `tfjs` (tensor ops, `ppoUpdateStep`) or `fused` (forward, backward and Adam in
   * Float32Array loops, each distinct discrete state forwarded once per minibatch; the same loss and update rule,
   * equal to tfjs up to float32 summation order), or `auto`: the faster one for the run ({@link autoEngine}; the
   * resolved config records which). @defaultValue 'auto'
   */
  engine: EngineChoice;
  /**
   * Evaluate the greedy policy every this many updates (and after the last) on a separate env copy
   * (SB3 `EvalCallback` `eval_freq`); null = never. @defaultValue null
   */
  evalEvery: number | null;
  /** Episodes per evaluation (SB3 `n_eval_episodes`). @defaultValue 10 */
  evalEpisodes: number;
  /** Root seed: every random stream forks from it. @defaultValue 1 */
  seed: number | string;
}

/** A partial configuration as users write it (nested objects may be partial too). */
export type PpoConfigInput = Partial<Omit<PpoConfig, 'klController' | 'policy'>> & {
  /** KL controller settings (a different `kind` replaces the default's parameters). @defaultValue adaptive, β 1, the world's target */
  klController?: KlControllerSettings;
  /** Policy settings; missing fields take the defaults. @defaultValue tabular for discrete observations */
  policy?: Partial<PolicySettings>;
};

/** A resolved configuration: every field set, plus derived sizes (CleanRL "to be filled in runtime"). */
export interface ResolvedPpoConfig extends PpoConfig {
  /** The controller settings with the rule's defaults filled in (what `createKlController(...).config` returns). */
  klController: ResolvedKlControllerConfig;
  /** The reference penalty with its defaults, or null. */
  referenceKl: ResolvedReferenceKl | null;
  /** The engine the run uses (`'auto'` resolved by {@link autoEngine}). */
  engine: Engine;
  /** numEnvs · nSteps. */
  batchSize: number;
  /** batchSize / numMinibatches. */
  minibatchSize: number;
  /** ⌊totalSteps / batchSize⌋ updates. */
  numIterations: number;
}

/** The defaults, frozen (tfjs-models `MOVENET_CONFIG` style). See each field of {@link PpoConfig} for its source. */
export const DEFAULT_PPO_CONFIG: Readonly<PpoConfig> = Object.freeze({
  env: 'frozenlake4x4',
  envOptions: Object.freeze({}) as Record<string, unknown>,
  numEnvs: 4,
  nSteps: 128,
  totalSteps: 51_200,
  epochs: 4,
  numMinibatches: 4,
  lr: null,
  annealLr: true,
  adamEps: 1e-5,
  gamma: 0.99,
  gaeLambda: 0.95,
  objective: 'clip',
  clipEpsilon: 0.2,
  clipEpsilonHigh: null,
  dualClip: null,
  klController: Object.freeze({ kind: 'adaptive' }) as KlControllerSettings,
  klControllerHold: true,
  klEstimator: 'exact',
  earlyStopKl: null,
  earlyStopStatistic: 'exact',
  earlyStopFactor: 1.5,
  earlyStopGranularity: 'minibatch',
  entCoef: 0.01,
  vfCoef: 0.5,
  clipValueLoss: true,
  maxGradNorm: 0.5,
  normalizeAdvantages: 'minibatch',
  policy: Object.freeze({ kind: 'tabular', hidden: [64, 64], activation: 'tanh' }) as PolicySettings,
  referenceKl: null,
  engine: 'auto',
  evalEvery: null,
  evalEpisodes: 10,
  backend: 'wasm',
  seed: 1,
} satisfies PpoConfig);

const FN = 'resolvePpoConfig';

/**
 * Most env steps one update may hold (numEnvs·nSteps): the rollout buffer keeps the batch on the device for the
 * whole update, so a batch far beyond any PPO setting (CleanRL uses 512–8192) would exhaust memory, not learn.
 */
export const MAX_BATCH_SIZE = 1 << 20;
/** Most hidden layers of an MLP policy (far beyond the 2–3 of PPO practice; deeper nets hang the wasm backend). */
export const MAX_HIDDEN_LAYERS = 16;

function fail(arg: string, expected: string, got: unknown): never {
  throw new ConfigError({ fn: FN, arg, expected, got });
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      fail(where ? `${where}.${k}` : k, `a known key (${allowed.join(', ')})`, 'an unknown key');
  }
}

function num(
  arg: string,
  x: unknown,
  lo: number,
  hi: number,
  { loOpen = false, hiOpen = false, integer = false } = {},
): number {
  const ok =
    typeof x === 'number' &&
    Number.isFinite(x) &&
    (!integer || Number.isInteger(x)) &&
    (loOpen ? x > lo : x >= lo) &&
    (hiOpen ? x < hi : x <= hi);
  if (!ok) {
    const range = `${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? '∞' : hi}${hiOpen || hi === Infinity ? ')' : ']'}`;
    fail(arg, `${integer ? 'an integer' : 'a number'} in ${range}`, x);
  }
  return x as number;
}

function oneOf<T extends string>(arg: string, x: unknown, allowed: readonly T[]): T {
  if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x))
    fail(arg, `one of ${allowed.map((a) => `'${a}'`).join(' | ')}`, x);
  return x as T;
}

const LINEAR_KEYS = ['kind', 'start', 'end', 'endFraction'] as const;

/** A number in range, a function, or a linear spec whose start and end are in range (returned with its endFraction). */
function schedule(
  arg: string,
  x: unknown,
  lo: number,
  hi: number,
  opts: { loOpen?: boolean; hiOpen?: boolean } = {},
): Schedule {
  if (typeof x === 'function') return x as Schedule;
  if (isPlainObject(x)) {
    if (x.kind !== 'linear')
      fail(`${arg}.kind`, "'linear' (a schedule object is { kind: 'linear', start, end, endFraction? })", x.kind);
    checkKeys(x, LINEAR_KEYS, arg);
    return Object.freeze({
      kind: 'linear' as const,
      start: num(`${arg}.start`, x.start, lo, hi, opts),
      end: num(`${arg}.end`, x.end, lo, hi, opts),
      endFraction: x.endFraction === undefined ? 1 : num(`${arg}.endFraction`, x.endFraction, 0, 1, { loOpen: true }),
    });
  }
  return num(arg, x, lo, hi, opts);
}

function nullable<T>(x: unknown, check: (v: unknown) => T): T | null {
  return x === null ? null : check(x);
}

const CONTROLLER_KEYS = ['kind', 'beta', 'target', 'horizon', 'betaMin', 'betaMax', 'factor', 'band'] as const;
const POLICY_KEYS = ['kind', 'hidden', 'activation'] as const;

/** What {@link resolvePpoConfig} may know about the world beyond the config (the trainer passes it). */
export interface ResolveContext {
  /** The kind of the world's observation space: `'discrete'` observations are one-hot encoded state indices. */
  observation?: 'discrete' | 'box';
}

/**
 * Merge `partial` over {@link DEFAULT_PPO_CONFIG}, compute the derived sizes and validate every field.
 * Unknown keys, wrong types and out-of-range values throw `ConfigError` naming the field, the allowed values and
 * the value received, e.g. `resolvePpoConfig: clipEpsilon must be a number in (0, 1), got 1.5`.
 *
 * Derived: batchSize = numEnvs·nSteps; minibatchSize = batchSize/numMinibatches (must divide exactly);
 * numIterations = ⌊totalSteps/batchSize⌋ ≥ 1; `engine: 'auto'` becomes an engine by {@link autoEngine}, with the
 * observation kind from `context` (without one a non-tabular policy is taken to see float observations).
 * The KL controller's own constraints are checked again by `createKlController` when the trainer builds it.
 * @example
 * ```ts
 * const cfg = resolvePpoConfig({ objective: 'clip+kl', totalSteps: 10_240 });
 * cfg.batchSize; // 512
 * ```
 */
export function resolvePpoConfig(partial: PpoConfigInput = {}, context: ResolveContext = {}): ResolvedPpoConfig {
  if (!isPlainObject(partial)) fail('config', 'an object of PpoConfig fields', partial);
  if (context === null || typeof context !== 'object') fail('context', 'an object { observation? }', context);
  if (context.observation !== undefined)
    oneOf('context.observation', context.observation, ['discrete', 'box'] as const);
  if (Object.hasOwn(partial, 'targetKl')) {
    fail(
      'targetKl',
      "earlyStopKl (the early-stopping threshold was renamed; the controller's target is klController.target)",
      (partial as Record<string, unknown>).targetKl,
    );
  }
  checkKeys(partial, Object.keys(DEFAULT_PPO_CONFIG), '');
  // A key set to undefined is a key left out (`{ lr: cond ? 0.1 : undefined }` means the default).
  const p = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Record<string, unknown>;
  // Per-world defaults (world_defaults.ts) sit between the library defaults and what the caller wrote.
  const world = worldDefaults(typeof p.env === 'string' ? p.env : DEFAULT_PPO_CONFIG.env);
  const polKind =
    isPlainObject(p.policy) && p.policy.kind !== undefined && p.policy.kind !== 'tabular' ? 'mlp' : 'tabular';
  const perKind = polKind === 'mlp' ? world.mlp : world.tabular;
  const worldLayer = {
    numEnvs: world.numEnvs,
    nSteps: world.nSteps,
    totalSteps: world.totalSteps,
    gamma: world.gamma,
    gaeLambda: world.gaeLambda,
    entCoef: world.entCoef,
    lr: perKind.lr,
    adamEps: perKind.adamEps,
    annealLr: perKind.annealLr,
    ...(world.epochs !== undefined ? { epochs: world.epochs } : {}),
    ...(world.numMinibatches !== undefined ? { numMinibatches: world.numMinibatches } : {}),
  };
  const merged = { ...DEFAULT_PPO_CONFIG, ...worldLayer, ...p } as Record<string, unknown>;
  if (merged.lr === null) merged.lr = perKind.lr;
  if (p.totalSteps === undefined && typeof merged.numEnvs === 'number' && typeof merged.nSteps === 'number') {
    merged.totalSteps = Math.max(world.totalSteps, merged.numEnvs * merged.nSteps); // at least one batch
  }

  const env = merged.env;
  if (typeof env !== 'string' || env.length === 0) fail('env', 'an environment preset id (string)', env);
  if (!isPlainObject(merged.envOptions)) fail('envOptions', 'an object', merged.envOptions);
  const numEnvs = num('numEnvs', merged.numEnvs, 1, 1024, { integer: true });
  const nSteps = num('nSteps', merged.nSteps, 1, 1e7, { integer: true });
  const totalSteps = num('totalSteps', merged.totalSteps, 1, 1e12, { integer: true });
  const epochs = num('epochs', merged.epochs, 1, 1000, { integer: true });
  const numMinibatches = num('numMinibatches', merged.numMinibatches, 1, 1e6, { integer: true });
  const batchSize = numEnvs * nSteps;
  if (batchSize > MAX_BATCH_SIZE) {
    fail(
      'nSteps',
      `at most ${Math.floor(MAX_BATCH_SIZE / numEnvs)} with numEnvs = ${numEnvs} (numEnvs·nSteps ≤ ${MAX_BATCH_SIZE} env steps per update)`,
      nSteps,
    );
  }
  if (batchSize % numMinibatches !== 0) {
    fail('numMinibatches', `a divisor of the batch size numEnvs·nSteps = ${batchSize}`, numMinibatches);
  }
  if (totalSteps < batchSize) fail('totalSteps', `at least one batch (numEnvs·nSteps = ${batchSize})`, totalSteps);
  const lr = nullable(merged.lr, (x) => schedule('lr', x, 0, 10, { loOpen: true }));
  const objective = oneOf('objective', merged.objective, OBJECTIVES);

  const ctl = merged.klController;
  if (!isPlainObject(ctl)) fail('klController', 'an object { kind, beta?, target?, … }', ctl);
  checkKeys(ctl, CONTROLLER_KEYS, 'klController');
  const klController = resolveController(ctl, world.klTarget);
  const controllerTarget =
    klController.kind !== 'fixed' && klController.target !== undefined ? klController.target : null;
  const earlyStopDefault = hasKlTerm(objective) && controllerTarget !== null ? controllerTarget : null;

  const pol = merged.policy;
  if (!isPlainObject(pol)) fail('policy', 'an object { kind, hidden, activation }', pol);
  checkKeys(pol, POLICY_KEYS, 'policy');
  const policy: PolicySettings = { ...DEFAULT_PPO_CONFIG.policy, ...(pol as Partial<PolicySettings>) };
  oneOf('policy.kind', policy.kind, POLICY_KINDS);
  oneOf('policy.activation', policy.activation, ['tanh', 'relu'] as const);
  if (!Array.isArray(policy.hidden) || policy.hidden.length === 0)
    fail('policy.hidden', 'a non-empty array of layer sizes', policy.hidden);
  if (policy.hidden.length > MAX_HIDDEN_LAYERS)
    fail('policy.hidden', `at most ${MAX_HIDDEN_LAYERS} layers`, `${policy.hidden.length} layers`);
  policy.hidden.forEach((h, i) => {
    num(`policy.hidden[${i}]`, h, 1, 4096, { integer: true });
  });

  const resolved: ResolvedPpoConfig = {
    env,
    envOptions: { ...(merged.envOptions as Record<string, unknown>) },
    numEnvs,
    nSteps,
    totalSteps,
    epochs,
    numMinibatches,
    lr,
    annealLr: bool('annealLr', merged.annealLr),
    adamEps: num('adamEps', merged.adamEps, 0, 1, { loOpen: true }),
    gamma: num('gamma', merged.gamma, 0, 1),
    gaeLambda: num('gaeLambda', merged.gaeLambda, 0, 1),
    objective,
    clipEpsilon: schedule('clipEpsilon', merged.clipEpsilon, 0, 1, { loOpen: true, hiOpen: true }),
    clipEpsilonHigh: nullable(merged.clipEpsilonHigh, (x) => num('clipEpsilonHigh', x, 0, 10, { loOpen: true })),
    dualClip: nullable(merged.dualClip, (x) => num('dualClip', x, 1, 1e6, { loOpen: true })),
    klController,
    klControllerHold: bool('klControllerHold', merged.klControllerHold),
    klEstimator: oneOf('klEstimator', merged.klEstimator, PENALTY_KL_KINDS),
    earlyStopKl: nullable(Object.hasOwn(p, 'earlyStopKl') ? merged.earlyStopKl : earlyStopDefault, (x) =>
      num('earlyStopKl', x, 0, 1e6, { loOpen: true }),
    ),
    earlyStopStatistic: oneOf('earlyStopStatistic', merged.earlyStopStatistic, ['k1', 'k3', 'exact'] as const),
    earlyStopFactor: num('earlyStopFactor', merged.earlyStopFactor, 0, 1e6, { loOpen: true }),
    earlyStopGranularity: oneOf('earlyStopGranularity', merged.earlyStopGranularity, ['minibatch', 'epoch'] as const),
    entCoef: schedule('entCoef', merged.entCoef, 0, 1e6),
    vfCoef: num('vfCoef', merged.vfCoef, 0, 1e6),
    clipValueLoss: bool('clipValueLoss', merged.clipValueLoss),
    maxGradNorm: nullable(merged.maxGradNorm, (x) => num('maxGradNorm', x, 0, 1e9, { loOpen: true })),
    normalizeAdvantages: oneOf('normalizeAdvantages', merged.normalizeAdvantages, [
      'minibatch',
      'batch',
      'none',
    ] as const),
    policy: { kind: policy.kind, hidden: [...policy.hidden], activation: policy.activation },
    backend: oneOf('backend', merged.backend, BACKENDS),
    referenceKl: nullable(merged.referenceKl, resolveReferenceKl),
    engine: 'tfjs', // set below, once referenceKl is resolved
    evalEvery: nullable(merged.evalEvery, (x) => num('evalEvery', x, 1, 1e9, { integer: true })),
    evalEpisodes: num('evalEpisodes', merged.evalEpisodes, 1, 1e6, { integer: true }),
    seed: seedValue(merged.seed),
    batchSize,
    minibatchSize: batchSize / numMinibatches,
    numIterations: Math.floor(totalSteps / batchSize),
  };
  const engine = oneOf('engine', merged.engine, ENGINE_CHOICES);
  resolved.engine =
    engine === 'auto'
      ? autoEngine({
          policyKind: policy.kind,
          referenceKlPlacement: resolved.referenceKl?.placement ?? null,
          // Without a world to look at, a non-tabular policy is assumed to see float observations.
          observation: context.observation ?? (policy.kind === 'tabular' ? 'discrete' : 'box'),
        })
      : engine;
  if (resolved.referenceKl?.placement === 'loss' && resolved.engine === 'fused') {
    fail(
      'referenceKl.placement',
      "'reward' with engine 'fused' (the fused engine's loss has no reference term; use engine 'tfjs')",
      'loss',
    );
  }
  return resolved;
}

/**
 * The controller settings with every default filled in (what `config.json` records): the rule's own defaults from
 * `createKlController`, except the target, which is the world's per-update target when not given (TRL's 6 nats is
 * a per-sequence KL of language models, far from a gridworld's per-update KL), and β = 1 for the fixed rule.
 * Errors name `klController.<key>`.
 */
function resolveController(ctl: Record<string, unknown>, worldTarget: number): ResolvedKlControllerConfig {
  const kind = oneOf('klController.kind', ctl.kind, KL_CONTROLLER_KINDS);
  const input: Record<string, unknown> = { ...ctl };
  for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
  if (kind === 'fixed' && input.beta === undefined) input.beta = 1;
  if (kind !== 'fixed' && input.target === undefined) input.target = worldTarget;
  try {
    return { ...resolveKlControllerConfig(input) };
  } catch (e) {
    if (e instanceof ConfigError) fail(e.arg.replace(/^config/, 'klController'), e.expected, e.got);
    throw e;
  }
}

/**
 * `referenceKl` with its defaults: placement reward, estimator k1, a fixed β_ref of 0.1. Errors name
 * `referenceKl.<key>`.
 */
function resolveReferenceKl(x: unknown): ResolvedReferenceKl {
  if (!isPlainObject(x)) fail('referenceKl', 'an object { placement?, estimator?, controller? } or null', x);
  checkKeys(x, ['placement', 'estimator', 'controller'], 'referenceKl');
  const placement = oneOf('referenceKl.placement', x.placement ?? 'reward', REFERENCE_KL_PLACEMENTS);
  const estimator = oneOf('referenceKl.estimator', x.estimator ?? 'k1', REFERENCE_KL_ESTIMATORS);
  const ctl = x.controller ?? { kind: 'fixed', beta: 0.1 };
  if (!isPlainObject(ctl)) fail('referenceKl.controller', 'an object { kind, beta?, target?, … }', ctl);
  checkKeys(ctl, CONTROLLER_KEYS, 'referenceKl.controller');
  const input: Record<string, unknown> = { ...ctl };
  for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
  if (input.kind === 'fixed' && input.beta === undefined) input.beta = 0.1;
  try {
    return { placement, estimator, controller: { ...resolveKlControllerConfig(input) } };
  } catch (e) {
    if (e instanceof ConfigError) fail(e.arg.replace(/^config/, 'referenceKl.controller'), e.expected, e.got);
    throw e;
  }
}

function bool(arg: string, x: unknown): boolean {
  if (typeof x !== 'boolean') fail(arg, 'true or false', x);
  return x as boolean;
}

function seedValue(x: unknown): number | string {
  if ((typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) || (typeof x === 'string' && x.length > 0)) return x;
  return fail('seed', 'a non-negative safe integer or a non-empty string', x);
}

/**
 * A configuration recorded by an earlier klip (checkpoint or `config.json`), as today's `resolvePpoConfig` reads it:
 * `targetKl` (the early-stopping threshold's former name) becomes `earlyStopKl`, and a config without `engine`
 * (written before the engine was a setting, when every run used tfjs) gets `engine: 'tfjs'`, so that resuming or
 * reproducing it runs what it ran. Anything that is not a plain object is returned as is, for the resolver to reject.
 * @param config The recorded config.
 * @returns The config to resolve.
 * @example
 * ```ts
 * const trainer = await Trainer.create(migrateRecordedConfig(JSON.parse(text)) as PpoConfigInput);
 * ```
 */
export function migrateRecordedConfig(config: unknown): unknown {
  if (!isPlainObject(config)) return config;
  const { targetKl, ...out } = config;
  if (Object.hasOwn(config, 'targetKl')) out.earlyStopKl = out.earlyStopKl ?? targetKl;
  if (!Object.hasOwn(out, 'engine')) out.engine = 'tfjs';
  return out;
}
