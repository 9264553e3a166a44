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
  /**
   * Print `≈ 0` for 0 < |v| < `nearZero` (a KL of 1.7e-15 is round-off, not a measurement; exact 0 stays `0`).
   * {@link NEAR_ZERO} is the threshold of klip's tables. Ignored with `exact`. @defaultValue none (off)
   */
  nearZero?: number;
}

/** The `nearZero` threshold of klip's tables: |v| < 1e-9 prints as `≈ 0` (float64 round-off of a zero). */
export const NEAR_ZERO = 1e-9;

/** What {@link formatNumber} prints for a value below its `nearZero` threshold. */
export const APPROX_ZERO = '≈ 0';

/**
 * Format a number for people: `missing` when `v` is not a finite number; the exponent form
 * `≈ 0` when 0 < |v| < `nearZero` (if given); the exponent form
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
 * formatNumber(1.73e-15, { nearZero: NEAR_ZERO }); // "≈ 0"
 * ```
 */
export function formatNumber(v: unknown, opts: FormatNumberOptions = {}): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return opts.missing ?? '–';
  if (opts.exact) return String(v);
  if (v !== 0 && opts.nearZero !== undefined && Math.abs(v) < opts.nearZero) return APPROX_ZERO;
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(opts.expDigits ?? 2);
  const text = v.toFixed(opts.digits ?? 4);
  return opts.fixed ? text : String(Number(text));
}
