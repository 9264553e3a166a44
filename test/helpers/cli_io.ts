/**
 * In-process CLI helpers for tests: an io that keeps what `runCli` prints, and temp folders removed after the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { CliIo } from '../../src/node/cli.js';

/** An io for `runCli` that records stdout and stderr as text (no terminal, no SIGINT handler). */
export function quietCli(cwd?: string): { io: Partial<CliIo>; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: (s: string) => ((err += s), true) },
      handleSigint: false,
      ...(cwd !== undefined ? { cwd } : {}),
    },
    out: () => out,
    err: () => err,
  };
}

/** A function returning a new temp folder per call; every one is removed after the test file. */
export function useTempFolders(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
