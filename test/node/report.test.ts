import type { GridFrame } from '../../envs/types.js';
import { describe, expect, it } from 'vitest';
import {
  ACTION_ARROWS,
  exactGridValues,
  gridLegendHtml,
  gridPolicySpec,
  gridTiles,
  renderReportHtml,
  renderSpecToSvg,
  reportCharts,
  type ReportRun,
} from '../../src/node/report.js';
import { responsiveSvg, svgTooltips } from '../../src/node/report/svg.js';
import { RUN_COLOURS, differingSettings, runColour } from '../../src/node/report/settings.js';
import { escapeHtml } from '../../src/node/html_page.js';
import { finiteHorizonValue } from '../../envs/planning.js';
import { makeEnv } from '../../envs/registry.js';
import { cliffWalking } from '../../envs/maps.js';
import type { MetricRecord } from '../../src/training/metrics.js';

function synth(n: number, scale: number): MetricRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    update: i + 1,
    global_step: (i + 1) * 512,
    'charts/episodic_return': i === 0 ? null : scale * (i / n),
    'charts/policy_return': scale * (i / n) * 0.9,
    'charts/optimal_return': 0.82,
    'kl/exact_rollout_end': 0.01 + 0.001 * i,
    'kl/k1_rollout_end': 0.011 + 0.001 * i,
    'kl/k3_rollout_end': 0.009 + 0.001 * i,
    'kl/exact_old_new': 0.002,
    'kl/k1': 0.0021,
    'kl/k3': 0.0019,
    'kl/coef': 2 ** (i % 3),
    'policy/clip_fraction': 0.1,
    'policy/entropy': 1.3 - 0.01 * i,
  }));
}

const FRAME: GridFrame = {
  kind: 'grid',
  rows: 2,
  cols: 2,
  cells: [
    ['S', 'F'],
    ['H', 'G'],
  ],
  agent: { row: 0, col: 0 },
  lastAction: null,
};
const POLICY = {
  probs: [
    [0.1, 0.7, 0.1, 0.1],
    [0.05, 0.05, 0.85, 0.05],
    [0.25, 0.25, 0.25, 0.25],
    [0.25, 0.25, 0.25, 0.25],
  ],
  values: [0.5, 0.6, 0, 0],
};

const runs: ReportRun[] = [
  {
    name: 'run-alpha',
    config: { env: 'frozenlake4x4', objective: 'clip+kl', klController: { kind: 'adaptive', target: 0.01 } },
    metrics: synth(8, 1),
  },
  { name: 'run-beta', config: { env: 'frozenlake4x4', objective: 'clip' }, metrics: synth(5, 0.5) },
];

describe('reportCharts: the reference KL', () => {
  it('draws kl/ref_exact and kl/ref_estimate only for runs that have them', () => {
    const withRef: ReportRun = {
      name: 'ref',
      config: { env: 'bandit', objective: 'clip', referenceKl: { placement: 'reward', estimator: 'k1' } },
      metrics: synth(3, 1).map((r, i) => ({ ...r, 'kl/ref_exact': 0.1 * i, 'kl/ref_estimate': 0.12 * i })),
    };
    expect(reportCharts(runs).some((c) => c.id === 'kl_ref')).toBe(false);
    const chart = reportCharts([...runs, withRef]).find((c) => c.id === 'kl_ref')!;
    const values = (chart.spec as { layer: { data: { values: { run: string; series: string; value: number }[] } }[] })
      .layer[0]!.data.values;
    expect(values.map((v) => [v.run, v.series, v.value])).toEqual([
      ['ref', 'exact', 0],
      ['ref', 'estimate', 0],
      ['ref', 'exact', 0.1],
      ['ref', 'estimate', 0.12],
      ['ref', 'exact', 0.2],
      ['ref', 'estimate', 0.24],
    ]);
  });
});

