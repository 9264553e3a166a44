/**
 * The PPO trainer: `new`-free `Trainer.create(config)` with `step()` (one rollout + one optimisation phase) for
 * callers that drive the loop (CLI, web page), `save()`/`Trainer.restore()` for bit-exact resume, and `train()`
 * that runs to the end. It contains no maths of its own: every formula is an exported pure function
 * (gae, ppoClipLoss, klPenaltyLoss, valueLoss, klEstimate, createKlController, …), so a user can rebuild it.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { setBackend } from '../backend/backend.js';
import { ConfigError, KlipError, NumericError } from '../core/errors.js';
import { createKlController, type KlController } from '../controllers/controllers.js';
import { klEstimate } from '../kl/estimators.js';
import { gae, normalizeAdvantages } from '../objectives/advantages.js';
import { encoderFor } from '../policies/encoders.js';
import type { ObsEncoder as ObservationEncoder } from '../policies/types.js';
import { MlpPolicy } from '../policies/mlp.js';
import { GaussianMlpPolicy } from '../policies/gaussian_mlp.js';
import { TabularPolicy } from '../policies/tabular.js';
import type { Policy } from '../policies/types.js';
import { createRng, type Rng } from '../random/rng.js';
import { permutation } from '../random/sampling.js';
import { KLIP_VERSION } from '../version.js';
import { isTabularEnv, makeEnv } from '../../envs/registry.js';
import type { Env } from '../../envs/types.js';
import { VectorEnv } from '../../envs/vector.js';
import { finiteHorizonValue } from '../../envs/planning.js';
import { Adam } from './adam.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, validateCheckpoint, type Checkpoint } from './checkpoint.js';
import { hasKlTerm, resolvePpoConfig, type PpoConfig, type PpoConfigInput, type ResolvedPpoConfig } from './config.js';
import type { MetricRecord } from './metrics.js';
import { collectRollout, type CurrentObs, type EpisodeRecord } from './rollout.js';
import { evaluateSchedule } from './schedule.js';
import { stateVisitation, weightedTabularKl, type TabularModel } from './tabular_metrics.js';
import { distributionFromParams, ppoUpdateStep, type DistParams, type StepScalars } from './update.js';
import { controllerDecision, lowerKlEdge, penaltyBindingRatio, rolloutHasSignal, upperKlEdge } from './kl_control.js';

/** Episodes kept for the rolling `charts/*` means (SB3 `ep_info_buffer`, maxlen 100). */
const EPISODE_WINDOW = 100;
/**
 * Horizon used for exact tabular values when the env has no time limit (CliffWalking): the expected return within
 * 1000 steps. With γ = 1 a poor stochastic policy may take very long to terminate, so infinite-horizon policy
 * evaluation does not converge in reasonable time; 1000 steps is far beyond any sensible episode in these worlds.
 */
const UNBOUNDED_HORIZON = 1000;

/** A listener receives each metric record; returning `'stop'` asks `train()` to stop after this update. */
export type UpdateListener = (record: MetricRecord, trainer: Trainer) => void | 'stop' | Promise<void | 'stop'>;

function now(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : NaN;
}

/**
 * The exact-metrics capability of a world, found by duck typing (no `instanceof`): policies that condition on the
 * discrete observation only, given as a float64 table `probs[s·A + a]`, can be scored exactly, and the best score is
 * known. Built by {@link exactEvaluator} from a tabular MDP (`P` table) or from a sequence world exposing
 * `expectedScore(table)` (the token bandit).
 */
