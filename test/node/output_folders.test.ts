/**
 * Nothing lost in the outputs of `klip compare`, `klip frontier` and `klip reproduce --out`: each refuses to
 * overwrite what is not its own (or its own without --force), --merge refuses slices that are not klip comparisons
 * or of another grid, and one writer holds an output folder at a time (the second gets one line, exit 3, no stack).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KlipError } from '../../src/core/errors.js';
import { runCli } from '../../src/node/cli.js';
import { acquireOutputLock, acquireRunLock, FolderLockedError, LOCK_FILE } from '../../src/node/lock.js';
import { quietCli, useTempFolders } from '../helpers/cli_io.js';

const tmp = useTempFolders('klip-outputs-');

const compare = (out: string, ...extra: string[]): string[] => [
  'compare',
  '--env',
  'bandit',
  '--objectives',
  'clip',
  '--seeds',
  '2',
  '--steps',
  extra.includes('--steps') ? extra.splice(extra.indexOf('--steps'), 2)[1]! : '512',
  '--backend',
  'cpu',
  '--workers',
  '1',
  '--out',
  out,
  ...extra,
];

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const q = quietCli();
  const code = await runCli(argv, q.io);
  return { code, out: q.out(), err: q.err() };
}

/** One stderr line `klip: …` matching `pattern`, no stack trace, exit `code` (2: usage; 3: the folder is locked). */
function refused(r: { code: number; err: string }, pattern: RegExp, code = 2): void {
  expect(r.code, r.err).toBe(code);
  const lines = r.err.trimEnd().split('\n');
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at |unexpected error/);
}

