/**
 * The PPO trainer: `new`-free `Trainer.create(config)` with `step()` (one rollout + one optimisation phase) for
 * callers that drive the loop (CLI, web page), `save()`/`Trainer.restore()` for bit-exact resume, and `train()`
 * that runs to the end. It contains no maths of its own: every formula is an exported pure function
 * (gae, ppoClipLoss, klPenaltyLoss, valueLoss, klEstimate, createKlController, …), so a user can rebuild it.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../backend/backend.js';
import { isPlainObject } from '../core/assert.js';
import { CheckpointError, ConfigError, KlipError, NumericError } from '../core/errors.js';
import { createKlController, type KlController } from '../controllers/controllers.js';
import type { KlControllerState } from '../controllers/types.js';
import { normalizeAdvantages } from '../objectives/advantages.js';
import { encoderFor } from '../policies/encoders.js';
import type { ObsEncoder, Policy, PolicyWeight } from '../policies/types.js';
import { createRng, type Rng } from '../random/rng.js';
import { KLIP_VERSION } from '../version.js';
import type { Env, EnvState, RenderFrame } from '../../envs/types.js';
import type { Distribution } from '../distributions/types.js';
import { VectorEnv } from '../../envs/vector.js';
import { Adam } from './adam.js';
import { minibatchTensors, RolloutBuffer } from './buffer.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  checkHistory,
  validateCheckpoint,
  type Checkpoint,
} from './checkpoint.js';
import {
  DEFAULT_PPO_CONFIG,
  hasKlTerm,
  resolvePpoConfig,
  type PolicySettings,
  migrateRecordedConfig,
  type PpoConfig,
  type PpoConfigInput,
  type ResolvedPpoConfig,
} from './config.js';
import {
  exactEvaluator,
  gaussianEvaluator,
  lqrOptimalReturn,
  visitationKl,
  type ExactEvaluator,
  type GaussianExactEvaluator,
} from './exact_metrics.js';
import { controllerDecision, lowerKlEdge, penaltyBindingRatio, rolloutHasSignal, upperKlEdge } from './kl_control.js';
import type { MetricRecord } from './metrics.js';
import { collectRollout, type CurrentObs, type EpisodeRecord, type Rollout } from './rollout.js';
import { rolloutToCurrentKl, type RolloutKl } from './rollout_kl.js';
import {
  forwardRollout,
  fusedRolloutKl,
  fusedStateProbs,
  fusedStateValues,
  type RolloutForward,
} from '../engine/rollout_eval.js';
import { evaluateSchedule } from './schedule.js';
import { ppoUpdateStep, type StepCoefficients } from './update.js';
import { assertFiniteRecord, readStepScalars, type StepScalarsLike, updateRecord } from './update_metrics.js';
import type { FusedPpoEngine } from '../engine/fused_mlp.js';
import {
  fusedBatchFromBuffer,
  fusedEngineForPolicy,
  storePolicyWeights,
  syncEngineFromPolicy,
} from '../engine/tfjs_bridge.js';
import { buildPolicy, checkPolicyFits, configKindOf, defaultPolicyKind, isPolicy } from './policy_build.js';
import { CUSTOM_ENV_PREFIX, type EnvSource, resolveWorld, type WorldSource } from './world.js';
import { evaluatePolicy, greedyReturn } from './evaluate.js';
import { emptyPhaseTimes, nowMs, PhaseClock, type PhaseTimes } from './phase_times.js';
import { penalizedRewards, type ReferenceKl, referenceKl, referenceKlOfBuffer } from './reference_kl.js';

/** Step cap of an evaluation episode in a world without a known horizon. */
const EVAL_MAX_STEPS = 1000;

/**
 * What `Trainer.create` takes: a partial `PpoConfig` whose `env` may also be a user's world (a factory `() => Env` or
 * one `Env` object) and whose `policy` may also be a policy object (which the trainer then owns and disposes).
 */
export type TrainerInput = Omit<PpoConfigInput, 'env' | 'policy'> & {
  /** A registered id, a factory `() => Env`, or one `Env` (then `numEnvs` is 1). @defaultValue 'frozenlake4x4' */
  env?: EnvSource;
  /** Policy settings, or a policy object built for the world's spaces. */
  policy?: Partial<PolicySettings> | Policy;
  /**
   * π_ref of `referenceKl`: `'initial'` (the policy before any update, TRL's default) or a policy object for the
   * world's spaces (e.g. a supervised or earlier model); the trainer freezes a copy and the caller keeps its own.
   * @defaultValue 'initial'
   */
  reference?: 'initial' | Policy;
};

function fail(fn: string, arg: string, expected: string, got: unknown): never {
  throw new ConfigError({ fn, arg, expected, got });
}

/**
 * Load a checkpoint's π_ref weights into the restored trainer's reference (built from `opts.reference`, else from the
 * policy's architecture).
 * @throws ConfigError naming `opts.reference` when the weights do not fit that architecture.
 */
function restoreReference(reference: Policy | null, weights: readonly PolicyWeight[]): void {
  const fn = 'Trainer.restore';
  if (!reference) fail(fn, 'checkpoint.referenceWeights', 'present only with referenceKl', 'weights');
  try {
    reference.setWeights(weights);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    fail(fn, 'opts.reference', `a policy of the reference's architecture (${why})`, 'another architecture');
  }
}

/** Episodes kept for the rolling `charts/*` means (SB3 `ep_info_buffer`, maxlen 100). */
const EPISODE_WINDOW = 100;
/** The scheduled numbers of one update. */
interface UpdateCoefficients {
  /** Learning rate. */
  lr: number;
  /** Clip range ε (also the value clip range). */
  epsilon: number;
  /** Entropy bonus weight. */
  entCoef: number;
  /** KL coefficient β. */
  beta: number;
}

/** A listener receives each metric record; returning `'stop'` asks `train()` to stop after this update. */
// biome-ignore lint/suspicious/noConfusingVoidType: a listener that returns nothing is the common case
export type UpdateListener = (record: MetricRecord, trainer: Trainer) => void | 'stop' | Promise<void | 'stop'>;

