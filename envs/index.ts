/**
 * klip/envs — Gymnasium-style toy environments. Imports no tfjs.
 * @module klip/envs
 */
export { createRng } from '../src/random/rng.js';
export type { Rng, RngState, Seed } from '../src/random/rng.js';
export { EnvError } from '../src/core/errors.js';

export { Discrete, Box } from './spaces.js';
export type { Space } from './spaces.js';
export type {
  Env,
  TabularEnv,
  TabularModel,
  Transition,
  EnvState,
  EnvSpec,
  ResetOptions,
  ResetResult,
  StepResult,
  StepInfo,
  EpisodeInfo,
  RenderFrame,
  GridFrame,
  GridCell,
  BanditFrame,
  ContinuousFrame,
} from './types.js';
export { EnvBase, checkDiscreteAction } from './base.js';
export { Gridworld } from './gridworld.js';
export type { GridworldOptions } from './gridworld.js';
export {
  FROZEN_LAKE_4X4,
  FROZEN_LAKE_8X8,
  CLIFF_WALKING,
  GRID_5X5,
  frozenLake4x4,
  frozenLake8x8,
  cliffWalking,
  grid5x5,
} from './maps.js';
export { BanditBase, BernoulliBandit, GaussianBandit, ContextualBandit } from './bandits.js';
export type { BernoulliBanditOptions, GaussianBanditOptions, ContextualBanditOptions } from './bandits.js';
export { Wrapper, TimeLimit, timeLimit, EpisodeStats } from './wrappers.js';
export type { ObsOf, ActOf, TabularPart } from './wrappers.js';
export { VectorEnv, makeVectorEnv } from './vector.js';
export type {
  AutoresetMode,
  VectorEnvOptions,
  VectorEpisode,
  VectorObs,
  VectorResetResult,
  VectorStepResult,
} from './vector.js';
export { ENV_IDS, makeEnv, isTabularEnv } from './registry.js';
export type { EnvId, TabularEnvId, ContinuousEnvId, MakeEnvOptions } from './registry.js';
export {
  valueIteration,
  policyEvaluation,
  finiteHorizonValue,
  expectedStartValue,
  stateVisitation,
} from './planning.js';
export type {
  PolicyTable,
  ValueIterationOptions,
  ValueIterationResult,
  PolicyEvaluationOptions,
  FiniteHorizonOptions,
  FiniteHorizonResult,
} from './planning.js';
export { checkEnv } from './check_env.js';
export type { CheckEnvOptions, CheckEnvReport } from './check_env.js';
export { TokenBandit, TOKEN_REWARD_PRESETS } from './token_bandit.js';
export type { TokenBanditOptions, TokenRewardPreset } from './token_bandit.js';
export { ContinuousBandit, MAX_CONTINUOUS_DIM } from './continuous_bandit.js';
export type { ContinuousBanditOptions, DiagGaussian, KlRegularizedGaussianOptimum } from './continuous_bandit.js';
export { PointMassLqr, solveDiscreteRiccati, lqrOptimum, lqrFiniteHorizon, linearControl } from './lqr.js';
export type {
  Matrix,
  LqrSystem,
  RiccatiOptions,
  RiccatiSolution,
  LqrOptimum,
  LqrFiniteHorizon,
  StartMoments,
  PointMassLqrOptions,
} from './lqr.js';
