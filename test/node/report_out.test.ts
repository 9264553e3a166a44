/** `klip report --out` never replaces a file klip did not write unless told to (`--force`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/node/cli.js';
import { quietCli, useTempFolders } from '../helpers/cli_io.js';

const root = useTempFolders('klip-report-out-')();
const run = join(root, 'run');
const quiet = quietCli;

beforeAll(async () => {
  const { io, err } = quiet();
  const code = await runCli(
    [
      'train',
      '--env',
      'grid5x5',
      '--num-envs',
      '2',
      '--n-steps',
      '16',
      '--steps',
      '64',
      '--backend',
      'cpu',
      '--out',
      run,
    ],
    io,
  );
  expect(code, err()).toBe(0);
});

describe('klip report --out', () => {
  it("refuses to replace the run's checkpoint or a user's file: exit 2, one line, the file unchanged", async () => {
    const user = join(root, 'notes.txt');
    writeFileSync(user, 'my notes');
    const checkpoint = readFileSync(join(run, 'checkpoint.json'), 'utf8');
    for (const [target, before] of [
      [join(run, 'checkpoint.json'), checkpoint],
      [user, 'my notes'],
    ] as const) {
      const { io, err } = quiet();
      expect(await runCli(['report', run, '--out', target], io)).toBe(2);
      expect(err().trimEnd().split('\n')).toHaveLength(1);
      expect(err()).toMatch(/klip: report: --out must be a new file or a klip report to replace, got .*--force/);
      expect(readFileSync(target, 'utf8')).toBe(before);
    }
    const { io } = quiet();
    expect(await runCli(['report', run, '--out', user, '--force'], io)).toBe(0);
    expect(readFileSync(user, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('replaces its own output: a report written before, and the run folder report.html', async () => {
    const page = join(root, 'page.html');
    for (let i = 0; i < 2; i++) {
      const { io, err } = quiet();
      expect(await runCli(['report', run, '--out', page], io), err()).toBe(0);
    }
    writeFileSync(join(run, 'report.html'), '<html>written by an older klip</html>');
    const { io, err } = quiet();
    expect(await runCli(['report', run], io), err()).toBe(0);
    expect(readFileSync(join(run, 'report.html'), 'utf8')).toContain('<meta name="generator" content="klip report">');
  });
});
