/**
 * `klip frontier`: sweep β on the KL-regularized bandit, train a tabular policy at each β and store its
 * (KL(π‖π_ref), E_π[r]) beside the closed-form frontier in a folder (`frontier.json` + `report.html`); the
 * "Reward–KL frontier" chart that `klip report` draws for such folders. Node only.
 * @module
 */
import { existsSync, promises as fsp, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { assertOneOf, assertProbabilities } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';
import { KL_BANDIT_MODES, rewardKlFrontier, type KlBanditMode, type RewardKlFrontier } from '../rlhf/frontier.js';
import { KLIP_VERSION } from '../version.js';
import { readJsonFile, writeFileAtomic } from './atomic.js';
import { checkFlag, parseNumberFlag, parseNumberList } from './flags.js';
import { NEAR_ZERO, formatNumber } from './format.js';
import { renderReportHtml, type ReportChart, type VegaLiteSpec } from './report.js';
import { runColour } from './report/settings.js';
import { CHART_CONFIG } from './report/svg.js';

/** File names inside a frontier folder. */
export const FRONTIER_FILES = Object.freeze({
  /** The inputs and results ({@link FrontierFile}). */
  data: 'frontier.json',
  /** The standalone report with the frontier chart. */
  report: 'report.html',
} as const);

/** The inputs of one frontier sweep (what `frontier.json` records under `inputs`). */
export interface FrontierInputs {
  /** r(a) per arm. */
  rewards: number[];
  /** π_ref over the arms (every entry > 0, sum 1). */
  piRef: number[];
  /** The β's to train at (each > 0). */
  betas: number[];
  /** Gradient of `trainKlBandit`: exact over the arms or sampled (REINFORCE with the k1 reward penalty). */
  mode: KlBanditMode;
  /** Adam steps per β. */
  steps: number;
  /** Root seed (β number i trains on the stream `seed/beta-i`). */
  seed: number | string;
}

/** What `frontier.json` holds. */
export interface FrontierFile {
  /** Format tag. */
  format: 'klip-frontier';
  /** Schema version. */
  version: 1;
  /** klip version that wrote it. */
  klipVersion: string;
  /** The sweep's inputs. */
  inputs: FrontierInputs;
  /** The closed-form curve, π*_β points and trained points ({@link rewardKlFrontier}). */
  frontier: RewardKlFrontier;
}

/** One frontier as the report sees it. */
export interface ReportFrontier {
  /** Label (the folder name). */
  name: string;
  /** The folder's `frontier.json`. */
  file: FrontierFile;
}

/**
 * Defaults of `klip frontier`: four arms with rewards 1, 0.5, 0.2, 0 under a uniform π_ref, β from 0.05 (almost
 * greedy, KL near log 4) to 2 (close to π_ref), the exact gradient and 1000 Adam steps (lr 0.1) per β, which brings
 * every trained point within 0.01 nats of KL(π*_β‖π_ref) in a few seconds.
 * @example
 * ```ts
 * const file = computeFrontier({ ...DEFAULT_FRONTIER_INPUTS, steps: 200 });
 * ```
 */
export const DEFAULT_FRONTIER_INPUTS: Readonly<FrontierInputs> = Object.freeze({
  rewards: [1, 0.5, 0.2, 0],
  piRef: [0.25, 0.25, 0.25, 0.25],
  betas: [0.05, 0.1, 0.2, 0.5, 1, 2],
  mode: 'exact' as KlBanditMode,
  steps: 1000,
  seed: 1,
});

/**
 * Parse and check the flags of `klip frontier` (all strings as typed), so that nothing runs and nothing is written
 * on bad input. `--ref uniform` means 1/K on each of the K arms of `--rewards`.
 * @param flags `{ rewards?, ref?, betas?, mode?, steps?, seed? }`; a missing flag takes {@link DEFAULT_FRONTIER_INPUTS}.
 * @returns The checked inputs.
 * @throws ConfigError naming the flag: non-numbers, fewer than two arms, `--ref` not positive / not summing to 1 /
 *   of another length than `--rewards`, a β ≤ 0, an unknown mode, steps not an integer ≥ 1.
 * @example
 * ```ts
 * parseFrontierFlags({ rewards: '1,0', ref: '0.5,0.5', betas: '0.1,1' }).piRef; // [0.5, 0.5]
 * ```
 */
export function parseFrontierFlags(flags: {
  rewards?: string;
  ref?: string;
  betas?: string;
  mode?: string;
  steps?: string | number;
  seed?: string | number;
}): FrontierInputs {
  const fn = 'frontier';
  const d = DEFAULT_FRONTIER_INPUTS;
  const rewards =
    flags.rewards === undefined
      ? [...d.rewards]
      : parseNumberList(fn, '--rewards', flags.rewards, 'numbers, one reward per arm (e.g. 1,0.5,0)');
  if (rewards.length < 2)
    throw new ConfigError({ fn, arg: '--rewards', expected: 'at least two arms', got: flags.rewards });
  let piRef: number[];
  const ref = flags.ref?.trim() ?? 'uniform';
  if (ref === 'uniform') {
    piRef = rewards.map(() => 1 / rewards.length);
  } else {
    piRef = parseNumberList(fn, '--ref', ref, 'probabilities > 0 summing to 1, or "uniform"');
    if (piRef.length !== rewards.length)
      throw new ConfigError({
        fn,
        arg: '--ref',
        expected: `as many entries as --rewards (${rewards.length})`,
        got: ref,
      });
    if (piRef.some((p) => !(p > 0)))
      throw new ConfigError({ fn, arg: '--ref', expected: 'probabilities > 0 (the policy starts at π_ref)', got: ref });
    checkFlag(fn, '--ref', ref, () => assertProbabilities(fn, '--ref', piRef));
  }
  const betas =
    flags.betas === undefined
      ? [...d.betas]
      : parseNumberList(fn, '--betas', flags.betas, 'numbers > 0 (e.g. 0.1,0.5,2)');
  if (betas.some((b) => !(b > 0)))
    throw new ConfigError({ fn, arg: '--betas', expected: 'a comma-separated list of numbers > 0', got: flags.betas });
  const mode = flags.mode ?? d.mode;
  assertOneOf(fn, '--mode', mode, KL_BANDIT_MODES);
  const steps =
    flags.steps === undefined
      ? d.steps
      : parseNumberFlag(fn, '--steps', { integer: true, min: 1 })(String(flags.steps));
  const seed = flags.seed ?? d.seed;
  return {
    rewards,
    piRef,
    betas,
    mode,
    steps,
    seed: typeof seed === 'string' && /^-?\d+$/.test(seed) ? Number(seed) : seed,
  };
}

/**
 * Run the sweep ({@link rewardKlFrontier}: one tabular policy per β, 50 closed-form curve points) and wrap it in the
 * `frontier.json` record.
 *
 * trained point_β = (KL(π_β‖π_ref), E_π_β[r]);  π*_β ∝ π_ref·exp(r/β) (Ziegler et al. 2019, https://arxiv.org/abs/1909.08593)
 * @param inputs Checked inputs (what `klip frontier` parses from its flags).
 * @returns The file content (plain numbers).
 * @throws the errors of {@link rewardKlFrontier}.
 * @example
 * ```ts
 * const file = computeFrontier({ ...DEFAULT_FRONTIER_INPUTS, betas: [0.1, 1] });
 * file.frontier.trained[0].kl;
 * ```
 */
export function computeFrontier(inputs: FrontierInputs): FrontierFile {
  const frontier = rewardKlFrontier({
    piRef: inputs.piRef,
    rewards: inputs.rewards,
    betas: inputs.betas,
    mode: inputs.mode,
    steps: inputs.steps,
    seed: inputs.seed,
  });
  return { format: 'klip-frontier', version: 1, klipVersion: KLIP_VERSION, inputs, frontier };
}

/**
 * True when `dir` is a folder written by `klip frontier` (it holds `frontier.json`).
 * @param dir Folder path.
 * @returns Whether the folder holds a frontier.
 * @example
 * ```ts
 * isFrontierFolder('runs/frontier'); // true after `klip frontier --out runs/frontier`
 * ```
 */
export function isFrontierFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, FRONTIER_FILES.data));
  } catch {
    return false;
  }
}