/**
 * PPO with KL regularization, one update at a time.
 * @example
 * ```ts
 * const trainer = await Trainer.create({ env: 'frozenlake4x4', objective: 'clip+kl', totalSteps: 20_480 });
 * while (!trainer.done) console.log(await trainer.step());
 * const ckpt = await trainer.save();   // JSON-serializable
 * trainer.dispose();
 * ```
 */
export class Trainer {
  /** The resolved configuration. */
  readonly config: ResolvedPpoConfig;
  /** The policy being trained (owned by the trainer: `dispose()` frees it). */
  readonly policy: Policy;
  /** The vector env. */
  readonly env: VectorEnv;
  /** One metric record per completed update. */
  readonly history: MetricRecord[] = [];
  private readonly encoder: ObsEncoder;
  /** The tfjs Adam of the `tfjs` engine (null under the fused engine, whose Adam state lives in typed arrays). */
  private readonly optimizer: Adam | null;
  /** The fused engine when `config.engine` is `fused` (it then owns the Adam state). */
  private readonly engine: FusedPpoEngine | null;
  private readonly controller: KlController;
  private controllerState: KlControllerState;
  /** π_ref (the policy at the start of training, frozen) when `config.referenceKl` is set. */
  private readonly reference: Policy | null;
  /** Whether checkpoints carry π_ref's weights (it is not the seed's initial policy). */
  private readonly referenceSaved: boolean;
  /** β_ref's controller and state when `config.referenceKl` is set. */
  private readonly refController: KlController | null;
  private refControllerState: KlControllerState | null;
  private rolloutRng: Rng;
  private minibatchRng: Rng;
  private obs: CurrentObs;
  private updates = 0;
  private steps = 0;
  private episodeCount = 0;
  private window: EpisodeRecord[] = [];
  private readonly listeners = new Set<UpdateListener>();
  private readonly times: PhaseTimes = emptyPhaseTimes();
  private readonly exact: ExactEvaluator | null;
  /** The closed-form scorer of a one-state world with box actions, or null. */
  private readonly gaussianExact: GaussianExactEvaluator | null;
  /** The optimal H-step return of a linear-quadratic world (`PointMassLqr` under a time limit), or null. */
  private readonly lqrOptimum: number | null;
  private readonly obsDim: number;
  private readonly actDim: number;
  private disposed = false;
  /** `policy.weightsVersion` when the weights were last found finite (-1: never checked). */
  private finiteAtVersion = -1;
  /** Where env copies come from (the evaluation copy too). */
  private readonly world: WorldSource;
  /** The evaluation env copy, made at the first evaluation. */
  private evalEnv: Env | null = null;
  /** The all-state probabilities of the weights at `version` (the end of one update is the start of the next). */
  private stateProbs: { version: number; probs: Float64Array } | null = null;

  private constructor(parts: {
    config: ResolvedPpoConfig;
    policy: Policy;
    env: VectorEnv;
    obs: CurrentObs;
    rolloutRng: Rng;
    minibatchRng: Rng;
    exact: ExactEvaluator | null;
    world: WorldSource;
    reference: Policy | null;
    referenceSaved: boolean;
  }) {
    this.config = parts.config;
    this.world = parts.world;
    this.policy = parts.policy;
    this.env = parts.env;
    this.obs = parts.obs;
    this.rolloutRng = parts.rolloutRng;
    this.minibatchRng = parts.minibatchRng;
    this.exact = parts.exact;
    this.gaussianExact = gaussianEvaluator(parts.env);
    this.lqrOptimum = lqrOptimalReturn(parts.env);
    this.encoder = encoderFor(this.env.singleObservationSpace);
    this.engine =
      this.config.engine === 'fused' ? fusedEngineForPolicy(this.policy, { eps: this.config.adamEps }) : null;
    this.optimizer = this.engine ? null : new Adam(this.policy.trainableVariables, { eps: this.config.adamEps });
    this.controller = createKlController(this.config.klController);
    this.controllerState = this.controller.init();
    this.reference = parts.reference;
    this.referenceSaved = parts.referenceSaved;
    this.refController = this.config.referenceKl ? createKlController(this.config.referenceKl.controller) : null;
    this.refControllerState = this.refController?.init() ?? null;
    const os = this.env.singleObservationSpace;
    const as = this.env.singleActionSpace;
    this.obsDim = os.kind === 'discrete' ? 1 : os.shape.reduce((a: number, b: number) => a * b, 1);
    this.actDim = as.kind === 'discrete' ? 1 : as.shape.reduce((a: number, b: number) => a * b, 1);
  }

  /**
   * Build a trainer: resolve the world (a registered id, a factory `() => Env` or one `Env`; a user's world is
   * checked by `checkEnv` first), resolve and validate the config, select the backend, make and seed the envs, build
   * the policy from `rng.fork('init')` (or take the one given), and, for worlds with an exact evaluator (tabular
   * MDPs, whoever built them, and the token bandit), compute the exact optimum.
   *
   * Without `policy.kind`, the kind follows the world's spaces: tabular for discrete observations and actions, mlp
   * for box observations with discrete actions, gaussian for box actions (SB3 picks its policy class the same way).
   * @example
   * ```ts
   * const mine = await Trainer.create({ env: () => Gridworld.fromMap(['SFF', 'FHG']), totalSteps: 4096 });
   * ```
   * @throws ConfigError for an invalid config (see `resolvePpoConfig`), a world that is none of the three forms, or a
   *   policy the world cannot use; EnvError listing what `checkEnv` found wrong with a user's world.
   */
  static async create(input: TrainerInput = {}): Promise<Trainer> {
    return Trainer.build(input, {});
  }

