/**
 * Parsing of list-valued CLI flags shared by the `klip` commands (`kl --p/--q`, `frontier --rewards/--ref/--betas`),
 * so each list flag rejects the same inputs with the same words. Node only (CLI).
 * @module
 */
import { ConfigError } from '../core/errors.js';

/**
 * Parse a comma-separated list of finite numbers, e.g. `"0.7, 0.3"` → `[0.7, 0.3]`.
 * @param fn The command named in the error (e.g. `kl`).
 * @param flag The flag named in the error (e.g. `--p`).
 * @param text The flag's value as typed.
 * @param what What the list holds, completing "a comma-separated list of …" (e.g. `non-negative numbers`).
 * @returns The numbers, in order.
 * @throws ConfigError "fn: flag must be a comma-separated list of what, got text" for an empty entry or an entry that
 *   is not a finite number.
 * @example
 * ```ts
 * parseNumberList('frontier', '--betas', '0.1,1', 'numbers > 0'); // [0.1, 1]
 * ```
 */
export function parseNumberList(fn: string, flag: string, text: string, what: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const xs = parts.map(Number);
  if (parts.some((s) => s === '') || xs.some((x) => !Number.isFinite(x))) {
    throw new ConfigError({ fn, arg: flag, expected: `a comma-separated list of ${what}`, got: text });
  }
  return xs;
}