/**
 * Read and check a frontier folder's `frontier.json`.
 * @param dir Folder path.
 * @returns `{ name: folder name, file }`.
 * @throws ConfigError when the file is missing, malformed or not a klip frontier (format "klip-frontier", version 1).
 * @example
 * ```ts
 * const { name, file } = await readFrontierFolder('runs/frontier');
 * ```
 */
export async function readFrontierFolder(dir: string): Promise<ReportFrontier> {
  const path = join(dir, FRONTIER_FILES.data);
  const x = (await readJsonFile(path, { fn: 'report', arg: path })) as Partial<FrontierFile> | null;
  const f = x?.frontier;
  const ok =
    x !== null &&
    typeof x === 'object' &&
    x.format === 'klip-frontier' &&
    x.version === 1 &&
    typeof x.inputs === 'object' &&
    f !== undefined &&
    Array.isArray(f.curve) &&
    Array.isArray(f.optimal) &&
    Array.isArray(f.trained);
  if (!ok)
    throw new ConfigError({
      fn: 'report',
      arg: path,
      expected: 'a klip frontier.json (format "klip-frontier", version 1)',
      got: x,
    });
  return { name: basename(resolve(dir)), file: x as FrontierFile };
}

/** The table rows of a frontier: β, trained and optimal E[r] and KL, and KL(π‖π*), as numbers. */
function rows(file: FrontierFile): number[][] {
  const { trained, optimal } = file.frontier;
  return trained.map((t, i) => [
    t.beta,
    t.expectedReward,
    optimal[i]?.expectedReward ?? NaN,
    t.kl,
    optimal[i]?.kl ?? NaN,
    t.klToOptimum,
  ]);
}

