/**
 * `klip train --env-module FILE` and `--map FILE`: a world from the user's files. An env module is an ES module whose
 * default export makes the env: a function returning an `Env` (CleanRL's `make_env` thunk) or an `Env` class with a
 * constructor that takes no arguments. A map file holds a `Gridworld.fromMap` ASCII map, one row per line. Node only.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';
import type { EnvFactory } from '../training/world.js';

/** True for a `class` (its source starts with `class`), which must be called with `new`. */
function isClass(f: (...args: never[]) => unknown): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(f));
}

/**
 * Import an env module and return a factory for its env.
 * @param fn The command, for errors.
 * @param flag The flag named in errors (`--env-module`).
 * @param file The module path (relative to `cwd`, or absolute).
 * @param cwd The working folder.
 * @returns The absolute path (recorded in the run folder so `--resume` finds it again) and the factory.
 * @throws ConfigError naming the flag: no such file, the module fails to load, or its default export is not a
 *   function or class.
 */
export async function loadEnvModule(
  fn: string,
  flag: string,
  file: string,
  cwd: string,
): Promise<{ path: string; factory: EnvFactory }> {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  if (!existsSync(path)) throw new ConfigError({ fn, arg: flag, expected: 'an existing .js/.mjs file', got: file });
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    throw new ConfigError({
      fn,
      arg: flag,
      expected: 'an ES module that loads (a .js/.mjs file; compile TypeScript first)',
      got: `${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
    });
  }
  const made = mod.default;
  if (typeof made !== 'function') {
    throw new ConfigError({
      fn,
      arg: flag,
      expected: 'a module whose default export makes the env (a function returning an Env, or an Env class)',
      got: `${file} with a default export of type ${made === null ? 'null' : typeof made}`,
    });
  }
  const make = made as (...args: never[]) => unknown;
  const factory = (isClass(make) ? () => Reflect.construct(make, []) : () => make()) as EnvFactory;
  return { path, factory };
}

/**
 * Read a map file: the non-empty lines, trailing spaces removed (a `Gridworld.fromMap` map checks the letters).
 * @throws ConfigError naming the flag when the file cannot be read or holds no row.
 */
export function readMapFile(fn: string, flag: string, file: string, cwd: string): string[] {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError({
      fn,
      arg: flag,
      expected: 'a readable text file with an ASCII map',
      got: `${file} (${code ?? e})`,
    });
  }
  const rows = text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0);
  if (rows.length === 0) throw new ConfigError({ fn, arg: flag, expected: 'a map with at least one row', got: file });
  return rows;
}
