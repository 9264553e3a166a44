/**
 * `klip train --map FILE` and `--env-module FILE` as a user runs them (the built CLI in a subprocess): a map file
 * trains with the exact optimum of the map, a module's env trains and resumes from its run folder, and each misuse
 * is one line naming the flag, exit code 2, no stack trace.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, readJsonl, runBuiltCli, useCliTestFolder } from '../helpers/built_cli.js';

const tmp = useCliTestFolder('klip-cli-world-');

/** A two-armed one-step world written as a user would, importing klip's spaces and error from the built package. */
function writeEnvModule(file: string, body = ''): void {
  const envs = pathToFileURL(join(ROOT, 'dist', 'envs.js')).href;
  writeFileSync(
    file,
    `import { Discrete, EnvError, createRng } from ${JSON.stringify(envs)};
export default class TwoArms {
  observationSpace = new Discrete(1);
  actionSpace = new Discrete(2);
  #rng = createRng(0); #live = false;
  get unwrapped() { return this; }
  reset(opts) { if (opts?.seed !== undefined) this.#rng = createRng(opts.seed); this.#live = true; return { obs: 0, info: {} }; }
  step(a) {
    if (!this.#live) throw new EnvError({ fn: 'TwoArms.step', arg: 'env', expected: 'reset first', got: 'step()' });
    if (a !== 0 && a !== 1) throw new EnvError({ fn: 'TwoArms.step', arg: 'action', expected: '0 or 1', got: a });
    this.#live = false;
    return { obs: 0, reward: a === 1 && this.#rng.float() < 0.9 ? 1 : 0, terminated: true, truncated: false, info: {} };
  }
  render() { return 'two arms'; }
  renderFrame() { return { kind: 'bandit', armValues: [0, 0.9], lastArm: null, lastReward: null }; }
  getState() { return { kind: 'two-arms', rng: this.#rng.state(), live: this.#live }; }
  setState(s) { this.#rng = createRng.fromState(s.rng); this.#live = s.live; }
  close() {}
}
${body}`,
  );
}