/** Every file under `dir` (compare folders hold `cells/<name>/…`), by relative path. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const p = join(e.parentPath, e.name);
        return [p.slice(dir.length + 1), readFileSync(p, 'utf8')];
      }),
  );
}

describe('klip compare --out', () => {
  it("refuses a user's folder, with or without --force, and touches nothing", async () => {
    const dir = join(tmp(), 'mine');
    mkdirSync(dir);
    writeFileSync(join(dir, 'compare.csv'), 'my,own,table\n');
    refused(await cli(compare(dir)), /^klip: compare: --out must be a new or empty folder, got .*mine/);
    refused(
      await cli(compare(dir, '--force')),
      /^klip: compare: --out must be a klip compare folder or an empty folder to replace with --force, got .*klip did not write \(compare\.csv\)/,
    );
    expect(snapshot(dir)).toEqual({ 'compare.csv': 'my,own,table\n' });
  });

  it('replaces its own comparison only with --force; a shard over a full grid drops the old compare.html', async () => {
    const dir = join(tmp(), 'cmp');
    expect((await cli(compare(dir))).code).toBe(0);
    const before = snapshot(dir);
    const top = (files: Record<string, string>): string[] =>
      Object.keys(files)
        .filter((k) => !k.startsWith('cells/'))
        .sort();
    const cells = (files: Record<string, string>): string[] => [
      ...new Set(
        Object.keys(files)
          .filter((k) => k.startsWith('cells/'))
          .map((k) => k.split('/')[1]!),
      ),
    ];
    expect(top(before)).toEqual(['compare.csv', 'compare.html', 'compare.json', 'compare_runs.csv']);
    const all = cells(before);
    refused(await cli(compare(dir)), /--out must be a new or empty folder.*Pick another --out or pass --force$/);
    expect(snapshot(dir)).toEqual(before);
    const again = await cli(compare(dir, '--shard', '1/2', '--force'));
    expect(again.code, again.err).toBe(0);
    const after = snapshot(dir);
    expect(top(after)).toEqual(['compare.csv', 'compare.json', 'compare_runs.csv']);
    // the shard's cells only: the full grid's other cells are gone with its compare.html
    expect(cells(after)).toEqual(all.filter((_, i) => i % 2 === 0));
    expect((JSON.parse(after['compare.json']!) as { shard: unknown }).shard).toEqual({ index: 1, count: 2 });
  }, 60_000);

  it('two writers into one folder: one wins, the other gets one line and exit 3; no lock is left', async () => {
    const dir = join(tmp(), 'race');
    const runs = await Promise.all([cli(compare(dir)), cli(compare(dir))]);
    expect(runs.map((r) => r.code).sort()).toEqual([0, 3]);
    refused(
      runs.find((r) => r.code === 3)!,
      /^klip: compare: --out must be one writer at a time, got .* locked by pid \d+/,
      3,
    );
    expect(existsSync(join(dir, 'compare.json'))).toBe(true);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('a failed run leaves no folder behind and releases the lock', async () => {
    const base = tmp();
    const cfg = join(base, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ envOptions: { bogus: 1 } }));
    const dir = join(base, 'never');
    const r = await cli(compare(dir, '--config', cfg));
    expect(r.code).toBe(1);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);
});

describe('klip compare --merge', () => {
  async function shards(): Promise<{ s1: string; s2: string; root: string }> {
    const root = tmp();
    const s1 = join(root, 's1');
    const s2 = join(root, 's2');
    expect((await cli(compare(s1, '--shard', '1/2'))).code).toBe(0);
    expect((await cli(compare(s2, '--shard', '2/2'))).code).toBe(0);
    return { s1, s2, root };
  }

  it('does not overwrite an existing compare.json / compare.csv without --force, and does with it', async () => {
    const { s1, s2, root } = await shards();
    const out = join(root, 'merged');
    expect((await cli(['compare', '--merge', s1, s2, '--out', out])).code).toBe(0);
    writeFileSync(join(out, 'compare.csv'), 'edited by hand\n');
    const before = snapshot(out);
    refused(
      await cli(['compare', '--merge', s1, s2, '--out', out]),
      /^klip: compare: --out must be a new or empty folder, got .*merged/,
    );
    expect(snapshot(out)).toEqual(before);
    const forced = await cli(['compare', '--merge', s1, s2, '--out', out, '--force']);
    expect(forced.code, forced.err).toBe(0);
    expect(readFileSync(join(out, 'compare.csv'), 'utf8')).toMatch(/^objective,controller,n,/);
    // merging into a user's folder is refused even with --force
    const mine = join(root, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'keep');
    refused(
      await cli(['compare', '--merge', s1, s2, '--out', mine, '--force']),
      /--out must be a klip compare folder or an empty folder to replace with --force/,
    );
    expect(snapshot(mine)).toEqual({ 'notes.txt': 'keep' });
  }, 60_000);

  it('refuses a slice that is not a klip comparison, and slices of another grid, naming --merge', async () => {
    const { s1, root } = await shards();
    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'compare.json'), JSON.stringify({ format: 'pandas', rows: [] }));
    refused(
      await cli(['compare', '--merge', s1, foreign, '--out', join(root, 'x')]),
      /^klip: compare: --merge must be folders written by `klip compare` .*, got ".*foreign\/compare\.json"$/,
    );
    refused(
      await cli(['compare', '--merge', s1, join(root, 'nowhere'), '--out', join(root, 'x')]),
      /^klip: compare: --merge must be an existing JSON file/,
    );
    const other = join(root, 'other');
    expect((await cli(compare(other, '--shard', '2/2', '--steps', '1024'))).code).toBe(0);
    refused(
      await cli(['compare', '--merge', s1, other, '--out', join(root, 'x')]),
      /^klip: compare: --merge must be shards of one grid .*, got ".*other"\. Its totalSteps differ from those of .*s1$/,
    );
    expect(existsSync(join(root, 'x'))).toBe(false);
  }, 60_000);
});

describe('klip frontier and klip reproduce hold their --out', () => {
  it('frontier: a second writer is refused with one line and exit 3', async () => {
    const dir = join(tmp(), 'fr');
    const runs = await Promise.all([
      cli(['frontier', '--steps', '20', '--backend', 'cpu', '--out', dir]),
      cli(['frontier', '--steps', '20', '--backend', 'cpu', '--out', dir]),
    ]);
    expect(runs.map((r) => r.code).sort()).toEqual([0, 3]);
    refused(runs.find((r) => r.code === 3)!, /^klip: frontier: --out must be one writer at a time/, 3);
    expect(readdirSync(dir).sort()).toEqual(['frontier.json', 'report.html']);
  }, 60_000);

  it('reproduce --out: refused while another process holds the lock; the lock file is kept', async () => {
    const root = tmp();
    const run = join(root, 'run');
    const trained = await cli([
      'train',
      '--env',
      'bandit',
      '--steps',
      '64',
      '--num-envs',
      '2',
      '--n-steps',
      '8',
      '--backend',
      'cpu',
      '--out',
      run,
    ]);
    expect(trained.code, trained.err).toBe(0);
    const out = join(root, 'again');
    mkdirSync(out);
    const held = JSON.stringify({ pid: 1, host: 'elsewhere.example', since: 'then' });
    writeFileSync(join(out, LOCK_FILE), held);
    refused(
      await cli(['reproduce', run, '--out', out]),
      /^klip: reproduce: --out must be one writer at a time, got .*locked by pid 1 on elsewhere\.example.*delete .*klip\.lock$/,
      3,
    );
    expect(snapshot(out)).toEqual({ [LOCK_FILE]: held });
    const ok = await cli(['reproduce', run, '--out', join(root, 'fresh')]);
    expect(ok.code, ok.err).toBe(0);
    expect(existsSync(join(root, 'fresh', LOCK_FILE))).toBe(false);
  }, 60_000);
});

describe('acquireOutputLock', () => {
  it('is the same lock as a run folder: each refuses the other with FolderLockedError', () => {
    const dir = tmp();
    const a = acquireOutputLock(dir, 'compare');
    let e: unknown = null;
    try {
      acquireRunLock(dir, 'train');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(FolderLockedError);
    expect((e as KlipError).name).toBe('FolderLockedError');
    a.release();
    const b = acquireRunLock(dir, 'train');
    expect(() => acquireOutputLock(dir, 'frontier')).toThrow(/^frontier: --out must be one writer at a time/);
    b.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
