/**
 * End-to-end training throughput: env steps per second including the updates, on FrozenLake 4x4 with
 * CleanRL's Atari-less defaults (8 envs × 128 steps, 4 epochs, 4 minibatches, MLP 64-64 tanh, Adam 2.5e-4), on wasm
 * and cpu, and with the tabular policy. Each timed call is one `trainer.step()` (one rollout of 1024 steps + 16
 * optimizer steps). The baseline row steps the same vector env with random actions from an Rng (env-only rate).
 *
 * Reference (not measured here, no Python in the project): a CleanRL-style PyTorch PPO with these settings reaches
 * about 15,000 env steps/s end to end on these 2-core machines (../shared/perf-notes.md); the goal is ≥ 2× that with the MLP.
 */
import { pathToFileURL } from 'node:url';
import { createRng } from '../src/random/rng.js';
import { Trainer } from '../src/training/trainer.js';
import type { PpoConfigInput } from '../src/training/config.js';
import { makeEnv } from '../envs/registry.js';
import { VectorEnv } from '../envs/vector.js';
import { parseBenchArgs, runSuite, type BenchCase, type BenchOptions } from './harness.js';

const BENCH = 'train frozenlake4x4, 8×128 steps/update';
const TORCH_REFERENCE_STEPS_PER_S = 15_000;

const CLEANRL: PpoConfigInput = {
  env: 'frozenlake4x4',
  numEnvs: 8,
  nSteps: 128,
  epochs: 4,
  numMinibatches: 4,
  lr: 2.5e-4,
  totalSteps: 1024 * 10_000,
  objective: 'clip',
  seed: 1,
};

function trainerCase(impl: string, config: PpoConfigInput): BenchCase {
  let trainer: Trainer | undefined;
  return {
    bench: BENCH,
    impl,
    work: 1024,
    unit: 'steps/s',
    setup: async () => {
      trainer = await Trainer.create(config);
    },
    run: async () => {
      await trainer!.step();
    },
    teardown: () => trainer!.dispose(),
  };
}

function envOnlyCase(): BenchCase {
  const venv = new VectorEnv(
    Array.from({ length: 8 }, () => () => makeEnv('frozenlake4x4')),
    { autoreset: 'same-step' },
  );
  const rng = createRng(1);
  const actions = new Int32Array(8);
  return {
    bench: BENCH,
    impl: 'env-only',
    work: 1024,
    unit: 'steps/s',
    setup: () => venv.reset({ seed: 1 }),
    run: () => {
      for (let t = 0; t < 128; t++) {
        for (let i = 0; i < 8; i++) actions[i] = rng.int(0, 4);
        venv.step(actions);
      }
    },
  };
}

/** Run the training benchmark. */
export async function main(opts: BenchOptions = parseBenchArgs()): Promise<void> {
  const cases = [
    envOnlyCase(),
    trainerCase('mlp-wasm', {
      ...CLEANRL,
      backend: 'wasm',
      policy: { kind: 'mlp', hidden: [64, 64], activation: 'tanh' },
    }),
    trainerCase('mlp-cpu', {
      ...CLEANRL,
      backend: 'cpu',
      policy: { kind: 'mlp', hidden: [64, 64], activation: 'tanh' },
    }),
    trainerCase('tabular-wasm', { ...CLEANRL, backend: 'wasm', policy: { kind: 'tabular' }, lr: null }),
    trainerCase('tabular-cpu', { ...CLEANRL, backend: 'cpu', policy: { kind: 'tabular' }, lr: null }),
  ];
  const results = await runSuite(
    'End-to-end PPO training throughput',
    cases,
    { ...opts, reps: Math.min(opts.reps, 5), warmup: Math.max(1, Math.min(opts.warmup, 1)) },
    {
      baseline: 'env-only',
      notes: [
        'the ratio column is the training rate over the env-only rate measured in this run (how much the updates cost).',
        `reference: CleanRL-style PyTorch PPO ≈ ${TORCH_REFERENCE_STEPS_PER_S.toLocaleString('en')} steps/s on these machines; goal ≥ 2× with the MLP.`,
      ],
    },
  );
  if (!opts.json) {
    for (const r of results.filter((x) => x.impl !== 'env-only')) {
      console.log(`${r.impl}: ${(r.median / TORCH_REFERENCE_STEPS_PER_S).toFixed(2)}× the PyTorch reference figure`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