  /** `create` with the pieces `restore` passes in (a user's world and policy under a checkpoint's config). */
  private static async build(
    input: TrainerInput,
    given: { env?: EnvSource; policy?: Policy; reference?: Policy; seedReference?: boolean },
  ): Promise<Trainer> {
    const fn = 'Trainer.create';
    const raw0 = isPlainObject(input) ? input : null;
    if (raw0 === null) return fail(fn, 'config', 'an object of PpoConfig fields', input);
    const { reference: refInput, ...raw } = raw0 as TrainerInput;
    if (refInput !== undefined && refInput !== 'initial' && !isPolicy(refInput))
      return fail(fn, 'reference', "'initial' or a policy object", refInput);
    const givenReference = given.reference ?? (isPolicy(refInput) ? refInput : undefined);
    const envSource = given.env ?? raw.env ?? DEFAULT_PPO_CONFIG.env;
    const envOptions = raw.envOptions ?? {};
    const world = resolveWorld(fn, envSource, isPlainObject(envOptions) ? envOptions : {});
    const givenPolicy = given.policy ?? (isPolicy(raw.policy) ? raw.policy : undefined);
    const probe = world.make(0);
    const settings = {
      ...(isPolicy(raw.policy) ? {} : raw.policy),
      ...(givenPolicy ? { kind: configKindOf(givenPolicy) } : {}),
    };
    if (settings.kind === undefined) settings.kind = defaultPolicyKind(probe);
    const config = resolvePpoConfig(
      {
        ...raw,
        env: world.label,
        ...(world.custom ? { envOptions: {} } : {}),
        ...(world.maxCopies === 1 && raw.numEnvs === undefined ? { numEnvs: 1 } : {}),
        policy: settings,
      } as PpoConfigInput,
      { observation: probe.observationSpace.kind === 'discrete' ? 'discrete' : 'box' },
    );
    if (config.numEnvs > world.maxCopies) {
      probe.close();
      return fail(
        fn,
        'numEnvs',
        '1 with a single Env object (pass a factory () => Env for more copies)',
        config.numEnvs,
      );
    }
    if (config.evalEvery !== null && world.maxCopies < 2) {
      probe.close();
      return fail(
        fn,
        'evalEvery',
        'null with a single Env object (evaluation needs a copy of its own: pass a factory)',
        config.evalEvery,
      );
    }
    if (givenReference && !config.referenceKl) {
      probe.close();
      return fail(fn, 'reference', 'left out without referenceKl (a reference needs the penalty)', 'a policy object');
    }
    await setBackend(config.backend);
    const root = createRng(config.seed);
    const env = new VectorEnv(
      Array.from({ length: config.numEnvs }, (_, i) => () => (i === 0 ? probe : world.make(i))),
      { autoreset: 'same-step' },
    );
    const { obs } = env.reset({ seed: root.fork('env').int(1, 2 ** 31 - 1) });
    const initRng = root.fork('init');
    const policy = givenPolicy ?? buildPolicy(config, env, initRng);
    if (givenPolicy) checkPolicyFits(fn, givenPolicy, env);
    if (givenReference) checkPolicyFits(fn, givenReference, env);
    // π_ref: a frozen copy of the given reference, or of the policy before any update (on restore with a policy
    // object, the seed's initial policy, which the checkpoint does not carry).
    const seedInitial =
      config.referenceKl && given.seedReference && givenPolicy ? buildPolicy(config, env, initRng) : null;
    const reference = config.referenceKl ? (givenReference ?? seedInitial ?? policy).freeze() : null;
    seedInitial?.dispose();
    return new Trainer({
      config,
      policy,
      env,
      obs: copyObs(obs as CurrentObs),
      rolloutRng: root.fork('rollout'),
      minibatchRng: root.fork('minibatch'),
      exact: exactEvaluator(env),
      world,
      reference,
      // A reference the seed cannot rebuild (given, or the initial copy of a given policy) goes into checkpoints.
      referenceSaved:
        reference !== null && (givenReference !== undefined || (givenPolicy !== undefined && !seedInitial)),
    });
  }

  /**
   * Rebuild a trainer from a checkpoint (from `save()`, possibly through `JSON.stringify`/`JSON.parse`).
   * The resumed run reproduces, bit for bit, the metrics an uninterrupted run would have produced (same backend).
   * A run on a user's world (config `env` = `custom:<name>`) needs that world again: `{ env }`; a run whose policy
   * was given to `create` may be given a policy object again (`{ policy }`, of the same architecture), into which
   * the saved weights are loaded. A run with a `reference` policy (or whose initial policy was a given object) carries
   * π_ref's weights in the checkpoint; they load into `opts.reference` (or a policy of the trained policy's
   * architecture when it is left out). Checkpoints leave the metric history out (the run folder's `metrics.jsonl` has
   * it): `{ history }` (one record per completed update) fills `trainer.history` again; without it `history` starts
   * with the checkpoint's own records (a version 1 checkpoint's) or empty. The history is not needed to continue
   * exactly.
   * @throws CheckpointError for a damaged checkpoint or one from another format version, or a `history` that is not
   *   one record per update in order; ConfigError when the checkpoint's world is a user's and `opts.env` is missing,
   *   or `opts.reference` does not fit the saved weights.
   */
  static async restore(
    checkpoint: unknown,
    opts: { env?: EnvSource; policy?: Policy; reference?: Policy; history?: readonly MetricRecord[] } = {},
  ): Promise<Trainer> {
    const ckpt = validateCheckpoint(checkpoint);
    if (opts.history !== undefined) checkHistory(opts.history, ckpt.update, 'opts.history', 'Trainer.restore');
    const config = migrateRecordedConfig(ckpt.config) as PpoConfigInput;
    if (opts.env === undefined && typeof config.env === 'string' && config.env.startsWith(CUSTOM_ENV_PREFIX)) {
      fail(
        'Trainer.restore',
        'opts.env',
        `the world this run was trained on (${config.env}): Trainer.restore(ckpt, { env })`,
        undefined,
      );
    }
    if (opts.reference !== undefined && ckpt.referenceWeights === undefined) {
      fail(
        'Trainer.restore',
        'opts.reference',
        "left out: this run's reference is the seed's initial policy (the checkpoint carries no reference weights)",
        'a policy object',
      );
    }
    const { history: _history, ...given } = opts;
    const trainer = await Trainer.build(config as TrainerInput, {
      ...given,
      seedReference: ckpt.config.referenceKl !== null && ckpt.referenceWeights === undefined,
    });
    try {
      trainer.policy.setWeights(ckpt.policy);
      if (ckpt.referenceWeights) restoreReference(trainer.reference, ckpt.referenceWeights);
      if (trainer.engine) trainer.engine.adam.setState(ckpt.optimizer);
      else trainer.optimizer?.setState(ckpt.optimizer);
      trainer.controllerState = ckpt.controller;
      if (trainer.refController && ckpt.referenceController) trainer.refControllerState = ckpt.referenceController;
      trainer.rolloutRng = createRng.fromState(ckpt.rng.rollout);
      trainer.minibatchRng = createRng.fromState(ckpt.rng.minibatch);
      trainer.env.setState(ckpt.env as EnvState); // VectorEnv.setState validates it
      checkRestoredProgress(ckpt, trainer);
      trainer.obs =
        trainer.obsDim === 1 && trainer.env.singleObservationSpace.kind === 'discrete'
          ? Int32Array.from(ckpt.obs)
          : Float64Array.from(ckpt.obs);
      trainer.updates = ckpt.update;
      trainer.steps = ckpt.globalStep;
      trainer.episodeCount = ckpt.episodes;
      trainer.window = ckpt.episodeWindow.map((e) => ({ ...e }));
      trainer.history.push(...(opts.history ?? ckpt.history ?? []).map((r) => ({ ...r })));
    } catch (e) {
      trainer.dispose();
      throw e;
    }
    return trainer;
  }

