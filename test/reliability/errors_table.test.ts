/**
 * Walks the tables of docs/errors.md: every row id has a thunk here that reproduces the case, and every
 * thunk has a row. For library rows the thrown error must be an instance of the row's class (and of KlipError),
 * `err.fn` must equal the row's function, `err.arg` must contain the row's argument, and the message must start with
 * the documented example (the text before "…"; the whole message when the example is not abridged). CLI rows run
 * `runCli` in-process and check the exit code the row's case names (`exit N`) and a single stderr line naming the flag.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { divergingBandit } from '../helpers/diverging.js';
import {
  BackendError,
  Categorical,
  CheckpointError,
  DiagGaussian,
  ConfigError,
  KlipError,
  NumericError,
  ShapeError,
  Trainer,
  createEarlyStopping,
  createKlController,
  createRng,
  distillationLoss,
  evaluateSchedule,
  gae,
  groupRelativeAdvantages,
  klDivergence,
  klEstimate,
  klProbs,
  klRegularizedOptimum,
  klRewardPenalty,
  linearSchedule,
  normalizeAdvantages,
  ppoClipLoss,
  resolvePpoConfig,
  softmax,
  validateCheckpoint,
  valueLoss,
  type Checkpoint,
} from '../../src/index.js';
import { BernoulliBandit, EnvError, Gridworld, TokenBandit, VectorEnv, checkEnv, makeEnv } from '../../envs/index.js';
import { setBackend } from '../../src/backend/backend.js';
import { compareCells, compareFile, runCli, type CompareGrid } from '../../src/node/index.js';
import { resultFromMetrics } from '../../src/node/compare/file.js';
import { quietCli } from '../helpers/cli_io.js';
import { tinyCheckpoint } from '../helpers/checkpoint.js';

const DOC = new URL('../../docs/errors.md', import.meta.url);

// ---------------------------------------------------------------------------------------------------------------
// Parsing the doc: `## <Class>` headings followed by a table `| id | function | argument | case | example |`.

interface Row {
  section: string;
  id: string;
  fn: string;
  arg: string;
  case: string;
  example: string;
}

/** Split a markdown table line on unescaped pipes; unescape `\|`; strip one pair of backticks around a cell. */
function cells(line: string): string[] {
  const parts = line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/);
  return parts.map((c) =>
    c
      .trim()
      .replace(/\\\|/g, '|')
      .replace(/^`(.*)`$/, '$1'),
  );
}

function parseDoc(text: string): Row[] {
  const rows: Row[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    const h = /^## (.+)$/.exec(line);
    if (h) section = h[1]!.trim();
    if (!line.startsWith('|') || /^\|\s*-/.test(line) || /^\|\s*id\s*\|/.test(line)) continue;
    const c = cells(line);
    if (c.length !== 5) throw new Error(`docs/errors.md: a table row must have 5 cells: ${line}`);
    rows.push({ section, id: c[0]!, fn: c[1]!, arg: c[2]!, case: c[3]!, example: c[4]! });
  }
  return rows;
}

const CLASSES: Record<string, new (...a: never[]) => KlipError> = {
  ShapeError,
  NumericError,
  ConfigError,
  EnvError,
  CheckpointError,
  BackendError,
};
const CLI_SECTION = 'CLI';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures shared by thunks.

let tmp: string;
let ckpt: Checkpoint;
let runDir: string;
/** A second run folder, left intact for `klip reproduce`. */
let reproducible: string;
beforeAll(async () => {
  await setBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'klip-errors-'));
  ckpt = await tinyCheckpoint({
    env: 'bandit',
    numEnvs: 2,
    nSteps: 4,
    totalSteps: 8,
    numMinibatches: 1,
    epochs: 1,
    backend: 'cpu',
    seed: 1,
  });
  writeFileSync(join(tmp, 'bad.json'), '{"env": "bandit",');
  writeFileSync(join(tmp, 'unknown_key.json'), JSON.stringify({ env: 'bandit', clipRange: 0.2 }));
  mkdirSync(join(tmp, 'not_a_run'));
  // A real run folder (tiny budget) whose checkpoint is then damaged.
  runDir = join(tmp, 'run');
  const code = await runCli(
    ['train', '--env', 'bandit', '--steps', '1024', '--out', runDir, '--json'],
    quietCli(tmpdir()).io,
  );
  expect(code).toBe(0);
  reproducible = join(tmp, 'run-intact');
  cpSync(runDir, reproducible, { recursive: true });
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const withCkpt = (patch: (c: Record<string, unknown>) => void): unknown => {
  const c = JSON.parse(JSON.stringify(ckpt)) as Record<string, unknown>;
  patch(c);
  return c;
};