/** Column heads of the frontier table. */
const HEAD = ['β', 'E[r] trained', 'E[r]*', 'KL trained', 'KL*', 'KL(π‖π*)'];

/** A number of the frontier table: 4 decimals, zeros kept so the columns align; round-off (|x| < 1e-9) is `≈ 0`. */
function num(x: number): string {
  return formatNumber(x, { digits: 4, fixed: true, nearZero: NEAR_ZERO });
}

/**
 * The printed table of `klip frontier`: per β, E_π[r] and KL(π‖π_ref) of the trained policy beside the closed form
 * (E_π*[r], KL(π*‖π_ref)) and KL(π‖π*) (nats).
 * @param file A frontier record.
 * @returns Aligned plain text (ends with a newline).
 * @example
 * ```ts
 * process.stdout.write(formatFrontierTable(computeFrontier(DEFAULT_FRONTIER_INPUTS)));
 * ```
 */
export function formatFrontierTable(file: FrontierFile): string {
  const body = rows(file).map((r) => r.map((x, j) => (j === 0 ? String(x) : num(x))));
  const widths = HEAD.map((h, j) => Math.max(h.length, ...body.map((b) => b[j]!.length)));
  const line = (cols: string[]): string => cols.map((c, j) => c.padStart(widths[j]!)).join('  ');
  return `${[line(HEAD), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')}\n`;
}

/** Kinds of marks in the frontier chart (also the legend labels). */
export const FRONTIER_SERIES = Object.freeze({
  /** The closed-form frontier over a dense β grid (a line). */
  curve: 'closed-form curve',
  /** π*_β at the swept β's (large hollow rings). */
  optimal: 'π*_β, closed form (ring)',
  /** The trained policies (small filled diamonds). */
  trained: 'trained π_β (diamond)',
} as const);

