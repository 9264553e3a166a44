/**
 * The figures of the concept pages, computed by klip and drawn by klip's own chart code (`renderSpecToSvg`, the
 * report's Vega-Lite → SVG renderer). `npm run docs:figures` writes them to `docs/img/`; test/docs/figures.test.ts
 * regenerates them and fails when a committed file differs, so a figure never shows numbers the code no longer
 * gives.
 *
 * - `kl_forward_reverse.svg` (docs/concepts/kl.md): a 1-D Gaussian fitted to a two-component mixture by forward and
 *   by reverse KL, each minimised on a grid (float64, {@link fitGaussianByKl}).
 * - `ppo_clip_objective.svg` (docs/concepts/ppo.md): L^CLIP against the ratio r for Â > 0 and Â < 0 (Schulman et al.
 *   2017, Figure 1), each point computed by `ppoClipLoss`.
 * - `adaptive_beta_trace.svg` (docs/concepts/kl_penalty.md): β and the KL of each update against the target band, from
 *   a seeded 30-update `Trainer` run (grid5x5, `kl-penalty`, adaptive controller, tfjs-cpu).
 * - `reward_kl_frontier.svg` (docs/concepts/rlhf.md): E_π*[r] against KL(π*_β‖π_ref) as β varies, π*_β ∝
 *   π_ref·exp(r/β) (`klRegularizedFrontier`, `klip frontier`'s default bandit).
 * @module
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { klRegularizedFrontier, ppoClipLoss, ready, Trainer } from '../src/index.js';
import { renderSpecToSvg, type VegaLiteSpec } from '../src/node/report.js';

/** Where the figures go. */
export const FIGURE_DIR = fileURLToPath(new URL('../docs/img/', import.meta.url));

// ---------------------------------------------------------------------------------------------------------------
// (a) Forward vs reverse KL: a Gaussian fitted to a bimodal target.

/** The target of figure (a): 0.6·N(−2, 0.7²) + 0.4·N(2, 0.7²). */
export const MIXTURE = Object.freeze({ weights: [0.6, 0.4], means: [-2, 2], sd: 0.7 });
/** The integration grid: x from −8 to 8 in steps of 0.005 (3201 points), a Riemann sum. */
const X_MIN = -8;
const X_STEP = 0.005;
const X_COUNT = 3201;

const normalPdf = (x: number, mean: number, sd: number): number =>
  Math.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI));
const mixturePdf = (x: number): number =>
  MIXTURE.weights.reduce((s, w, i) => s + w * normalPdf(x, MIXTURE.means[i]!, MIXTURE.sd), 0);

/**
 * KL between the mixture p and N(mean, sd²) on the grid, in nats: forward KL(p‖q) = Σ p·log(p/q)·dx, reverse
 * KL(q‖p) = Σ q·log(q/p)·dx.
 */
export function gridKl(direction: 'forward' | 'reverse', mean: number, sd: number): number {
  let s = 0;
  for (let i = 0; i < X_COUNT; i++) {
    const x = X_MIN + i * X_STEP;
    const p = mixturePdf(x);
    const q = normalPdf(x, mean, sd);
    s += direction === 'forward' ? p * Math.log(p / q) : q * Math.log(q / p);
  }
  return s * X_STEP;
}

/**
 * The Gaussian N(mean, sd²) that minimises the forward or reverse KL to the mixture: a grid search over mean ∈ [−4, 4]
 * and log sd ∈ [−2, 2] (41 × 41 points), refined 12 times around the best point with the grid's spacing halved each
 * time. Deterministic; the forward optimum is moment matching (mean −0.4, sd √4.33 = 2.0809), the reverse one sits on
 * the heavier mode (scipy's Nelder–Mead on the same sum: mean −1.98599, sd 0.72024).
 */
