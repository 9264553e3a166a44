/**
 * Env stepping speed: random-action steps per second on FrozenLake 4x4 (TimeLimit 100) and CliffWalking,
 * through `makeEnv` (single env) and `VectorEnv` (8 copies, same-step autoreset), beside a minimal hand-written loop
 * over the same transition table in the same run. Random actions come from an Rng in every variant (same cost).
 * Goal: ≥ 0.5× the hand-written loop.
 *
 * Run: `npx tsx bench/envs.ts [--json] [--reps N] [--warmup N]`.
 */
import { pathToFileURL } from 'node:url';
import { createRng } from '../src/random/rng.js';
import { makeEnv } from '../envs/registry.js';
import { makeVectorEnv } from '../envs/vector.js';
import type { TabularModel } from '../envs/types.js';
import { parseBenchArgs, runSuite, type BenchCase, type BenchOptions } from './harness.js';

const STEPS = 200_000;

/** The minimal loop: flat cumulative table, one Rng draw for the action and one for the outcome, time limit counter. */
function handLoopCase(bench: string, id: string, limit: number): BenchCase {
  const env = makeEnv(id) as unknown as TabularModel;
  const S = env.nStates;
  const A = env.nActions;
  const off = new Int32Array(S * A + 1);
  const cum: number[] = [];
  const nxt: number[] = [];
  const rew: number[] = [];
  const term: number[] = [];
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      off[s * A + a] = cum.length;
      let acc = 0;
      for (const t of env.P[s]![a]!) {
        acc += t.prob;
        cum.push(acc);
        nxt.push(t.next);
        rew.push(t.reward);
        term.push(t.terminated ? 1 : 0);
      }
    }
  }
  off[S * A] = cum.length;
  const start = env.initialStateDistribution.indexOf(1);
  const C = Float64Array.from(cum);
  const N = Int32Array.from(nxt);
  const R = Float64Array.from(rew);
  const T = Uint8Array.from(term);
  const rng = createRng(1);
  let sink = 0;
  return {
    bench,
    impl: 'hand-loop',
    work: STEPS,
    unit: 'steps/s',
    run: () => {
      let s = start;
      let t = 0;
      for (let i = 0; i < STEPS; i++) {
        const row = s * A + rng.int(0, A);
        const lo = off[row]!;
        const hi = off[row + 1]! - 1;
        const u = rng.float() * C[hi]!;
        let k = lo;
        while (k < hi && u >= C[k]!) k++;
        sink += R[k]!;
        s = N[k]!;
        t++;
        if (T[k] || t >= limit) {
          s = start;
          t = 0;
        }
      }
      return sink;
    },
  };
}

function envCase(bench: string, id: string): BenchCase {
  const env = makeEnv(id);
  const rng = createRng(1);
  return {
    bench,
    impl: 'env',
    work: STEPS,
    unit: 'steps/s',
    setup: () => env.reset({ seed: 1 }),
    run: () => {
      for (let i = 0; i < STEPS; i++) {
        const r = env.step(rng.int(0, 4));
        if (r.terminated || r.truncated) env.reset();
      }
    },
  };
}

function vectorCase(bench: string, id: string): BenchCase {
  const n = 8;
  const venv = makeVectorEnv(() => makeEnv(id), n, { autoreset: 'same-step' });
  const rng = createRng(1);
  const actions = new Int32Array(n);
  const iters = STEPS / n;
  return {
    bench,
    impl: 'vector-8',
    work: STEPS,
    unit: 'steps/s',
    setup: () => venv.reset({ seed: 1 }),
    run: () => {
      for (let i = 0; i < iters; i++) {
        for (let j = 0; j < n; j++) actions[j] = rng.int(0, 4);
        venv.step(actions);
      }
    },
  };
}

/** Run the env benchmark and print the table (or JSON lines). */
export async function main(opts: BenchOptions = parseBenchArgs()): Promise<void> {
  const cases: BenchCase[] = [];
  for (const [id, limit] of [
    ['frozenlake4x4', 100],
    ['cliffwalking', Number.MAX_SAFE_INTEGER],
  ] as const) {
    const bench = `${id} random steps`;
    cases.push(handLoopCase(bench, id, limit), envCase(bench, id), vectorCase(bench, id));
  }
  await runSuite('klip/envs stepping speed', cases, opts, {
    baseline: 'hand-loop',
    goals: { env: 0.5, 'vector-8': 0.5 },
    notes: [
      'hand-loop: the same transition table stepped by a minimal loop (no objects, no checks); same Rng draws per step.',
      'env: makeEnv(id) with its TimeLimit, step() + reset(); vector-8: VectorEnv of 8 copies, same-step autoreset, typed arrays.',
    ],
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
