/**
 * The one number formatter of klip's printed and HTML output (summary tables, the compare and frontier tables,
 * progress lines, CSV cells and error lines), so the same value reads the same everywhere. Node only.
 * @module
 */

/** Options of {@link formatNumber}. */
export interface FormatNumberOptions {
  /** Decimal places of the fixed form. @defaultValue 4 */
  digits?: number;
  /**
   * Keep trailing zeros (`0.500`: aligned table columns, progress lines) instead of dropping them (`0.5`).
   * @defaultValue false
   */
  fixed?: boolean;
  /** Decimal places of the mantissa of the exponent form used for 0 < |v| < 1e-3 (`4.32e-4`). @defaultValue 2 */
  expDigits?: number;
  /**
   * Full precision: `String(v)`, the shortest text that reads back as the same double (CSV cells, the values of a
   * reproduction error). `digits`, `fixed` and `expDigits` are ignored. @defaultValue false
   */
  exact?: boolean;
  /** Text for a missing value: not a number, or NaN / ±Infinity. @defaultValue '–' */
  missing?: string;
}

/**
 * Format a number for people: `missing` when `v` is not a finite number; the exponent form
 * `v.toExponential(expDigits)` when 0 < |v| < 1e-3 (a KL of 4.3e-5 stays readable); else `v.toFixed(digits)`,
 * with its trailing zeros dropped unless `fixed`. With `exact`, every finite number is `String(v)`.
 * @param v Anything (a metric value may be null or missing).
 * @param opts Digits, trailing zeros, exponent digits, full precision and the missing text.
 * @returns The text.
 * @example
 * ```ts
 * formatNumber(0.5); // "0.5"
 * formatNumber(0.5, { digits: 3, fixed: true }); // "0.500"
 * formatNumber(4.321e-5); // "4.32e-5"
 * formatNumber(null, { missing: '' }); // ""
 * ```
 */
export function formatNumber(v: unknown, opts: FormatNumberOptions = {}): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return opts.missing ?? '–';
  if (opts.exact) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(opts.expDigits ?? 2);
  const text = v.toFixed(opts.digits ?? 4);
  return opts.fixed ? text : String(Number(text));
}