/**
 * The Vega-Lite spec of the reward–KL frontier: for each frontier, the closed-form curve
 * β ↦ (KL(π*_β‖π_ref), E_π*_β[r]) as a line, the π*_β of the swept β's as large hollow rings and the trained policies
 * as small filled diamonds inside them, each trained point labelled with its β. x = KL(π‖π_ref) in nats,
 * y = E_π[r]. One legend names the three series; with several frontiers a second one gives each frontier's colour.
 * Source: Gao et al. 2022 (https://arxiv.org/abs/2210.10760) plot reward against KL the same way.
 * @param frontiers One or more frontiers (overlaid by colour).
 * @returns The spec (inline data; render with `renderSpecToSvg`).
 * @example
 * ```ts
 * const svg = await renderSpecToSvg(frontierSpec([await readFrontierFolder('runs/frontier')]));
 * ```
 */
export function frontierSpec(frontiers: readonly ReportFrontier[]): VegaLiteSpec {
  const values: Record<string, unknown>[] = [];
  for (const { name, file } of frontiers) {
    const { curve, optimal, trained } = file.frontier;
    for (const p of curve)
      values.push({ frontier: name, kind: FRONTIER_SERIES.curve, beta: p.beta, kl: p.kl, reward: p.expectedReward });
    for (const p of optimal)
      values.push({ frontier: name, kind: FRONTIER_SERIES.optimal, beta: p.beta, kl: p.kl, reward: p.expectedReward });
    for (const [i, p] of trained.entries())
      values.push({
        labelSide: i % 2 === 0 ? 'above' : 'below',
        frontier: name,
        kind: FRONTIER_SERIES.trained,
        beta: p.beta,
        kl: p.kl,
        reward: p.expectedReward,
        klToOptimum: p.klToOptimum,
        label: `β ${formatNumber(p.beta)}`,
      });
  }
  const multi = frontiers.length > 1;
  const x = { field: 'kl', type: 'quantitative', title: 'KL(π‖π_ref) (nats)' };
  const y = { field: 'reward', type: 'quantitative', title: 'E_π[r]', scale: { zero: false } };
  const names = frontiers.map((f) => f.name);
  const colourScale = { domain: names, range: names.map((_, i) => runColour(i)) };
  const color = multi
    ? { field: 'frontier', type: 'nominal', title: 'frontier (colour)', scale: colourScale }
    : { value: runColour(0) };
  const series = [FRONTIER_SERIES.curve, FRONTIER_SERIES.optimal, FRONTIER_SERIES.trained];
  const tooltip = [
    ...(multi ? [{ field: 'frontier' }] : []),
    { field: 'kind', title: 'series' },
    { field: 'beta', type: 'quantitative', title: 'β' },
    { field: 'kl', type: 'quantitative', title: 'KL(π‖π_ref)', format: '.4f' },
    { field: 'reward', type: 'quantitative', title: 'E_π[r]', format: '.4f' },
  ];
  /** The one legend of the series: a line, a ring and a diamond. */
  const seriesLegend = {
    field: 'kind',
    type: 'nominal',
    title: 'series',
    scale: { domain: series, range: ['stroke', 'circle', 'diamond'] },
    legend: { symbolStrokeColor: '#333', symbolFillColor: 'transparent', labelLimit: 0 },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 460,
    height: 300,
    background: 'white',
    config: CHART_CONFIG,
    data: { values },
    layer: [
      {
        transform: [{ filter: { field: 'kind', equal: FRONTIER_SERIES.curve } }],
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: { x, y, color, detail: { field: 'frontier' }, order: { field: 'kl', type: 'quantitative' } },
      },
      {
        transform: [{ filter: { field: 'kind', equal: FRONTIER_SERIES.optimal } }],
        mark: { type: 'point', filled: false, size: 260, strokeWidth: 1.5, opacity: 0.9 },
        encoding: { x, y, color, shape: seriesLegend, tooltip },
      },
      {
        transform: [{ filter: { field: 'kind', equal: FRONTIER_SERIES.trained } }],
        mark: { type: 'point', filled: true, size: 70, stroke: '#111', strokeWidth: 0.8, opacity: 1 },
        encoding: { x, y, color, shape: seriesLegend, tooltip },
      },
      // β labels alternate above and below their point, so neighbours (β 0.05 and 0.1 sit close) do not collide
      ...(['above', 'below'] as const).map((side) => ({
        transform: [
          { filter: { field: 'kind', equal: FRONTIER_SERIES.trained } },
          { filter: { field: 'labelSide', equal: side } },
        ],
        mark: { type: 'text', align: 'left', dx: 9, dy: side === 'above' ? -10 : 12, fontSize: 12, color: '#333' },
        encoding: { x, y, text: { field: 'label' } },
      })),
    ],
  };
}