describe('klip train --eval-every and klip eval', () => {
  it('records evaluations, keeps best.json, and klip eval reports the greedy policy with its exact return', async () => {
    const map = join(tmp(), 'eval-corridor.txt');
    writeFileSync(map, 'SFFG\n');
    const out = join(tmp(), 'eval-run');
    const r = await runBuiltCli([
      'train',
      '--map',
      map,
      '--steps',
      '8192',
      '--eval-every',
      '2',
      '--eval-episodes',
      '4',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const recs = readJsonl(join(out, 'metrics.jsonl'));
    expect(recs.filter((x) => x['eval/return'] !== null).map((x) => x.update)).toEqual([2, 4, 6, 8]);
    const best = JSON.parse(readFileSync(join(out, 'best.json'), 'utf8')) as { update: number };
    const returns = recs.map((x) => x['eval/return']).filter((v): v is number => typeof v === 'number');
    // best.json is the first update reaching the highest evaluation.
    expect(recs[best.update - 1]!['eval/return']).toBe(Math.max(...returns));
    const e = await runBuiltCli(['eval', out, '--episodes', '3', '--json']);
    expect(e.code, e.stderr).toBe(0);
    const res = JSON.parse(e.stdout) as {
      meanReturn: number;
      meanLength: number;
      exact: { greedy: number; optimal: number };
    };
    // The greedy policy of a trained corridor walks right: 3 steps, return 1, exactly the optimum.
    expect(res).toMatchObject({ meanReturn: 1, meanLength: 3, exact: { greedy: 1, optimal: 1 } });
    const noBest = join(tmp(), 'no-best');
    const t = await runBuiltCli(['train', '--map', map, '--steps', '1024', '--out', noBest]);
    expect(t.code, t.stderr).toBe(0);
    const nb = await runBuiltCli(['eval', noBest, '--best']);
    expect(nb.code).not.toBe(0);
    expect(nb.stderr.trim().split('\n')).toHaveLength(1);
    expect(nb.stderr).toMatch(/best\.json/);
  });
});

describe('klip train on your own world', () => {
  it('--map trains on the map, with its exact optimum, and records the map in config.json', async () => {
    const map = join(tmp(), 'corridor.txt');
    writeFileSync(map, 'SFFG\nHHHH\n');
    const out = join(tmp(), 'map-run');
    const r = await runBuiltCli(['train', '--map', map, '--steps', '16384', '--time-limit', '10', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ env: 'gridworld', envOptions: { map: ['SFFG', 'HHHH'], maxEpisodeSteps: 10 } });
    const last = readJsonl(join(out, 'metrics.jsonl')).at(-1)!;
    // Deterministic corridor: three moves right reach G (reward 1) within the 10-step limit, so the optimum is 1.
    expect(last['charts/optimal_return']).toBe(1);
    expect(last['charts/policy_return']!).toBeGreaterThan(0.9);
  });

  it('--env-module trains a user class, records it, and --resume loads the module again', async () => {
    const mod = join(tmp(), 'two_arms.mjs');
    writeEnvModule(mod);
    const out = join(tmp(), 'mod-run');
    const r = await runBuiltCli([
      'train',
      '--env-module',
      mod,
      '--steps',
      '2048',
      '--num-envs',
      '4',
      '--n-steps',
      '64',
      '--out',
      out,
      '--checkpoint-every',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ env: 'custom:TwoArms', envOptions: {}, policy: { kind: 'tabular' } });
    expect(JSON.parse(readFileSync(join(out, 'klip.json'), 'utf8'))).toMatchObject({ envModule: mod });
    // No table: no exact metrics; the mean return rises toward the better arm's 0.9.
    const recs = readJsonl(join(out, 'metrics.jsonl'));
    expect(recs.at(-1)!['charts/optimal_return']).toBeNull();
    expect(recs.at(-1)!['charts/episodic_return']!).toBeGreaterThan(0.6);
    const again = await runBuiltCli(['train', '--resume', out]);
    expect(again.code, again.stderr).toBe(0); // already done: resumes, finds nothing left, reports
  });

  it('names the flag for a module that is missing, broken or has no default export, in one line', async () => {
    const missing = await runBuiltCli(['train', '--env-module', join(tmp(), 'nope.mjs'), '--steps', '1024']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/train: --env-module must be an existing \.js\/\.mjs file, got ".*nope\.mjs"/);
    const broken = join(tmp(), 'broken.mjs');
    writeFileSync(broken, 'export default (;\n');
    const b = await runBuiltCli(['train', '--env-module', broken, '--steps', '1024']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--env-module must be an ES module that loads/);
    const noDefault = join(tmp(), 'nodefault.mjs');
    writeFileSync(noDefault, 'export const x = 1;\n');
    const n = await runBuiltCli(['train', '--env-module', noDefault, '--steps', '1024']);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/--env-module must be a module whose default export makes the env .* got ".*undefined"/);
    const leaky = join(tmp(), 'leaky.mjs');
    writeEnvModule(leaky, 'TwoArms.prototype.render = function () { return 7; };\n');
    const l = await runBuiltCli(['train', '--env-module', leaky, '--steps', '1024']);
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/--env-module.*render\(\) must return a string/);
    for (const run of [missing, b, n, l]) expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('names the flag for a bad map and for flags that do not go together', async () => {
    const bad = join(tmp(), 'bad.txt');
    writeFileSync(bad, 'SFX\nFFG\n');
    const r = await runBuiltCli(['train', '--map', bad, '--steps', '1024']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--map/);
    const both = await runBuiltCli(['train', '--map', bad, '--env', 'bandit']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/train: --env must be left out with --map, which names the world/);
    const limit = await runBuiltCli(['train', '--time-limit', '0']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toMatch(/--time-limit must be a finite integer ≥ 1, got "0"/);
  });
});
