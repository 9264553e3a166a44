/**
 * End-to-end training throughput: env steps per second of whole PPO updates (rollout, advantages, optimizer steps,
 * every exact metric), klip's `Trainer.step` beside the plain-JS limit loop of the same work (`bench/limit_ppo.ts`),
 * with CleanRL `ppo.py` settings (8 envs × 128 steps, 4 epochs × 4 minibatches of 256, Adam 2.5e-4, clip 0.2,
 * MLP tanh with separate actor and critic). Cases:
 * - tabular FrozenLake 4×4;
 * - MLP 64-64 on FrozenLake 4×4 (one-hot states: each distinct state forwarded once);
 * - MLP 64-64 on the same world seen as a float vector (`OneHotBox`: no state to reuse);
 * - MLP 64-64 on a 32×32 grid (1024 states);
 * - MLP 256-256 on FrozenLake 4×4.
 * klip runs its default engine (`auto`) and, for the MLP on FrozenLake 4×4, the tfjs engine too. Then the per-phase
 * split of klip's time (`Trainer.phaseTimes`) and the cost of writing a run folder (`runToFolder`: metrics.jsonl
 * every update, a checkpoint every 10).
 *
 * The cases run in interleaved rounds (round k times every case once, a few updates each), so a load change on the
 * shared machine hits all of them; each klip ÷ limit ratio is the median of its per-round ratios.
 *
 * Reference (not measured here, no Python in the project): a CleanRL-style PyTorch PPO with these settings ran at
 * 8.3 k – 18 k env steps/s end to end on these 2-core machines (../shared/perf-notes.md).
 * Usage: `npx tsx bench/train.ts [--reps N] [--warmup N] [--json]` (reps = rounds).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { makeEnv } from '../envs/registry.js';
import { Box } from '../envs/spaces.js';
import type { Env, EnvState, RenderFrame, ResetOptions, ResetResult, StepResult } from '../envs/types.js';
import { createRun } from '../src/node/run_folder.js';
import { runToFolder } from '../src/node/session.js';
import type { PpoConfigInput } from '../src/training/config.js';
import type { PhaseTimes } from '../src/training/phase_times.js';
import { Trainer, type TrainerInput } from '../src/training/trainer.js';
import { type BenchOptions, parseBenchArgs } from './harness.js';
import { LimitPpo, type LimitPpoOptions, limitGridMap } from './limit_ppo.js';

const STEPS_PER_UPDATE = 1024;
/** What a CleanRL-style PyTorch PPO reached on these machines (env steps/s, end to end, one thread). */
const TORCH_REFERENCE = { low: 8_300, high: 18_000 };

/**
 * A discrete-observation world seen through a float observation: state s becomes the one-hot vector e_s of
 * `Box([n])`. The dynamics are the inner env's; the trainer sees no state index, so nothing can be reused (and no
 * exact metric is computed, as for any box world without a model).
 */
export class OneHotBox implements Env<Float64Array, number> {
  readonly observationSpace: Box;
  readonly #inner: Env<number, number>;
  readonly #n: number;

