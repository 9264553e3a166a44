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
import { formatNumber } from './format.js';
import { renderReportHtml, type ReportChart, type VegaLiteSpec } from './report.js';

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

/** A number of the frontier table: 4 decimals, zeros kept so the columns align. */
function num(x: number): string {
  return formatNumber(x, { digits: 4, fixed: true });
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
  /** π*_β at the swept β's (hollow circles). */
  optimal: 'π*_β (closed form)',
  /** The trained policies (filled crosses). */
  trained: 'trained π_β',
} as const);

/**
 * The Vega-Lite spec of the reward–KL frontier: for each frontier (colour), the closed-form curve
 * β ↦ (KL(π*_β‖π_ref), E_π*_β[r]) as a line, the π*_β of the swept β's as hollow circles and the trained policies as
 * filled crosses. x = KL(π‖π_ref) in nats, y = E_π[r]. Source: Gao et al. 2022 (https://arxiv.org/abs/2210.10760) plot
 * reward against KL the same way.
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
    for (const p of trained)
      values.push({
        frontier: name,
        kind: FRONTIER_SERIES.trained,
        beta: p.beta,
        kl: p.kl,
        reward: p.expectedReward,
        klToOptimum: p.klToOptimum,
      });
  }
  const x = { field: 'kl', type: 'quantitative', title: 'KL(π‖π_ref) (nats)' };
  const y = { field: 'reward', type: 'quantitative', title: 'E_π[r]', scale: { zero: false } };
  const color = { field: 'frontier', type: 'nominal', title: 'frontier', scale: { scheme: 'category10' } };
  const tooltip = [
    { field: 'frontier' },
    { field: 'kind' },
    { field: 'beta', type: 'quantitative', title: 'β' },
    { field: 'kl', type: 'quantitative' },
    { field: 'reward', type: 'quantitative' },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 560,
    height: 300,
    background: 'white',
    data: { values },
    layer: [
      {
        transform: [{ filter: { field: 'kind', equal: FRONTIER_SERIES.curve } }],
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: {
          x,
          y,
          color,
          order: { field: 'kl', type: 'quantitative' },
          strokeDash: {
            field: 'kind',
            type: 'nominal',
            title: 'line',
            scale: { domain: [FRONTIER_SERIES.curve], range: [[1, 0]] },
          },
        },
      },
      {
        transform: [{ filter: { field: 'kind', oneOf: [FRONTIER_SERIES.optimal, FRONTIER_SERIES.trained] } }],
        mark: { type: 'point', strokeWidth: 2 },
        encoding: {
          x,
          y,
          color,
          shape: {
            field: 'kind',
            type: 'nominal',
            title: 'points',
            scale: { domain: [FRONTIER_SERIES.optimal, FRONTIER_SERIES.trained], range: ['circle', 'cross'] },
          },
          size: {
            field: 'kind',
            type: 'ordinal',
            title: 'points',
            scale: { domain: [FRONTIER_SERIES.optimal, FRONTIER_SERIES.trained], range: [220, 70] },
          },
          // hollow circles (π*_β) around filled crosses (trained): a cross inside its circle = training reached π*_β
          fill: {
            condition: {
              test: `datum.kind === '${FRONTIER_SERIES.trained}'`,
              field: 'frontier',
              type: 'nominal',
              legend: null,
            },
            value: 'transparent',
          },
          tooltip,
        },
      },
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
  return {
    id: 'frontier',
    title: 'Reward–KL frontier',
    caption:
      'x: KL(π‖π_ref) in nats; y: E_π[r]. The line is the closed-form frontier (KL(π*_β‖π_ref), E_π*_β[r]) of ' +
      'π*_β ∝ π_ref·exp(r/β) over a dense β grid: no policy earns more reward for the same KL. Hollow circles: π*_β at the ' +
      `swept β's; filled crosses: the tabular policies trained at those β's (${modes}). A cross inside its circle means training ` +
      'reached the optimum; the table gives KL(π‖π*) per β.',
    spec: frontierSpec(frontiers),
    table,
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
