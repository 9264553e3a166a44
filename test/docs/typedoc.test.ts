/**
 * API docs coverage (rlax `docs/ext/coverage_check.py`): TypeDoc builds the three public entries
 * (`klip`, `klip/envs`, `klip/node`) with `validation.notDocumented` and `notExported` on (typedoc.json), so an export
 * — or a member of an exported type — without JSDoc, or a public signature that names an unexported type, is a
 * warning. The test fails on any warning or error and prints them.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/built_cli.js';

describe('TypeDoc', () => {
  it('documents every export of klip, klip/envs and klip/node with no warnings', () => {
    const bin = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const r = spawnSync(process.execPath, [bin, '--emit', 'none', '--logLevel', 'Warn'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const out = `${r.stdout}\n${r.stderr}`;
    const problems = out.split('\n').filter((l) => /\[(warning|error)\]/.test(l));
    expect(problems, problems.join('\n')).toEqual([]);
    expect(r.status).toBe(0);
  }, 120_000);
});