export function fitGaussianByKl(direction: 'forward' | 'reverse'): { mean: number; sd: number; kl: number } {
  let best = { m: 0, ls: 0, kl: Infinity };
  let cm = 0;
  let cls = 0;
  let hm = 4;
  let hls = 2;
  for (let round = 0; round < 13; round++) {
    for (let i = 0; i <= 40; i++) {
      for (let j = 0; j <= 40; j++) {
        const m = cm - hm + (i * 2 * hm) / 40;
        const ls = cls - hls + (j * 2 * hls) / 40;
        const kl = gridKl(direction, m, Math.exp(ls));
        if (kl < best.kl) best = { m, ls, kl };
      }
    }
    cm = best.m;
    cls = best.ls;
    hm /= round === 0 ? 10 : 2; // after the global search, refine around the best cell
    hls /= round === 0 ? 10 : 2;
  }
  return { mean: best.m, sd: Math.exp(best.ls), kl: best.kl };
}

function forwardReverseSpec(): VegaLiteSpec {
  const fwd = fitGaussianByKl('forward');
  const rev = fitGaussianByKl('reverse');
  const rows: { x: number; density: number; curve: string }[] = [];
  const names = {
    p: 'target p (two modes)',
    f: `forward KL(p‖q) fit: N(${fwd.mean.toFixed(2)}, ${fwd.sd.toFixed(2)}²)`,
    r: `reverse KL(q‖p) fit: N(${rev.mean.toFixed(2)}, ${rev.sd.toFixed(2)}²)`,
  };
  for (let i = 0; i <= 240; i++) {
    const x = -6 + i * 0.05;
    rows.push({ x, density: mixturePdf(x), curve: names.p });
    rows.push({ x, density: normalPdf(x, fwd.mean, fwd.sd), curve: names.f });
    rows.push({ x, density: normalPdf(x, rev.mean, rev.sd), curve: names.r });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'A Gaussian q fitted to a bimodal p: forward KL covers, reverse KL seeks a mode',
    width: 560,
    height: 260,
    data: { values: roundRows(rows) },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'x' },
      y: { field: 'density', type: 'quantitative', title: 'density' },
      color: {
        field: 'curve',
        type: 'nominal',
        title: null,
        sort: [names.p, names.f, names.r],
        scale: { range: ['#333333', '#1f77b4', '#ff7f0e'] },
        legend: { orient: 'bottom', direction: 'vertical', labelLimit: 400 },
      },
      strokeDash: {
        field: 'curve',
        type: 'nominal',
        sort: [names.p, names.f, names.r],
        scale: {
          range: [
            [4, 3],
            [1, 0],
            [1, 0],
          ],
        },
        legend: null,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// (b) L^CLIP against r.

/** clip ε of figure (b). */
export const CLIP = 0.2;

/** The per-sample clipped objective min(r·Â, clip(r, 1−ε, 1+ε)·Â) = −`ppoClipLoss` of one sample. */
export function clipObjective(r: number, advantage: number): number {
  return tf.tidy(() => {
    const { loss } = ppoClipLoss({
      logProb: tf.tensor1d([Math.log(r)]),
      oldLogProb: tf.tensor1d([0]),
      advantages: tf.tensor1d([advantage]),
      clip: CLIP,
    });
    return -loss.dataSync()[0]!;
  });
}

function clipSpec(): VegaLiteSpec {
  const rows: { r: number; value: number; term: string; panel: string }[] = [];
  for (const [panel, a] of [
    ['Â > 0 (Â = 1)', 1],
    ['Â < 0 (Â = −1)', -1],
  ] as const) {
    for (let i = 1; i <= 100; i++) {
      const r = i * 0.02;
      rows.push({ r, value: clipObjective(r, a), term: 'L^CLIP = min(r·Â, clip(r, 0.8, 1.2)·Â)', panel });
      rows.push({ r, value: r * a, term: 'r·Â (unclipped)', panel });
    }
  }
  const panel = (name: string): VegaLiteSpec => ({
    title: name,
    width: 260,
    height: 220,
    layer: [
      {
        data: { values: [{ lo: 1 - CLIP, hi: 1 + CLIP }] },
        mark: { type: 'rect', opacity: 0.12, color: '#888888' },
        encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
      },
      {
        data: { values: roundRows(rows.filter((r) => r.panel === name)) },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { field: 'r', type: 'quantitative', title: 'ratio r', scale: { domain: [0, 2] } },
          y: { field: 'value', type: 'quantitative', title: 'objective (maximised)' },
          color: {
            field: 'term',
            type: 'nominal',
            title: null,
            scale: { range: ['#d62728', '#999999'] },
            legend: { orient: 'bottom', labelLimit: 400 },
          },
          strokeDash: {
            field: 'term',
            type: 'nominal',
            scale: {
              range: [
                [1, 0],
                [4, 3],
              ],
            },
            legend: null,
          },
        },
      },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'The clipped surrogate of one sample against the ratio r = π_θ/π_old (ε = 0.2; shaded: [1−ε, 1+ε])',
    hconcat: [panel('Â > 0 (Â = 1)'), panel('Â < 0 (Â = −1)')],
    resolve: { legend: { color: 'shared', strokeDash: 'shared' } },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// (c) An adaptive-β trace from a seeded run.

/** The run of figure (c), also the playground link's settings. */
export const TRACE_RUN = Object.freeze({
  env: 'grid5x5',
  objective: 'kl-penalty',
  beta: 1,
  target: 0.01,
  updates: 30,
  seed: 1,
});

/** One update of the trace: the exact KL of the update, the β its loss used, and whether the rule saw its KL. */
export interface TraceRow {
  update: number;
  kl: number;
  beta: number;
  held: boolean;
}

/** Train {@link TRACE_RUN} on tfjs-cpu and record each update. */
export async function adaptiveTrace(): Promise<TraceRow[]> {
  const trainer = await Trainer.create({
    env: TRACE_RUN.env,
    objective: TRACE_RUN.objective,
    klController: { kind: 'adaptive', beta: TRACE_RUN.beta, target: TRACE_RUN.target },
    totalSteps: TRACE_RUN.updates * 1024, // grid5x5's default update: 32 envs × 32 steps
    backend: 'cpu',
    seed: TRACE_RUN.seed,
  });
  const rows: TraceRow[] = [];
  try {
    while (!trainer.done) {
      const m = await trainer.step();
      rows.push({
        update: m.update ?? rows.length + 1,
        kl: m['kl/exact_rollout_end'] ?? Number.NaN,
        beta: m['kl/coef'] ?? Number.NaN,
        held: m['kl/coef_held'] === 1,
      });
    }
  } finally {
    trainer.dispose();
  }
  return rows;
}

function traceSpec(rows: readonly TraceRow[]): VegaLiteSpec {
  const d = TRACE_RUN.target;
  const values = rows.map((r) => ({
    update: r.update,
    kl: r.kl,
    beta: r.beta,
    step: r.held ? 'kept from the rule (no reward yet, or penalty not binding)' : 'seen by the adaptive rule',
  }));
  const width = 560;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Adaptive β on ${TRACE_RUN.env} (kl-penalty, β₀ = ${TRACE_RUN.beta}, target ${d}, seed ${TRACE_RUN.seed})`,
    data: { values: roundRows(values) },
    vconcat: [
      {
        width,
        height: 180,
        layer: [
          {
            data: { values: [{ lo: d / 1.5, hi: d * 1.5 }] },
            mark: { type: 'rect', color: '#2ca02c', opacity: 0.15 },
            encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
          },
          {
            data: { values: [{ d }] },
            mark: { type: 'rule', color: '#2ca02c', strokeDash: [4, 3] },
            encoding: { y: { field: 'd', type: 'quantitative' } },
          },
          {
            mark: { type: 'line', color: '#1f77b4', point: true },
            encoding: {
              x: { field: 'update', type: 'quantitative', title: null, axis: { labels: false } },
              y: { field: 'kl', type: 'quantitative', title: 'KL of the update (nats)' },
            },
          },
        ],
      },
      {
        width,
        height: 110,
        mark: { type: 'line', interpolate: 'step-after', color: '#d62728', point: true },
        encoding: {
          x: { field: 'update', type: 'quantitative', title: 'update' },
          y: {
            field: 'beta',
            type: 'quantitative',
            title: 'β used in the update',
            scale: { type: 'log', base: 2, domain: [0.7, 6] },
            axis: { values: [1, 2, 4] },
          },
          shape: {
            field: 'step',
            type: 'nominal',
            title: "the update's KL was",
            scale: { range: ['circle', 'square'] },
            legend: { orient: 'bottom', direction: 'horizontal', labelLimit: 400 },
          },
        },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// (d) The reward–KL frontier.

/** `klip frontier`'s default bandit: rewards 1, 0.5, 0.2, 0 under a uniform π_ref. */
export const FRONTIER_BANDIT = Object.freeze({ rewards: [1, 0.5, 0.2, 0], piRef: [0.25, 0.25, 0.25, 0.25] });
/** The β values marked on the curve (`klip frontier --betas 0.05,0.1,0.2,0.5,1,2`). */
export const MARKED_BETAS = [0.05, 0.1, 0.2, 0.5, 1, 2] as const;

function frontierSpec(): VegaLiteSpec {
  const betas = Array.from({ length: 121 }, (_, i) => 10 ** (-2 + (i * 3.5) / 120)); // 0.01 … ~31.6
  const curve = klRegularizedFrontier(FRONTIER_BANDIT.piRef, FRONTIER_BANDIT.rewards, betas).map((p) => ({
    kl: p.kl,
    reward: p.expectedReward,
  }));
  const marks = klRegularizedFrontier(FRONTIER_BANDIT.piRef, FRONTIER_BANDIT.rewards, [...MARKED_BETAS]).map((p) => ({
    kl: p.kl,
    reward: p.expectedReward,
    label: `β = ${p.beta}`,
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Reward–KL frontier of the KL-regularized bandit: π*_β ∝ π_ref·exp(r/β)',
    width: 560,
    height: 280,
    layer: [
      {
        data: { values: [{ y: 1 }] },
        mark: { type: 'rule', color: '#999999', strokeDash: [4, 3] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: roundRows(curve) },
        mark: { type: 'line', color: '#1f77b4', strokeWidth: 2 },
        encoding: {
          x: { field: 'kl', type: 'quantitative', title: 'KL(π*_β‖π_ref) (nats)' },
          y: { field: 'reward', type: 'quantitative', title: 'E_π*[r]', scale: { zero: false } },
        },
      },
      {
        data: { values: roundRows(marks) },
        layer: [
          {
            mark: { type: 'point', filled: true, color: '#d62728', size: 50 },
            encoding: { x: { field: 'kl', type: 'quantitative' }, y: { field: 'reward', type: 'quantitative' } },
          },
          ...[
            { below: true, filter: 'datum.label !== "β = 0.1"' },
            { below: false, filter: 'datum.label === "β = 0.1"' },
          ].map(({ below, filter }) => ({
            transform: [{ filter }],
            mark: {
              type: 'text' as const,
              align: below ? ('left' as const) : ('right' as const),
              dx: below ? 7 : -7,
              dy: below ? 9 : -9,
              fontSize: 11,
            },
            encoding: {
              x: { field: 'kl', type: 'quantitative' },
              y: { field: 'reward', type: 'quantitative' },
              text: { field: 'label' },
            },
          })),
        ],
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------

/** Numbers rounded to 6 significant digits, so the SVG does not depend on the last bits of a float. */
function roundRows<T extends object>(rows: readonly T[]): T[] {
  return rows.map(
    (r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(6)) : v]),
      ) as T,
  );
}

/** A standalone SVG file: the renderer leaves out the namespace (the report inlines its SVGs), a file needs it. */
function svgFile(svg: string): string {
  return `${svg.replace(/^<svg\b/, '<svg xmlns="http://www.w3.org/2000/svg"')}\n`;
}

/** Every figure: file name (in `docs/img/`) → SVG text. */
export async function buildFigures(): Promise<Record<string, string>> {
  await ready({ backend: 'cpu' });
  const specs: [string, VegaLiteSpec][] = [
    ['kl_forward_reverse.svg', forwardReverseSpec()],
    ['ppo_clip_objective.svg', clipSpec()],
    ['adaptive_beta_trace.svg', traceSpec(await adaptiveTrace())],
    ['reward_kl_frontier.svg', frontierSpec()],
  ];
  const out: Record<string, string> = {};
  for (const [file, spec] of specs) out[file] = svgFile(await renderSpecToSvg(spec));
  return out;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await buildFigures();
  for (const [file, svg] of Object.entries(figures)) {
    writeFileSync(FIGURE_DIR + file, svg);
    console.log(`wrote docs/img/${file}`);
  }
}
