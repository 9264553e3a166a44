// Docs: docs/concepts/training.md — PPO with a KL penalty and an adaptive β, written out from klip's exported parts.
/**
 * PPO (clipped surrogate) plus a KL penalty β·KL(π_rollout‖π_θ) whose β adapts towards a target KL per update,
 * on slippery FrozenLake 4×4 with a tabular policy: the whole algorithm in one file, top to bottom, in the manner of
 * CleanRL's `ppo.py`. Every formula is a klip function (`gae`, `ppoClipLoss`, `klPenaltyLoss`, `valueLoss`,
 * `createKlController`, `Adam`); this file only puts them in order.
 *
 * It computes exactly what `Trainer` computes for `{ objective: 'clip+kl', klControllerHold: false, engine: 'tfjs' }`
 * with the same seed (test/examples/ppo_from_parts.test.ts checks it bit for bit). `klControllerHold: false` is the published loop:
 * the controller sees the KL of every update (Schulman et al. 2017, §4); the Trainer's default also holds β on updates
 * that carry no evidence about it (docs/concepts/kl_penalty.md §6), which is left out here to keep the loop plain:
 * watch β fall towards 1e-15 in the last updates, whose small steps the rule reads as "KL too small".
 * Run with `npx tsx examples/ppo_from_parts.ts`.
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  Adam,
  Categorical,
  createKlController,
  createRng,
  encoderFor,
  gae,
  globalNorm,
  klPenaltyLoss,
  normalizeAdvantages,
  permutation,
  ppoClipLoss,
  setBackend,
  TabularPolicy,
  valueLoss,
  type BackendName,
} from 'klip';
import { finiteHorizonValue, frozenLake4x4, makeEnv, VectorEnv } from 'klip/envs';

// --- hyperparameters (klip's defaults for FrozenLake 4×4) ---
/** Defaults of this example; `main(overrides)` replaces any of them. */
export const DEFAULTS = {
  /** Root seed: envs, policy init, rollouts and minibatches each get a labelled stream of it. */
  seed: 1,
  /** Updates; total env steps = updates · numEnvs · nSteps. */
  updates: 100,
  /** Parallel env copies and steps per copy per update (CleanRL `num_envs`, `num_steps`). */
  numEnvs: 32,
  nSteps: 32,
  /** Passes over the batch, and minibatches per pass (CleanRL `update_epochs`, `num_minibatches`). */
  epochs: 4,
  numMinibatches: 4,
  /** Adam learning rate and ε (a tabular policy takes a large step and a large ε: docs/benchmarks.md). */
  lr: 0.2,
  adamEps: 0.01,
  /** Discount γ and GAE λ. */
  gamma: 0.99,
  gaeLambda: 0.95,
  /** PPO clip range ε (also the value clip range), entropy and value-loss weights, gradient-norm clip. */
  clip: 0.2,
  entCoef: 0.01,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  /** Initial β and target KL per update of the adaptive rule; an update stops once KL > 1.5 × target. */
  beta: 1,
  targetKl: 0.005,
  /** tfjs backend. */
  backend: 'wasm' as BackendName,
  /** Print one line per update (set false in tests). */
  print: true,
};

/** One logged line per update. */
export interface PartsUpdateLog {
  update: number;
  /** β used in this update's loss. */
  beta: number;
  /** KL(π_rollout‖π_end), exact, mean over the batch states: the KL of the update, what the controller sees. */
  klOfUpdate: number;
  /** Optimizer steps taken (fewer than epochs × minibatches after an early stop). */
  optimizerSteps: number;
  /** Exact expected return of the policy after the update (dynamic programming on the known table). */
  policyReturn: number;
}

