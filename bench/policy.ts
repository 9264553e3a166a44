/**
 * Policy speed: single-observation `act` latency on the plain-JS fast path (tabular and 64-64 MLP), next to
 * the same batch-1 forward done with tensors, and one PPO-style minibatch gradient step (B = 2048, 64-64 tanh MLP,
 * categorical logProb, clipped ratio loss, Adam) on wasm and cpu.
 *
 * Goals (from the plain-JS loop measured when the fast path was written): MLP act ≤ 15 µs per call (plain-JS loop measured at ~12 µs), tabular far below.
 */
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { setBackend } from '../src/backend/backend.js';
import { MlpPolicy } from '../src/policies/mlp.js';
import { TabularPolicy } from '../src/policies/tabular.js';
import type { Policy } from '../src/policies/types.js';
import { createRng } from '../src/random/rng.js';
import { parseBenchArgs, runSuite, type BenchCase, type BenchOptions } from './harness.js';

const ACT_CALLS = 20_000;
const TENSOR_ACT_CALLS = 200;
const BATCH = 2048;
const OBS_DIM = 4;
const NUM_ACTIONS = 4;

function mlp(seed: string): MlpPolicy {
  return new MlpPolicy({
    obsSpace: { kind: 'box', shape: [OBS_DIM] },
    actionSpace: { kind: 'discrete', n: NUM_ACTIONS },
    hidden: [64, 64],
    rng: createRng(seed),
  });
}

/** `calls` fast-path acts on a rotating set of observations. */
function actCase(
  bench: string,
  impl: string,
  make: () => Policy,
  obsOf: (i: number) => number | Float64Array,
): BenchCase {
  let policy: Policy | undefined;
  const rng = createRng('bench-act');
  let sink = 0;
  return {
    bench,
    impl,
    work: ACT_CALLS,
    unit: 'calls/s',
    setup: async () => {
      await setBackend('wasm');
      policy = make();
      policy.syncFastPath();
    },
    run: () => {
      const p = policy!;
      for (let i = 0; i < ACT_CALLS; i++) sink += p.act(obsOf(i), rng).logProb;
      return sink;
    },
    teardown: () => policy!.dispose(),
  };
}

/** The batch-1 forward through tensors (encode, logits, probs read back, value read back), for contrast. */
function tensorActCase(backend: 'wasm' | 'cpu', obs: readonly Float64Array[]): BenchCase {
  let policy: MlpPolicy | undefined;
  const rng = createRng('bench-tensor-act');
  return {
    bench: 'act 64-64 MLP, batch 1',
    impl: `tfjs-${backend}`,
    work: TENSOR_ACT_CALLS,
    unit: 'calls/s',
    setup: async () => {
      await setBackend(backend);
      policy = mlp('bench-mlp');
    },
    run: () => {
      const p = policy!;
      for (let i = 0; i < TENSOR_ACT_CALLS; i++) {
        tf.tidy(() => {
          const x = p.encoder.encode(obs[i % obs.length]!);
          const d = p.distribution(x);
          d.sample(rng).dataSync();
          p.value(x).dataSync();
        });
      }
    },
    teardown: () => policy!.dispose(),
  };
}

/** One PPO minibatch step: variableGrads of the clipped ratio loss + value loss, then Adam. */
function gradStepCase(backend: 'wasm' | 'cpu'): BenchCase {
  let policy: MlpPolicy | undefined;
  let optimizer: tf.Optimizer | undefined;
  let batch:
    | { x: tf.Tensor; actions: tf.Tensor; oldLogProb: tf.Tensor; advantages: tf.Tensor; returns: tf.Tensor }
    | undefined;
  return {
    bench: `PPO grad step, B=${BATCH}, 64-64 MLP`,
    impl: `tfjs-${backend}`,
    work: BATCH,
    unit: 'samples/s',
    setup: async () => {
      await setBackend(backend);
      policy = mlp('bench-grad');
      optimizer = tf.train.adam(2.5e-4);
      const rng = createRng('bench-batch');
      const obs = Float64Array.from({ length: BATCH * OBS_DIM }, () => rng.normal());
      const actions = Int32Array.from({ length: BATCH }, () => rng.int(0, NUM_ACTIONS));
      batch = {
        x: policy.encoder.encode(obs),
        actions: tf.tensor1d(actions, 'int32'),
        oldLogProb: tf.tensor1d(
          Float32Array.from({ length: BATCH }, () => Math.log(1 / NUM_ACTIONS) + 0.05 * rng.normal()),
        ),
        advantages: tf.tensor1d(Float32Array.from({ length: BATCH }, () => rng.normal())),
        returns: tf.tensor1d(Float32Array.from({ length: BATCH }, () => rng.normal())),
      };
    },
    run: async () => {
      const p = policy!;
      const b = batch!;
      const vars = p.trainableVariables;
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const logProb = p.distribution(b.x).logProb(b.actions);
            const ratio = tf.exp(tf.sub(logProb, b.oldLogProb));
            const surr = tf.minimum(tf.mul(ratio, b.advantages), tf.mul(tf.clipByValue(ratio, 0.8, 1.2), b.advantages));
            const vLoss = tf.mean(tf.square(tf.sub(p.value(b.x), b.returns)));
            return tf.add(tf.neg(tf.mean(surr)), tf.mul(0.5, vLoss)) as tf.Scalar;
          }),
        vars,
      );
      optimizer!.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name]! })));
      await value.data(); // wait for the step to finish
      tf.dispose([value, grads]);
    },
    teardown: () => {
      const b = batch!;
      tf.dispose([b.x, b.actions, b.oldLogProb, b.advantages, b.returns]);
      optimizer!.dispose();
      policy!.dispose();
    },
  };
}

/** Run the policy benchmarks and print µs per act call next to the rates. */
export async function main(opts: BenchOptions = parseBenchArgs()): Promise<void> {
  const rng = createRng('bench-obs');
  const obs = Array.from({ length: 64 }, () => Float64Array.from({ length: OBS_DIM }, () => rng.normal()));
  const actResults = await runSuite(
    'Policy act latency (one observation)',
    [
      actCase(
        'act tabular 16×4',
        'plain-js',
        () =>
          new TabularPolicy({
            numStates: 16,
            numActions: NUM_ACTIONS,
            init: 'random',
            initScale: 1,
            rng: createRng('t'),
          }),
        (i) => i & 15,
      ),
      actCase(
        'act 64-64 MLP, batch 1',
        'plain-js',
        () => mlp('bench-mlp'),
        (i) => obs[i & 63]!,
      ),
      tensorActCase('wasm', obs),
      tensorActCase('cpu', obs),
    ],
    opts,
    {
      baseline: 'plain-js',
      notes: [
        'goal: MLP plain-js act ≤ 15 µs per call (plain-JS loop: ~12 µs); tensor rows show why rollouts use the fast path.',
      ],
    },
  );
  if (!opts.json) {
    for (const r of actResults)
      console.log(`${r.bench} [${r.impl}]: ${(1e6 / r.median).toFixed(2)} µs per call (median)`);
  }
  const stepResults = await runSuite('PPO minibatch gradient step', [gradStepCase('wasm'), gradStepCase('cpu')], opts, {
    baseline: 'tfjs-cpu',
    notes: ['measured when the backends were chosen: ≈ 71 k samples/s on wasm and ≈ 15 k on cpu for this step.'],
  });
  if (!opts.json) {
    console.log(
      stepResults.map((r) => `${r.impl}: ${Math.round(r.median).toLocaleString('en')} samples/s`).join('   |   '),
    );
  }
  await setBackend('wasm');
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