  /**
   * Cumulative wall seconds per phase of {@link Trainer.step} since this trainer was created: rollout, advantages
   * (the batch forward pass and GAE), update (the optimizer steps), metrics (the KL of the update and the exact
   * metrics) and listeners (where the CLI writes its files). Timings are kept out of the metric records, which are
   * identical across runs of one seed; they are not saved in checkpoints.
   * @example
   * ```ts
   * const t = trainer.phaseTimes;
   * console.log(`update: ${(100 * t.update / (t.rollout + t.advantages + t.update + t.metrics)).toFixed(0)} %`);
   * ```
   */
  get phaseTimes(): PhaseTimes {
    return { ...this.times };
  }

  /** Updates completed. */
  get update(): number {
    return this.updates;
  }

  /** Env steps collected so far. */
  get globalStep(): number {
    return this.steps;
  }

  /** True once `config.numIterations` updates are done. */
  get done(): boolean {
    return this.updates >= this.config.numIterations;
  }

  /** The current KL coefficient β. */
  get beta(): number {
    return this.controller.coef(this.controllerState);
  }

  /**
   * Exact reference values, or null for envs without an exact evaluator: for tabular MDPs the optimal return within
   * the time limit; for the token bandit the best expected score of a position-conditioned policy (horizon = T).
   */
  get exactOptimum(): {
    /** The best expected return (time-limited for MDPs; the best expected score for the token bandit). */
    optimalReturn: number;
    /** The horizon it is computed for (time limit, 1000 without one, T for the token bandit). */
    horizon: number;
  } | null {
    return this.exact ? { optimalReturn: this.exact.optimalReturn, horizon: this.exact.horizon } : null;
  }

  /**
   * The current policy on every state of a tabular-observation world, for reports and the playground:
   * `probs[s][a]` = π(a|s) and `values[s]` = V(s) from the critic (null without a critic). For the token bandit the
   * states are the positions t, so `probs[t]` is π(·|t) and `values[t]` the critic's estimate at position t.
   * @returns Plain arrays (no tensors), or null when observations are not discrete states.
   */
  async policySnapshot(): Promise<PolicySnapshot | null> {
    const space = this.env.singleObservationSpace;
    const actions = this.env.singleActionSpace;
    if (space.kind !== 'discrete' || actions.kind !== 'discrete') return null;
    const n = space.n;
    const A = actions.n;
    if (this.usesFusedStateTables()) {
      // The fused engine's own network: no tfjs pass (the probabilities are the exact metrics' table when current).
      const table = await this.allStateProbs();
      const v = fusedStateValues(this.engine!);
      const probs = Array.from({ length: n }, (_, s) => Array.from(table.subarray(s * A, (s + 1) * A)));
      return { probs, values: v ? Array.from(v) : null };
    }
    const t = tf.tidy(() => {
      const obs = this.encoder.encode(Int32Array.from({ length: n }, (_, i) => i));
      const probs = categoricalProbs(this.policy.distribution(obs));
      return this.policy.hasCritic ? [probs, this.policy.value(obs)] : [probs];
    });
    const flat = (await t[0]!.data()) as Float32Array;
    const vals = t[1] ? Array.from(await t[1].data(), Number) : null;
    tf.dispose(t);
    const probs = Array.from({ length: n }, (_, s) => Array.from(flat.subarray(s * A, (s + 1) * A), Number));
    return { probs, values: vals };
  }

  /**
   * What the first env copy looks like now, as plain data a page can draw (`Env.renderFrame`: the grid with the
   * agent's cell, or the bandit's arms and last pull); null when the world has no copy.
   * @example
   * ```ts
   * const frame = trainer.frame(); // { kind: 'grid', rows: 4, cols: 4, cells: [...], agent: { row: 0, col: 0 }, ... }
   * ```
   */
  frame(): RenderFrame | null {
    return this.env.envs[0]?.renderFrame() ?? null;
  }

