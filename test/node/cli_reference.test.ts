/**
 * `klip train --ref-kl` / `--ref-beta`: the reference penalty from the command line, recorded in config.json, its
 * metrics in metrics.jsonl, and a bad value named by its flag.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/node/index.js';
import { quietCli, useTempFolders } from '../helpers/cli_io.js';

const tmp = useTempFolders('klip-cli-ref-');

describe('klip train --ref-kl --ref-beta', () => {
  it('records referenceKl and reports kl/ref_* on every update', async () => {
    const out = join(tmp(), 'ref');
    const { io, err } = quietCli(tmp());
    const code = await runCli(
      [
        'train',
        '--env',
        'bandit',
        '--ref-kl',
        'k1',
        '--ref-beta',
        '0.3',
        '--steps',
        '2048',
        '--backend',
        'cpu',
        '--out',
        out,
      ],
      io,
    );
    expect(code, err()).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { referenceKl: unknown };
    expect(config.referenceKl).toEqual({
      placement: 'reward',
      estimator: 'k1',
      controller: { kind: 'fixed', beta: 0.3 },
    });
    const recs = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number | null>);
    expect(recs.map((r) => r['kl/ref_coef'])).toEqual(recs.map(() => 0.3));
    expect(recs[0]!['kl/ref_exact']).toBe(0); // the first rollout's policy is the reference
    expect(recs.at(-1)!['kl/ref_exact']!).toBeGreaterThan(0);
  });

  it('--ref-placement loss keeps the rewards and records the placement', async () => {
    const out = join(tmp(), 'loss');
    const { io, err } = quietCli(tmp());
    const args = ['train', '--env', 'bandit', '--ref-kl', 'k3', '--ref-placement', 'loss', '--steps', '1024'];
    const code = await runCli([...args, '--backend', 'cpu', '--out', out], io);
    expect(code, err()).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { referenceKl: unknown };
    expect(config.referenceKl).toEqual({
      placement: 'loss',
      estimator: 'k3',
      controller: { kind: 'fixed', beta: 0.1 },
    });
  });

  it('names the flag of a bad value', async () => {
    const { io, err } = quietCli(tmp());
    expect(await runCli(['train', '--ref-kl', 'k9'], io)).toBe(2);
    expect(err()).toMatch(
      /klip: train: --ref-kl must be one of 'k1' \| 'k3' \| 'abs' \| 'mse' \| 'full' \| 'exact', got "k9"/,
    );
    const where = quietCli(tmp());
    expect(await runCli(['train', '--ref-placement', 'middle'], where.io)).toBe(2);
    expect(where.err()).toMatch(/klip: train: --ref-placement must be one of 'reward' \| 'loss', got "middle"/);
    const fused = quietCli(tmp());
    expect(await runCli(['train', '--ref-placement', 'loss', '--engine', 'fused'], fused.io)).toBe(2);
    expect(fused.err()).toMatch(/--ref-placement must be 'reward' with engine 'fused'/);
    const neg = quietCli(tmp());
    expect(await runCli(['train', '--ref-kl', 'k1', '--ref-beta', '-1'], neg.io)).toBe(2);
    expect(neg.err()).toMatch(/--ref-beta must be a finite number ≥ 0/);
  });
});
