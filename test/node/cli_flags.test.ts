/**
 * Every hyperparameter a PPO user tunes has a `klip train` flag under CleanRL's name; `config.json` records the
 * resolved values, and a bad value is one line naming the flag (the CLI in-process, as a user would call it).
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/node/cli.js';
import { quietCli, useTempFolders } from '../helpers/cli_io.js';

const tmp = useTempFolders('klip-flags-');
const quiet = quietCli;

describe('klip train hyperparameter flags', () => {
  it('set the config fields they name; config.json holds the resolved values', async () => {
    const out = join(tmp(), 'run');
    const { io, err } = quiet();
    const code = await runCli(
      [
        'train',
        '--env',
        'grid5x5',
        '--lr',
        '0.3',
        '--anneal-lr',
        'true',
        '--num-envs',
        '4',
        '--n-steps',
        '16',
        '--epochs',
        '2',
        '--minibatches',
        '2',
        '--gamma',
        '0.9',
        '--gae-lambda',
        '0.8',
        '--clip',
        '0.1',
        '--ent-coef',
        '0.02',
        '--vf-coef',
        '1',
        '--max-grad-norm',
        'none',
        '--steps',
        '128',
        '--backend',
        'cpu',
        '--out',
        out,
      ],
      io,
    );
    expect(code, err()).toBe(0);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({
      lr: 0.3,
      annealLr: true,
      numEnvs: 4,
      nSteps: 16,
      epochs: 2,
      numMinibatches: 2,
      gamma: 0.9,
      gaeLambda: 0.8,
      clipEpsilon: 0.1,
      entCoef: 0.02,
      vfCoef: 1,
      maxGradNorm: null,
      totalSteps: 128,
      numIterations: 2,
    });
  });

  it('--ent-coef and --clip take a linear ramp START:END[:FRACTION]', async () => {
    const out = join(tmp(), 'ramp');
    const { io, err } = quiet();
    const code = await runCli(
      [
        'train',
        '--env',
        'grid5x5',
        '--ent-coef',
        '0.5:0:0.9',
        '--clip',
        '0.3:0.1',
        '--num-envs',
        '4',
        '--n-steps',
        '16',
        '--steps',
        '128',
        '--backend',
        'cpu',
        '--out',
        out,
      ],
      io,
    );
    expect(code, err()).toBe(0);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg.entCoef).toEqual({ kind: 'linear', start: 0.5, end: 0, endFraction: 0.9 });
    expect(cfg.clipEpsilon).toEqual({ kind: 'linear', start: 0.3, end: 0.1, endFraction: 1 });
  });

  it('--hidden sets the MLP layers', async () => {
    const out = join(tmp(), 'mlp');
    const { io, err } = quiet();
    const code = await runCli(
      [
        'train',
        '--env',
        'bandit',
        '--policy',
        'mlp',
        '--hidden',
        '8,4',
        '--steps',
        '512',
        '--backend',
        'cpu',
        '--out',
        out,
      ],
      io,
    );
    expect(code, err()).toBe(0);
    expect((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { policy: unknown }).policy).toEqual({
      kind: 'mlp',
      hidden: [8, 4],
      activation: 'tanh',
    });
  });

  it.each([
    [['--minibatches', '3'], '--minibatches', /--minibatches must be a divisor of the batch size/],
    [['--clip', '1.5'], '--clip', /--clip must be a number in \(0, 1\), got 1\.5/],
    [['--gamma', '2'], '--gamma', /--gamma must be a number in \[0, 1\], got 2/],
    [['--ent-coef', '0.5:0:2'], '--ent-coef', /--ent-coef must be a number, or START:END\[:FRACTION\]/],
    [['--ent-coef', '0.5::0.9'], '--ent-coef', /--ent-coef must be a number, or START:END/],
    [['--clip', '0.3:1.5'], '--clip', /--clip \(end\) must be a number in \(0, 1\), got 1\.5/],
    [['--num-envs', '2.5'], '--num-envs', /--num-envs must be a finite integer, got "2\.5"/],
    [['--hidden', '64,x'], '--hidden', /--hidden must be a comma-separated list of layer sizes/],
    [['--anneal-lr', 'yes'], '--anneal-lr', /--anneal-lr must be one of 'true' \| 'false', got "yes"/],
    [['--hidden', '5000', '--policy', 'mlp'], '--hidden', /--hidden must be an integer in \[1, 4096\], got 5000/],
  ])('%j: exit 2, one line naming %s, nothing written', async (flags, flag, message) => {
    const out = join(tmp(), 'never');
    const { io, err } = quiet();
    const code = await runCli(['train', ...flags, '--steps', '1024', '--out', out], io);
    expect(code).toBe(2);
    const lines = err().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(flag);
    expect(lines[0]).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
});

describe('klip compare --seeds', () => {
  it('takes a list as well as a count', async () => {
    const out = join(tmp(), 'cmp');
    const { io, err } = quiet();
    const code = await runCli(
      [
        'compare',
        '--env',
        'bandit',
        '--objectives',
        'clip',
        '--seeds',
        '3,7',
        '--steps',
        '512',
        '--backend',
        'cpu',
        '--workers',
        '1',
        '--out',
        out,
      ],
      io,
    );
    expect(code, err()).toBe(0);
    const file = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as {
      grid: { seeds: unknown };
      results: Array<{ seed: unknown }>;
    };
    expect(file.grid.seeds).toEqual([3, 7]);
    expect(file.results.map((r) => r.seed)).toEqual([3, 7]);
  });

  it.each([['1,1'], ['3,x'], ['-2'], ['1000000000']])('--seeds %s: exit 2, one line naming --seeds', async (seeds) => {
    const { io, err } = quiet();
    const code = await runCli(['compare', '--seeds', seeds, '--out', join(tmp(), 'never')], io);
    expect(code).toBe(2);
    expect(err().trimEnd().split('\n')).toHaveLength(1);
    expect(err()).toContain('--seeds');
  });
});