  /** Register a listener called with each metric record; returns a function that removes it. */
  onUpdate(listener: UpdateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Run one update, in the phases of PPO (Schulman et al. 2017, Algorithm 1; SB3 `collect_rollouts` then `train`):
   * collect numEnvs × nSteps env steps, fill the rollout buffer (advantages by GAE), optimize epochs × minibatches
   * (stopping early when the KL says so), measure the KL of the update, feed the KL controller, report the metrics.
   * @returns The metric record of this update (also appended to `history` and sent to listeners).
   * @throws KlipError when training is already done or the trainer was disposed; NumericError when a loss or
   *   a weight becomes NaN/±Infinity (the message names the update and the metric).
   */
  async step(): Promise<MetricRecord> {
    this.assertCanStep();
    await this.assertFiniteWeights(); // a no-op unless the caller set the weights since the last update
    const clock = new PhaseClock(this.times);
    const t0 = nowMs();
    const coef = this.coefficients();
    const probsBefore = this.exact?.model ? await this.allStateProbs() : null;
    clock.lap('metrics');
    const rollout = this.collect();
    const inReward = await this.penalizeReference(rollout);
    clock.lap('rollout');
    const buffer = await RolloutBuffer.fromRollout({
      rollout: inReward?.shaped ?? rollout,
      policy: this.policy,
      encoder: this.encoder,
      gamma: this.config.gamma,
      gaeLambda: this.config.gaeLambda,
      normalizeAdvantages: this.config.normalizeAdvantages,
      ...(this.engine ? { forward: this.forwardOnEngine(this.engine, rollout) } : {}),
    });
    clock.lap('advantages');
    let record: MetricRecord;
    try {
      const inLoss = await this.referenceInLoss(buffer);
      const ref = inReward ?? inLoss;
      const { steps, earlyStopped } = await this.optimize(buffer, coef, inLoss?.beta ?? null);
      clock.lap('update');
      const end = await this.measureUpdateKl(buffer, coef.epsilon);
      const probsAfter = this.exact ? await this.allStateProbs() : null;
      const control = this.feedController(rollout, end, coef.beta);
      this.countRollout(rollout);
      const policyReturn =
        this.exact && probsAfter
          ? this.exact.policyReturn(probsAfter)
          : this.gaussianExact
            ? await this.gaussianPolicyReturn(this.gaussianExact)
            : null;
      const evaluation = this.evaluateIfDue(probsAfter);
      record = updateRecord({
        update: this.updates,
        globalStep: this.steps,
        steps: await readStepScalars(steps, this.config.earlyStopStatistic),
        end,
        visitationKl:
          this.exact?.model && probsBefore && probsAfter
            ? visitationKl(this.exact.model, probsBefore, probsAfter, this.exact.horizon)
            : null,
        beta: coef.beta,
        fedRule: control.fedRule,
        binding: control.binding,
        earlyStopped,
        window: this.window,
        episodes: this.episodeCount,
        lr: coef.lr,
        envStepsPerSecond: (rollout.T * rollout.N) / Math.max((nowMs() - t0) / 1000, 1e-9),
        policyReturn,
        optimalReturn: this.exact?.optimalReturn ?? this.gaussianExact?.optimalReturn ?? this.lqrOptimum,
        evaluation,
        reference: ref ? { exact: ref.kl.exactMean, estimate: ref.kl.estimateMean, beta: ref.beta } : null,
      });
    } finally {
      buffer.dispose();
    }
    assertFiniteRecord(record);
    await this.assertFiniteWeights();
    clock.lap('metrics');
    this.history.push(record);
    for (const l of this.listeners) await l(record, this);
    clock.lap('listeners');
    this.times.updates++;
    return record;
  }

  /**
   * Phase 1b (with `referenceKl` in the reward): KL(π_rollout‖π_ref) on the rollout and the rewards r_t − β_ref·kl_t
   * the advantages are computed from (the episode returns stay the environment's).
   */
  private async penalizeReference(
    rollout: Rollout,
  ): Promise<{ shaped: Rollout; kl: ReferenceKl; beta: number } | null> {
    const settings = this.config.referenceKl;
    if (settings?.placement !== 'reward' || !this.reference) return null;
    const kl = await referenceKl({
      rollout,
      policy: this.policy,
      reference: this.reference,
      encoder: this.encoder,
      estimator: settings.estimator,
    });
    const beta = this.observeReferenceKl(kl, rollout.T * rollout.N);
    return { shaped: { ...rollout, rewards: penalizedRewards(rollout.rewards, kl.perStep, beta) }, kl, beta };
  }

  /**
   * Phase 1c (with `referenceKl` in the loss): π_ref's parameters on every buffer state, for the minibatch loss
   * terms, and KL(π_rollout‖π_ref) measured from them and the buffer's own π_rollout (no forward pass repeated).
   */
  private async referenceInLoss(buffer: RolloutBuffer): Promise<{ kl: ReferenceKl; beta: number } | null> {
    const settings = this.config.referenceKl;
    if (settings?.placement !== 'loss' || !this.reference) return null;
    buffer.attachReference(this.reference);
    const kl = await referenceKlOfBuffer(buffer, settings.estimator);
    return { kl, beta: this.observeReferenceKl(kl, buffer.size) };
  }

  /**
   * β_ref for this update, then β_ref's controller sees the KL per step (the estimate that went into the rewards, or
   * that the loss placement measures).
   * @returns The β_ref in force before the controller's update.
   */
  private observeReferenceKl(kl: ReferenceKl, nSteps: number): number {
    const ctl = this.refController;
    const state = this.refControllerState;
    if (!ctl || !state)
      throw new KlipError({ fn: 'Trainer.step', arg: 'referenceKl', expected: 'its controller', got: null });
    const beta = ctl.coef(state);
    this.refControllerState = ctl.update(state, { kl: Math.max(kl.estimateMean, 0), nSteps });
    return beta;
  }

  /** The fused engine (present exactly when the tfjs optimizer is not). */
  private fused(): FusedPpoEngine {
    if (!this.engine)
      throw new KlipError({ fn: 'Trainer', arg: 'engine', expected: 'the fused engine', got: this.config.engine });
    return this.engine;
  }

  /** Refuse to step a disposed or finished trainer. */
  private assertCanStep(): void {
    if (this.disposed)
      throw new KlipError({ fn: 'Trainer.step', arg: 'trainer', expected: 'not disposed', got: 'a disposed trainer' });
    if (this.done) {
      throw new KlipError({
        fn: 'Trainer.step',
        arg: 'trainer',
        expected: `not done (all ${this.config.numIterations} updates ran)`,
        got: this.updates,
      });
    }
  }

  /** This update's scheduled numbers: learning rate (annealed linearly when asked), clip range, entropy weight, β. */
  private coefficients(): UpdateCoefficients {
    const cfg = this.config;
    const progressRemaining = 1 - this.updates / cfg.numIterations;
    const baseLr = cfg.lr!; // resolvePpoConfig fills in the world's default
    let lr = evaluateSchedule(baseLr, progressRemaining, 'lr');
    if (cfg.annealLr && typeof baseLr === 'number') lr = baseLr * progressRemaining;
    return {
      lr,
      epsilon: evaluateSchedule(cfg.clipEpsilon, progressRemaining, 'clipEpsilon'),
      entCoef: evaluateSchedule(cfg.entCoef, progressRemaining, 'entCoef'),
      beta: this.beta,
    };
  }

  /** Phase 1: nSteps steps of every env copy with the policy's tensor-free fast path (weights synced once here). */
  private collect(): Rollout {
    this.policy.syncFastPath?.();
    const { rollout, obs } = collectRollout({
      venv: this.env,
      policy: this.policy,
      rng: this.rolloutRng,
      T: this.config.nSteps,
      obs: this.obs,
      obsDim: this.obsDim,
      actDim: this.actDim,
    });
    this.obs = obs;
    return rollout;
  }

  /**
   * Phase 2: epochs × minibatches optimizer steps on the buffer. Early stopping (when `earlyStopKl` is set) refuses
   * the first step whose pre-step KL(π_rollout‖π_θ) statistic exceeds earlyStopFactor × earlyStopKl (per minibatch),
   * or ends the update after an epoch whose KL over the whole batch does (per epoch).
   */
  private async optimize(
    buffer: RolloutBuffer,
    coef: UpdateCoefficients,
    refBeta: number | null,
  ): Promise<{ steps: StepScalarsLike[]; earlyStopped: boolean }> {
    const cfg = this.config;
    const steps: StepScalarsLike[] = [];
    const threshold = cfg.earlyStopKl === null ? null : cfg.earlyStopFactor * cfg.earlyStopKl;
    const shouldStop =
      threshold === null || cfg.earlyStopGranularity !== 'minibatch' ? undefined : (kl: number) => kl > threshold;
    const stepCoef: StepCoefficients = {
      objective: cfg.objective,
      clip: cfg.clipEpsilonHigh === null ? coef.epsilon : { low: coef.epsilon, high: cfg.clipEpsilonHigh },
      dualClip: cfg.dualClip,
      beta: coef.beta,
      klEstimator: cfg.klEstimator,
      entCoef: coef.entCoef,
      vfCoef: cfg.vfCoef,
      valueClip: cfg.clipValueLoss ? coef.epsilon : null,
      maxGradNorm: cfg.maxGradNorm,
      lr: coef.lr,
      reference: refBeta === null || !cfg.referenceKl ? null : { beta: refBeta, estimator: cfg.referenceKl.estimator },
    };
    const optimizer = this.optimizer;
    if (this.engine || !optimizer) return this.optimizeFused(this.fused(), buffer, stepCoef, shouldStop, threshold);
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      for (const idx of buffer.epochIndices(this.minibatchRng, cfg.minibatchSize)) {
        const batch = buffer.minibatch(idx);
        try {
          const res = await ppoUpdateStep({
            policy: this.policy,
            optimizer,
            batch,
            coef: stepCoef,
            ...(shouldStop ? { shouldStop, preStepStatistic: cfg.earlyStopStatistic } : {}),
          });
          steps.push(res.scalars);
          if (!res.applied) return { steps, earlyStopped: true };
        } finally {
          tf.dispose(minibatchTensors(batch));
        }
      }
      if (threshold !== null && cfg.earlyStopGranularity === 'epoch' && epoch < cfg.epochs - 1) {
        const kl = await this.klToCurrent(buffer);
        if (kl[cfg.earlyStopStatistic] > threshold) return { steps, earlyStopped: true };
      }
    }
    return { steps, earlyStopped: false };
  }

