/**
 * `npm run bench:learn`: the learning benchmark. Trains the default configuration of `klip train --env E` (the
 * quickstart's clip + adaptive-KL objective with each world's defaults from `WORLD_DEFAULTS`) on every built-in world
 * over 10 seeds (3 with `--quick`), on worker threads (one per core), and prints per world: the budget, the median,
 * min and max of the exact policy return ÷ the exact optimum (the exact return and the regret for CliffWalking,
 * whose optimum is negative), the seeds within 5 % of the optimum, the share of updates whose KL of the update
 * (KL(π_rollout‖π_end)) lay in the rule's band, above 2× and 5× the target, the updates with β at a bound or held,
 * the early stops, and the wall time; then whether each goal holds. Writes `bench/results/learn.json`.
 *
 * Options: `--quick` (3 seeds), `--seeds N`, `--worlds a,b`, `--workers N` (default: one per core).
 * Not a test: learning targets live here, over many seeds, never in one lucky seed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { QUICKSTART_CONFIG } from '../src/node/cli.js';
import type { PpoConfigInput } from '../src/training/config.js';
import { worldDefaults } from '../src/training/world_defaults.js';
import { runLearnJob, type LearnJob, type LearnRun } from './learn_worker.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The worlds and the learning goals set for their defaults (docs/benchmarks.md). */
const WORLDS: ReadonlyArray<{ env: string; goal: string; holds: (s: WorldStats) => boolean }> = [
  { env: 'frozenlake4x4', goal: 'every seed ≥ 0.90, median ≥ 0.95', holds: (s) => s.min >= 0.9 && s.median >= 0.95 },
  { env: 'frozenlake8x8', goal: 'median ≥ 0.90, every seed ≥ 0.80', holds: (s) => s.min >= 0.8 && s.median >= 0.9 },
  {
    env: 'cliffwalking',
    goal: 'median exact return ≥ −14',
    holds: (s) => s.medianReturn !== null && s.medianReturn >= -14,
  },
  { env: 'grid5x5', goal: 'every seed ≥ 0.95', holds: (s) => s.min >= 0.95 },
  { env: 'bandit', goal: 'every seed ≥ 0.95', holds: (s) => s.min >= 0.95 },
  { env: 'token-bandit', goal: 'every seed ≥ 0.95', holds: (s) => s.min >= 0.95 },
];

/** Per-world aggregate. */
interface WorldStats {
  env: string;
  seeds: number;
  budget: number;
  /** Median/min/max of policy return ÷ optimum (for a negative optimum: optimum ÷ policy return, ≤ 1 as well). */
  median: number;
  min: number;
  max: number;
  medianReturn: number | null;
  optimalReturn: number | null;
  medianRegret: number | null;
  /** Seeds within 5 % of the optimum. */
  reaching95: number;
  updates: number;
  inBandShare: number;
  over2xShare: number;
  over5xShare: number;
  betaAtBoundShare: number;
  heldShare: number;
  earlyStops: number;
  wallTimeSeconds: number;
  goal: string;
  goalHolds: boolean;
  kl: { over5x: number; over2xShare: number; betaAtBoundShare: number; holds: boolean };
}

function parseArgs(argv: readonly string[]): { seeds: number; worlds: string[]; workers: number } {
  const at = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seeds = argv.includes('--quick') ? 3 : Number(at('--seeds') ?? 10);
  if (!Number.isInteger(seeds) || seeds < 1)
    throw new Error(`bench:learn: --seeds must be a positive integer, got ${at('--seeds')}`);
  const worlds = (at('--worlds') ?? WORLDS.map((w) => w.env).join(',')).split(',').filter(Boolean);
  for (const w of worlds) {
    if (!WORLDS.some((x) => x.env === w))
      throw new Error(`bench:learn: --worlds takes ${WORLDS.map((x) => x.env).join(', ')}, got ${w}`);
  }
  const workers = Number(at('--workers') ?? availableParallelism());
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`bench:learn: --workers must be a positive integer, got ${at('--workers')}`);
  return { seeds, worlds, workers };
}

/** The config `klip train --env <env> --seed <seed>` runs. */
function defaultConfig(env: string, seed: number): PpoConfigInput {
  return { ...(JSON.parse(JSON.stringify(QUICKSTART_CONFIG.config)) as PpoConfigInput), env, seed };
}

/** Start a worker (a tsx bootstrap: Node 20 does not pass `--import tsx` on to a worker's entry file). */
function startWorker(): Worker {
  const api = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const entry = pathToFileURL(join(here, 'learn_worker.ts')).href;
  const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true });
}