interface ExactEvaluator {
  /** Rows of the policy table (observation states). */
  nStates: number;
  /** Columns of the policy table (actions). */
  nActions: number;
  /** Horizon of the values: the time limit, UNBOUNDED_HORIZON, or the sequence length T. */
  horizon: number;
  /** Best expected return reachable (charts/optimal_return). */
  optimalReturn: number;
  /** Exact expected return of a policy table (charts/policy_return). */
  policyReturn(probs: Float64Array): number;
  /** The MDP model when the world has one (kl/exact_visitation needs its state visitation), else null. */
  model: TabularModel | null;
}

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
  private readonly encoder: ObservationEncoder;
  private readonly optimizer: Adam;
  private readonly controller: KlController;
  private controllerState: { beta: number } & Record<string, unknown>;
  private readonly rolloutRng: Rng;
  private readonly minibatchRng: Rng;
  private obs: CurrentObs;
  private updates = 0;
  private steps = 0;
  private episodeCount = 0;
  private window: EpisodeRecord[] = [];
  private readonly listeners = new Set<UpdateListener>();
  private readonly exact: ExactEvaluator | null;
  private readonly obsDim: number;
  private readonly actDim: number;
  private disposed = false;

  private constructor(parts: {
    config: ResolvedPpoConfig;
    policy: Policy;
    env: VectorEnv;
    obs: CurrentObs;
    rolloutRng: Rng;
    minibatchRng: Rng;
    exact: ExactEvaluator | null;
  }) {
    this.config = parts.config;
    this.policy = parts.policy;
    this.env = parts.env;
    this.obs = parts.obs;
    this.rolloutRng = parts.rolloutRng;
    this.minibatchRng = parts.minibatchRng;
    this.exact = parts.exact;
    this.encoder = encoderFor(this.env.singleObservationSpace);
    this.optimizer = new Adam(this.policy.trainableVariables, { eps: this.config.adamEps });
    this.controller = createKlController(this.config.klController as never) as KlController;
    this.controllerState = this.controller.init() as { beta: number };
    const os = this.env.singleObservationSpace;
    const as = this.env.singleActionSpace;
    this.obsDim = os.kind === 'discrete' ? 1 : os.shape.reduce((a: number, b: number) => a * b, 1);
    this.actDim = as.kind === 'discrete' ? 1 : as.shape.reduce((a: number, b: number) => a * b, 1);
  }

  /**
   * Build a trainer: resolve and validate the config, select the backend, make and seed the envs, build the
   * policy from `rng.fork('init')`, and (for worlds with an exact evaluator: tabular MDPs, the token bandit) compute
   * the exact optimum.
   * @throws ConfigError for an invalid config (see `resolvePpoConfig`) or a policy kind the env cannot use.
   */
  static async create(input: PpoConfigInput = {}): Promise<Trainer> {
    const config = resolvePpoConfig(input);
    await setBackend(config.backend);
    const root = createRng(config.seed);
    const env = new VectorEnv(
      Array.from({ length: config.numEnvs }, () => () => makeEnv(config.env, config.envOptions)),
      { autoreset: 'same-step' },
    );
    const { obs } = env.reset({ seed: root.fork('env').int(1, 2 ** 31 - 1) });
    const policy = buildPolicy(config, env, root.fork('init'));
    return new Trainer({
      config,
      policy,
      env,
      obs: copyObs(obs as CurrentObs),
      rolloutRng: root.fork('rollout'),
      minibatchRng: root.fork('minibatch'),
      exact: exactEvaluator(env),
    });
  }

  /**
   * Rebuild a trainer from a checkpoint (from `save()`, possibly through `JSON.stringify`/`JSON.parse`).
   * The resumed run reproduces, bit for bit, the metrics an uninterrupted run would have produced (same backend).
   * @throws CheckpointError for a damaged checkpoint or one from another format version.
   */
  static async restore(checkpoint: unknown): Promise<Trainer> {
    const ckpt = validateCheckpoint(checkpoint);
    const trainer = await Trainer.create(migrateConfig(ckpt.config) as PpoConfigInput);
    try {
      trainer.policy.setWeights(ckpt.policy);
      trainer.optimizer.setState(ckpt.optimizer);
      trainer.controllerState = ckpt.controller as { beta: number };
      (trainer as unknown as { rolloutRng: Rng }).rolloutRng = createRng.fromState(ckpt.rng.rollout);
      (trainer as unknown as { minibatchRng: Rng }).minibatchRng = createRng.fromState(ckpt.rng.minibatch);
      trainer.env.setState(ckpt.env as never);
      trainer.obs = trainer.obsDim === 1 && trainer.env.singleObservationSpace.kind === 'discrete' ? Int32Array.from(ckpt.obs) : Float64Array.from(ckpt.obs);
      trainer.updates = ckpt.update;
      trainer.steps = ckpt.globalStep;
      trainer.episodeCount = ckpt.episodes;
      trainer.window = ckpt.episodeWindow.map((e) => ({ ...e }));
      trainer.history.push(...ckpt.history.map((r) => ({ ...r })));
    } catch (e) {
      trainer.dispose();
      throw e;
    }
    return trainer;
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
    return this.controller.coef(this.controllerState as never);
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
    const t = tf.tidy(() => {
      const obs = this.encoder.encode(Int32Array.from({ length: n }, (_, i) => i));
      const probs = (this.policy.distribution(obs) as unknown as { probs(): tf.Tensor }).probs();
      return this.policy.hasCritic ? [probs, this.policy.value(obs)] : [probs];
    });
    const flat = (await t[0]!.data()) as Float32Array;
    const vals = t[1] ? Array.from(await t[1].data(), Number) : null;
    tf.dispose(t);
    const probs = Array.from({ length: n }, (_, s) => Array.from(flat.subarray(s * A, (s + 1) * A), Number));
    return { probs, values: vals };
  }

  /** Register a listener called with each metric record; returns a function that removes it. */
  onUpdate(listener: UpdateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Run one update: collect numEnvs × nSteps env steps, compute GAE advantages, run epochs × minibatches optimizer
   * steps (stopping early if target-KL says so), update the KL controller, and report the metrics.
   * @returns The metric record of this update (also appended to `history` and sent to listeners).
   * @throws KlipError when training is already done or the trainer was disposed; NumericError when a loss or
   *   a weight becomes NaN/±Infinity (the message names the update and the metric).
   */
  async step(): Promise<MetricRecord> {
    if (this.disposed) throw new KlipError({ fn: 'Trainer.step', arg: 'trainer', expected: 'not disposed', got: 'a disposed trainer' });
    if (this.done) {
      throw new KlipError({ fn: 'Trainer.step', arg: 'trainer', expected: `not done (all ${this.config.numIterations} updates ran)`, got: this.updates });
    }
    await this.assertFiniteWeights();
    const cfg = this.config;
    const t0 = now();
    const progressRemaining = 1 - this.updates / cfg.numIterations;
    const baseLr = cfg.lr!; // resolvePpoConfig fills in the world's default
    let lr = evaluateSchedule(baseLr, progressRemaining, 'lr');
    if (cfg.annealLr && typeof baseLr === 'number') lr = baseLr * progressRemaining;
    const epsilon = evaluateSchedule(cfg.clipEpsilon, progressRemaining, 'clipEpsilon');
    const entCoef = evaluateSchedule(cfg.entCoef, progressRemaining, 'entCoef');
    const beta = this.beta;

    // --- rollout (typed arrays) ---
    const probsBefore = this.exact?.model ? await this.allStateProbs() : null;
    const { rollout, obs } = collectRollout({
      venv: this.env, policy: this.policy, rng: this.rolloutRng, T: cfg.nSteps, obs: this.obs, obsDim: this.obsDim, actDim: this.actDim,
    });
    this.obs = obs;
    const B = cfg.batchSize;

    // --- one batched forward for log π_rollout, V, the distribution parameters and bootstrap values ---
    const fwd = tf.tidy(() => {
      const obsT = this.encoder.encode(rollout.obs);
      const actT = this.actionsTensor(rollout.actions, B);
      const dist = this.policy.distribution(obsT);
      const params = dist.kind === 'categorical'
        ? [(dist as unknown as { logits(): tf.Tensor }).logits()]
        : [(dist as unknown as { mean(): tf.Tensor }).mean(), tf.log((dist as unknown as { std(): tf.Tensor }).std())];
      const boot = rollout.bootstrapIndex.length > 0 ? this.policy.value!(this.encoder.encode(rollout.bootstrapObs)) : tf.zeros([0]);
      return { logProb: dist.logProb(actT), values: this.policy.value!(obsT), params, boot, kind: dist.kind };
    });
    const [oldLogProb, values, boot, ...params] = await Promise.all(
      [fwd.logProb, fwd.values, fwd.boot, ...fwd.params].map((t) => t.data() as Promise<Float32Array>),
    );
    const paramShapes = fwd.params.map((t) => t.shape);
    const distKind = fwd.kind;
    tf.dispose([fwd.logProb, fwd.values, fwd.boot, ...fwd.params]);

    const bootstrapValues = new Float64Array(B);
    rollout.bootstrapIndex.forEach((k, j) => (bootstrapValues[k] = boot![j]!));
    const { advantages, returns } = gae({
      rewards: rollout.rewards,
      values: Float64Array.from(values!),
      terminated: rollout.terminated,
      truncated: rollout.truncated,
      bootstrapValues,
      gamma: cfg.gamma,
      lambda: cfg.gaeLambda,
      numEnvs: rollout.N,
    });
    const adv = cfg.normalizeAdvantages === 'batch' ? normalizeAdvantages(advantages) : advantages;

    // --- optimisation: epochs × minibatches ---
    const M = cfg.minibatchSize;
    const steps: StepScalars[] = [];
    let earlyStopped = false;
    const threshold = cfg.earlyStopKl === null ? null : cfg.earlyStopFactor * cfg.earlyStopKl;
    const shouldStop = threshold === null || cfg.earlyStopGranularity !== 'minibatch' ? undefined : (kl: number) => kl > threshold;
    const clip = cfg.clipEpsilonHigh === null ? epsilon : { low: epsilon, high: cfg.clipEpsilonHigh };
    outer: for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const perm = permutation(B, this.minibatchRng);
      for (let start = 0; start < B; start += M) {
        const idx = perm.subarray(start, start + M);
        const mbAdv = gatherF64(adv, idx);
        const batch = tf.tidy(() => ({
          obs: this.encoder.encode(gatherObs(rollout.obs, idx, this.obsDim)),
          actions: this.actionsTensor(gatherObs(rollout.actions, idx, this.actDim), M),
          oldLogProb: tf.tensor1d(gatherF32(oldLogProb!, idx, 1)),
          advantages: tf.tensor1d(Float32Array.from(cfg.normalizeAdvantages === 'minibatch' ? normalizeAdvantages(mbAdv) : mbAdv), 'float32'),
          returns: tf.tensor1d(Float32Array.from(gatherF64(returns, idx)), 'float32'),
          oldValues: tf.tensor1d(gatherF32(values!, idx, 1)),
          oldParams: (distKind === 'categorical'
            ? { kind: 'categorical', logits: tf.tensor2d(gatherF32(params[0]!, idx, paramShapes[0]![1]!), [M, paramShapes[0]![1]!]) }
            : {
                kind: 'diag-gaussian',
                mean: tf.tensor2d(gatherF32(params[0]!, idx, this.actDim), [M, this.actDim]),
                logStd: paramShapes[1]!.length === 2
                  ? tf.tensor2d(gatherF32(params[1]!, idx, this.actDim), [M, this.actDim])
                  : tf.tensor1d(params[1]!),
              }) as DistParams,
        }));
        try {
          const res = await ppoUpdateStep({
            policy: this.policy,
            optimizer: this.optimizer,
            batch,
            coef: {
              objective: cfg.objective, clip, dualClip: cfg.dualClip, beta, klEstimator: cfg.klEstimator, entCoef,
              vfCoef: cfg.vfCoef, valueClip: cfg.clipValueLoss ? epsilon : null, maxGradNorm: cfg.maxGradNorm, lr,
            },
            ...(shouldStop ? { shouldStop, preStepStatistic: cfg.earlyStopStatistic } : {}),
          });
          steps.push(res.scalars);
          if (!res.applied) {
            earlyStopped = true;
            break outer;
          }
          this.policy.syncFastPath?.();
        } finally {
          tf.dispose([batch.obs, batch.actions, batch.oldLogProb, batch.advantages, batch.returns, batch.oldValues,
            ...Object.values(batch.oldParams).filter((v): v is tf.Tensor => v instanceof tf.Tensor)]);
        }
      }
      if (threshold !== null && cfg.earlyStopGranularity === 'epoch' && epoch < cfg.epochs - 1) {
        const end = await this.rolloutToCurrentKl(rollout, oldLogProb!, params, paramShapes, distKind);
        const stat = end[cfg.earlyStopStatistic];
        if (stat > threshold) {
          earlyStopped = true;
          break;
        }
      }
    }

    // --- end-of-update KL(π_rollout‖π_end) on the whole batch, exact and estimated, and the surrogate gain ---
    // (the gain feeds the binding ratio of the controller loop: only objectives with a KL term need it)
    const gainAdv = !hasKlTerm(cfg.objective) ? undefined : cfg.normalizeAdvantages === 'batch' ? adv : normalizeAdvantages(advantages);
    const end = await this.rolloutToCurrentKl(rollout, oldLogProb!, params, paramShapes, distKind, gainAdv, epsilon);
    const probsAfter = this.exact ? await this.allStateProbs() : null; // π_end on every state, for the exact metrics
    let visitationKl: number | null = null;
    if (this.exact?.model && probsBefore && probsAfter) {
      const d = stateVisitation(this.exact.model, probsBefore, this.exact.horizon);
      visitationKl = weightedTabularKl(probsBefore, probsAfter, d, this.exact.model.nActions);
    }

    // --- read the per-step scalars once ---
    const applied = steps.filter((s) => s.stepKlExact !== undefined);
    const read = async (pick: (s: StepScalars) => tf.Scalar | undefined, from: StepScalars[]): Promise<number[]> =>
      Promise.all(from.map(async (s) => (await pick(s)!.data())[0]!));
    const [pl, vl, kp, ent, cf, tot, gn, skl, sk1, sk3] = await Promise.all([
      read((s) => s.policyLoss, steps), read((s) => s.valueLoss, steps), read((s) => s.klPenalty, steps),
      read((s) => s.entropy, steps), read((s) => s.clipFraction, steps), read((s) => s.totalLoss, steps),
      read((s) => s.gradNorm, steps), read((s) => s.stepKlExact, applied), read((s) => s.stepKlK1, applied),
      read((s) => s.stepKlK3, applied),
    ]);
    const preStat = cfg.earlyStopStatistic;
    const pre = await read((s) => (preStat === 'exact' ? s.rolloutKlExact : preStat === 'k1' ? s.rolloutKlK1 : s.rolloutKlK3), applied);
    for (const s of steps) tf.dispose(Object.values(s) as tf.Tensor[]);

    // --- KL controller: observed KL(π_rollout‖π_end) with the penalty's own estimator, on updates that are evidence ---
    const observed = Math.max(cfg.klEstimator === 'exact' ? end.exact : cfg.klEstimator === 'k1' ? end.k1 : end.k3, 0);
    const klTerm = hasKlTerm(cfg.objective);
    const binding = klTerm ? penaltyBindingRatio({ beta, kl: observed, gain: cfg.objective === 'clip+kl' ? end.clipGain : end.gain }) : null;
    const decision = controllerDecision({
      hasKlTerm: klTerm, signal: rolloutHasSignal(rollout), kl: observed,
      lowerEdge: lowerKlEdge(this.controller.config), upperEdge: upperKlEdge(this.controller.config), binding,
    });
    const feedRule = klTerm && (decision === 'applied' || !cfg.klControllerHold); // klControllerHold: false = the published loop
    if (feedRule) {
      this.controllerState = this.controller.update(this.controllerState as never, { kl: observed, nSteps: B }) as { beta: number };
    }

    // --- bookkeeping and metrics ---
    this.updates += 1;
    this.steps += B;
    for (const e of rollout.episodes) {
      this.window.push(e);
      if (this.window.length > EPISODE_WINDOW) this.window.shift();
    }
    this.episodeCount += rollout.episodes.length;
    const policyReturn = this.exact && probsAfter ? this.exact.policyReturn(probsAfter) : null;
    const w = this.window;
    const record: MetricRecord = {
      update: this.updates,
      global_step: this.steps,
      'kl/exact_old_new': applied.length ? mean(skl!) : 0,
      'kl/exact_old_new_max': applied.length ? Math.max(...skl!) : 0,
      'kl/k1': applied.length ? mean(sk1!) : 0,
      'kl/k3': applied.length ? mean(sk3!) : 0,
      'kl/exact_rollout_end': end.exact,
      'kl/k1_rollout_end': end.k1,
      'kl/k3_rollout_end': end.k3,
      'kl/exact_visitation': visitationKl,
      'kl/pre_step_max': applied.length ? Math.max(...pre) : 0,
      'kl/coef': beta,
      'kl/coef_held': feedRule ? 0 : 1,
      'kl/binding': binding,
      'kl/early_stopped': earlyStopped ? 1 : 0,
      'kl/optimizer_steps': applied.length,
      'policy/clip_fraction': mean(cf!),
      'policy/entropy': mean(ent!),
      'loss/policy': mean(pl!),
      'loss/value': mean(vl!),
      'loss/kl_penalty': mean(kp!),
      'loss/total': mean(tot!),
      'loss/grad_norm': mean(gn!),
      'charts/episodic_return': w.length ? mean(w.map((e) => e.return)) : null,
      'charts/episode_length': w.length ? mean(w.map((e) => e.length)) : null,
      'charts/success_rate': w.length ? mean(w.map((e) => (e.success ? 1 : 0))) : null,
      'charts/episodes': this.episodeCount,
      'charts/lr': lr,
      'charts/env_steps_per_s': B / Math.max((now() - t0) / 1000, 1e-9),
      'charts/policy_return': policyReturn,
      'charts/optimal_return': this.exact ? this.exact.optimalReturn : null,
      'charts/regret': this.exact && policyReturn !== null ? this.exact.optimalReturn - policyReturn : null,
    };
    for (const key of ['loss/policy', 'loss/value', 'loss/total', 'kl/exact_rollout_end', 'policy/entropy'] as const) {
      const v = record[key];
      if (typeof v !== 'number' || Number.isNaN(v) || (key !== 'kl/exact_rollout_end' && !Number.isFinite(v))) {
        throw new NumericError({ fn: 'Trainer.step', arg: `${key} at update ${this.updates}`, expected: 'a finite number', got: v });
      }
    }
    await this.assertFiniteWeights();
    this.history.push(record);
    for (const l of this.listeners) await l(record, this);
    return record;
  }

  /** Async iterator form: `for await (const record of trainer) …` runs the remaining updates. */
  async *[Symbol.asyncIterator](): AsyncGenerator<MetricRecord, void, undefined> {
    while (!this.done) yield await this.step();
  }

  /**
   * A JSON-serializable checkpoint of everything needed to continue exactly (see `Checkpoint`).
   * @throws ConfigError when a schedule is a function (functions cannot be saved; use numbers).
   */
  async save(): Promise<Checkpoint> {
    for (const k of ['lr', 'clipEpsilon', 'entCoef'] as const) {
      if (typeof this.config[k] === 'function') {
        throw new ConfigError({ fn: 'Trainer.save', arg: `config.${k}`, expected: 'a number (function schedules cannot be saved in a checkpoint)', got: 'a function' });
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
      optimizer: await this.optimizer.getState(),
      controller: { ...this.controllerState },
      rng: { rollout: this.rolloutRng.state(), minibatch: this.minibatchRng.state() },
      env: this.env.getState(),
      obs: Array.from(this.obs),
      episodeWindow: this.window.map((e) => ({ ...e })),
      history: this.history.map((r) => ({ ...r })),
    };
  }

  /** Free the policy's and the optimizer's tensors. The trainer cannot step afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer.dispose();
    this.policy.dispose();
    this.env.close();
  }

  private actionsTensor(actions: Int32Array | Float64Array, n: number): tf.Tensor {
    return actions instanceof Int32Array ? tf.tensor1d(actions, 'int32') : tf.tensor2d(Float32Array.from(actions), [n, this.actDim]);
  }

  /** KL(π_rollout‖π_current) on the whole batch: exact, k1, k3 (samples = the rollout actions). */
  private async rolloutToCurrentKl(
    rollout: { obs: Int32Array | Float64Array; actions: Int32Array | Float64Array },
    oldLogProb: Float32Array,
    params: Float32Array[],
    paramShapes: number[][],
    kind: string,
    advantages?: Float64Array,
    epsilon = 0.2,
  ): Promise<{ exact: number; k1: number; k3: number; gain: number; clipGain: number }> {
    const B = this.config.batchSize;
    const t = tf.tidy(() => {
      const dist = this.policy.distribution(this.encoder.encode(rollout.obs));
      const oldP: DistParams = kind === 'categorical'
        ? { kind: 'categorical', logits: tf.tensor(params[0]!, paramShapes[0]) }
        : { kind: 'diag-gaussian', mean: tf.tensor(params[0]!, paramShapes[0]), logStd: tf.tensor(params[1]!, paramShapes[1]) };
      const oldDist = distributionFromParams(oldP);
      const lp = dist.logProb(this.actionsTensor(rollout.actions, B));
      // Estimates of KL(π_rollout‖π_current) from the rollout actions: logProb = log π_rollout, refLogProb = log π_current.
      const est = { logProb: tf.tensor1d(oldLogProb), refLogProb: lp };
      const out = [
        tf.mean(oldDist.kl(dist)),
        tf.mean(klEstimate({ estimator: 'k1', ...est })),
        tf.mean(klEstimate({ estimator: 'k3', ...est })),
      ];
      if (advantages) {
        // Surrogate gain on the batch: L(π_end) − L(π_rollout) with L = mean(r·Â) (and its clipped form), r = π_end/π_rollout.
        const adv = tf.tensor1d(Float32Array.from(advantages));
        const ratio = tf.exp(tf.sub(lp, est.logProb));
        const plain = tf.mul(tf.sub(ratio, 1), adv);
        const clipped = tf.sub(tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 1 - epsilon, 1 + epsilon), adv)), adv);
        out.push(tf.mean(plain), tf.mean(clipped));
      }
      return tf.stack(out);
    });
    const [exact, k1, k3, gain, clipGain] = Array.from(await t.data());
    t.dispose();
    return { exact: exact!, k1: k1!, k3: k3!, gain: gain ?? NaN, clipGain: clipGain ?? NaN };
  }

  /** Probabilities of every state's action distribution, float64, row-major nStates × nActions. */
  private async allStateProbs(): Promise<Float64Array> {
    const n = this.exact!.nStates;
    const t = tf.tidy(() => {
      const states = Int32Array.from({ length: n }, (_, i) => i);
      return (this.policy.distribution(this.encoder.encode(states)) as unknown as { probs(): tf.Tensor }).probs();
    });
    const out = Float64Array.from(await t.data());
    t.dispose();
    return out;
  }

  private async assertFiniteWeights(): Promise<void> {
    const flags = tf.tidy(() => tf.stack(this.policy.trainableVariables.map((v) => tf.all(tf.isFinite(v)))));
    const ok = await flags.data();
    flags.dispose();
    const bad = Array.from(ok).findIndex((x) => !x);
    if (bad >= 0) {
      throw new NumericError({
        fn: 'Trainer.step', arg: `policy weight ${this.policy.trainableVariables[bad]!.name} at update ${this.updates}`,
        expected: 'finite values', got: 'NaN or ±Infinity',
      });
    }
  }
}