  /**
   * Phase 2 on the fused engine: the same minibatch stream, loss, early stopping and Adam rule as {@link optimize},
   * with the batch read once into typed arrays; the weights go back to the policy's variables before anything reads
   * them with tensors (the per-epoch KL check, the end-of-update KL).
   */
  private async optimizeFused(
    engine: FusedPpoEngine,
    buffer: RolloutBuffer,
    stepCoef: StepCoefficients,
    shouldStop: ((kl: number) => boolean) | undefined,
    threshold: number | null,
  ): Promise<{ steps: StepScalarsLike[]; earlyStopped: boolean }> {
    const cfg = this.config;
    const steps: StepScalarsLike[] = [];
    syncEngineFromPolicy(engine, this.policy);
    const data = fusedBatchFromBuffer(buffer, this.policy.encoder.kind === 'one-hot', cfg.normalizeAdvantages);
    const opts = shouldStop ? { shouldStop, preStepStatistic: cfg.earlyStopStatistic } : {};
    try {
      for (let epoch = 0; epoch < cfg.epochs; epoch++) {
        for (const idx of buffer.epochIndices(this.minibatchRng, cfg.minibatchSize)) {
          const res = engine.step(data.minibatch(idx), stepCoef, opts);
          steps.push({ ...res.scalars });
          if (!res.applied) return { steps, earlyStopped: true };
        }
        if (threshold !== null && cfg.earlyStopGranularity === 'epoch' && epoch < cfg.epochs - 1) {
          const kl = this.engineKl(engine, buffer);
          if (kl[cfg.earlyStopStatistic] > threshold) return { steps, earlyStopped: true };
        }
      }
      return { steps, earlyStopped: false };
    } finally {
      storePolicyWeights(engine, this.policy);
    }
  }

  /**
   * Phase 3: the KL of the update, KL(π_rollout‖π_end) on the whole batch, and (for objectives with a KL term, whose
   * controller loop needs the binding ratio) the surrogate gain on the advantages the loss saw.
   */
  private measureUpdateKl(buffer: RolloutBuffer, epsilon: number): Promise<RolloutKl> {
    const cfg = this.config;
    if (!hasKlTerm(cfg.objective)) return this.klToCurrent(buffer, { epsilon });
    const advantages =
      cfg.normalizeAdvantages === 'batch' ? buffer.policyAdvantages : normalizeAdvantages(buffer.advantages);
    return this.klToCurrent(buffer, { advantages, epsilon });
  }

  /** KL(π_rollout‖π_current) on the buffer: on the fused engine's network when it holds π_rollout's outputs. */
  private async klToCurrent(
    buffer: RolloutBuffer,
    opts: { advantages?: Float64Array; epsilon?: number } = {},
  ): Promise<RolloutKl> {
    if (this.engine && buffer.forward) {
      syncEngineFromPolicy(this.engine, this.policy);
      return this.engineKl(this.engine, buffer, opts);
    }
    return rolloutToCurrentKl(buffer, this.policy, opts);
  }

