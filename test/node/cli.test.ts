/**
 * The built CLI as a user runs it (`node dist/cli.js …`, CleanRL-style subprocess tests), with tiny budgets.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCheckpoint } from '../../src/training/checkpoint.js';
import { deterministicPart, METRIC_KEYS, type MetricRecord } from '../../src/training/metrics.js';
import { spawn } from 'node:child_process';
import { builtCli, readJsonl, ROOT, runBuiltCli, useCliTestFolder, type CliRun } from '../helpers/built_cli.js';

const tmp = useCliTestFolder('klip-cli-');

const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

function expectOneLineError(r: CliRun, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]!.startsWith('klip: '), r.stderr).toBe(true);
  expect(lines[0]).toMatch(pattern);
}

describe('klip train', () => {
  it('--kl-controller fixed runs with β = 1 and proportional takes the world target; config.json records them resolved', async () => {
    const fixed = join(tmp(), 'fixed');
    const a = await runBuiltCli(['train', '--kl-controller', 'fixed', '--steps', '1024', '--out', fixed]);
    expect(a.code, a.stderr).toBe(0);
    expect(
      (JSON.parse(readFileSync(join(fixed, 'config.json'), 'utf8')) as { klController: unknown }).klController,
    ).toEqual({ kind: 'fixed', beta: 1 });
    const prop = join(tmp(), 'prop');
    const b = await runBuiltCli(['train', '--kl-controller', 'proportional', '--steps', '1024', '--out', prop]);
    expect(b.code, b.stderr).toBe(0);
    expect(
      (JSON.parse(readFileSync(join(prop, 'config.json'), 'utf8')) as { klController: unknown }).klController,
    ).toEqual({ kind: 'proportional', beta: 0.2, target: 0.005, horizon: 10_000 });
    const bad = await runBuiltCli([
      'train',
      '--kl-controller',
      'adaptive',
      '--beta',
      '-1',
      '--steps',
      '1024',
      '--out',
      join(tmp(), 'bad'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--beta');
  });

  it('writes every run file: JSONL and CSV with the documented keys, summary, checkpoint and report', async () => {
    const out = join(tmp(), 'r1');
    const r = await runBuiltCli(['train', '--steps', '2048', '--seed', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'checkpoint.json',
      'config.json',
      'klip.json',
      'metrics.csv',
      'metrics.jsonl',
      'report.html',
      'summary.json',
      'wall_time.json',
    ]);
    const records = readJsonl(join(out, 'metrics.jsonl'));
    expect(records.map((x) => x.update)).toEqual([1, 2]); // 2048 steps / (32 envs × 32 steps)
    for (const rec of records) expect(Object.keys(rec).sort()).toEqual([...METRIC_KEYS].sort());
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe(METRIC_KEYS.join(','));
    expect(csv).toHaveLength(3);
    expect(Number(csv[2]!.split(',')[METRIC_KEYS.indexOf('global_step')])).toBe(2048);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    // engine 'auto' is recorded as the engine it resolved to (fused for a tabular policy)
    expect(config).toMatchObject({
      env: 'frozenlake4x4',
      objective: 'clip+kl',
      totalSteps: 2048,
      seed: 2,
      engine: 'fused',
    });
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ updates: 2, envSteps: 2048, seed: 2, complete: true, env: 'frozenlake4x4' });
    expect(summary.engine).toBe('fused');
    expect(r.stdout).toMatch(/seed · backend · engine · klip\s+2 · wasm · fused · /);
    expect(summary.meanStepKl).toBeCloseTo(
      (records[0]!['kl/exact_old_new']! + records[1]!['kl/exact_old_new']!) / 2,
      12,
    );
    expect((summary.policy as { probs: number[][] }).probs).toHaveLength(16);
    expect(validateCheckpoint(JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8'))).update).toBe(2);
    expect(r.stdout).toContain('final return');
    expect(r.stdout).toContain('KL of the update (mean, exact, nats)');
    expect(r.stdout).toContain('KL per optimizer step (mean, exact, nats)');
    // FrozenLake 4×4's target is 0.005: the adaptive band is [0.005/1.5, 1.5·0.005] = [0.0033, 0.0075]
    expect(r.stdout).toMatch(/controller\s+KL of the update in band \[0\.0033, 0\.0075\] on \d+\/2 updates/);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg.klController).toEqual({ kind: 'adaptive', beta: 1, target: 0.005, factor: 2, band: 1.5 }); // fully resolved
    expect(cfg.earlyStopKl).toBe(0.005);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/https?:|<script/);
  });

  it('Ctrl-C mid-run leaves a loadable checkpoint and --resume reproduces the uninterrupted run', async () => {
    const full = join(tmp(), 'full');
    const part = join(tmp(), 'part');
    const args = ['train', '--steps', '10240', '--seed', '7', '--checkpoint-every', '100'];
    const [a, b] = await Promise.all([
      runBuiltCli([...args, '--out', full]),
      runBuiltCli([...args, '--out', part, '--json'], {
        onStdout: (s) => (s.split('\n').length > 2 ? 'sigint' : undefined),
      }),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(130);
    expect(b.stderr).toContain(`klip train --resume ${part}`);
    const ckpt = validateCheckpoint(JSON.parse(readFileSync(join(part, 'checkpoint.json'), 'utf8')));
    expect(ckpt.update).toBeGreaterThanOrEqual(2);
    expect(ckpt.update).toBeLessThan(10);
    expect(existsSync(join(part, 'summary.json'))).toBe(false);
    // --json: stdout is pure JSONL, one record per finished update
    expect(
      b.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as MetricRecord).update),
    ).toEqual(Array.from({ length: ckpt.update }, (_, i) => i + 1));

    const c = await runBuiltCli(['train', '--resume', part]);
    expect(c.code, c.stderr).toBe(0);
    const want = readJsonl(join(full, 'metrics.jsonl')).map(deterministicPart);
    const got = readJsonl(join(part, 'metrics.jsonl')).map(deterministicPart);
    expect(got).toHaveLength(10);
    expect(got).toEqual(want);
    expect(readFileSync(join(part, 'metrics.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(11);
  });
});

describe('klip report, compare, kl, help', () => {
  it('report overlays several runs in one standalone HTML file', async () => {
    const out = join(tmp(), 'both.html');
    const r = await runBuiltCli(['report', join(tmp(), 'r1'), join(tmp(), 'full'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.length).toBeGreaterThanOrEqual(6);
    const klChart = svgs.find((s) => s.includes('k3') && s.includes('exact'))!;
    expect(klChart).toContain('r1');
    expect(klChart).toContain('full');
    expect(html).toContain('id="grid:r1"');
    expect(html).not.toMatch(/https?:|<script|<link/);
  });

  it('compare runs a tiny grid and --shard/--merge give the same table', async () => {
    const grid = [
      'compare',
      '--env',
      'bandit',
      '--objectives',
      'clip,clip+kl',
      '--controllers',
      'adaptive',
      '--seeds',
      '2',
      '--steps',
      '512',
    ];
    const [whole, s1, s2] = await Promise.all([
      runBuiltCli([...grid, '--out', join(tmp(), 'cmp')]),
      runBuiltCli([...grid, '--shard', '1/2', '--out', join(tmp(), 'cmp-1')]),
      runBuiltCli([...grid, '--shard', '2/2', '--out', join(tmp(), 'cmp-2')]),
    ]);
    for (const r of [whole, s1, s2]) expect(r.code, r.stderr).toBe(0);
    expect(whole.stdout).toMatch(/clip\+kl\s+adaptive\s+2\s+-?\d\.\d{3} ± \d\.\d{3}/);
    const merged = await runBuiltCli([
      'compare',
      '--merge',
      join(tmp(), 'cmp-1'),
      join(tmp(), 'cmp-2'),
      '--out',
      join(tmp(), 'cmp-merged'),
    ]);
    expect(merged.code, merged.stderr).toBe(0);
    const csv = readFileSync(join(tmp(), 'cmp', 'compare.csv'), 'utf8');
    expect(csv.trimEnd().split('\n')).toHaveLength(3);
    expect(readFileSync(join(tmp(), 'cmp-merged', 'compare.csv'), 'utf8')).toBe(csv);
    expect(existsSync(join(tmp(), 'cmp', 'compare.html'))).toBe(true);
  });

  it('kl prints forward/reverse KL, JS and TV in nats and bits', async () => {
    const r = await runBuiltCli(['kl', '--p', '0.7,0.3', '--q', '0.4,0.6', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as Record<string, number>;
    // python3: kl=lambda a,b: sum(x*math.log(x/y) for x,y in zip(a,b)); m=[(x+y)/2 …]
    // kl(p,q)=0.18378689738681217 kl(q,p)=0.19204199316179815 js=0.5*kl(p,m)+0.5*kl(q,m)=0.04620082918151349 tv=0.3
    expect(v.klPQ).toBeCloseTo(0.18378689738681217, 12);
    expect(v.klQP).toBeCloseTo(0.19204199316179815, 12);
    expect(v.js).toBeCloseTo(0.04620082918151349, 12);
    expect(v.tv).toBeCloseTo(0.3, 12);
    const t = await runBuiltCli(['kl', '--p', '0.7,0.3', '--q', '0.4,0.6']);
    expect(t.stdout).toMatch(/KL\(p‖q\)\s+0\.183787\s+0\.265148/); // bits = nats / ln 2 = 0.26514844544032273
  });

  it('no command is a usage error: the help and one line on stderr, exit 2', async () => {
    const r = await runBuiltCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: klip');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^klip: a command is required \(train, .*\); try klip train$/,
    );
  });

  it('a reader that closes early (klip train --json | head -1) ends quietly with exit 0', async () => {
    const cli = await builtCli();
    const out = join(tmp(), 'epipe');
    const child = spawn(process.execPath, [cli, 'train', '--steps', String(1024 * 30), '--json', '--out', out], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy()); // like `head -1`: read a line, close the pipe
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/Error|\n\s+at /);
  });

  it('--help lists every option with its default', async () => {
    const r = await runBuiltCli(['train', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--env',
      '--objective',
      '--kl-controller',
      '--beta',
      '--target-kl',
      '--early-stop-kl',
      '--kl-estimator',
      '--policy',
      '--backend',
      '--steps',
      '--seed',
      '--config',
      '--out',
      '--resume',
      '--json',
      '--checkpoint-every',
      '--lr',
      '--anneal-lr',
      '--num-envs',
      '--n-steps',
      '--epochs',
      '--minibatches',
      '--gamma',
      '--gae-lambda',
      '--clip',
      '--ent-coef',
      '--vf-coef',
      '--max-grad-norm',
      '--hidden',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout.replace(/\s+/g, ' ')).toContain("default: the world's budget, 102400 on frozenlake4x4");
    expect(r.stdout).toMatch(/choices: "frozenlake4x4"/);
    const top = await runBuiltCli(['--help']);
    for (const cmd of ['train', 'report', 'compare', 'kl', 'bench']) expect(top.stdout).toContain(cmd);
  });
});

describe('bad input: one clear line, non-zero exit, no file touched', () => {
  it('rejects bad flags, values, config files, folders and checkpoints', async () => {
    const run = join(tmp(), 'r1');
    const plain = join(tmp(), 'plain');
    mkdirSync(plain, { recursive: true });
    writeFileSync(join(plain, 'notes.txt'), 'hello');
    const damaged = join(tmp(), 'damaged');
    mkdirSync(damaged, { recursive: true });
    for (const f of ['config.json', 'metrics.jsonl', 'metrics.csv'])
      writeFileSync(join(damaged, f), readFileSync(join(run, f)));
    writeFileSync(join(damaged, 'checkpoint.json'), readFileSync(join(run, 'checkpoint.json'), 'utf8').slice(0, 200));
    writeFileSync(join(tmp(), 'malformed.json'), '{"totalSteps": 1024,');
    writeFileSync(join(tmp(), 'unknown.json'), '{"clipp": 0.1}');
    const before = { run: snapshot(run), plain: snapshot(plain), damaged: snapshot(damaged) };
    const fresh = join(tmp(), 'never');

    const cases: Array<[string[], number, RegExp]> = [
      [['train', '--steps', '-5', '--out', fresh], 2, /--steps must be an integer in \[1, .*got -5/],
      [['train', '--steps', 'abc', '--out', fresh], 2, /train: --steps must be a finite integer, got "abc"/],
      [['train', '--env', 'nope', '--out', fresh], 2, /train: --env must be one of 'frozenlake4x4'.*, got "nope"/],
      [['train', '--bogus'], 2, /unknown option '--bogus'/],
      [
        ['train', '--config', join(tmp(), 'malformed.json'), '--out', fresh],
        2,
        /--config must be a file of valid JSON/,
      ],
      [
        ['train', '--config', join(tmp(), 'unknown.json'), '--out', fresh],
        2,
        /clipp \(in .*unknown\.json\) must be a known key/,
      ],
      [['train', '--out', run], 2, /--out must be a new or empty folder.*--resume/],
      [['train', '--resume', plain], 2, /must be a klip run folder/],
      [['train', '--resume', damaged], 1, /checkpoint\.json must be a file of valid JSON/],
      [['train', '--resume', run, '--env', 'bandit'], 2, /--env must be left out with --resume/],
      [['report', plain], 2, /must be a klip run folder \(with config\.json and metrics\.jsonl\)/],
      [['kl', '--p', '0.5,0.6', '--q', '0.5,0.5'], 2, /--p must be a probability vector summing to 1.*Its sum is 1\.1/],
      [['kl', '--p', '0.5,0.5', '--q', '1'], 2, /--q must be as many entries as --p \(2\)/],
      [['compare', '--env', 'bandit', '--shard', '5/4', '--out', fresh], 2, /--shard must be i\/n/],
      [
        ['compare', '--objectives', 'clip,nope'],
        2,
        /--objectives must be a comma-separated list of clip, kl-penalty, clip\+kl, pg, got "clip,nope"\. Unknown: nope/,
      ],
      [['nope'], 2, /unknown command 'nope'/],
    ];
    const results: CliRun[] = [];
    for (let i = 0; i < cases.length; i += 2)
      results.push(...(await Promise.all(cases.slice(i, i + 2).map(([args]) => runBuiltCli(args)))));
    const failures = cases.flatMap(([args, code, pattern], i) => {
      try {
        expectOneLineError(results[i]!, code, pattern);
        return [];
      } catch (e) {
        return [`klip ${args.join(' ')} → ${(e as Error).message}`];
      }
    });
    expect(failures).toEqual([]);
    expect(existsSync(fresh)).toBe(false);
    expect({ run: snapshot(run), plain: snapshot(plain), damaged: snapshot(damaged) }).toEqual(before);

    const bench = await runBuiltCli(['bench'], { cwd: tmp() });
    expectOneLineError(bench, 1, /klip source checkout/);
  }, 120_000);
});