/**
 * A checkpoint's config in today's field names: `targetKl` (the early-stopping threshold before it was renamed)
 * becomes `earlyStopKl`, so a run saved by an earlier klip resumes with the same early stopping.
 */
function migrateConfig(config: unknown): unknown {
  if (config === null || typeof config !== 'object' || !Object.prototype.hasOwnProperty.call(config, 'targetKl')) return config;
  const { targetKl, ...rest } = config as Record<string, unknown>;
  return { ...rest, earlyStopKl: (rest as { earlyStopKl?: unknown }).earlyStopKl ?? targetKl };
}

function copyObs(obs: CurrentObs): CurrentObs {
  return obs instanceof Int32Array ? Int32Array.from(obs) : Float64Array.from(obs);
}

function gatherF64(src: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]!]!;
  return out;
}

function gatherF32(src: ArrayLike<number>, idx: Int32Array, width: number): Float32Array {
  const out = new Float32Array(idx.length * width);
  for (let i = 0; i < idx.length; i++) for (let d = 0; d < width; d++) out[i * width + d] = src[idx[i]! * width + d]!;
  return out;
}

function gatherObs<T extends Int32Array | Float64Array>(src: T, idx: Int32Array, width: number): T {
  const out = new (src.constructor as { new (n: number): T })(idx.length * width);
  for (let i = 0; i < idx.length; i++) for (let d = 0; d < width; d++) out[i * width + d] = src[idx[i]! * width + d]!;
  return out;
}