  /** {@link fusedRolloutKl} with the engine's current parameters as π_current. */
  private engineKl(
    engine: FusedPpoEngine,
    buffer: RolloutBuffer,
    opts: { advantages?: Float64Array; epsilon?: number } = {},
  ): RolloutKl {
    const forward = buffer.forward!;
    return fusedRolloutKl(engine, { rollout: buffer.rollout, forward }, this.encoder.kind === 'one-hot', opts);
  }

  /** π_rollout's outputs on the rollout, on the fused engine (no tfjs forward pass; each distinct state once). */
  private forwardOnEngine(engine: FusedPpoEngine, rollout: Rollout): RolloutForward {
    syncEngineFromPolicy(engine, this.policy);
    return forwardRollout(engine, rollout, this.encoder.kind === 'one-hot');
  }

  /**
   * Phase 4: the KL controller sees the observed KL(π_rollout‖π_end), with the penalty's own estimator, on updates
   * that are evidence about β (see `kl_control.ts`; `klControllerHold: false` feeds every update, the published loop).
   */
  private feedController(rollout: Rollout, end: RolloutKl, beta: number): { fedRule: boolean; binding: number | null } {
    const cfg = this.config;
    const observed = Math.max(cfg.klEstimator === 'exact' ? end.exact : cfg.klEstimator === 'k1' ? end.k1 : end.k3, 0);
    const klTerm = hasKlTerm(cfg.objective);
    const binding = klTerm
      ? penaltyBindingRatio({ beta, kl: observed, gain: cfg.objective === 'clip+kl' ? end.clipGain : end.gain })
      : null;
    const decision = controllerDecision({
      hasKlTerm: klTerm,
      signal: rolloutHasSignal(rollout),
      kl: observed,
      lowerEdge: lowerKlEdge(this.controller.config),
      upperEdge: upperKlEdge(this.controller.config),
      binding,
    });
    const fedRule = klTerm && (decision === 'applied' || !cfg.klControllerHold);
    if (fedRule)
      this.controllerState = this.controller.update(this.controllerState, {
        kl: observed,
        nSteps: rollout.T * rollout.N,
      });
    return { fedRule, binding };
  }

  /**
   * Phase 5 (every `evalEvery` updates and after the last): `evalEpisodes` greedy episodes on an env copy of its
   * own, reset with a seed drawn from the stream `eval/<update>` of the root seed, so an evaluation depends only on
   * the seed and the policy (no state to checkpoint, and training's streams are untouched).
   */
  private evaluateIfDue(
    probsAfter: Float64Array | null,
  ): { meanReturn: number; stdReturn: number; exactReturn: number | null } | null {
    const every = this.config.evalEvery;
    if (every === null || (this.updates % every !== 0 && this.updates !== this.config.numIterations)) return null;
    this.evalEnv ??= this.world.make(this.config.numEnvs);
    const rng = createRng(this.config.seed).fork('eval').fork(String(this.updates));
    const res = evaluatePolicy({
      policy: this.policy,
      env: this.evalEnv,
      episodes: this.config.evalEpisodes,
      deterministic: true,
      rng,
      maxSteps: this.exact?.horizon ?? EVAL_MAX_STEPS,
    });
    const exactReturn =
      this.exact?.model && probsAfter ? greedyReturn(this.exact.model, probsAfter, this.exact.horizon) : null;
    return { meanReturn: res.meanReturn, stdReturn: res.stdReturn, exactReturn };
  }

  /** The exact expected return of the Gaussian policy on the single state 0 of a continuous bandit. */
  private async gaussianPolicyReturn(scorer: GaussianExactEvaluator): Promise<number> {
    const p = tf.tidy(() => this.policy.distribution(this.encoder.encode(Int32Array.of(0))).params());
    if (p.kind !== 'diag-gaussian') {
      tf.dispose(p.logits);
      return Number.NaN;
    }
    const mean = Float64Array.from(await p.mean.data());
    const std = Float64Array.from(await p.logStd.data(), Math.exp);
    tf.dispose([p.mean, p.logStd]);
    return scorer.policyReturn(mean, std);
  }

  /** Bookkeeping: update and step counters, the rolling episode window. */
  private countRollout(rollout: Rollout): void {
    this.updates += 1;
    this.steps += rollout.T * rollout.N;
    for (const e of rollout.episodes) {
      this.window.push(e);
      if (this.window.length > EPISODE_WINDOW) this.window.shift();
    }
    this.episodeCount += rollout.episodes.length;
  }

  /** Async iterator form: `for await (const record of trainer) …` runs the remaining updates. */
  async *[Symbol.asyncIterator](): AsyncGenerator<MetricRecord, void, undefined> {
    while (!this.done) yield await this.step();
  }

  /**
   * A JSON-serializable checkpoint of everything needed to continue exactly (see `Checkpoint`).
   * @param opts.history Include the metric history (`history`, one record per update; it grows with the run and is
   *   not needed to continue exactly). Run folders leave it out: their `metrics.jsonl` has it. @defaultValue true
   * @throws ConfigError when a schedule is a function (functions cannot be saved; use numbers).
   */
  async save(opts: { history?: boolean } = {}): Promise<Checkpoint> {
    for (const k of ['lr', 'clipEpsilon', 'entCoef'] as const) {
      if (typeof this.config[k] === 'function') {
        throw new ConfigError({
          fn: 'Trainer.save',
          arg: `config.${k}`,
          expected:
            "a number or { kind: 'linear', start, end, endFraction? } (function schedules cannot be saved in a checkpoint)",
          got: 'a function',
        });
      }
    }
    const { batchSize: _b, minibatchSize: _m, numIterations: _n, ...config } = this.config;
    return {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      klipVersion: KLIP_VERSION,
      config: JSON.parse(JSON.stringify(config)) as PpoConfig,
      update: this.updates,
      globalStep: this.steps,
      episodes: this.episodeCount,
      policy: this.policy.getWeights(),
      optimizer: this.optimizer ? await this.optimizer.getState() : this.fused().adam.getState(),
      controller: { ...this.controllerState },
      ...(this.refControllerState ? { referenceController: { ...this.refControllerState } } : {}),
      ...(this.referenceSaved && this.reference ? { referenceWeights: this.reference.getWeights() } : {}),
      rng: { rollout: this.rolloutRng.state(), minibatch: this.minibatchRng.state() },
      env: this.env.getState(),
      obs: Array.from(this.obs),
      episodeWindow: this.window.map((e) => ({ ...e })),
      ...(opts.history === false ? {} : { history: this.history.map((r) => ({ ...r })) }),
    };
  }