const tinyCompare = ['compare', '--env', 'bandit', '--objectives', 'clip', '--seeds', '1', '--steps', '512'];
const COMPARE_GRID: CompareGrid = {
  env: 'bandit',
  objectives: ['clip'],
  controllers: ['adaptive'],
  seeds: [1],
  totalSteps: 512,
  base: {},
};
/** A folder of a user's files. */
function userFolder(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'notes.txt'), 'keep me');
  return dir;
}
/** A folder holding a klip compare.json of `grid`, every cell with a one-update result. */
function compareFolder(name: string, grid: CompareGrid): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const results = compareCells(grid).map((c) => resultFromMetrics(c, [{ update: 1 }], 0));
  writeFileSync(join(dir, 'compare.json'), JSON.stringify(compareFile(grid, null, results)));
  return dir;
}
/** An empty folder whose klip.lock is held by a process on another host. */
function lockedFolder(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'klip.lock'), JSON.stringify({ pid: 1, host: 'elsewhere.example', since: 'then' }));
  return dir;
}

/** Make tensors, run `f`, dispose them whatever happens. */
function withTensors(make: () => tf.Tensor[], f: (...t: tf.Tensor[]) => unknown): () => unknown {
  return () => {
    const ts = make();
    try {
      const r = f(...ts);
      tf.dispose(r as tf.TensorContainer);
      return r;
    } finally {
      tf.dispose(ts);
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// One thunk per row id. Library thunks must throw; CLI thunks return the argv to run.

type Thunk = () => unknown;
const grid =
  (lines: string[]): Thunk =>
  () =>
    new Gridworld(lines);

const THUNKS: Record<string, Thunk> = {
  // ShapeError
  'shape-probs-length': () => klProbs([0.5, 0.5], [0.2, 0.3, 0.5]),
  'shape-softmax-empty': () => softmax([]),
  'shape-estimate-shape': withTensors(
    () => [tf.zeros([3]), tf.zeros([4])],
    (a, b) => klEstimate({ estimator: 'k3', logProb: a!, refLogProb: b! }),
  ),
  'shape-estimate-length': () => klEstimate({ estimator: 'k1', logProb: [0, 0], refLogProb: [0] }),
  'shape-estimate-empty': () => klEstimate({ estimator: 'k1', logProb: [], refLogProb: [] }),
  'shape-gaussian-dtype': withTensors(
    () => [tf.tensor1d([0, 0]), tf.tensor1d([1, 0], 'bool')],
    (m, l) => DiagGaussian.create({ mean: m!, logStd: l! }),
  ),
  'shape-estimate-dtype': withTensors(
    () => [tf.tensor1d([0, -1], 'int32'), tf.tensor1d([0, -1])],
    (a, b) => klEstimate({ estimator: 'k1', logProb: a!, refLogProb: b! }),
  ),
  'shape-ppo-empty': withTensors(
    () => [tf.zeros([0]), tf.zeros([0]), tf.zeros([0])],
    (a, b, c) => ppoClipLoss({ logProb: a!, oldLogProb: b!, advantages: c!, clip: 0.2 }),
  ),
  'shape-value-empty': withTensors(
    () => [tf.zeros([0]), tf.zeros([0])],
    (a, b) => valueLoss({ values: a!, returns: b! }),
  ),
  'shape-ppo-shape': withTensors(
    () => [tf.zeros([3]), tf.zeros([4]), tf.zeros([3])],
    (a, b, c) => ppoClipLoss({ logProb: a!, oldLogProb: b!, advantages: c!, epsilon: 0.2 }),
  ),
  'shape-categorical-ragged': () => Categorical.fromLogits([[0, 1], [0]]),
  'shape-reward-penalty-rank': withTensors(
    () => [tf.zeros([3]), tf.zeros([3])],
    (a, b) => klRewardPenalty({ logProb: a!, refLogProb: b!, scores: [1, 1, 1], beta: 0.1, estimator: 'k1' }),
  ),
  'shape-group-size': () => groupRelativeAdvantages([1, 2, 3], { groupSize: 2 }),
  'shape-gae-length': () =>
    gae({
      rewards: [1, 0],
      values: [0],
      terminated: [0, 1],
      truncated: [0, 0],
      bootstrapValues: [0, 0],
      gamma: 0.99,
      lambda: 0.95,
    }),
  'shape-distill-rank': withTensors(
    () => [tf.zeros([3]), tf.zeros([3])],
    (a, b) => distillationLoss({ studentLogits: a!, teacherLogits: b!, kind: 'forward' }),
  ),
  // NumericError
  'num-probs-nan': () => klProbs([0.5, Number.NaN], [0.5, 0.5]),
  'num-softmax-inf': () => softmax([Infinity, 0]),
  'num-gae-inf': () =>
    gae({
      rewards: [0, 0, Infinity],
      values: [0, 0, 0],
      terminated: [0, 0, 1],
      truncated: [0, 0, 0],
      bootstrapValues: [0, 0, 0],
      gamma: 0.99,
      lambda: 0.95,
    }),
  'num-categorical-nan': () => Categorical.fromProbs([Number.NaN, 1]),
  'num-categorical-all-neg-inf': () => Categorical.fromLogits([-Infinity, -Infinity]),
  'num-categorical-float32': () => Categorical.fromLogits([0, 1e300]),
  'num-gaussian-float32': () => DiagGaussian.create({ mean: [0, 1e39], logStd: [0, 0] }),
  'num-gaussian-log-std': () => DiagGaussian.create({ mean: [0], logStd: [100] }),
  'num-controller-beta-overflow': () => {
    const c = createKlController({ kind: 'adaptive', beta: 1e308, target: 1e-6 });
    return c.update(c.init(), { kl: 1, nSteps: 128 });
  },
  'cfg-ppo-target-kl-renamed': () => resolvePpoConfig({ targetKl: 0.01 } as never),
  'cfg-trainer-one-action': () => Trainer.create({ env: 'bandit', envOptions: { probs: [0.5] }, backend: 'cpu' }),
  'num-controller-kl-nan': () => {
    const c = createKlController({ kind: 'adaptive' });
    return c.update(c.init(), { kl: Number.NaN, nSteps: 128 });
  },
  'num-early-stop-nan': () => createEarlyStopping({ targetKl: 0.01 }).shouldStop(Number.NaN),
  'num-optimum-reward': () => klRegularizedOptimum([0.5, 0.5], [1, Number.NaN], 0.1),
  'num-normalize-overflow': () => normalizeAdvantages([1.7e308, 1.7e308]),
  'num-estimate-logprob': () => klEstimate({ estimator: 'k3', logProb: [-Infinity], refLogProb: [0] }),
  // ConfigError
  'cfg-probs-sum': () => klProbs([0.5, 0.6], [0.5, 0.5]),
  'cfg-probs-negative': () => klProbs([0.5, 0.5], [-0.5, 1.5]),
  'cfg-estimator-name': () => klEstimate({ estimator: 'k4' as never, logProb: [0], refLogProb: [0] }),
  'cfg-estimate-positive': () => klEstimate({ estimator: 'k3', logProb: [-0.1, 0.5], refLogProb: [-1, -1] }),
  'cfg-controller-kind': () => createKlController({ kind: 'pid' } as never),
  'cfg-controller-beta': () => createKlController({ kind: 'fixed', beta: -0.1 }),
  'cfg-controller-key': () => createKlController({ kind: 'adaptive', horizon: 10 } as never),
  'cfg-early-stop-statistic': () => createEarlyStopping({ targetKl: 0.01, statistic: 'k2' as never }),
  'cfg-ppo-unknown-key': () => resolvePpoConfig({ clipRange: 0.2 } as never),
  'cfg-ppo-wrong-type': () => resolvePpoConfig({ clipEpsilon: '0.2' } as never),
  'cfg-ppo-range': () => resolvePpoConfig({ clipEpsilon: 1.5 }),
  'cfg-ppo-objective': () => resolvePpoConfig({ objective: 'dpo' } as never),
  'cfg-ppo-gamma-nan': () => resolvePpoConfig({ gamma: Number.NaN }),
  'cfg-ppo-minibatches': () => resolvePpoConfig({ numEnvs: 3, nSteps: 5, numMinibatches: 4 }),
  'cfg-rng-seed': () => createRng(-1),
  'cfg-gae-gamma': () =>
    gae({ rewards: [1], values: [0], terminated: [1], truncated: [0], bootstrapValues: [0], gamma: 1.5, lambda: 0.95 }),
  'cfg-reward-penalty-beta': withTensors(
    () => [tf.zeros([1, 2]), tf.zeros([1, 2])],
    (a, b) => klRewardPenalty({ logProb: a!, refLogProb: b!, scores: [1], beta: Number.NaN, estimator: 'k1' }),
  ),
  'cfg-distill-kind': withTensors(
    () => [tf.zeros([1, 3]), tf.zeros([1, 3])],
    (a, b) => distillationLoss({ studentLogits: a!, teacherLogits: b!, kind: 'jeffreys' as never }),
  ),
  'cfg-trainer-world': () => Trainer.create({ env: 42 as never }),
  'cfg-trainer-env-copies': () => Trainer.create({ env: new Gridworld(['SFG']), numEnvs: 4 }),
  'cfg-ref-placement-engine': () => resolvePpoConfig({ engine: 'fused', referenceKl: { placement: 'loss' } }),
  'cfg-trainer-reference': async () => {
    const donor = await Trainer.create({ env: 'bandit', numEnvs: 2, nSteps: 8, totalSteps: 32, backend: 'cpu' });
    try {
      return await Trainer.create({ env: 'bandit', reference: donor.policy });
    } finally {
      donor.dispose();
    }
  },
  'cfg-restore-reference': async () => {
    const t = await Trainer.create({
      env: 'bandit',
      numEnvs: 2,
      nSteps: 8,
      totalSteps: 32,
      backend: 'cpu',
      referenceKl: {},
    });
    const ckpt = await t.save();
    try {
      return await Trainer.restore(ckpt, { reference: t.policy });
    } finally {
      t.dispose();
    }
  },
  'cfg-schedule-progress': () => evaluateSchedule(linearSchedule(1, 0), 1.5, 'lr'),
  'cfg-optimum-beta': () => klRegularizedOptimum([0.5, 0.5], [1, 0], 0),
  'cfg-flags': () =>
    gae({
      rewards: [1],
      values: [0],
      terminated: [2],
      truncated: [0],
      bootstrapValues: [0],
      gamma: 0.99,
      lambda: 0.95,
    }),
  // EnvError
  'env-map-ragged': grid(['SFF', 'FH', 'FFG']),
  'env-map-cell': grid(['SXF', 'FFG']),
  'env-map-two-starts': grid(['SFS', 'FFG']),
  'env-map-no-start': grid(['FFF', 'FFG']),
  'env-map-empty': grid([]),
  'env-step-before-reset': () => new Gridworld(['SFG']).step(1),
  'env-step-after-end': () => {
    const env = new BernoulliBandit({ probs: [0.5, 0.5] });
    env.reset({ seed: 1 });
    env.step(0);
    return env.step(0);
  },
  'env-invalid-action': () => {
    const env = new Gridworld(['SFG']);
    env.reset({ seed: 1 });
    return env.step(4);
  },
  'env-action-type': () => {
    const env = new BernoulliBandit({ probs: [0.5, 0.5] });
    env.reset({ seed: 1 });
    return env.step('0' as never);
  },
  'env-bandit-probs': () => new BernoulliBandit({ probs: [0.2, 1.5] }),
  'env-make-id': () => makeEnv('mountaincar'),
  'env-make-option': () => makeEnv('bandit', { slippery: true }),
  'env-check-user-world': () =>
    checkEnv(Object.assign(new Gridworld(['SFG']), { render: () => 7 as never }), { throwOnProblem: true }),
  'env-token-reference': () => new TokenBandit({ vocabSize: 2, reference: [1, 0] }),
  'env-vector-before-reset': () => new VectorEnv([() => new BernoulliBandit({ probs: [0.5, 0.5] })]).step([0]),
  // CheckpointError
  'ckpt-not-object': () => validateCheckpoint('checkpoint.json'),
  'ckpt-foreign': () => validateCheckpoint({ format: 'keras-model', version: 1 }),
  'ckpt-version': () => validateCheckpoint(withCkpt((c) => (c.version = 99))),
  'ckpt-truncated': () => validateCheckpoint(withCkpt((c) => delete c.policy)),
  'ckpt-weights-nan': () =>
    validateCheckpoint(withCkpt((c) => ((c.policy as { values: unknown[] }[])[0]!.values[0] = null))),
  'ckpt-weights-size': () =>
    validateCheckpoint(withCkpt((c) => (c.policy as { values: unknown[] }[])[0]!.values.pop())),
  'ckpt-history': () => validateCheckpoint(withCkpt((c) => (c.history = []))),
  'ckpt-restore': () => Trainer.restore(withCkpt((c) => (c.format = 'other'))),
  'ckpt-weights-float32': () =>
    validateCheckpoint(withCkpt((c) => ((c.policy as { values: number[] }[])[0]!.values[0] = 1e39))),
  'ckpt-history-record': () => validateCheckpoint(withCkpt((c) => ((c.history as unknown[])[0] = 'x'))),
  'ckpt-update-range': () =>
    Trainer.restore(
      withCkpt((c) => {
        const first = (c.history as Record<string, unknown>[])[0]!;
        c.update = 3;
        c.history = [1, 2, 3].map((update) => ({ ...first, update }));
      }),
    ),
  'ckpt-restore-history': () => Trainer.restore(ckpt, { history: [] }),
  'ckpt-obs-space': () => Trainer.restore(withCkpt((c) => (c.obs = [5, 0]))),
  // BackendError: tfjs's state after `setBackend(…)` without await (its pending start); restored afterwards.
  // A fresh process importing klip is in the same state: docs/errors.md's block under BackendError runs one.
  'backend-not-ready': () => {
    const engine = tf.engine() as unknown as { pendingBackendInit: Promise<boolean> | null };
    const saved = engine.pendingBackendInit;
    engine.pendingBackendInit = new Promise<boolean>(() => undefined);
    try {
      return klDivergence(Categorical.fromLogits([[1, 1, 0]]), Categorical.fromLogits([[1, 2, 0]]));
    } finally {
      engine.pendingBackendInit = saved;
    }
  },
  // CLI: the thunk returns argv (relative to the temp folder)
  'cli-unknown-flag': () => ['train', '--bogus'],
  'cli-steps-negative': () => ['train', '--steps', '-5', '--out', join(tmp, 'never1')],
  'cli-steps-nan': () => ['train', '--steps', 'many'],
  'cli-env-unknown': () => ['train', '--env', 'nope', '--out', join(tmp, 'never2')],
  'cli-config-bad-json': () => ['train', '--config', join(tmp, 'bad.json'), '--out', join(tmp, 'never3')],
  'cli-config-unknown-key': () => ['train', '--config', join(tmp, 'unknown_key.json'), '--out', join(tmp, 'never4')],
  'cli-resume-not-run': () => ['train', '--resume', join(tmp, 'not_a_run')],
  'cli-resume-damaged': () => {
    writeFileSync(join(runDir, 'checkpoint.json'), readFileSync(join(runDir, 'checkpoint.json'), 'utf8').slice(0, 40));
    return ['train', '--resume', runDir];
  },
  'cli-resume-foreign': () => {
    writeFileSync(
      join(runDir, 'checkpoint.json'),
      JSON.stringify({ format: 'klip-checkpoint', version: 1, klipVersion: '0.1.0' }),
    );
    return ['train', '--resume', runDir];
  },
  'cli-beta-negative': () => ['train', '--beta', '-1', '--out', join(tmp, 'never5')],
  'cli-kl-sum': () => ['kl', '--p', '0.5,0.6', '--q', '0.5,0.5'],
  'cli-report-out-foreign': () => {
    writeFileSync(join(tmp, 'notes.txt'), 'my notes');
    return ['report', runDir, '--out', join(tmp, 'notes.txt')];
  },
  'cli-report-not-run': () => {
    const cell = join(tmp, 'cmp', 'cells', '00-clip-seed1');
    mkdirSync(cell, { recursive: true });
    writeFileSync(join(cell, 'config.json'), '{}'); // metrics.jsonl is missing
    return ['report', cell, '--out', join(tmp, 'cell-report.html')];
  },
  'cli-force-foreign': () => {
    const dir = join(tmp, 'users');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    return ['train', '--out', dir, '--force'];
  },
  'cli-map-cell': () => {
    const file = join(tmp, 'bad-map.txt');
    writeFileSync(file, 'SFX\nFFG\n');
    return ['train', '--map', file, '--steps', '1024'];
  },
  'cli-env-module-missing': () => ['train', '--env-module', join(tmp, 'no_such_env.mjs')],
  'cli-resume-config-edited': () => {
    const dir = join(tmp, 'edited');
    mkdirSync(dir, { recursive: true });
    const c = ckpt;
    writeFileSync(join(dir, 'klip.json'), JSON.stringify({ format: 'klip-run', version: 1, klipVersion: '0.1.0' }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...c.config, numIterations: 1, lr: 0.9 }));
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(ckpt));
    writeFileSync(join(dir, 'metrics.jsonl'), c.history!.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return ['train', '--resume', dir];
  },
  'cli-report-set-aside': () => {
    const dir = join(tmp, 'run-set-aside');
    cpSync(reproducible, dir, { recursive: true });
    mkdirSync(join(dir, '.klip-old-999999'));
    writeFileSync(
      join(dir, '.klip-old-999999', 'klip-aside.json'),
      JSON.stringify({ format: 'klip-aside', pid: 999999, host: 'h', since: '', files: ['config.json'] }),
    );
    return ['report', dir];
  },
  'cli-resume-metrics-short': () => {
    const dir = join(tmp, 'run-short');
    cpSync(reproducible, dir, { recursive: true });
    writeFileSync(join(dir, 'metrics.jsonl'), '');
    return ['train', '--resume', dir];
  },
  'cli-force-update1-restored': () => {
    const dir = join(tmp, 'run-force-diverge');
    cpSync(reproducible, dir, { recursive: true });
    const cfg = join(tmp, 'diverge-at-1.json');
    writeFileSync(cfg, JSON.stringify(divergingBandit('update-1')));
    return ['train', '--preset', 'library', '--config', cfg, '--out', dir, '--force'];
  },
  'cli-run-locked': () => {
    const dir = join(tmp, 'locked');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'klip.lock'), JSON.stringify({ pid: 1, host: 'elsewhere.example', since: 'then' }));
    return ['train', '--out', dir, '--force'];
  },
  'cli-compare-out-exists': () => [...tinyCompare, '--out', userFolder('cmp-user-1')],
  'cli-compare-force-foreign': () => [...tinyCompare, '--out', userFolder('cmp-user-2'), '--force'],
  'cli-compare-merge-foreign': () => {
    const dir = userFolder('cmp-foreign');
    writeFileSync(join(dir, 'compare.json'), JSON.stringify({ format: 'other', results: [] }));
    return ['compare', '--merge', dir];
  },
  'cli-compare-merge-grid': () => [
    'compare',
    '--merge',
    compareFolder('cmp-grid-a', COMPARE_GRID),
    compareFolder('cmp-grid-b', { ...COMPARE_GRID, totalSteps: 1024 }),
  ],
  'cli-compare-merge-out-exists': () => [
    'compare',
    '--merge',
    compareFolder('cmp-merge-a', COMPARE_GRID),
    '--out',
    compareFolder('cmp-merge-out', COMPARE_GRID),
  ],
  'cli-compare-locked': () => [...tinyCompare, '--out', lockedFolder('cmp-locked')],
  'cli-frontier-force-foreign': () => ['frontier', '--steps', '5', '--out', userFolder('fr-user'), '--force'],
  'cli-frontier-locked': () => ['frontier', '--steps', '5', '--out', lockedFolder('fr-locked')],
  'cli-reproduce-locked': () => ['reproduce', reproducible, '--out', lockedFolder('rep-locked')],
};