function buildPolicy(config: ResolvedPpoConfig, env: VectorEnv, rng: Rng): Policy {
  const obsSpace = env.singleObservationSpace;
  const actionSpace = env.singleActionSpace;
  if (actionSpace.kind === 'discrete' && actionSpace.n < 2) {
    throw new ConfigError({
      fn: 'Trainer.create', arg: 'env', expected: 'a world with at least 2 actions (with one, the policy has nothing to choose)',
      got: `${config.env} with ${actionSpace.n} action`, hint: 'A bandit needs two or more arms in envOptions.probs',
    });
  }
  if (config.policy.kind === 'tabular') {
    if (obsSpace.kind !== 'discrete' || actionSpace.kind !== 'discrete') {
      throw new ConfigError({ fn: 'Trainer.create', arg: 'policy.kind', expected: "'mlp' for environments with box observations or actions ('tabular' needs discrete ones)", got: 'tabular' });
    }
    return new TabularPolicy({ numStates: obsSpace.n, numActions: actionSpace.n, rng, critic: true });
  }
  if (actionSpace.kind === 'discrete') {
    return new MlpPolicy({ obsSpace, actionSpace, hidden: config.policy.hidden, activation: config.policy.activation, rng });
  }
  return new GaussianMlpPolicy({ obsSpace, actionSpace, hidden: config.policy.hidden, activation: config.policy.activation, rng });
}

