/**
 * `klip compare` keeps each cell's metrics as a small run folder under `OUT/cells/`, so `klip report` overlays any
 * cells; a cell folder missing its files is refused with one line; the report of the same folders is the same bytes.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/node/cli.js';
import { parseMetricsJsonl } from '../../src/node/run_folder.js';
import { quietCli, useTempFolders } from '../helpers/cli_io.js';

const root = useTempFolders('klip-compare-cells-')();
const out = join(root, 'cmp');

beforeAll(async () => {
  writeFileSync(join(root, 'base.json'), JSON.stringify({ numEnvs: 2, nSteps: 16 }));
  const { io, err } = quietCli();
  const code = await runCli(
    [
      'compare',
      '--env',
      'bandit',
      '--objectives',
      'clip,kl-penalty',
      '--controllers',
      'adaptive,fixed',
      '--seeds',
      '1',
      '--steps',
      '64',
      '--workers',
      '0',
      '--backend',
      'cpu',
      '--config',
      join(root, 'base.json'),
      '--out',
      out,
    ],
    io,
  );
  expect(code, err()).toBe(0);
});

describe('compare cell folders', () => {
  it('writes one run folder per cell, in grid order, whose metrics match compare.json', () => {
    const names = readdirSync(join(out, 'cells'));
    expect(names).toEqual(['00-clip-seed1', '01-kl-penalty-adaptive-seed1', '02-kl-penalty-fixed-seed1']);
    const file = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as {
      results: { index: number; updates: number; finalBeta: number | null }[];
    };
    for (const [i, name] of names.entries()) {
      const metrics = parseMetricsJsonl(readFileSync(join(out, 'cells', name, 'metrics.jsonl'), 'utf8'));
      expect(metrics).toHaveLength(file.results[i]!.updates);
      const summary = JSON.parse(readFileSync(join(out, 'cells', name, 'summary.json'), 'utf8')) as {
        finalBeta: number | null;
        objective: string;
      };
      expect(summary.finalBeta).toBe(file.results[i]!.finalBeta);
      const config = JSON.parse(readFileSync(join(out, 'cells', name, 'config.json'), 'utf8')) as {
        objective: string;
        klController: { kind: string };
      };
      expect(config.objective).toBe(summary.objective);
    }
    expect(readFileSync(join(out, 'compare.html'), 'utf8')).toContain('01-kl-penalty-adaptive-seed1');
  });

  it('klip report overlays any cells, with their differing settings as columns, the same bytes twice', async () => {
    const page = join(root, 'cells.html');
    const pages: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { io, err } = quietCli();
      const code = await runCli(
        [
          'report',
          join(out, 'cells', '01-kl-penalty-adaptive-seed1'),
          join(out, 'cells', '02-kl-penalty-fixed-seed1'),
          '--out',
          page,
        ],
        io,
      );
      expect(code, err()).toBe(0);
      pages.push(readFileSync(page, 'utf8'));
    }
    expect(pages[1]).toBe(pages[0]);
    const table = /<table class="summary">.*?<\/table>/s.exec(pages[0]!)![0];
    expect(table).toContain('<th>controller</th>');
    expect(table).not.toContain('<th>objective</th>'); // both are kl-penalty
    expect(table.match(/class="swatch"/g)).toHaveLength(2);
  });

  it('refuses a cell folder missing its metrics with one line naming it', async () => {
    const broken = join(out, 'cells', '00-clip-seed1');
    rmSync(join(broken, 'metrics.jsonl'));
    const { io, err } = quietCli();
    expect(await runCli(['report', broken, '--out', join(root, 'x.html')], io)).toBe(2);
    expect(err().trimEnd().split('\n')).toHaveLength(1);
    expect(err()).toMatch(
      /klip: openRun: run must be a klip run folder \(with config\.json and metrics\.jsonl\), got .*00-clip-seed1/,
    );
  });
});