  /** Free the policy's and the optimizer's tensors. The trainer cannot step afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer?.dispose();
    this.policy.dispose();
    this.reference?.dispose();
    this.env.close();
    this.evalEnv?.close();
  }

  /**
   * Probabilities of every state's action distribution, float64, row-major nStates × nActions; computed once per
   * weights version (the table after one update serves the start of the next). Callers only read it.
   */
  private async allStateProbs(): Promise<Float64Array> {
    const version = this.policy.weightsVersion;
    if (this.stateProbs?.version === version) return this.stateProbs.probs;
    if (this.usesFusedStateTables()) {
      const probs = fusedStateProbs(this.engine!);
      this.stateProbs = { version, probs };
      return probs;
    }
    const n = this.exact!.nStates;
    const t = tf.tidy(() => {
      const states = Int32Array.from({ length: n }, (_, i) => i);
      return categoricalProbs(this.policy.distribution(this.encoder.encode(states)));
    });
    const out = Float64Array.from(await t.data());
    t.dispose();
    this.stateProbs = { version, probs: out };
    return out;
  }

  /**
   * Whether per-state tables (π and V on every state) come from the fused engine's network: a fused run on one-hot
   * states with a categorical head. Brings the engine's parameters up to date with the policy when it does.
   */
  private usesFusedStateTables(): boolean {
    if (!this.engine || this.encoder.kind !== 'one-hot' || this.policy.kind === 'gaussian-mlp') return false;
    syncEngineFromPolicy(this.engine, this.policy);
    return true;
  }

  /** Throw NumericError naming the first non-finite weight; checks each weights version once. */
  private async assertFiniteWeights(): Promise<void> {
    const version = this.policy.weightsVersion;
    if (version === this.finiteAtVersion) return;
    const flags = tf.tidy(() => tf.stack(this.policy.trainableVariables.map((v) => tf.all(tf.isFinite(v)))));
    const ok = await flags.data();
    flags.dispose();
    const bad = Array.from(ok).findIndex((x) => !x);
    if (bad >= 0) {
      throw new NumericError({
        fn: 'Trainer.step',
        arg: `policy weight ${this.policy.trainableVariables[bad]!.name} at update ${this.updates}`,
        expected: 'finite values',
        got: 'NaN or ±Infinity',
      });
    }
    this.finiteAtVersion = version;
  }
}

/**
 * π(a|s) of a categorical distribution, exp of its normalised logits (what `Categorical.probs()` computes).
 * @throws ConfigError for a Gaussian distribution (continuous actions have no probability table).
 */
function categoricalProbs(dist: Distribution): tf.Tensor {
  const p = dist.params();
  if (p.kind !== 'categorical') {
    tf.dispose([p.mean, p.logStd]);
    throw new ConfigError({
      fn: 'Trainer',
      arg: 'policy',
      expected: 'a categorical policy (discrete actions)',
      got: p.kind,
    });
  }
  return tf.exp(p.logits);
}

/**
 * The checks of a checkpoint that need its resolved config and world: the update count within the run's
 * `numIterations`, and one observation per env copy inside the observation space.
 * @throws CheckpointError naming the field.
 */
function checkRestoredProgress(ckpt: Checkpoint, trainer: Trainer): void {
  const fn = 'Trainer.restore';
  const n = trainer.config.numIterations;
  if (ckpt.update > n)
    throw new CheckpointError({
      fn,
      arg: 'checkpoint.update',
      expected: `at most numIterations = ${n}`,
      got: ckpt.update,
    });
  const space = trainer.env.singleObservationSpace;
  const per = space.kind === 'discrete' ? 1 : space.shape.reduce((a, b) => a * b, 1);
  const want = trainer.config.numEnvs * per;
  const obs: unknown[] = ckpt.obs;
  if (obs.length !== want)
    throw new CheckpointError({
      fn,
      arg: 'checkpoint.obs',
      expected: `${want} numbers (numEnvs × observation size)`,
      got: `${obs.length} values`,
    });
  const ok = (v: unknown): boolean =>
    space.kind === 'discrete'
      ? typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < space.n
      : typeof v === 'number' && Number.isFinite(v);
  const badAt = obs.findIndex((v) => !ok(v));
  if (badAt >= 0) {
    throw new CheckpointError({
      fn,
      arg: `checkpoint.obs[${badAt}]`,
      expected: space.kind === 'discrete' ? `a state index in [0, ${space.n})` : 'a finite number',
      got: obs[badAt],
    });
  }
}

function copyObs(obs: CurrentObs): CurrentObs {
  return obs instanceof Int32Array ? Int32Array.from(obs) : Float64Array.from(obs);
}

/** A policy on every discrete state, as plain arrays (see {@link Trainer.policySnapshot}). */
export interface PolicySnapshot {
  /** `probs[s][a]` = π(a|s). */
  probs: number[][];
  /** `values[s]` = V(s) from the critic, or null without one. */
  values: number[] | null;
}

/**
 * Train to the end and return the metric history (plain data). `onIteration` receives each record; returning
 * `'stop'` ends training after that update (SB3 callback semantics). The trainer is disposed at the end unless
 * `keep` is true, in which case it is returned too.
 * @example
 * ```ts
 * const { history } = await train({ env: 'frozenlake4x4', objective: 'clip+kl', seed: 3 });
 * ```
 */
export async function train(
  config: PpoConfigInput,
  opts: { onIteration?: UpdateListener; keep?: boolean } = {},
): Promise<{
  /** One metric record per update (copies). */
  history: MetricRecord[];
  /** The trainer, still alive, when `keep` is true (the caller disposes it). */
  trainer?: Trainer;
}> {
  const trainer = await Trainer.create(config);
  try {
    while (!trainer.done) {
      const record = await trainer.step();
      if ((await opts.onIteration?.(record, trainer)) === 'stop') break;
    }
    const history = trainer.history.map((r) => ({ ...r }));
    return opts.keep ? { history, trainer } : { history };
  } finally {
    if (!opts.keep) trainer.dispose();
  }
}