/** A tabular MDP: exact values by finite-horizon dynamic programming (envs/planning.ts). */
function mdpEvaluator(one: unknown): ExactEvaluator | null {
  const env = one as Env<number, number>;
  if (!isTabularEnv(env)) return null;
  const model: TabularModel = env;
  const m = one as { maxEpisodeSteps?: number; spec?: { maxEpisodeSteps?: number } };
  const limit = m.maxEpisodeSteps ?? m.spec?.maxEpisodeSteps;
  const horizon = limit !== undefined && Number.isFinite(limit) ? limit : UNBOUNDED_HORIZON;
  return {
    nStates: model.nStates,
    nActions: model.nActions,
    horizon,
    optimalReturn: finiteHorizonValue(model as never, { horizon }).startValue,
    policyReturn: (probs) => finiteHorizonValue(model as never, { horizon, policy: probs }).startValue,
    model,
  };
}

/**
 * What the trainer reads from a sequence world such as `TokenBandit` (observation = position t ∈ [0, T), action = a
 * token in [0, V)): the exact scorer `expectedScore(table)` and the best reachable score `optimalScore()`.
 */
interface SequenceScorer {
  readonly vocabSize: number;
  readonly length: number;
  expectedScore(policy: ArrayLike<number>): number;
  optimalScore(): number;
}