/** Train and return the log and the final weights. */
export async function main(
  overrides: Partial<typeof DEFAULTS> = {},
): Promise<{ log: PartsUpdateLog[]; weights: ReturnType<TabularPolicy['getWeights']>; optimalReturn: number }> {
  const c = { ...DEFAULTS, ...overrides };
  await setBackend(c.backend);

  // --- setup: seeded streams, envs, policy, optimizer, controller ---
  const root = createRng(c.seed);
  const envs = new VectorEnv(
    Array.from({ length: c.numEnvs }, () => () => makeEnv('frozenlake4x4')),
    { autoreset: 'same-step' },
  );
  let obs = Int32Array.from(envs.reset({ seed: root.fork('env').int(1, 2 ** 31 - 1) }).obs as Int32Array);
  const S = 16;
  const A = 4;
  const policy = new TabularPolicy({ numStates: S, numActions: A, rng: root.fork('init'), critic: true });
  const rolloutRng = root.fork('rollout');
  const minibatchRng = root.fork('minibatch');
  const encode = encoderFor({ kind: 'discrete', n: S }).encode;
  const optimizer = new Adam(policy.trainableVariables, { eps: c.adamEps });
  const controller = createKlController({ kind: 'adaptive', beta: c.beta, target: c.targetKl });
  let controllerState = controller.init();
  const B = c.numEnvs * c.nSteps;
  const M = B / c.numMinibatches;
  const model = frozenLake4x4(); // the transition table, for the exact return within the 100-step limit
  const optimalReturn = finiteHorizonValue(model, { horizon: 100 }).startValue;
  const log: PartsUpdateLog[] = [];

  for (let update = 1; update <= c.updates; update++) {
    const beta = controller.coef(controllerState);

    // --- 1. rollout: nSteps steps of every env copy, actions from the policy's tensor-free fast path ---
    const states = new Int32Array(B);
    const actions = new Int32Array(B);
    const rewards = new Float64Array(B);
    const terminated = new Uint8Array(B);
    const truncated = new Uint8Array(B);
    const bootstrapAt: number[] = []; // steps whose next value is V(next obs): truncated steps and the last row
    const bootstrapObs: number[] = [];
    for (let t = 0; t < c.nSteps; t++) {
      const step = new Int32Array(c.numEnvs);
      for (let i = 0; i < c.numEnvs; i++) step[i] = policy.act(obs[i]!, rolloutRng).action as number;
      const res = envs.step(step);
      for (let i = 0; i < c.numEnvs; i++) {
        const k = t * c.numEnvs + i;
        [states[k], actions[k], rewards[k], terminated[k], truncated[k]] = [
          obs[i]!,
          step[i]!,
          res.rewards[i]!,
          res.terminated[i]!,
          res.truncated[i]!,
        ];
        if (terminated[k]) continue;
        const next = truncated[k]
          ? (res.finalObs[i] as number)
          : t === c.nSteps - 1
            ? (res.obs as Int32Array)[i]!
            : null;
        if (next !== null) {
          bootstrapAt.push(k);
          bootstrapObs.push(next);
        }
      }
      obs = Int32Array.from(res.obs as Int32Array);
    }

    // --- 2. one forward pass: log π_rollout(a|s), V(s), π_rollout's logits, V of the bootstrap observations ---
    const rollout = tf.tidy(() => {
      const dist = policy.distribution(encode(states));
      const boot = bootstrapAt.length ? policy.value(encode(Int32Array.from(bootstrapObs))) : tf.zeros([0]);
      return {
        logProb: dist.logProb(tf.tensor1d(actions, 'int32')),
        logits: dist.logits(),
        values: policy.value(encode(states)),
        boot,
      };
    });
    const values = Float64Array.from(await rollout.values.data());
    const bootValues = await rollout.boot.data();
    const oldLogProb = await rollout.logProb.data();
    const oldLogits = await rollout.logits.data();
    tf.dispose(rollout);

    // --- 3. advantages: GAE(γ, λ), returns = Â + V ---
    const bootstrapValues = new Float64Array(B);
    bootstrapAt.forEach((k, j) => {
      bootstrapValues[k] = bootValues[j]!;
    });
    const { advantages, returns } = gae({
      rewards,
      values,
      terminated,
      truncated,
      bootstrapValues,
      gamma: c.gamma,
      lambda: c.gaeLambda,
      numEnvs: c.numEnvs,
    });

    // --- 4. optimize: epochs × minibatches; stop the update before a step whose KL(π_rollout‖π_θ) > 1.5 × target ---
    let optimizerSteps = 0;
    let stopped = false;
    for (let epoch = 0; epoch < c.epochs && !stopped; epoch++) {
      const perm = permutation(B, minibatchRng);
      for (let start = 0; start < B && !stopped; start += M) {
        const idx = Array.from(perm.subarray(start, start + M));
        const mbAdv = Float32Array.from(normalizeAdvantages(idx.map((k) => advantages[k]!)));
        let preStepKl = 0;
        const { grads, value } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const obsT = encode(Int32Array.from(idx, (k) => states[k]!));
              const dist = policy.distribution(obsT);
              const rolloutDist = Categorical.fromLogits(
                tf.tensor2d(
                  idx.flatMap((k) => Array.from(oldLogits.subarray(k * A, k * A + A))),
                  [M, A],
                ),
              );
              const logProb = dist.logProb(
                tf.tensor1d(
                  Int32Array.from(idx, (k) => actions[k]!),
                  'int32',
                ),
              );
              const old = tf.tensor1d(Float32Array.from(idx, (k) => oldLogProb[k]!));
              const adv = tf.tensor1d(mbAdv);
              const exactKl = rolloutDist.kl(dist); // KL(π_rollout‖π_θ) per state
              const clipped = ppoClipLoss({ logProb, oldLogProb: old, advantages: adv, clip: c.clip });
              const penalty = klPenaltyLoss({ logProb, oldLogProb: old, advantages: adv, beta, kl: exactKl });
              const vLoss = valueLoss({
                values: policy.value(obsT),
                returns: tf.tensor1d(Float32Array.from(idx, (k) => returns[k]!)),
                oldValues: tf.tensor1d(Float32Array.from(idx, (k) => values[k]!)),
                clipRange: c.clip,
              }).loss;
              const entropy = tf.mean(dist.entropy());
              preStepKl = tf.mean(exactKl).dataSync()[0]!;
              // loss = clipped surrogate + β·KL + vfCoef·value loss − entCoef·entropy
              return tf.addN([
                clipped.loss,
                tf.mul(beta, penalty.klMean),
                tf.mul(c.vfCoef, vLoss),
                tf.mul(-c.entCoef, entropy),
              ]) as tf.Scalar;
            }),
          policy.trainableVariables,
        );
        const gradList = policy.trainableVariables.map((v) => grads[v.name]!);
        if (preStepKl > 1.5 * c.targetKl) {
          stopped = true; // early stopping (SB3 ppo.py target_kl): this step is not taken
        } else {
          const norm = globalNorm(gradList);
          const scale = tf.minimum(1, tf.div(c.maxGradNorm, tf.add(norm, 1e-6))); // clip_grad_norm_
          const clippedGrads = gradList.map((g) => tf.mul(g, scale));
          optimizer.applyGradients(clippedGrads, c.lr);
          tf.dispose([norm, scale, ...clippedGrads]);
          optimizerSteps++;
        }
        tf.dispose([value, ...gradList]);
      }
    }

    // --- 5. the KL of the update, KL(π_rollout‖π_end) on the whole batch, feeds the adaptive rule ---
    const klT = tf.tidy(() =>
      tf.mean(Categorical.fromLogits(tf.tensor2d(oldLogits, [B, A])).kl(policy.distribution(encode(states)))),
    );
    const klOfUpdate = Math.max((await klT.data())[0]!, 0);
    klT.dispose();
    controllerState = controller.update(controllerState, { kl: klOfUpdate, nSteps: B });

    // --- logging: the exact return of the new policy, from the known transition table ---
    const probsT = tf.tidy(() => policy.distribution(encode(Int32Array.from({ length: S }, (_, s) => s))).probs());
    const policyReturn = finiteHorizonValue(model, {
      horizon: 100,
      policy: Float64Array.from(await probsT.data()),
    }).startValue;
    probsT.dispose();
    log.push({ update, beta, klOfUpdate, optimizerSteps, policyReturn });
    if (c.print) {
      console.log(
        `update ${String(update).padStart(3)}  β ${beta.toPrecision(3).padStart(8)}  KL of the update ${klOfUpdate.toFixed(5)} (target ${c.targetKl})  steps ${optimizerSteps}  exact return ${policyReturn.toFixed(3)} of ${optimalReturn.toFixed(3)}`,
      );
    }
  }

  const weights = policy.getWeights();
  optimizer.dispose();
  policy.dispose();
  envs.close();
  return { log, weights, optimalReturn };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