// ---------------------------------------------------------------------------------------------------------------

const rows = parseDoc(readFileSync(DOC, 'utf8'));

describe('docs/errors.md', () => {
  it('has the intro, ≥ 45 distinct rows, every class and ≥ 3 CLI rows', () => {
    const text = readFileSync(DOC, 'utf8');
    expect(text).toContain('fn: arg must be expected, got value');
    expect(rows.length).toBeGreaterThanOrEqual(45);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => `${r.fn}|${r.arg}|${r.case}`)).size).toBe(rows.length);
    for (const s of [...Object.keys(CLASSES), CLI_SECTION])
      expect(
        rows.some((r) => r.section === s),
        s,
      ).toBe(true);
    expect(rows.filter((r) => r.section === CLI_SECTION).length).toBeGreaterThanOrEqual(3);
    for (const r of rows)
      expect([...Object.keys(CLASSES), CLI_SECTION], `row ${r.id} under "## ${r.section}"`).toContain(r.section);
  });

  it('every row has a thunk and every thunk has a row', () => {
    const ids = new Set(rows.map((r) => r.id));
    expect(
      Object.keys(THUNKS).filter((id) => !ids.has(id)),
      'thunks without a row',
    ).toEqual([]);
    expect(
      [...ids].filter((id) => !(id in THUNKS)),
      'rows without a thunk',
    ).toEqual([]);
  });

  const library = rows.filter((r) => r.section !== CLI_SECTION);
  it.each(library.map((r) => [r.id, r] as const))('%s', async (_id, row) => {
    const thunk = THUNKS[row.id];
    expect(thunk, `no thunk for ${row.id}`).toBeDefined();
    const before = tf.memory().numTensors;
    let err: unknown;
    try {
      await thunk!();
    } catch (e) {
      err = e;
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(err, `${row.id} did not throw`).toBeInstanceOf(KlipError);
    const e = err as KlipError;
    const got = `${e.name} ${e.fn} / ${e.arg}: ${e.message}`;
    expect(e, got).toBeInstanceOf(CLASSES[row.section]!);
    expect(e.fn, got).toBe(row.fn);
    expect(e.arg, got).toContain(row.arg);
    expect(e.message, got).toContain(row.arg);
    if (row.example.endsWith('…')) expect(e.message.startsWith(row.example.slice(0, -1)), got).toBe(true);
    else expect(e.message, got).toBe(row.example);
  });

  const cli = rows.filter((r) => r.section === CLI_SECTION);
  it.each(cli.map((r) => [r.id, r] as const))('%s', async (_id, row) => {
    const argv = THUNKS[row.id]!() as string[];
    const { io, err } = quietCli(tmpdir());
    const code = await runCli(argv, io);
    expect(code, err()).not.toBe(0);
    const documented = /exit (\d+)/.exec(row.case);
    expect(documented, `row ${row.id}: the case names its exit code`).not.toBeNull();
    expect(code, err()).toBe(Number(documented![1]));
    const lines = err().trimEnd().split('\n');
    expect(lines, err()).toHaveLength(1);
    const line = lines[0]!;
    expect(row.fn.startsWith('klip ') && argv[0] === row.fn.split(' ')[1], `${row.fn} vs ${argv.join(' ')}`).toBe(true);
    if (row.example.endsWith('…')) expect(line.startsWith(row.example.slice(0, -1)), line).toBe(true);
    else expect(line).toBe(row.example);
    expect(line).toContain(row.arg);
  });
});
