/**
 * `klip reproduce DIR`: a run folder's config.json + seed + version reproduce its metrics.jsonl exactly
 * (same backend), and any tampered value is reported with its update and key.
 */
import { readFileSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deterministicPart, type MetricRecord } from '../../src/training/metrics.js';
import { readJsonl, runBuiltCli, useCliTestFolder } from '../helpers/built_cli.js';

const tmp = useCliTestFolder('klip-repro-');
let run: string;
const writeJsonl = (p: string, rs: MetricRecord[]): void =>
  writeFileSync(p, rs.map((r) => `${JSON.stringify(r)}\n`).join(''));

beforeAll(async () => {
  run = join(tmp(), 'run');
  const r = await runBuiltCli(['train', '--steps', String(4 * 1024), '--seed', '9', '--out', run]);
  expect(r.code, r.stderr).toBe(0);
}, 240_000);

/** A copy of the trained run with `edit` applied to its metrics. */
function tampered(name: string, edit: (rs: MetricRecord[]) => void): string {
  const dir = join(tmp(), name);
  cpSync(run, dir, { recursive: true });
  const rs = readJsonl(join(dir, 'metrics.jsonl'));
  edit(rs);
  writeJsonl(join(dir, 'metrics.jsonl'), rs);
  return dir;
}

describe('klip reproduce', () => {
  it('re-runs config.json and finds metrics.jsonl identical; --out keeps the re-run', async () => {
    const out = join(tmp(), 'again');
    const r = await runBuiltCli(['reproduce', run, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('reproduced 4 updates exactly (wall-clock keys not compared: charts/env_steps_per_s)');
    expect(r.stderr).not.toContain('warning');
    expect(readJsonl(join(out, 'metrics.jsonl')).map(deterministicPart)).toEqual(
      readJsonl(join(run, 'metrics.jsonl')).map(deterministicPart),
    );
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(readFileSync(join(run, 'config.json'), 'utf8'));
  }, 60_000);

  it('one tampered value: exit 1, one line naming the update and the key', async () => {
    const dir = tampered('bad-value', (rs) => {
      rs[2]!['loss/total'] = rs[2]!['loss/total']! * (1 + 1e-12) + 1e-300; // the smallest visible change
    });
    const want = readJsonl(join(dir, 'metrics.jsonl'))[2]!['loss/total'];
    const r = await runBuiltCli(['reproduce', dir]);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr
      .trimEnd()
      .split('\n')
      .filter((l) => l.startsWith('klip'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `klip: reproduce: update 3 loss/total must be ${String(want)} as recorded in ${dir}/metrics.jsonl, got `,
    );
  }, 60_000);

  it('a record missing at the end or a missing key is a difference too', async () => {
    const extra = tampered('extra', (rs) => rs.push({ ...rs[3]!, update: 5 }));
    const a = await runBuiltCli(['reproduce', extra]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('klip: reproduce: number of updates must be 5 as recorded in');
    const missing = tampered('missing-key', (rs) => delete rs[0]!['kl/coef']);
    const b = await runBuiltCli(['reproduce', missing]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('klip: reproduce: update 1 kl/coef must be missing as recorded in');
  }, 60_000);

  it('ignores the wall-clock keys and warns when the folder was written by another klip version', async () => {
    const dir = tampered('clock', (rs) => {
      for (const r of rs) r['charts/env_steps_per_s'] = 1;
    });
    const ck = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { klipVersion: string };
    ck.klipVersion = '0.0.1-old';
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(ck));
    const r = await runBuiltCli(['reproduce', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/klip: warning: .* was written by klip 0\.0\.1-old, this is klip \d+\.\d+\.\d+/);
    expect(r.stdout).toContain('reproduced 4 updates exactly');
  }, 60_000);
});
