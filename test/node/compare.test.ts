import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePpoConfig } from '../../src/training/config.js';
import { ConfigError } from '../../src/core/errors.js';
import { aggregateCompare } from '../../src/node/compare/aggregate.js';
import { compareFile, readCompareFiles, type CompareResult } from '../../src/node/compare/file.js';
import { cellConfig, compareCells, parseShard, shardCells, type CompareGrid } from '../../src/node/compare/grid.js';
import { mergeCompare } from '../../src/node/compare/merge.js';
import {
  compareCsv,
  compareScatterSpec,
  compareSpec,
  formatCompareTable,
  renderCompareHtml,
  writeCompareOutputs,
} from '../../src/node/compare/outputs.js';
import { RUN_COLOURS } from '../../src/node/report/settings.js';
import { runCompare } from '../../src/node/compare/run.js';
import type { MetricRecord } from '../../src/training/metrics.js';

const GRID: CompareGrid = {
  env: 'bandit',
  objectives: ['clip', 'kl-penalty', 'clip+kl', 'pg'],
  controllers: ['fixed', 'adaptive'],
  seeds: [1, 2, 3],
  totalSteps: 512,
  base: { numEnvs: 2 },
};

/** A fake cell runner: deterministic metrics from the cell's config (no trainer needed). */
async function fakeRun(config: Record<string, unknown>): Promise<MetricRecord[]> {
  const seed = Number(config.seed);
  const obj = String(config.objective).length;
  return [
    { update: 1, 'charts/episodic_return': null, 'kl/exact_old_new': 0.01 * seed, 'kl/coef': 1 },
    {
      update: 2,
      'charts/episodic_return': obj / 10 + seed / 100,
      'kl/exact_old_new': 0.03 * seed,
      'kl/coef': 2,
      'charts/optimal_return': 0.9,
    },
  ];
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'klip-cmp-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('grid and shards', () => {
  it('enumerates objective × controller × seed, with one controller "-" for objectives without a KL term', () => {
    const cells = compareCells(GRID);
    expect(cells).toHaveLength(3 + 2 * 3 + 2 * 3 + 3);
    expect(cells.map((c) => c.index)).toEqual(cells.map((_, i) => i));
    expect(cells.slice(0, 4).map((c) => [c.objective, c.controller, c.seed])).toEqual([
      ['clip', '-', 1],
      ['clip', '-', 2],
      ['clip', '-', 3],
      ['kl-penalty', 'fixed', 1],
    ]);
  });

  it('shards are disjoint and cover the grid for every n (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 5 }), (n, seeds) => {
        const cells = compareCells({ ...GRID, seeds: Array.from({ length: seeds }, (_, i) => i + 1) });
        const slices = Array.from({ length: n }, (_, i) =>
          shardCells(cells, { index: i + 1, count: n }).map((c) => c.index),
        );
        const all = slices.flat().sort((a, b) => a - b);
        expect(all).toEqual(cells.map((c) => c.index));
        const sizes = slices.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('parses i/n and rejects anything else with the expected form', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '2', '-1/3']) {
      expect(() => parseShard(bad)).toThrow(ConfigError);
      expect(() => parseShard(bad)).toThrow(
        `compare: --shard must be i/n with 1 ≤ i ≤ n (e.g. 1/4), got ${JSON.stringify(bad)}`,
      );
    }
  });

  it('builds each cell config from the base, keeping base controller parameters only for the same kind', () => {
    const cells = compareCells(GRID);
    const grid = { ...GRID, base: { numEnvs: 2, klController: { kind: 'adaptive' as const, target: 0.02 } } };
    const adaptive = cells.find((c) => c.controller === 'adaptive')!;
    const fixed = cells.find((c) => c.controller === 'fixed')!;
    expect(cellConfig(grid, adaptive)).toEqual({
      numEnvs: 2,
      env: 'bandit',
      totalSteps: 512,
      objective: 'kl-penalty',
      seed: 1,
      klController: { kind: 'adaptive', target: 0.02 },
    });
    // fixed needs a β: the base's when it has one, else the default config's initial β (1); it must build a trainer
    expect(cellConfig(grid, fixed).klController).toEqual({ kind: 'fixed', beta: 1 });
    expect(
      cellConfig({ ...grid, base: { klController: { kind: 'adaptive', beta: 0.3 } } }, fixed).klController,
    ).toEqual({ kind: 'fixed', beta: 0.3 });
    expect(() => resolvePpoConfig(cellConfig(grid, fixed))).not.toThrow();
    expect(cellConfig(grid, cells[0]!).klController).toEqual({ kind: 'adaptive', target: 0.02 }); // clip: base untouched
  });
});

