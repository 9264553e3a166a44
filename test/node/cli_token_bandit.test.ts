/**
 * `klip train --env token-bandit` as a user runs it (the built CLI in a subprocess, tiny budgets): the run folder is
 * written with the token bandit's exact metrics, `report` renders it, and a bad token-bandit option in a config
 * file is one clear error line.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, runBuiltCli, useCliTestFolder } from '../helpers/built_cli.js';

const tmp = useCliTestFolder('klip-cli-tb-');

describe('klip train --env token-bandit', () => {
  it('exits 0, writes the run folder with exact metrics, and `report` renders it', async () => {
    const out = join(tmp(), 'tb');
    // The quickstart preset is for slippery FrozenLake: --env must drop its envOptions ({ slippery: true }).
    const r = await runBuiltCli(['train', '--env', 'token-bandit', '--steps', '1024', '--seed', '4', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out)).toEqual(
      expect.arrayContaining([
        'checkpoint.json',
        'config.json',
        'metrics.csv',
        'metrics.jsonl',
        'report.html',
        'summary.json',
      ]),
    );
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ env: 'token-bandit', envOptions: {}, totalSteps: 1024, seed: 4 });
    const [rec] = readJsonl(join(out, 'metrics.jsonl'));
    // Default world: V = 8, T = 6, 'count' of token 0 → optimum 6; the policy after one update is far below it.
    expect(rec!['charts/optimal_return']).toBe(6);
    expect(rec!['charts/policy_return']!).toBeGreaterThan(0);
    expect(rec!['charts/policy_return']!).toBeLessThan(6);
    expect(rec!['charts/regret']!).toBeCloseTo(6 - rec!['charts/policy_return']!, 12);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      env: string;
      policy: { probs: number[][] };
      optimalReturn: number;
    };
    expect(summary.env).toBe('token-bandit');
    expect(summary.optimalReturn).toBe(6);
    expect(summary.policy.probs).toHaveLength(6); // one row per position
    for (const row of summary.policy.probs) expect(row).toHaveLength(8);
    expect(r.stdout).toContain('optimal return (exact)');

    const html = join(tmp(), 'tb.html');
    const rep = await runBuiltCli(['report', out, '--out', html]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(existsSync(html)).toBe(true);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('<svg');
    expect(text).not.toMatch(/https?:|<script/);
  }, 120_000);

  it('takes token-bandit options from --config and rejects a bad one in one line naming the key', async () => {
    const good = join(tmp(), 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        env: 'token-bandit',
        envOptions: { vocabSize: 4, length: 3, reward: 'length-penalized', target: 1, eos: 3, lengthPenalty: 0.25 },
      }),
    );
    const out = join(tmp(), 'tb-lp');
    const r = await runBuiltCli(['train', '--config', good, '--steps', '1024', '--policy', 'mlp', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    // Best sequence: the target three times, 3·(1 − 0.25).
    expect(readJsonl(join(out, 'metrics.jsonl'))[0]!['charts/optimal_return']).toBeCloseTo(2.25, 12);

    const bad = join(tmp(), 'bad.json');
    writeFileSync(bad, JSON.stringify({ env: 'token-bandit', envOptions: { vocabSize: 1 } }));
    const e = await runBuiltCli(['train', '--config', bad, '--steps', '1024', '--out', join(tmp(), 'never')]);
    expect(e.code).not.toBe(0);
    const lines = e.stderr.trimEnd().split('\n');
    expect(lines, e.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^klip: makeEnv: options\.vocabSize must be an integer in \[2, 65536\), got 1$/);
    expect(existsSync(join(tmp(), 'never'))).toBe(false);
  }, 120_000);
});
