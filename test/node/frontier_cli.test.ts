/** `klip frontier` and `klip report` on its folder, spawned as a user would (the built CLI). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FrontierFile } from '../../src/node/frontier.js';
import { runCli } from '../../src/node/cli.js';
import { runBuiltCli, useCliTestFolder } from '../helpers/built_cli.js';

const dir = useCliTestFolder('klip-frontier-cli-');

describe('klip frontier', () => {
  it('writes frontier.json and report.html, prints the table, and `klip report` renders the folder', async () => {
    const out = join(dir(), 'sweep');
    const r = await runBuiltCli([
      'frontier',
      '--rewards',
      '1,0.5,0',
      '--ref',
      '0.2,0.3,0.5',
      '--betas',
      '0.3,1',
      '--steps',
      '300',
      '--seed',
      '4',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = JSON.parse(readFileSync(join(out, 'frontier.json'), 'utf8')) as FrontierFile;
    expect(file).toMatchObject({
      format: 'klip-frontier',
      version: 1,
      inputs: { rewards: [1, 0.5, 0], piRef: [0.2, 0.3, 0.5], betas: [0.3, 1], mode: 'exact', steps: 300, seed: 4 },
    });
    expect(file.frontier.trained.map((t) => t.beta)).toEqual([0.3, 1]);
    file.frontier.trained.forEach((t, i) => {
      expect(Math.abs(t.kl - file.frontier.optimal[i]!.kl)).toBeLessThan(1e-3);
      expect(Math.abs(t.expectedReward - file.frontier.optimal[i]!.expectedReward)).toBeLessThan(1e-3);
    });
    // the printed table: header + rule + one row per β
    const head = r.stdout.split('\n').findIndex((l) => l.includes('E[r] trained'));
    expect(
      r.stdout
        .split('\n')
        .slice(head + 2, head + 4)
        .map((l) => Number(l.trim().split(/\s+/)[0])),
    ).toEqual([0.3, 1]);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Reward–KL frontier');

    const rep = await runBuiltCli(['report', out, '--out', join(dir(), 'r.html'), '--title', 'frontier check']);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toContain('(1 frontier)');
    const html = readFileSync(join(dir(), 'r.html'), 'utf8');
    expect(html).toContain('<section id="frontier">');
    expect(html).toContain('trained π_β');
    expect(html).toContain('frontier check');

    const again = await runBuiltCli(['frontier', '--out', out, '--steps', '5']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^klip: frontier: --out must be a new or empty folder/);
  }, 120_000);

  it('bad input: one line naming the flag, exit 2, nothing written', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--ref', '0.5,0.6', '--rewards', '1,0'], /--ref must be a probability vector summing to 1/],
      [['--ref', '0.5,0.5', '--rewards', '1,0,2'], /--ref must be as many entries as --rewards \(3\)/],
      [['--rewards', '1,abc'], /--rewards must be a comma-separated list of numbers/],
      [['--betas', '0.5,0'], /--betas must be a comma-separated list of numbers > 0/],
      [['--mode', 'greedy'], /--mode/],
      [['--steps', '0'], /--steps/],
    ];
    for (const [args, re] of cases) {
      // in-process (runCli is what dist/cli.js runs), one spawned case below
      const out = join(dir(), `bad-${args.join('_').replace(/[^\w]/g, '')}`);
      let stderr = '';
      let stdout = '';
      const code = await runCli(['frontier', ...args, '--out', out], {
        stdout: { write: (s: string) => ((stdout += s), true) },
        stderr: { write: (s: string) => ((stderr += s), true) },
        cwd: dir(),
        handleSigint: false,
      } as never);
      expect(code, args.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(stderr).toMatch(/^klip: /);
      expect(stderr).toMatch(re);
      expect(existsSync(out)).toBe(false);
    }
    const out = join(dir(), 'bad-spawned');
    const r = await runBuiltCli(['frontier', '--betas', '1,-2', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('klip: frontier: --betas must be a comma-separated list of numbers > 0, got "1,-2"\n');
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