describe('reportCharts', () => {
  it('builds one chart per metric family, with the target band only from a KL objective', () => {
    const charts = reportCharts(runs);
    expect(charts.map((c) => c.id)).toEqual(['return', 'kl_update', 'kl_step', 'beta', 'clip_fraction', 'entropy']);
    const kl = charts.find((c) => c.id === 'kl_update')!.spec as {
      layer: { data: { values: Record<string, number>[] } }[];
    };
    // band [target/1.5, 1.5·target] from run-alpha's klController.target = 0.01 (run-beta's clip objective has none)
    expect(kl.layer[0]!.data.values).toEqual([{ run: 'run-alpha', lo: 0.01 / 1.5, hi: 0.015, target: 0.01 }]);
    const lines = kl.layer[2]!.data.values;
    // every non-null exact/k1/k3 value of both runs, in long format: 3 series × (8 + 5) updates
    expect(lines).toHaveLength(3 * 13);
    expect(
      lines
        .filter(
          (r) =>
            (r as unknown as { run: string }).run === 'run-beta' &&
            (r as unknown as { series: string }).series === 'k3',
        )
        .map((r) => r.value),
    ).toEqual([0, 1, 2, 3, 4].map((i) => 0.009 + 0.001 * i));
  });

  it('draws each run’s band in its own rule’s edges, β only for KL objectives, KL on log/symlog axes, and early stopping', () => {
    const rl: ReportRun[] = [
      {
        name: 'rl',
        config: {
          objective: 'kl-penalty',
          klController: { kind: 'rllib', target: 0.02, betaMin: 0.01 },
          earlyStopKl: 0.02,
          earlyStopFactor: 1.5,
          epochs: 4,
          numMinibatches: 2,
        },
        metrics: synth(4, 1).map((r) => ({ ...r, 'kl/optimizer_steps': 8 })),
      },
      { name: 'plain', config: { objective: 'clip' }, metrics: synth(4, 0.5) },
    ];
    const charts = reportCharts(rl);
    const kl = charts.find((c) => c.id === 'kl_update')!.spec as {
      layer: Array<{ data: { values: Record<string, unknown>[] }; encoding: { y: { scale?: { type: string } } } }>;
    };
    expect(kl.layer[0]!.data.values).toEqual([{ run: 'rl', lo: 0.01, hi: 0.04, target: 0.02 }]); // RLlib: [d/2, 2d]
    expect(kl.layer[2]!.encoding.y.scale?.type).toMatch(/^(log|symlog)$/);
    const beta = charts.find((c) => c.id === 'beta')!.spec as {
      layer: Array<{
        data: { values: Array<{ run: string; value?: number; bound?: string }> };
        mark: { interpolate?: string };
      }>;
    };
    expect(new Set(beta.layer[0]!.data.values.map((r) => r.run))).toEqual(new Set(['rl'])); // no β for the clip run
    expect(beta.layer[0]!.mark.interpolate).toBe('step-after');
    expect(beta.layer[1]!.data.values).toEqual([{ run: 'rl', bound: 'betaMin', value: 0.01 }]);
    expect(charts.map((c) => c.id)).toContain('early_stop');
    expect(charts.find((c) => c.id === 'kl_update')!.table!.head).toContain('in band');
    expect(reportCharts([rl[1]!]).map((c) => c.id)).not.toContain('beta');
  });

  it('skips null values and captions with what to look for and the metric keys', () => {
    const ret = reportCharts(runs).find((c) => c.id === 'return')!;
    const rows = (ret.spec as { layer: { data: { values: { run: string; series: string; value: number }[] } }[] })
      .layer[0]!.data.values;
    expect(rows.filter((r) => r.series === 'episodic return (sampled)' && r.run === 'run-alpha')).toHaveLength(7); // first update is null
    expect(ret.caption).toContain('should rise toward the dashed black optimum');
    expect(ret.caption).toContain('Metrics: charts/episodic_return, charts/policy_return, charts/optimal_return.');
  });

  it('gives each run one colour in report order, the same in every chart, and a dash per series with its legend', async () => {
    const charts = reportCharts(runs);
    for (const c of charts) {
      const layers = (c.spec as { layer: { encoding?: { color?: { scale?: unknown } } }[] }).layer;
      for (const l of layers) {
        const sc = l.encoding?.color?.scale as { domain?: string[]; range?: string[] } | undefined;
        if (sc?.domain) {
          expect(sc.domain).toEqual(['run-alpha', 'run-beta']);
          expect(sc.range).toEqual([RUN_COLOURS[0], RUN_COLOURS[1]]);
        }
      }
    }
    const kl = charts.find((c) => c.id === 'kl_update')!.spec as {
      layer: { encoding: { strokeDash?: { title: string; scale: { domain: string[]; range: number[][] } } } }[];
      config: { legend: { labelLimit: number } };
    };
    const dash = kl.layer[2]!.encoding.strokeDash!;
    expect(dash.title).toBe('estimator (line style)');
    expect(dash.scale.domain).toEqual(['exact', 'k1', 'k3']);
    expect(new Set(dash.scale.range.map((d) => d.join(','))).size).toBe(3); // three distinct dashes
    expect(kl.config.legend.labelLimit).toBe(0); // legends are never truncated
    // the run legend is drawn even when bands and rules share the colour scale
    for (const c of charts) expect(await renderSpecToSvg(c.spec!), c.id).toContain('>run (colour)<');
  });

  it('puts the final policies of gridworld runs side by side on one shared colour scale', () => {
    const withGrid: ReportRun[] = [
      { ...runs[0]!, summary: { frame: FRAME, policy: POLICY } as never },
      { ...runs[1]!, summary: { frame: FRAME, policy: { ...POLICY, values: [2, 1, 0, 0] } } as never },
    ];
    const grids = reportCharts(withGrid).find((c) => c.id === 'grids')!;
    expect(grids.panels!.map((p) => p.id)).toEqual(['grid:run-alpha', 'grid:run-beta']);
    // frozenlake4x4 has 16 states, not the 2×2 frame's 4: no exact values, the critic's, on one domain [0, 2]
    const domains = grids.panels!.map(
      (p) => (p.spec.layer as { encoding: { fill: { scale: { domain: number[] } } } }[])[0]!.encoding.fill.scale.domain,
    );
    expect(domains).toEqual([
      [0, 2],
      [0, 2],
    ]);
    expect(grids.legendHtml).toContain('V(s), critic: 0 → 2');
  });
});

