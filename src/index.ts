/**
 * klip — regularize policy optimization with KL divergences, on TensorFlow.js.
 * The isomorphic core: runs in Node and in the browser. Explicit named re-exports only (no `export *`).
 * @module klip
 */
export {
  KlipError,
  ShapeError,
  ConfigError,
  EnvError,
  CheckpointError,
  NumericError,
  BackendError,
  describeValue,
} from './core/errors.js';
export type { KlipErrorDetails } from './core/errors.js';
export { createRng } from './random/rng.js';
export type { Rng, RngState, AleaState, Seed } from './random/rng.js';
export { sampleCategorical, shuffleInPlace, permutation } from './random/sampling.js';
export type { WritableArrayLike } from './random/sampling.js';
export { ready, setBackend, getBackend, BACKENDS } from './backend/backend.js';
export type { BackendName, ReadyOptions } from './backend/backend.js';
export { readScalars, globalNorm, maskedMean } from './core/tensor.js';
export type { TensorLike } from './core/tensor.js';
export type { Distribution, DistributionParams } from './distributions/types.js';
export { distributionFromParams } from './distributions/from_params.js';
export { klRewardPenalty, klLossPenalty, REWARD_KL_ESTIMATORS } from './kl/penalty.js';
export type {
  RewardKlEstimator,
  KlRewardPenaltyArgs,
  KlRewardPenaltyResult,
  KlLossPenaltyArgs,
  KlLossPenaltyResult,
} from './kl/penalty.js';
export { klRegularizedOptimum, klRegularizedObjective, klRegularizedFrontier } from './rlhf/bandit_optimum.js';
export type { KlRegularizedOptimum, FrontierPoint } from './rlhf/bandit_optimum.js';
export { trainKlBandit, rewardKlFrontier, KL_BANDIT_MODES } from './rlhf/frontier.js';
export type {
  KlBanditMode,
  TrainKlBanditOptions,
  TrainKlBanditResult,
  KlBanditStep,
  TrainedFrontierPoint,
  RewardKlFrontier,
} from './rlhf/frontier.js';
export { trainTokenPolicy, KL_PLACEMENTS } from './rlhf/token_training.js';
export type {
  KlPlacement,
  TrainTokenPolicyOptions,
  TrainTokenPolicyResult,
  TokenTrainingStep,
} from './rlhf/token_training.js';
export { distillationLoss, bimodalTeacher, fitGaussianStudent, DISTILLATION_KINDS } from './distill/distillation.js';
export type {
  DistillationKind,
  DistillationLossArgs,
  DistillationLossResult,
  BimodalTeacherOptions,
  FitGaussianStudentOptions,
  FitGaussianStudentResult,
} from './distill/distillation.js';
export { Categorical } from './distributions/categorical.js';
export type { CategoricalParams, CategoricalActions } from './distributions/categorical.js';
export { DiagGaussian } from './distributions/diag_gaussian.js';
export type { DiagGaussianArgs, GaussianParam } from './distributions/diag_gaussian.js';
export { klDivergence, jsDivergence, totalVariation, crossEntropy } from './kl/exact.js';
export { klProbs, jsProbs, tvProbs, crossEntropyProbs, entropyProbs, softmax } from './kl/probs.js';
export { klEstimate, KL_ESTIMATORS } from './kl/estimators.js';
export type { KlEstimator, KlEstimateArgs } from './kl/estimators.js';
export { ppoClipLoss } from './objectives/ppo_clip.js';
export type { ClipRange, AsymmetricClip, PpoClipLossArgs, PpoClipLossResult } from './objectives/ppo_clip.js';
export { klPenaltyLoss, ppoClipKlLoss, PENALTY_KL_ESTIMATORS } from './objectives/kl_penalty.js';
export type {
  KlPenaltyLossArgs,
  KlPenaltyLossResult,
  PenaltyKlEstimator,
  PpoClipKlLossArgs,
  PpoClipKlLossResult,
} from './objectives/kl_penalty.js';
export { reinforceLoss, entropyBonus } from './objectives/policy_gradient.js';
export type { ReinforceLossArgs, LossResult } from './objectives/policy_gradient.js';
export { valueLoss } from './objectives/value.js';
export type { ValueLossArgs } from './objectives/value.js';
export {
  gae,
  discountedReturns,
  normalizeAdvantages,
  groupRelativeAdvantages,
  GROUP_SCALES,
} from './objectives/advantages.js';
export type {
  GaeResult,
  GaeArgs,
  DiscountedReturnsArgs,
  NormalizeAdvantagesOptions,
  GroupRelativeOptions,
  GroupScale,
  StepFlags,
} from './objectives/advantages.js';
export {
  createKlController,
  KL_CONTROLLER_KINDS,
  ADAPTIVE_KL_DEFAULTS,
  PROPORTIONAL_KL_DEFAULTS,
  PROPORTIONAL_KL_ERROR_CLIP,
  RLLIB_KL_DEFAULTS,
} from './controllers/controllers.js';
export type {
  KlController,
  KlControllerConfig,
  KlControllerKind,
  KlControllerState,
  KlObservation,
  KlBetaBounds,
  FixedKlControllerConfig,
  AdaptiveKlControllerConfig,
  ProportionalKlControllerConfig,
  RllibKlControllerConfig,
  ResolvedKlControllerConfig,
} from './controllers/types.js';
export {
  createEarlyStopping,
  EARLY_STOP_STATISTICS,
  EARLY_STOP_GRANULARITIES,
  EARLY_STOPPING_DEFAULTS,
} from './controllers/early_stop.js';
export type {
  EarlyStopping,
  EarlyStoppingConfig,
  EarlyStopGranularity,
  EarlyStopStatistic,
} from './controllers/early_stop.js';
export { evaluateSchedule, linearSchedule, constantSchedule } from './training/schedule.js';
export type { Schedule, LinearScheduleSpec } from './training/schedule.js';
export { TabularPolicy } from './policies/tabular.js';
export type { VariableSet } from './policies/network.js';
export type { TabularPolicyOptions } from './policies/tabular.js';
export { MlpPolicyBase } from './policies/mlp_base.js';
export { MlpPolicy } from './policies/mlp.js';
export type { MlpPolicyOptions } from './policies/mlp.js';
export { GaussianMlpPolicy } from './policies/gaussian_mlp.js';
export type { GaussianMlpPolicyOptions } from './policies/gaussian_mlp.js';
export { frozenReference } from './policies/reference.js';
export { encoderFor, oneHotEncoder, identityEncoder } from './policies/encoders.js';
export type {
  Policy,
  PolicyWeight,
  PredictOptions,
  ActOptions,
  ActResult,
  ObsEncoder,
  RawObservation,
  SpaceLike,
  DiscreteSpaceLike,
  BoxSpaceLike,
  Activation,
} from './policies/types.js';
export { Trainer, train } from './training/trainer.js';
export type { UpdateListener, PolicySnapshot, TrainerInput } from './training/trainer.js';
export type { PhaseTimes } from './training/phase_times.js';
export type { EnvFactory, EnvSource } from './training/world.js';
export { METRICS, METRIC_KEYS, WALL_CLOCK_METRICS, deterministicPart } from './training/metrics.js';
export type { MetricRecord, MetricKey } from './training/metrics.js';
export { DEFAULT_PPO_CONFIG, resolvePpoConfig, OBJECTIVES, PENALTY_KL_KINDS, POLICY_KINDS } from './training/config.js';
export { WORLD_DEFAULTS, FALLBACK_WORLD_DEFAULTS, worldDefaults } from './training/world_defaults.js';
export type { WorldDefaults, WorldOptimizerDefaults } from './training/world_defaults.js';
export {
  rolloutHasSignal,
  penaltyBindingRatio,
  controllerDecision,
  lowerKlEdge,
  upperKlEdge,
  hasKlTerm,
  MIN_PENALTY_BINDING,
} from './training/kl_control.js';
export type { ControllerDecision } from './training/kl_control.js';
export { controllerVerdict, formatControllerVerdict } from './training/controller_verdict.js';
export type { ControllerVerdict, VerdictControllerSettings } from './training/controller_verdict.js';
export type {
  PpoConfig,
  PpoConfigInput,
  ResolvedPpoConfig,
  ObjectiveKind,
  PenaltyKlKind,
  KlControllerSettings,
  PolicySettings,
  AdvantageNormalization,
  ReferenceKlSettings,
  ResolvedReferenceKl,
} from './training/config.js';
export {
  autoEngine,
  ENGINE_CHOICES,
  ENGINES,
  migrateRecordedConfig,
} from './training/config.js';
export type { Engine, EngineChoice, ResolveContext } from './training/config.js';
export {
  REFERENCE_KL_ESTIMATORS,
  REFERENCE_KL_PLACEMENTS,
  penalizedRewards,
  referenceKlLossMean,
} from './training/reference_kl.js';
export type { ReferenceKlEstimator, ReferenceKlPlacement, ReferenceKl } from './training/reference_kl.js';
export { validateCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './training/checkpoint.js';
export type { Checkpoint, CheckpointRngStates, WeightRecord } from './training/checkpoint.js';
export type { EpisodeRecord } from './training/rollout.js';
export { Adam } from './training/adam.js';
export type { AdamOptions, AdamState } from './training/adam.js';
export { KLIP_VERSION } from './version.js';
