import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, KlipError } from '../../src/core/errors.js';
import { NODE_ATOMIC_FS, type AtomicFileSystem } from '../../src/node/atomic.js';
import {
  checkCreatable,
  createRun,
  csvHeader,
  csvLine,
  diffMetrics,
  isRunFolder,
  openRun,
  parseMetricsJsonl,
  RUN_FILES,
  summarizeMetrics,
} from '../../src/node/run_folder.js';
import type { Checkpoint } from '../../src/training/checkpoint.js';
import { METRIC_KEYS, type MetricRecord } from '../../src/training/metrics.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'klip-run-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const rec = (u: number, extra: MetricRecord = {}): MetricRecord => ({
  update: u,
  global_step: 512 * u,
  'kl/exact_old_new': 0.1 + 0.2 * u,
  'charts/episodic_return': null,
  ...extra,
});

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

describe('createRun / appendMetrics', () => {
  it('creates the folder with config.json, an empty metrics.jsonl and the METRIC_KEYS csv header', async () => {
    const dir = join(root, 'runs', 'a');
    const run = await createRun(dir, { config: { env: 'frozenlake4x4', seed: 1 } });
    expect(JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8'))).toEqual({ env: 'frozenlake4x4', seed: 1 });
    expect(readFileSync(join(dir, RUN_FILES.metrics), 'utf8')).toBe('');
    expect(readFileSync(join(dir, RUN_FILES.csv), 'utf8')).toBe(`${METRIC_KEYS.join(',')}\n`);
    expect(run.name).toBe('a');
    expect(isRunFolder(dir)).toBe(true);
  });

  it('appends one JSONL line and one CSV row per update that read back exactly', async () => {
    const dir = join(root, 'b');
    const run = await createRun(dir, { config: {} });
    const records = [rec(1), rec(2, { 'charts/episodic_return': 0.1 + 0.2, extra_key: 7 })];
    for (const r of records) await run.appendMetrics(r);
    expect(await run.readMetrics()).toEqual(records);
    const lines = readFileSync(join(dir, RUN_FILES.csv), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const header = lines[0]!.split(',');
    const row = lines[2]!.split(',');
    expect(row).toHaveLength(METRIC_KEYS.length);
    expect(header).not.toContain('extra_key');
    expect(Number(row[header.indexOf('charts/episodic_return')])).toBe(0.1 + 0.2); // exact float round trip
    expect(lines[1]!.split(',')[header.indexOf('charts/episodic_return')]).toBe(''); // null → empty cell
    expect(Number(row[header.indexOf('kl/exact_old_new')])).toBe(0.1 + 0.2 * 2);
  });

  it('csvLine/csvHeader follow METRIC_KEYS order', () => {
    expect(csvHeader().trimEnd().split(',')).toEqual([...METRIC_KEYS]);
    const line = csvLine({ global_step: 5, update: 2 }).trimEnd().split(',');
    expect(line.slice(0, 2)).toEqual(['2', '5']);
    expect(line.slice(2).every((c) => c === '')).toBe(true);
  });

  it('rewriteMetrics replaces both files (resume from a checkpoint history)', async () => {
    const run = await createRun(join(root, 'c'), { config: {} });
    for (const u of [1, 2, 3]) await run.appendMetrics(rec(u));
    await run.rewriteMetrics([rec(1), rec(2)]);
    expect(await run.readMetrics()).toEqual([rec(1), rec(2)]);
    expect(readFileSync(run.path('csv'), 'utf8').trimEnd().split('\n')).toHaveLength(3);
  });

  it('refuses a non-empty folder without force, naming --resume for a run, and touches nothing', async () => {
    const dir = join(root, 'd');
    const run = await createRun(dir, { config: { seed: 1 } });
    await run.appendMetrics(rec(1));
    const before = snapshot(dir);
    const err = await createRun(dir, { config: { seed: 2 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('--out must be a new or empty folder');
    expect((err as Error).message).toContain('--resume');
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a path that is a file', async () => {
    const f = join(root, 'file');
    writeFileSync(f, 'x');
    await expect(createRun(f, { config: {} })).rejects.toThrow('--out must be a folder path (not a file)');
  });

  it('with force replaces the run files and drops a stale checkpoint, keeping unrelated files', async () => {
    const dir = join(root, 'e');
    const run = await createRun(dir, { config: { seed: 1 } });
    await run.appendMetrics(rec(1));
    writeFileSync(run.path('checkpoint'), '{}');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await createRun(dir, { config: { seed: 2 }, force: true });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'klip.json', 'metrics.csv', 'metrics.jsonl', 'notes.txt']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ seed: 2 });
  });
});

describe('openRun / isRunFolder', () => {
  it('rejects a folder that is not a run with a clear message', async () => {
    const dir = join(root, 'plain');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x.txt'), '1');
    expect(isRunFolder(dir)).toBe(false);
    await expect(openRun(dir)).rejects.toThrow(
      `openRun: run must be a klip run folder (with config.json and metrics.jsonl), got ${JSON.stringify(dir)}`,
    );
    await expect(openRun(join(root, 'nope'))).rejects.toThrow('run must be an existing run folder');
    expect(isRunFolder(join(root, 'nope'))).toBe(false);
  });

  it('rejects a run whose config.json is not an object', async () => {
    const dir = join(root, 'badcfg');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '[1]');
    writeFileSync(join(dir, 'metrics.jsonl'), '');
    await expect(openRun(dir)).rejects.toBeInstanceOf(ConfigError);
  });

  it('names the line of a malformed metrics.jsonl record', () => {
    expect(() => parseMetricsJsonl('{"update":1}\n{oops\n', 'm.jsonl')).toThrow('m.jsonl line 2 must be a JSON object');
    expect(parseMetricsJsonl('{"update":1}\n\n')).toEqual([{ update: 1 }]);
  });
});

describe('checkpoints', () => {
  const fake = (u: number): Checkpoint => ({ format: 'klip-checkpoint', update: u }) as unknown as Checkpoint;

  it('a checkpoint write whose rename fails leaves the previous checkpoint intact', async () => {
    const dir = join(root, 'ck');
    await createRun(dir, { config: {} });
    const ok = await openRun(dir);
    await ok.writeCheckpoint(fake(10));
    const failing: AtomicFileSystem = {
      ...NODE_ATOMIC_FS,
      rename: async () => {
        throw new Error('crash during rename');
      },
    };
    const bad = await openRun(dir, { fs: failing });
    await expect(bad.writeCheckpoint(fake(20))).rejects.toThrow('crash during rename');
    expect(JSON.parse(readFileSync(ok.path('checkpoint'), 'utf8'))).toEqual({ format: 'klip-checkpoint', update: 10 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reading a truncated or foreign checkpoint throws CheckpointError', async () => {
    const run = await createRun(join(root, 'dmg'), { config: {} });
    writeFileSync(run.path('checkpoint'), '{"format":"klip-checkpoint","vers');
    await expect(run.readCheckpoint()).rejects.toBeInstanceOf(CheckpointError);
    writeFileSync(run.path('checkpoint'), '{"format":"other"}');
    const err = await run.readCheckpoint().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toContain('checkpoint.format');
    expect(run.hasCheckpoint()).toBe(true);
  });
});

describe('summarizeMetrics', () => {
  it('takes the last non-null charts and the mean per-step KL over the updates that report it', () => {
    const metrics: MetricRecord[] = [
      { 'kl/exact_old_new': 0.01, 'kl/coef': 1, 'charts/episodic_return': null },
      {
        'kl/exact_old_new': 0.03,
        'kl/coef': 2,
        'charts/episodic_return': 0.25,
        'charts/success_rate': 0.25,
        'charts/optimal_return': 0.82,
      },
      { 'kl/exact_old_new': null, 'kl/coef': 0.5, 'charts/episodic_return': null, 'charts/policy_return': 0.7 },
    ];
    expect(summarizeMetrics(metrics)).toEqual({
      finalReturn: 0.25,
      successRate: 0.25,
      policyReturn: 0.7,
      optimalReturn: 0.82,
      meanStepKl: (0.01 + 0.03) / 2,
      finalBeta: 0.5,
    });
    expect(summarizeMetrics([])).toEqual({
      finalReturn: null,
      successRate: null,
      policyReturn: null,
      optimalReturn: null,
      meanStepKl: null,
      finalBeta: null,
    });
  });
});

describe('write failures are typed and name the path', () => {
  it('createRun under a file: KlipError naming the folder', async () => {
    writeFileSync(join(root, 'plainfile'), 'x');
    const dir = join(root, 'plainfile', 'run');
    const err = await createRun(dir, { config: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KlipError);
    expect((err as Error).message).toMatch(
      new RegExp(`^createRun: ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} must be writable, got "(ENOTDIR|EEXIST)"`),
    );
  });

  it('appendMetrics to a vanished folder: KlipError naming metrics.jsonl', async () => {
    const dir = join(root, 'gone');
    const run = await createRun(dir, { config: {} });
    rmSync(dir, { recursive: true, force: true });
    const err = await run.appendMetrics(rec(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KlipError);
    expect((err as Error).message).toBe(
      `RunFolder.appendMetrics: ${join(dir, 'metrics.jsonl')} must be writable, got "ENOENT". no such file or folder; the checkpoint is unchanged`,
    );
  });
});

describe('diffMetrics', () => {
  const a = (): MetricRecord[] => [rec(1), rec(2, { 'charts/env_steps_per_s': 100 })];

  it('equal histories (wall-clock keys aside) give null', () => {
    const b = a();
    b[1]!['charts/env_steps_per_s'] = 5;
    b[0]!['charts/env_steps_per_s'] = 7; // present on one side only: still a wall-clock key
    expect(diffMetrics(a(), b)).toBeNull();
    expect(diffMetrics([], [])).toBeNull();
  });

  it('finds the first differing record and key, exactly (no tolerance), null ≠ missing', () => {
    const b = a();
    b[1]!['kl/exact_old_new'] = 0.1 + 0.2 * 2 + 1e-16 * 4; // one ulp-scale change
    expect(b[1]!['kl/exact_old_new']).not.toBe(a()[1]!['kl/exact_old_new']);
    expect(diffMetrics(a(), b)).toEqual({
      kind: 'value',
      index: 1,
      update: 2,
      key: 'kl/exact_old_new',
      recorded: 0.1 + 0.2 * 2,
      reproduced: b[1]!['kl/exact_old_new'],
    });
    const c = a();
    delete c[0]!['charts/episodic_return']; // was null
    expect(diffMetrics(a(), c)).toMatchObject({
      kind: 'value',
      update: 1,
      key: 'charts/episodic_return',
      recorded: null,
      reproduced: undefined,
    });
  });

  it('reports a length difference after a common prefix, and honours a custom ignore list', () => {
    expect(diffMetrics(a(), a().slice(0, 1))).toEqual({ kind: 'length', recorded: 2, reproduced: 1 });
    const b = a();
    b[0]!.global_step = 1;
    expect(diffMetrics(a(), b, ['global_step'])).toBeNull();
    expect(diffMetrics(a(), b)).toMatchObject({ key: 'global_step', update: 1 });
  });
});

describe('checkCreatable (the --out check of train, frontier and reproduce)', () => {
  it('accepts a missing or empty folder, refuses a file and a non-empty folder naming the command, touches nothing', async () => {
    expect(() => checkCreatable(join(root, 'missing'), false)).not.toThrow();
    mkdirSync(join(root, 'empty'));
    expect(() => checkCreatable(join(root, 'empty'), false, 'frontier')).not.toThrow();
    writeFileSync(join(root, 'file'), 'x');
    expect(() => checkCreatable(join(root, 'file'), true, 'frontier')).toThrow(
      /^frontier: --out must be a folder path \(not a file\)/,
    );
    const run = join(root, 'run');
    await createRun(run, { config: { env: 'bandit' } as never });
    const before = readdirSync(run).sort();
    expect(() => checkCreatable(run, false)).toThrow(ConfigError);
    expect(() => checkCreatable(run, false)).toThrow(
      /^train: --out must be a new or empty folder.*continue it with --resume/,
    );
    // other commands cannot resume: their hint names only --out and --force
    expect(() => checkCreatable(run, false, 'reproduce')).toThrow(
      /^reproduce: --out must be a new or empty folder, got .*\. Pick another --out or pass --force$/,
    );
    expect(() => checkCreatable(run, true, 'frontier')).not.toThrow();
    expect(readdirSync(run).sort()).toEqual(before);
  });
});