describe('differingSettings', () => {
  it('keeps only the settings whose values differ, β and target only for objectives with a KL term', () => {
    const a = {
      env: 'frozenlake4x4',
      objective: 'kl-penalty',
      klController: { kind: 'fixed', beta: 0.1 },
      lr: 0.2,
      seed: 1,
    };
    const b = {
      env: 'frozenlake4x4',
      objective: 'kl-penalty',
      klController: { kind: 'adaptive', beta: 1, target: 0.02 },
      lr: 0.2,
      seed: 1,
    };
    const c = {
      env: 'frozenlake4x4',
      objective: 'clip',
      klController: { kind: 'adaptive', beta: 1, target: 0.02 },
      lr: 0.2,
      seed: 2,
    };
    const cols = differingSettings([a, b, c]);
    expect(cols.map((x) => x.label)).toEqual(['objective', 'controller', 'β (initial)', 'target KL', 'seed']);
    expect(cols.find((x) => x.label === 'β (initial)')!.values).toEqual(['0.1', '1', '–']);
    expect(cols.find((x) => x.label === 'target KL')!.values).toEqual(['–', '0.02', '–']); // fixed has no target
    expect(differingSettings([a])).toEqual([]);
    expect(differingSettings([a, { ...a }])).toEqual([]);
    expect(runColour(10)).toBe(RUN_COLOURS[0]);
  });
});