/**
 * The "Reward–KL frontier" chart of `klip report` (and of `klip frontier`'s report.html): {@link frontierSpec} with a
 * caption and, per frontier, the table of {@link formatFrontierTable}.
 * @param frontiers One or more frontiers.
 * @returns A report chart with id `frontier`.
 * @example
 * ```ts
 * const html = await renderReportHtml([], { charts: [frontierChart([f])], sources: [f.name] });
 * ```
 */
export function frontierChart(frontiers: readonly ReportFrontier[]): ReportChart {
  const multi = frontiers.length > 1;
  const table = {
    head: [...(multi ? ['frontier'] : []), ...HEAD],
    rows: frontiers.flatMap(({ name, file }) =>
      rows(file).map((r) => [...(multi ? [name] : []), ...r.map((x, j) => (j === 0 ? String(x) : num(x)))]),
    ),
  };
  const modes = [
    ...new Set(frontiers.map((f) => `${f.file.inputs.mode}, ${f.file.inputs.steps} Adam steps per β`)),
  ].join('; ');
  const swatches = multi
    ? frontiers.flatMap(({ file }, i) => file.frontier.trained.map(() => runColour(i)))
    : undefined;
  return {
    id: 'frontier',
    title: 'Reward–KL frontier',
    caption:
      'x: KL(π‖π_ref) in nats; y: E_π[r]. The line is the closed-form frontier (KL(π*_β‖π_ref), E_π*_β[r]) of ' +
      'π*_β ∝ π_ref·exp(r/β) over a dense β grid: no policy earns more reward for the same KL. Rings: π*_β at the ' +
      `swept β's (labelled); diamonds: the tabular policies trained at those β's (${modes}). A diamond centred in its ring means ` +
      'training reached the optimum; one outside it stopped short (the table gives KL(π‖π*) per β, ≈ 0 when they match). ' +
      'Small β sits at the right (more reward, far from π_ref), large β at the left.',
    spec: frontierSpec(frontiers),
    table: swatches ? { ...table, swatches } : table,
  };
}

/**
 * Write a frontier folder: `frontier.json` and a `report.html` with the frontier chart, both atomically
 * (temp file + fsync + rename). Creates the folder.
 * @param dir Output folder.
 * @param file The frontier record.
 * @returns The paths written.
 * @example
 * ```ts
 * await writeFrontierFolder('runs/frontier', computeFrontier(DEFAULT_FRONTIER_INPUTS));
 * ```
 */
export async function writeFrontierFolder(dir: string, file: FrontierFile): Promise<string[]> {
  const name = basename(resolve(dir));
  const html = await renderReportHtml([], {
    title: 'klip frontier',
    charts: [frontierChart([{ name, file }])],
    sources: [name],
  });
  await fsp.mkdir(dir, { recursive: true });
  const data = join(dir, FRONTIER_FILES.data);
  const report = join(dir, FRONTIER_FILES.report);
  await writeFileAtomic(data, `${JSON.stringify(file, null, 2)}\n`);
  await writeFileAtomic(report, html);
  return [data, report];
}