/** A sequence world with an exact scorer: policy return = expectedScore(table), optimum = optimalScore(). */
function sequenceEvaluator(one: unknown, obsN: number, actN: number): ExactEvaluator | null {
  const e = one as Partial<SequenceScorer> | null;
  if (!e || typeof e.expectedScore !== 'function' || typeof e.optimalScore !== 'function' || e.length !== obsN || e.vocabSize !== actN) return null;
  const scorer = e as SequenceScorer;
  let optimalReturn: number;
  try {
    optimalReturn = scorer.optimalScore();
  } catch (e) {
    if (e instanceof KlipError) return null; // a custom score too large to enumerate: no exact reference values
    throw e;
  }
  return { nStates: obsN, nActions: actN, horizon: obsN, optimalReturn, policyReturn: (probs) => scorer.expectedScore(probs), model: null };
}

/** The exact evaluator of the vector env's worlds (all copies are alike), or null when there is none. */
function exactEvaluator(env: VectorEnv): ExactEvaluator | null {
  const one = env.envs[0];
  const os = env.singleObservationSpace;
  const as = env.singleActionSpace;
  if (!one || os.kind !== 'discrete' || as.kind !== 'discrete') return null;
  return mdpEvaluator(one) ?? sequenceEvaluator(one, os.n, as.n);
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