describe('aggregate, csv and table', () => {
  it('computes mean ± sample std per (objective, controller)', async () => {
    const results = await runCompare(GRID, compareCells(GRID), {
      runCell: (c) => fakeRun(c as Record<string, unknown>),
      now: () => 0,
    });
    const rows = aggregateCompare(results);
    expect(rows.map((r) => `${r.objective}/${r.controller}`)).toEqual([
      'clip/-',
      'kl-penalty/fixed',
      'kl-penalty/adaptive',
      'clip+kl/fixed',
      'clip+kl/adaptive',
      'pg/-',
    ]);
    // clip: returns 0.4 + seed/100 = 0.41, 0.42, 0.43 → mean 0.42, sample std 0.01; KL per seed mean(0.01s, 0.03s) = 0.02s → 0.02, 0.04, 0.06
    const clip = rows[0]!;
    expect(clip.n).toBe(3);
    expect(clip.returnMean).toBeCloseTo(0.42, 12);
    expect(clip.returnStd).toBeCloseTo(0.01, 12);
    expect(clip.klMean).toBeCloseTo(0.04, 12);
    expect(clip.klStd).toBeCloseTo(0.02, 12);
    expect(clip.optimalReturn).toBe(0.9);
    const csv = compareCsv(rows).trimEnd().split('\n');
    expect(csv[0]).toBe(
      'objective,controller,n,return_mean,return_std,kl_mean,kl_std,policy_return_mean,optimal_return',
    );
    expect(csv).toHaveLength(7);
    expect(csv[1]!.split(',').slice(0, 3)).toEqual(['clip', '-', '3']);
    expect(formatCompareTable(rows)).toContain('0.420 ± 0.010');
  });

  it('one seed has std 0; no finished episodes gives null', () => {
    const r = (i: number, ret: number | null): CompareResult => ({
      index: i,
      objective: 'clip',
      controller: '-',
      seed: i,
      finalReturn: ret,
      successRate: null,
      policyReturn: null,
      optimalReturn: null,
      meanStepKl: null,
      finalBeta: null,
      updates: 1,
      wallTimeSeconds: 0,
    });
    expect(aggregateCompare([r(0, 0.5)])[0]).toMatchObject({ returnMean: 0.5, returnStd: 0, klMean: null });
    expect(aggregateCompare([r(0, null)])[0]).toMatchObject({ returnMean: null, returnStd: null });
  });
});