/** Run the jobs on `n` workers (in-process when n = 1), results in job order. */
async function runAll(jobs: LearnJob[], n: number, onDone: (r: LearnRun, done: number) => void): Promise<LearnRun[]> {
  const out: LearnRun[] = new Array(jobs.length);
  let done = 0;
  if (n <= 1) {
    for (const job of jobs) {
      out[job.pos] = await runLearnJob(job);
      onDone(out[job.pos]!, ++done);
    }
    return out;
  }
  let next = 0;
  const workers = Array.from({ length: Math.min(n, jobs.length) }, startWorker);
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const give = (): void => {
              if (next >= jobs.length) {
                resolve();
                return;
              }
              w.postMessage(jobs[next++]);
            };
            w.on('message', (m: { type: string; run?: LearnRun; message?: string; pos?: number }) => {
              if (m.type === 'ready') return give();
              if (m.type === 'error') return reject(new Error(`bench:learn: job ${m.pos}: ${m.message}`));
              out[m.run!.pos] = m.run!;
              onDone(m.run!, ++done);
              give();
            });
            w.on('error', reject);
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function aggregate(env: string, goal: (typeof WORLDS)[number], runs: LearnRun[]): WorldStats {
  const score = (r: LearnRun): number => {
    if (r.policyReturn === null || r.optimalReturn === null) return NaN;
    return r.optimalReturn > 0 ? r.policyReturn / r.optimalReturn : r.optimalReturn / r.policyReturn;
  };
  const scores = runs.map(score);
  const returns = runs.map((r) => r.policyReturn).filter((x): x is number => x !== null);
  const updates = runs.reduce((s, r) => s + r.verdict.updates, 0);
  const sum = (k: 'inBand' | 'over2x' | 'over5x' | 'betaAtBound' | 'held' | 'earlyStops'): number =>
    runs.reduce((s, r) => s + r.verdict[k], 0);
  const opt = runs[0]?.optimalReturn ?? null;
  const over5x = sum('over5x');
  const over2xShare = sum('over2x') / updates;
  const betaAtBoundShare = sum('betaAtBound') / updates;
  const stats: WorldStats = {
    env,
    seeds: runs.length,
    budget: runs[0]?.steps ?? 0,
    median: median(scores),
    min: Math.min(...scores),
    max: Math.max(...scores),
    medianReturn: returns.length ? median(returns) : null,
    optimalReturn: opt,
    medianRegret: opt !== null && returns.length ? median(returns.map((x) => opt - x)) : null,
    reaching95: scores.filter((s) => s >= 0.95).length,
    updates,
    inBandShare: sum('inBand') / updates,
    over2xShare,
    over5xShare: over5x / updates,
    betaAtBoundShare,
    heldShare: sum('held') / updates,
    earlyStops: sum('earlyStops'),
    wallTimeSeconds: runs.reduce((s, r) => s + r.wallTimeSeconds, 0),
    goal: goal.goal,
    goalHolds: false,
    kl: {
      over5x,
      over2xShare,
      betaAtBoundShare,
      holds: over5x === 0 && over2xShare <= 0.05 && betaAtBoundShare <= 0.1,
    },
  };
  stats.goalHolds = goal.holds(stats);
  return stats;
}

function table(rows: WorldStats[]): string {
  const head = [
    'world',
    'budget',
    'seeds',
    'median',
    'min',
    'max',
    '≥0.95',
    'return (med)',
    'regret (med)',
    'in band',
    '>2×',
    '>5×',
    'β bound',
    'β held',
    'early stops',
    'wall s',
    'goal',
    'KL goal',
  ];
  const f = (x: number | null, d = 3): string => (x === null || Number.isNaN(x) ? '–' : x.toFixed(d));
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const body = rows.map((s) => [
    s.env,
    String(s.budget),
    String(s.seeds),
    f(s.median),
    f(s.min),
    f(s.max),
    `${s.reaching95}/${s.seeds}`,
    f(s.medianReturn),
    f(s.medianRegret),
    pct(s.inBandShare),
    pct(s.over2xShare),
    pct(s.over5xShare),
    pct(s.betaAtBoundShare),
    pct(s.heldShare),
    String(s.earlyStops),
    s.wallTimeSeconds.toFixed(0),
    `${s.goalHolds ? 'met' : 'MISSED'} (${s.goal})`,
    s.kl.holds ? 'met' : 'MISSED',
  ]);
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`).join('\n');
}

/** Run the benchmark (the script entry point calls this with process.argv). */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<WorldStats[]> {
  const { seeds, worlds, workers } = parseArgs(argv);
  const jobs: LearnJob[] = [];
  for (const env of worlds)
    for (let s = 1; s <= seeds; s++) jobs.push({ pos: jobs.length, config: defaultConfig(env, s) });
  process.stderr.write(`bench:learn: ${worlds.length} worlds × ${seeds} seeds on ${workers} worker(s)\n`);
  const t0 = performance.now();
  const runs = await runAll(jobs, workers, (r, done) => {
    const ratio =
      r.policyReturn !== null && r.optimalReturn !== null
        ? ` ${r.policyReturn.toFixed(3)} / ${r.optimalReturn.toFixed(3)}`
        : '';
    process.stderr.write(
      `  [${done}/${jobs.length}] ${r.env} seed ${String(r.seed)}:${ratio} (${r.wallTimeSeconds.toFixed(1)} s)\n`,
    );
  });
  const stats = worlds.map((env) =>
    aggregate(
      env,
      WORLDS.find((w) => w.env === env)!,
      runs.filter((r) => r.env === env),
    ),
  );
  const wall = (performance.now() - t0) / 1000;
  process.stdout.write(
    `\nLearning benchmark: default \`klip train --env E\` (clip+kl, adaptive β), ${seeds} seeds per world, ${wall.toFixed(0)} s wall\n`,
  );
  process.stdout.write(`${table(stats)}\n`);
  process.stdout.write(
    'median/min/max: exact policy return ÷ exact optimum (CliffWalking: optimum ÷ return); in band: KL of the update in the\n' +
      "rule's band; >2×/>5×: above that multiple of the target; KL goal: no update > 5×, ≤ 5% > 2×, β at a bound ≤ 10%.\n",
  );
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, 'learn.json');
  writeFileSync(
    file,
    `${JSON.stringify({ seeds, worlds, wallTimeSeconds: wall, defaults: Object.fromEntries(worlds.map((w) => [w, worldDefaults(w)])), stats, runs }, null, 2)}\n`,
  );
  process.stdout.write(`Wrote ${file}\n`);
  return stats;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
