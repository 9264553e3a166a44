import type { GridFrame } from '../../envs/types.js';
import { describe, expect, it } from 'vitest';
import {
  ACTION_ARROWS,
  gridPolicySpec,
  renderReportHtml,
  renderSpecToSvg,
  reportCharts,
  type ReportRun,
} from '../../src/node/report.js';
import { escapeHtml } from '../../src/node/html_page.js';
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

  it('skips null values and captions with the METRICS descriptions', () => {
    const ret = reportCharts(runs).find((c) => c.id === 'return')!;
    const rows = (ret.spec as { layer: { data: { values: { run: string; series: string; value: number }[] } }[] })
      .layer[0]!.data.values;
    expect(rows.filter((r) => r.series === 'episodic return' && r.run === 'run-alpha')).toHaveLength(7); // first update is null
    expect(ret.caption).toContain('Mean undiscounted return of the last 100 finished episodes');
  });

  it('adds a grid picture for runs whose summary carries a grid frame and a policy', () => {
    const withGrid: ReportRun[] = [{ ...runs[0]!, summary: { frame: FRAME, policy: POLICY } as never }];
    expect(reportCharts(withGrid).map((c) => c.id)).toContain('grid:run-alpha');
  });
});

describe('gridPolicySpec', () => {
  it('places the greedy arrow per state with opacity data = its probability, none on holes and goals', () => {
    const spec = gridPolicySpec(FRAME, POLICY)!;
    const cells = (
      spec.data as { values: { state: number; arrow: string; prob: number; kind: string; value: number }[] }
    ).values;
    expect(cells.map((c) => c.arrow)).toEqual([ACTION_ARROWS[1], ACTION_ARROWS[2], '', '']);
    expect(cells.map((c) => c.prob)).toEqual([0.7, 0.85, 0.25, 0.25]);
    expect(cells.map((c) => c.kind)).toEqual(['start', 'free', 'hole', 'goal']);
    expect(cells.map((c) => c.value)).toEqual([0.5, 0.6, 0, 0]);
    expect(ACTION_ARROWS).toEqual(['←', '↓', '→', '↑']);
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
  it('renders a spec to SVG with the legend entries of each run', async () => {
    const svg = await renderSpecToSvg(reportCharts(runs)[0]!.spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('run-alpha');
    expect(svg).toContain('run-beta');
    expect(svg).toContain('policy return (exact)');
  });

  it('builds a standalone page: inline SVG per chart, escaped names, no URL or script', async () => {
    const evil: ReportRun[] = [
      { ...runs[0]!, name: 'a<b>&c', summary: { frame: FRAME, policy: POLICY } as never },
      runs[1]!,
    ];
    const html = await renderReportHtml(evil);
    expect(html.match(/<svg/g)).toHaveLength(7);
    expect(html).toContain('a&lt;b&gt;&amp;c');
    expect(html).not.toContain('a<b>&c');
    expect(html).not.toMatch(/https?:|<script|<link|src=/i);
    for (const k of ['exact', 'k1', 'k3']) expect(html).toContain(`>${k}<`);
    expect(html).toContain('↓');
    expect(escapeHtml(`<'&">`)).toBe('&lt;&#39;&amp;&quot;&gt;');
  });
});
