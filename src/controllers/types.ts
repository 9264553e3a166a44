/**
 * Types of the KL-coefficient controllers: an `(init, update)` pair over a frozen state record, as rlax
 * `moving_averages.py` `create_ema`. Plain numbers only (no tfjs).
 * @module
 */

/** The controller rules accepted by `createKlController`: the one list the kinds are derived from. */
export const KL_CONTROLLER_KINDS = Object.freeze(['fixed', 'adaptive', 'proportional', 'rllib'] as const);

/** The controller rules. */
export type KlControllerKind = (typeof KL_CONTROLLER_KINDS)[number];

/** Bounds on β shared by every rule (β is clamped into [betaMin, betaMax] after each update). */
export interface KlBetaBounds {
  /** Lower bound on β. @defaultValue none (0) */
  betaMin?: number;
  /** Upper bound on β. @defaultValue none (∞) */
  betaMax?: number;
}

/** A constant β. */
export interface FixedKlControllerConfig extends KlBetaBounds {
  /** The rule. */
  kind: 'fixed';
  /** β ≥ 0 (required). */
  beta: number;
}

/** PPO paper §4: halve or double β when the KL leaves [target/band, target·band]. */
export interface AdaptiveKlControllerConfig extends KlBetaBounds {
  /** The rule. */
  kind: 'adaptive';
  /** Initial β. @defaultValue 1 (Schulman et al. 2017 §4: "the initial value of β is a hyperparameter … not important") */
  beta?: number;
  /** Target KL d_targ per update (nats). @defaultValue 0.01 (the PPO paper's experiments use 0.003–0.03) */
  target?: number;
  /** Multiplicative step. @defaultValue 2 (Schulman et al. 2017 §4) */
  factor?: number;
  /** Tolerance band. @defaultValue 1.5 (Schulman et al. 2017 §4) */
  band?: number;
}

/** Ziegler et al. 2019 / TRL `AdaptiveKLController`: a clipped proportional controller on log β. */
export interface ProportionalKlControllerConfig extends KlBetaBounds {
  /** The rule. */
  kind: 'proportional';
  /** Initial β. @defaultValue 0.2 (TRL `PPOConfig.init_kl_coef`) */
  beta?: number;
  /** Target KL (nats, per sequence in RLHF). @defaultValue 6 (TRL `PPOConfig.target`) */
  target?: number;
  /** Horizon K_β in env steps. @defaultValue 10000 (TRL `PPOConfig.horizon`; lm-human-preferences) */
  horizon?: number;
}

/** RLlib PPO `update_kl`: ×1.5 above 2·target, ×0.5 below target/2. */
export interface RllibKlControllerConfig extends KlBetaBounds {
  /** The rule. */
  kind: 'rllib';
  /** Initial β. @defaultValue 0.2 (RLlib `PPOConfig.kl_coeff`) */
  beta?: number;
  /** Target KL. @defaultValue 0.01 (RLlib `PPOConfig.kl_target`) */
  target?: number;
}

/** Configuration of `createKlController`, one variant per rule. */
export type KlControllerConfig =
  | FixedKlControllerConfig
  | AdaptiveKlControllerConfig
  | ProportionalKlControllerConfig
  | RllibKlControllerConfig;

/** A configuration with every default filled in (what `controller.config` holds). */
export type ResolvedKlControllerConfig =
  | (Required<Omit<FixedKlControllerConfig, keyof KlBetaBounds>> & KlBetaBounds)
  | (Required<Omit<AdaptiveKlControllerConfig, keyof KlBetaBounds>> & KlBetaBounds)
  | (Required<Omit<ProportionalKlControllerConfig, keyof KlBetaBounds>> & KlBetaBounds)
  | (Required<Omit<RllibKlControllerConfig, keyof KlBetaBounds>> & KlBetaBounds);

/** The controller's state: a frozen plain JSON object (safe to store in a checkpoint). */
export interface KlControllerState {
  /** The current coefficient β ≥ 0. */
  readonly beta: number;
}

/** What `update` observes after one policy update. */
export interface KlObservation {
  /** The KL measured over the update (nats, ≥ 0, finite), e.g. mean KL(π_old‖π_new). */
  kl: number;
  /** Env steps in the batch (a positive integer); the proportional rule scales its step by nSteps/horizon. */
  nSteps: number;
}

/** A KL-coefficient controller: pure functions over a frozen state (rlax `create_ema` style). */
export interface KlController<S extends KlControllerState = KlControllerState> {
  /** The rule. */
  readonly kind: KlControllerKind;
  /** The resolved configuration (defaults filled in; frozen). */
  readonly config: Readonly<ResolvedKlControllerConfig>;
  /** The initial state, `{ beta: β₀ }`. */
  init(): S;
  /** The next state after observing `kl` over `nSteps` env steps. Never mutates `state`. */
  update(state: S, observation: KlObservation): S;
  /** The coefficient β to use with `state`. */
  coef(state: S): number;
}
