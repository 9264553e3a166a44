/**
 * The benchmark harness shared by every `bench/*.ts`: warm-up, several timed repetitions, median and min–max,
 * a readable table, and with `--json` one JSON record per measurement
 * `{ "bench", "impl", "median", "min", "max", "unit" }` on stdout.
 *
 * Speed targets are printed as ratios measured in the same run, never asserted in tests.
 */
import { performance } from 'node:perf_hooks';

/** One measured implementation: `run()` does `work` units of work (rows, steps, samples) per call. */
export interface BenchCase {
  /** What is measured, e.g. `categorical KL 65536x16`. */
  bench: string;
  /** Which implementation, e.g. `tfjs-wasm`, `plain-js`. */
  impl: string;
  /** Units of work per `run()` call. */
  work: number;
  /** Unit of the reported rate, e.g. `rows/s`. */
  unit: string;
  /** Optional async setup before warm-up (switch backend, build inputs). */
  setup?: () => unknown | Promise<unknown>;
  /** The timed body. */
  run: () => unknown | Promise<unknown>;
  /** Optional cleanup after the repetitions. */
  teardown?: () => unknown | Promise<unknown>;
}

/** A measurement: rates (work/s) over the repetitions. */
export interface BenchResult {
  bench: string;
  impl: string;
  median: number;
  min: number;
  max: number;
  unit: string;
}

/** Options from the command line: `--json`, `--reps N`, `--warmup N`. */
export interface BenchOptions {
  json: boolean;
  reps: number;
  warmup: number;
}

/** Parse `--json`, `--reps N`, `--warmup N` from argv. */
export function parseBenchArgs(argv: readonly string[] = process.argv.slice(2)): BenchOptions {
  const get = (flag: string, dflt: number): number => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? Number(argv[i + 1]) : dflt;
    if (!Number.isInteger(v) || v < 0)
      throw new Error(`bench: ${flag} must be a non-negative integer, got ${argv[i + 1]}`);
    return v;
  };
  return { json: argv.includes('--json'), reps: Math.max(1, get('--reps', 7)), warmup: get('--warmup', 2) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Time one case: `warmup` untimed calls, then `reps` timed calls; rates are work / seconds. */
export async function measure(c: BenchCase, opts: BenchOptions): Promise<BenchResult> {
  await c.setup?.();
  for (let i = 0; i < opts.warmup; i++) await c.run();
  const rates: number[] = [];
  for (let i = 0; i < opts.reps; i++) {
    const t0 = performance.now();
    await c.run();
    const dt = (performance.now() - t0) / 1000;
    rates.push(c.work / Math.max(dt, 1e-9));
  }
  await c.teardown?.();
  return {
    bench: c.bench,
    impl: c.impl,
    median: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    unit: c.unit,
  };
}

function fmt(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(2);
}

/**
 * Measure all cases in order and print a table (or JSON lines with `--json`). When `baseline` names an impl,
 * each row also shows the ratio of its median to that impl's median (measured in this same run) and,
 * where `goal` is given, whether the ratio meets it.
 */
export async function runSuite(
  title: string,
  cases: BenchCase[],
  opts: BenchOptions,
  report: { baseline?: string; goals?: Record<string, number>; notes?: string[] } = {},
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const c of cases) results.push(await measure(c, opts));
  if (opts.json) {
    for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    return results;
  }
  const base = report.baseline;
  const baseOf = (bench: string): number | undefined =>
    results.find((r) => r.bench === bench && r.impl === base)?.median;
  const rows = results.map((r) => {
    const b = base ? baseOf(r.bench) : undefined;
    const ratio = b ? r.median / b : undefined;
    const goal = report.goals?.[r.impl];
    const verdict =
      ratio !== undefined && goal !== undefined ? (ratio >= goal ? `meets ≥ ${goal}×` : `below ${goal}×`) : '';
    return [
      r.bench,
      r.impl,
      `${fmt(r.median)} ${r.unit}`,
      `${fmt(r.min)} – ${fmt(r.max)}`,
      ratio !== undefined ? `${ratio.toFixed(2)}×` : '',
      verdict,
    ];
  });
  const header = ['bench', 'impl', 'median', 'min – max', base ? `vs ${base}` : '', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(`\n${title} (${opts.reps} reps after ${opts.warmup} warm-up; rates are work per second)`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  for (const n of report.notes ?? []) console.log(`note: ${n}`);
  return results;
}