  /** @param inner A world with a discrete observation space. */
  constructor(inner: Env<number, number>) {
    const space = inner.observationSpace as { kind: string; n?: number };
    if (space.kind !== 'discrete') throw new Error('OneHotBox: the inner env must have a discrete observation space');
    this.#inner = inner;
    this.#n = space.n!;
    this.observationSpace = new Box(0, 1, [this.#n]);
  }

  get actionSpace() {
    return this.#inner.actionSpace;
  }

  get unwrapped(): Env {
    return this.#inner.unwrapped;
  }

  #encode(s: number): Float64Array {
    const x = new Float64Array(this.#n);
    x[s] = 1;
    return x;
  }

  reset(opts?: ResetOptions): ResetResult<Float64Array> {
    const r = this.#inner.reset(opts);
    return { obs: this.#encode(r.obs), info: r.info };
  }

  step(action: number): StepResult<Float64Array> {
    const r = this.#inner.step(action);
    return { ...r, obs: this.#encode(r.obs) };
  }

  render(): string {
    return this.#inner.render();
  }

  renderFrame(): RenderFrame {
    return this.#inner.renderFrame();
  }

  getState(): EnvState {
    return this.#inner.getState();
  }

  setState(state: EnvState): void {
    this.#inner.setState(state);
  }

  close(): void {
    this.#inner.close();
  }
}

const CLEANRL: PpoConfigInput = {
  numEnvs: 8,
  nSteps: 128,
  epochs: 4,
  numMinibatches: 4,
  lr: 2.5e-4,
  totalSteps: STEPS_PER_UPDATE * 1_000_000,
  objective: 'clip',
  seed: 1,
};

/** One benchmarked pair: klip's trainer config and the limit loop of the same work. */
interface Pair {
  name: string;
  klip: TrainerInput;
  limit: LimitPpoOptions | null;
  /** Updates per timed call. */
  updates: number;
}

const GRID32 = limitGridMap(32, 32);

const PAIRS: Pair[] = [
  {
    name: 'tabular, FrozenLake 4×4',
    klip: { ...CLEANRL, env: 'frozenlake4x4', policy: { kind: 'tabular' } },
    limit: { policy: 'tabular' },
    updates: 8,
  },
  {
    name: 'MLP 64-64, FrozenLake 4×4',
    klip: { ...CLEANRL, env: 'frozenlake4x4', policy: { kind: 'mlp', hidden: [64, 64] } },
    limit: { policy: 'mlp', hidden: [64, 64], reuse: true },
    updates: 4,
  },
  {
    name: 'MLP 64-64, FrozenLake 4×4, tfjs engine',
    klip: { ...CLEANRL, env: 'frozenlake4x4', policy: { kind: 'mlp', hidden: [64, 64] }, engine: 'tfjs' },
    limit: null,
    updates: 1,
  },
  {
    name: 'MLP 64-64, float observation',
    klip: {
      ...CLEANRL,
      env: () => new OneHotBox(makeEnv('frozenlake4x4') as unknown as Env<number, number>),
      policy: { kind: 'mlp', hidden: [64, 64] },
    },
    limit: { policy: 'mlp', hidden: [64, 64], obs: 'box' },
    updates: 1,
  },
  {
    name: 'MLP 64-64, 32×32 grid',
    klip: { ...CLEANRL, env: 'gridworld', envOptions: { map: GRID32 }, policy: { kind: 'mlp', hidden: [64, 64] } },
    limit: { env: 'gridworld', envOptions: { map: GRID32 }, policy: 'mlp', hidden: [64, 64], reuse: true },
    updates: 2,
  },
  {
    name: 'MLP 256-256, FrozenLake 4×4',
    klip: { ...CLEANRL, env: 'frozenlake4x4', policy: { kind: 'mlp', hidden: [256, 256] } },
    limit: { policy: 'mlp', hidden: [256, 256], reuse: true },
    updates: 1,
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fmt(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0);
}

function pct(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(0)} %`;
}

/** Run the end-to-end benchmark. */
export async function main(opts: BenchOptions = parseBenchArgs()): Promise<void> {
  const rounds = Math.max(3, Math.min(opts.reps, 7));
  const trainers: Trainer[] = [];
  const limits: (LimitPpo | null)[] = [];
  for (const p of PAIRS) {
    const t = await Trainer.create(p.klip);
    trainers.push(t);
    limits.push(p.limit ? new LimitPpo(p.limit) : null);
  }
  const io = await mkdtemp(join(tmpdir(), 'klip-bench-io-'));
  const ioTrainer = await Trainer.create(PAIRS[1]!.klip);
  const run = await createRun(join(io, 'run'), { config: { ...ioTrainer.config } });
  try {
    // Warm-up: the JIT settles after about ten updates of the limit loop's and the engine's loops.
    const warm = Math.max(opts.warmup, 2);
    for (let i = 0; i < PAIRS.length; i++) {
      for (let k = 0; k < warm * PAIRS[i]!.updates; k++) {
        await trainers[i]!.step();
        limits[i]?.update();
      }
    }
    const start: PhaseTimes[] = trainers.map((t) => t.phaseTimes);
    const klipRates: number[][] = PAIRS.map(() => []);
    const limitRates: number[][] = PAIRS.map(() => []);
    const ioShare: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < PAIRS.length; i++) {
        const n = PAIRS[i]!.updates;
        let t0 = performance.now();
        for (let k = 0; k < n; k++) await trainers[i]!.step();
        klipRates[i]!.push((n * STEPS_PER_UPDATE) / ((performance.now() - t0) / 1000));
        const lim = limits[i];
        if (lim) {
          t0 = performance.now();
          for (let k = 0; k < n; k++) lim.update();
          limitRates[i]!.push((n * STEPS_PER_UPDATE) / ((performance.now() - t0) / 1000));
        }
      }
      // I/O: the CLI's session loop (metrics.jsonl every update, a checkpoint every 10) over the MLP trainer.
      const before = ioTrainer.phaseTimes;
      const t0 = performance.now();
      await runToFolder(ioTrainer, run, { checkpointEvery: 10, until: ioTrainer.update + 10 });
      const wall = (performance.now() - t0) / 1000;
      const after = ioTrainer.phaseTimes;
      const inStep =
        after.rollout +
        after.advantages +
        after.update +
        after.metrics -
        (before.rollout + before.advantages + before.update + before.metrics);
      ioShare.push((wall - inStep) / wall);
    }
    const rows = PAIRS.map((p, i) => {
      const k = median(klipRates[i]!);
      const l = limitRates[i]!.length ? median(limitRates[i]!) : NaN;
      const ratios = limitRates[i]!.map((x, j) => klipRates[i]![j]! / x);
      return {
        name: p.name,
        engine: trainers[i]!.config.engine,
        klip: k,
        limit: l,
        ratio: ratios.length ? median(ratios) : NaN,
      };
    });
    if (opts.json) {
      for (const r of rows) process.stdout.write(`${JSON.stringify({ bench: 'train end-to-end', ...r })}\n`);
      return;
    }
    console.log(`\nEnd-to-end PPO training, env steps/s (${rounds} interleaved rounds, medians)\n`);
    console.log('| case | klip engine | klip | limit loop (plain JS) | klip ÷ limit | klip ÷ PyTorch reference |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) {
      const torch = `${(r.klip / TORCH_REFERENCE.high).toFixed(2)}–${(r.klip / TORCH_REFERENCE.low).toFixed(2)}×`;
      const lim = Number.isNaN(r.limit) ? '' : fmt(r.limit);
      const ratio = Number.isNaN(r.ratio) ? '' : `${r.ratio.toFixed(2)}×`;
      console.log(`| ${r.name} | ${r.engine} | ${fmt(r.klip)} | ${lim} | ${ratio} | ${torch} |`);
    }
    console.log('\nWhere klip spends an update (share of Trainer.step wall time, Trainer.phaseTimes):\n');
    console.log('| case | rollout | advantages | update | exact metrics |');
    console.log('|---|---|---|---|---|');
    trainers.forEach((t, i) => {
      const a = t.phaseTimes;
      const b = start[i]!;
      const d = {
        rollout: a.rollout - b.rollout,
        advantages: a.advantages - b.advantages,
        update: a.update - b.update,
        metrics: a.metrics - b.metrics,
      };
      const total = d.rollout + d.advantages + d.update + d.metrics;
      console.log(
        `| ${PAIRS[i]!.name} | ${pct(d.rollout, total)} | ${pct(d.advantages, total)} | ${pct(d.update, total)} | ${pct(d.metrics, total)} |`,
      );
    });
    console.log(
      `\nI/O (klip train's run folder: metrics.jsonl every update, a checkpoint every 10), MLP 64-64: ${(100 * median(ioShare)).toFixed(1)} % of the session's wall time.`,
    );
    console.log(
      `PyTorch reference: a CleanRL-style PPO with the same settings ran at ${fmt(TORCH_REFERENCE.low)}–${fmt(TORCH_REFERENCE.high)} env steps/s on these machines (measured outside the project).`,
    );
  } finally {
    for (const t of trainers) t.dispose();
    ioTrainer.dispose();
    await rm(io, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
