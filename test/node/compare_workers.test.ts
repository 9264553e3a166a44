/**
 * `klip compare --workers N` and `runCompare({ workers })`: worker threads give exactly the results of the in-process
 * run (cells are seeded and independent), report them in cell order, and surface a cell's error with the same class
 * and message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, EnvError } from '../../src/core/errors.js';
import type { CompareResult } from '../../src/node/compare/file.js';
import { compareCells, type CompareGrid } from '../../src/node/compare/grid.js';
import { runCompare } from '../../src/node/compare/run.js';
import { deserializeError, serializeError } from '../../src/node/worker_pool.js';
import { runBuiltCli, useCliTestFolder } from '../helpers/built_cli.js';

const dir = useCliTestFolder('klip-compare-workers-');

const grid: CompareGrid = {
  env: 'bandit',
  objectives: ['clip', 'clip+kl'],
  controllers: ['adaptive'],
  seeds: [1, 2],
  totalSteps: 512,
  base: { backend: 'cpu' },
};
const noWall = (rs: CompareResult[]): unknown[] => rs.map(({ wallTimeSeconds: _w, ...r }) => r);
const withoutWallColumn = (csv: string): string =>
  csv
    .split('\n')
    .map((l) => l.split(',').slice(0, -1).join(','))
    .join('\n');

describe('runCompare with worker threads (from the sources, through tsx)', () => {
  it('equals the in-process results and reports them in cell order', async () => {
    const cells = compareCells(grid);
    const seen: Array<{ index: number; done: number }> = [];
    let used = 0;
    const inWorkers = await runCompare(grid, cells, {
      workers: 2,
      onStart: ({ workers }) => (used = workers),
      onResult: (r, done) => seen.push({ index: r.index, done }),
    });
    expect(used).toBe(2);
    expect(seen).toEqual(cells.map((c, i) => ({ index: c.index, done: i + 1 })));
    let usedSeq = 0;
    const inProcess = await runCompare(grid, cells, { workers: 1, onStart: ({ workers }) => (usedSeq = workers) });
    expect(usedSeq).toBe(1);
    expect(noWall(inWorkers)).toEqual(noWall(inProcess));
    expect(inWorkers.every((r) => r.updates === 1 && r.meanStepKl !== null)).toBe(true);
  }, 120_000);

  it("a cell's error keeps its class and message across the thread boundary", async () => {
    const bad: CompareGrid = { ...grid, base: { ...grid.base, envOptions: { bogus: 1 } } };
    const cells = compareCells(bad);
    const seq = await runCompare(bad, cells, { workers: 1 }).catch((e: unknown) => e);
    const par = await runCompare(bad, cells, { workers: 2 }).catch((e: unknown) => e);
    expect(seq).toBeInstanceOf(EnvError);
    expect(par).toBeInstanceOf(EnvError);
    expect((par as Error).message).toBe((seq as Error).message);
    expect((par as Error).message).toMatch(/bogus/);
    const round = deserializeError(
      serializeError(new ConfigError({ fn: 'f', arg: 'x', expected: 'y', got: () => 1, hint: 'Try z' })),
    );
    expect(round).toBeInstanceOf(ConfigError);
    expect(round.message).toBe('f: x must be y, got a function. Try z');
  }, 120_000);

  it('rejects a custom runCell with workers > 1 and a negative worker count', async () => {
    await expect(runCompare(grid, compareCells(grid), { workers: 2, runCell: async () => [] })).rejects.toThrow(
      /runCompare: runCell must be left out when workers > 1/,
    );
    await expect(runCompare(grid, compareCells(grid), { workers: -1 })).rejects.toThrow(ConfigError);
  });
});

describe('klip compare --workers (built CLI)', () => {
  it('--workers 1 and --workers 2 write the same compare.csv and print results in the same order', async () => {
    const args = [
      'compare',
      '--env',
      'bandit',
      '--objectives',
      'clip,clip+kl',
      '--controllers',
      'adaptive',
      '--seeds',
      '3',
      '--steps',
      '512',
      '--backend',
      'cpu',
    ];
    const one = await runBuiltCli([...args, '--workers', '1', '--out', join(dir(), 'w1')]);
    const two = await runBuiltCli([...args, '--workers', '2', '--out', join(dir(), 'w2')]);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.stderr).toContain('in-process');
    expect(two.stderr).toContain('2 worker threads');
    expect(readFileSync(join(dir(), 'w2', 'compare.csv'), 'utf8')).toBe(
      readFileSync(join(dir(), 'w1', 'compare.csv'), 'utf8'),
    );
    expect(withoutWallColumn(readFileSync(join(dir(), 'w2', 'compare_runs.csv'), 'utf8'))).toBe(
      withoutWallColumn(readFileSync(join(dir(), 'w1', 'compare_runs.csv'), 'utf8')),
    );
    const progress = (s: string): string[] => s.split('\n').filter((l) => l.startsWith('  ['));
    expect(progress(two.stderr)).toEqual(progress(one.stderr));
    expect(progress(two.stderr)).toHaveLength(6);
    expect(two.stdout).toBe(one.stdout.replace(join(dir(), 'w1'), join(dir(), 'w2')));
  }, 180_000);

  it("a worker's error is the same one line and exit code as in-process; a bad --workers is refused", async () => {
    const cfg = join(dir(), 'bad.json');
    await import('node:fs').then((fs) => fs.writeFileSync(cfg, JSON.stringify({ envOptions: { bogus: 1 } })));
    const args = [
      'compare',
      '--env',
      'bandit',
      '--objectives',
      'clip',
      '--seeds',
      '2',
      '--steps',
      '512',
      '--config',
      cfg,
    ];
    const one = await runBuiltCli([...args, '--workers', '1', '--out', join(dir(), 'e1')]);
    const two = await runBuiltCli([...args, '--workers', '2', '--out', join(dir(), 'e2')]);
    const errLine = (s: string): string[] => s.split('\n').filter((l) => l.startsWith('klip:'));
    expect(one.code).toBe(1);
    expect(two.code).toBe(1);
    expect(errLine(two.stderr)).toEqual(errLine(one.stderr));
    expect(errLine(two.stderr)).toHaveLength(1);
    expect(two.stderr).not.toMatch(/unexpected error|at /);
    const neg = await runBuiltCli([...args.slice(0, -2), '--workers', '-1', '--out', join(dir(), 'e3')]);
    expect(neg.code).toBe(2);
    expect(neg.stderr).toMatch(/^klip: compare: --workers must be an integer ≥ 0/);
  }, 120_000);
});