describe('merge', () => {
  it('merging the shards equals the unsharded results (up to wall time)', async () => {
    const full = await runCompare(GRID, compareCells(GRID), {
      runCell: (c) => fakeRun(c as Record<string, unknown>),
      now: () => 0,
    });
    const n = 3;
    for (let i = 1; i <= n; i++) {
      const part = await runCompare(GRID, shardCells(compareCells(GRID), { index: i, count: n }), {
        runCell: (c) => fakeRun(c as Record<string, unknown>),
        now: () => 0,
      });
      await writeCompareOutputs(join(dir, `s${i}`), compareFile(GRID, { index: i, count: n }, part), { html: false });
    }
    const files = await readCompareFiles([join(dir, 's3'), join(dir, 's1'), join(dir, 's2', 'compare.json')]);
    const { merged, missing } = mergeCompare(files);
    expect(missing).toEqual([]);
    expect(merged.results).toEqual(full);
    expect(merged.shard).toBeNull();
  });

  it('reports missing cells, rejects different grids and conflicting duplicates', async () => {
    const part = await runCompare(GRID, shardCells(compareCells(GRID), { index: 1, count: 2 }), {
      runCell: (c) => fakeRun(c as Record<string, unknown>),
      now: () => 0,
    });
    const f1 = compareFile(GRID, { index: 1, count: 2 }, part);
    expect(mergeCompare([f1]).missing.map((c) => c.index)).toEqual(
      shardCells(compareCells(GRID), { index: 2, count: 2 }).map((c) => c.index),
    );
    expect(() => mergeCompare([f1, { ...f1, grid: { ...GRID, totalSteps: 1024, seeds: [1] } }])).toThrow(
      'compare: --merge must be shards of one grid (same env, objectives, controllers, seeds, steps and config), got "folder 2". Its seeds, totalSteps differ from those of folder 1',
    );
    const changed = { ...f1, results: f1.results.map((r) => ({ ...r, finalReturn: 99 })) };
    expect(() => mergeCompare([f1, changed], ['a', 'b'])).toThrow(
      'compare: --merge must be shards whose common cells have identical results, got "b". Cell 0 (clip / - / seed 1) differs from the one in a',
    );
    expect(() => mergeCompare([])).toThrow(ConfigError);
  });

  it('rejects a folder without a klip compare.json', async () => {
    await expect(readCompareFiles([dir])).rejects.toThrow('must be an existing JSON file');
  });

  it('writes compare.json, compare.csv, compare_runs.csv and a standalone compare.html', async () => {
    const results = await runCompare(GRID, compareCells(GRID), {
      runCell: (c) => fakeRun(c as Record<string, unknown>),
      now: () => 0,
    });
    const written = await writeCompareOutputs(join(dir, 'out'), compareFile(GRID, null, results));
    expect(written.map((p) => p.slice(join(dir, 'out').length + 1))).toEqual([
      'compare.json',
      'compare.csv',
      'compare_runs.csv',
      'compare.html',
    ]);
    const html = readFileSync(join(dir, 'out', 'compare.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('clip+kl / adaptive');
    expect(html).not.toMatch(/https?:|<script/);
    expect(
      readFileSync(join(dir, 'out', 'compare_runs.csv'), 'utf8')
        .trimEnd()
        .split('\n'),
    ).toHaveLength(1 + results.length);
  });

  it('draws seeds on a zoomed axis, coloured by objective, rows in table order, the optimum as a rule', async () => {
    const results = await runCompare(GRID, compareCells(GRID), {
      runCell: (c) => fakeRun(c as Record<string, unknown>),
      now: () => 0,
    });
    const file = compareFile(GRID, null, results);
    type Layer = {
      data?: { values: Record<string, unknown>[] };
      mark: { type: string };
      encoding: Record<string, { field?: string; sort?: string[]; scale?: Record<string, unknown> }>;
    };
    const spec = compareSpec(results, file) as { layer: Layer[] };
    const points = spec.layer[0]!.encoding;
    expect(points.x!.scale).toEqual({ zero: false });
    expect(points.color!.field).toBe('objective');
    expect(points.color!.scale).toEqual({ domain: GRID.objectives, range: RUN_COLOURS.slice(0, 4) });
    expect(points.y!.sort).toEqual(
      aggregateCompare(results).map((r) => (r.controller === '-' ? r.objective : `${r.objective} / ${r.controller}`)),
    );
    const rule = spec.layer.find((l) => l.mark.type === 'rule')!;
    expect(rule.data!.values).toEqual([{ optimum: 0.9, label: 'exact optimum' }]);
    const scatter = compareScatterSpec(results, file) as { layer: Layer[] };
    expect(scatter.layer[0]!.encoding.x!.field).toBe('meanStepKl');
    expect(scatter.layer[0]!.encoding.y!.field).toBe('finalReturn');
    expect(scatter.layer[0]!.encoding.shape!.field).toBe('controller');
    const html = await renderCompareHtml(file);
    expect(html).toContain('<h2>Return against KL</h2>');
    expect(html.match(/<svg/g)).toHaveLength(2);
    // the table's rows carry their objective's colour: clip blue, kl-penalty orange, …
    const table = /<table>.*?<\/table>/s.exec(html)![0];
    expect([...table.matchAll(/background:(#[0-9a-f]{6})"><\/span>([^<]*)</g)].map((m) => `${m[2]} ${m[1]}`)).toEqual([
      `clip ${RUN_COLOURS[0]}`,
      `kl-penalty ${RUN_COLOURS[1]}`,
      `kl-penalty ${RUN_COLOURS[1]}`,
      `clip+kl ${RUN_COLOURS[2]}`,
      `clip+kl ${RUN_COLOURS[2]}`,
      `pg ${RUN_COLOURS[3]}`,
    ]);
  });

  it("keeps each cell's metrics in cells/<name>/ and drops an older comparison's cells", async () => {
    const metrics = new Map<number, MetricRecord[]>();
    const results = await runCompare(GRID, compareCells(GRID), {
      runCell: (c) => fakeRun(c as Record<string, unknown>),
      now: () => 0,
      onMetrics: (r, m) => metrics.set(r.index, [...m]),
    });
    expect([...metrics.keys()]).toEqual(results.map((r) => r.index));
    const out = join(dir, 'cells-out');
    const written = await writeCompareOutputs(out, compareFile(GRID, null, results), { cells: { metrics } });
    expect(written.filter((p) => p.includes('/cells/'))).toHaveLength(results.length);
    const first = readFileSync(join(out, 'cells', '00-clip-seed1', 'metrics.jsonl'), 'utf8');
    expect(first).toBe(
      metrics
        .get(0)!
        .map((m) => `${JSON.stringify(m)}\n`)
        .join(''),
    );
    await writeCompareOutputs(out, compareFile(GRID, null, results.slice(0, 1)));
    expect(() => readFileSync(join(out, 'cells', '00-clip-seed1', 'metrics.jsonl'))).toThrow();
  });

  it("merging shard folders copies every shard's cells into the merged cells/", async () => {
    for (let i = 1; i <= 2; i++) {
      const metrics = new Map<number, MetricRecord[]>();
      const part = await runCompare(GRID, shardCells(compareCells(GRID), { index: i, count: 2 }), {
        runCell: (c) => fakeRun(c as Record<string, unknown>),
        now: () => 0,
        onMetrics: (r, m) => metrics.set(r.index, [...m]),
      });
      await writeCompareOutputs(join(dir, `m${i}`), compareFile(GRID, { index: i, count: 2 }, part), {
        html: false,
        cells: { metrics },
      });
    }
    const { merged } = mergeCompare(await readCompareFiles([join(dir, 'm1'), join(dir, 'm2')]));
    await writeCompareOutputs(join(dir, 'merged'), merged, {
      cells: { copyFrom: [join(dir, 'm1'), join(dir, 'm2', 'compare.json')] },
    });
    const names = readdirSync(join(dir, 'merged', 'cells'));
    expect(names).toHaveLength(compareCells(GRID).length);
    expect(names[0]).toBe('00-clip-seed1');
    expect(names[1]).toBe('01-clip-seed2'); // from the second shard
  });
});