describe('gridPolicySpec', () => {
  type Arrow = { state: number; action: string; prob: number; x: number; y: number; x2: number; y2: number };
  const arrowsOf = (spec: Record<string, unknown>): Arrow[] =>
    (spec.layer as { data?: { values: Arrow[] }; mark: { type: string } }[]).find((l) => l.mark.type === 'rule')!.data!
      .values;

  it('draws all four actions of every free cell, length ∝ π(a|s), and none on holes and goals', () => {
    const spec = gridPolicySpec(FRAME, POLICY)!;
    const arrows = arrowsOf(spec);
    expect(arrows.map((a) => a.state)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(arrows.filter((a) => a.state === 0).map((a) => a.prob)).toEqual([0.1, 0.7, 0.1, 0.1]);
    const down = arrows.find((a) => a.state === 0 && a.action === ACTION_ARROWS[1])!;
    expect(down.x2 - down.x).toBe(0);
    expect(down.y2 - down.y).toBeCloseTo(0.4 * 0.7, 12); // down, 0.4 cell × π
    const cells = (spec.data as { values: { tile: string | null; glyph: string; value: number | null }[] }).values;
    expect(cells.map((c) => c.tile)).toEqual([null, null, 'hole (episode ends, no reward)', 'goal']);
    expect(cells.map((c) => c.glyph)).toEqual(['S', '', '✕', '★']); // holes and goal differ by glyph and fill
    expect(cells.map((c) => c.value)).toEqual([0.5, 0.6, null, null]);
    expect(ACTION_ARROWS).toEqual(['←', '↓', '→', '↑']);
  });

  it('lists only the tiles the map has in the legend', () => {
    const spec = gridPolicySpec(FRAME, POLICY)!;
    const tileLayer = (spec.layer as { encoding: { color?: { field: string; scale: { domain: string[] } } } }[]).find(
      (l) => l.encoding.color?.field === 'tile',
    )!;
    expect(tileLayer.encoding.color!.scale.domain).toEqual(['hole (episode ends, no reward)', 'goal']);
    expect(gridTiles(FRAME).map((t) => t.name)).toEqual(['hole (episode ends, no reward)', 'goal']);
    const legend = gridLegendHtml({
      valueTitle: 'V',
      domain: [0, 1],
      frames: [FRAME],
      optimal: false,
      escape: escapeHtml,
    });
    expect(legend).not.toMatch(/cliff|wall|optimal/);
    expect(legend).toContain('hole');
    const cliff = cliffWalking().renderFrame();
    expect(gridTiles(cliff).map((t) => t.name)).toEqual(['cliff (back to start)', 'goal']);
  });

  it('fills by the exact V^π of the preset world and marks its optimal actions', async () => {
    const env = makeEnv('frozenlake4x4');
    const uniform = Array.from({ length: 16 }, () => [0.25, 0.25, 0.25, 0.25]);
    const exact = exactGridValues({ env: 'frozenlake4x4', envOptions: {} }, uniform)!;
    const want = finiteHorizonValue(env, { horizon: 100, policy: uniform }).V;
    expect(exact.horizon).toBe(100);
    expect(exact.values).toEqual(Array.from(want));
    const { Q } = finiteHorizonValue(env, { horizon: 100 });
    const best14 = Math.max(...Array.from(Q.subarray(14 * 4, 15 * 4)));
    expect(exact.optimal[14]!.every((a) => Q[14 * 4 + a]! >= best14 - 1e-9)).toBe(true);
    expect(exact.optimal[14]!.length).toBeGreaterThan(0);
    expect(exact.optimal[5]).toEqual([]); // a hole: every action ties
    expect(exactGridValues({ env: 'no-such-world' }, uniform)).toBeNull();
    expect(exactGridValues({ env: 'frozenlake4x4' }, uniform.slice(1))).toBeNull();
    const frame = env.renderFrame();
    const spec = gridPolicySpec(
      frame,
      { probs: uniform, values: null },
      { values: exact.values, optimal: exact.optimal },
    )!;
    const opt = (spec.layer as { data?: { values: { state: number }[] }; encoding: { stroke?: unknown } }[]).find(
      (l) => l.encoding.stroke !== undefined,
    )!;
    expect(opt.data!.values.filter((o) => o.state === 14)).toHaveLength(exact.optimal[14]!.length);
    const svg = await renderSpecToSvg(spec);
    expect(svg).toContain('<title>state 5: hole (episode ends, no reward)</title>');
    expect(svg).toContain('<title>state 14: π(↓|s) = 0.250</title>');
    expect(svg).toMatch(
      /<title>state 0 \(start\); V\(s\), critic = [\d.]+; π: ← 0\.25 ↓ 0\.25 → 0\.25 ↑ 0\.25; optimal: ←<\/title>/,
    );
  });

  it('returns null for a size mismatch or a non-grid frame', () => {
    expect(gridPolicySpec({ ...FRAME, rows: 3 }, POLICY)).toBeNull();
    expect(
      gridPolicySpec({ kind: 'bandit', armValues: [0.2, 0.8], lastArm: null, lastReward: null }, POLICY),
    ).toBeNull();
    // a summary.json from disk may hold anything: a frame without cells is no grid
    expect(gridPolicySpec({ ...FRAME, cells: undefined } as unknown as GridFrame, POLICY)).toBeNull();
  });
});

describe('rendering', () => {
  it('renders a spec to a responsive SVG with the legend entries of each run, untruncated, and hover titles', async () => {
    const svg = await renderSpecToSvg(reportCharts(runs)[0]!.spec!);
    const root = /^<svg[^>]*>/.exec(svg)![0];
    expect(root).toMatch(/ viewBox="0 0 [\d.]+ [\d.]+"/);
    expect(root).toContain(' width="100%"');
    expect(root).not.toMatch(/ (width|height)="[\d.]+"/); // no fixed pixel size
    expect(svg).toContain('run-alpha');
    expect(svg).toContain('run-beta');
    expect(svg).toContain('>policy return (exact)<'); // the whole label, not "policy return (exa…"
    expect(svg).not.toContain('…');
    const titles = svg.match(/<title>[^<]*<\/title>/g) ?? [];
    expect(titles.length).toBeGreaterThan(10);
    // a point's hover text: run, series, update, env steps and value (update 2 of run-alpha: 1 · 1/8)
    expect(titles).toContain(
      '<title>run-alpha · episodic return (sampled) · update 2 (1,024 env steps): 0.125</title>',
    );
    // each run's line is drawn in its colour
    expect(svg).toMatch(new RegExp(`aria-label="run-beta[^"]*"[^>]*stroke="${RUN_COLOURS[1]}"`));
  });

  it('responsiveSvg and svgTooltips rewrite only the root size and self-closing data marks', () => {
    expect(responsiveSvg('<svg class="marks" width="200" height="100"><rect width="5" height="6"/></svg>')).toBe(
      '<svg class="marks" viewBox="0 0 200 100" width="100%" style="max-width:250px"><rect width="5" height="6"/></svg>',
    );
    expect(svgTooltips('<path aria-label="a: 1" role="graphics-symbol" d="M0"/><path aria-label="x" d="M1"/>')).toBe(
      '<path aria-label="a: 1" role="graphics-symbol" d="M0"><title>a: 1</title></path><path aria-label="x" d="M1"/>',
    );
  });

  it('prints one swatch per run in the summary table, in legend order, with the line colour, and the differing settings', async () => {
    const html = await renderReportHtml(runs);
    const table = /<table class="summary">.*?<\/table>/s.exec(html)![0];
    const swatches = [...table.matchAll(/<span class="swatch" style="background:(#[0-9a-f]{6})"><\/span>([^<]*)</g)];
    expect(swatches.map((m) => [m[1], m[2]])).toEqual([
      [RUN_COLOURS[0], 'run-alpha'],
      [RUN_COLOURS[1], 'run-beta'],
    ]);
    expect(table).toContain('<th>objective</th>');
    expect(table).not.toContain('<th>env</th>'); // both runs share it
    expect(html).toContain('<div class="table-wrap"><table class="summary">');
  });

  it('builds a standalone page: inline SVG per chart, escaped names, no URL or script', async () => {
    const evil: ReportRun[] = [
      { ...runs[0]!, name: 'a<b>&c', summary: { frame: FRAME, policy: POLICY } as never },
      runs[1]!,
    ];
    const html = await renderReportHtml(evil);
    expect(html.match(/<svg/g)).toHaveLength(7);
    expect(html).toContain('id="grid:a&lt;b&gt;&amp;c"');
    expect(html).toContain('a&lt;b&gt;&amp;c');
    expect(html).not.toContain('a<b>&c');
    expect(html).not.toMatch(/https?:|<script|<link|src=/i);
    for (const k of ['exact', 'k1', 'k3']) expect(html).toContain(`>${k}<`);
    expect(html).toContain('π(a|s)');
    expect(escapeHtml(`<'&">`)).toBe('&lt;&#39;&amp;&quot;&gt;');
  });
});
