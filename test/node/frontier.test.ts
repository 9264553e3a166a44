/**
 * The reward–KL frontier of `klip frontier` / `klip report`: flag parsing, the trained points against an independent
 * float64 closed form, the chart's data and SVG, and the frontier.json round trip.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  computeFrontier,
  DEFAULT_FRONTIER_INPUTS,
  formatFrontierTable,
  frontierChart,
  frontierSpec,
  FRONTIER_SERIES,
  isFrontierFolder,
  parseFrontierFlags,
  readFrontierFolder,
  writeFrontierFolder,
  type FrontierFile,
} from '../../src/node/frontier.js';
import { renderReportHtml, renderSpecToSvg } from '../../src/node/report.js';

/**
 * Independent float64 closed form (written from the formula, not from src/rlhf): π*(a) ∝ π_ref(a)·exp(r(a)/β),
 * E*[r] = Σ π*·r, KL* = Σ π*·log(π* ÷ π_ref). Same as numpy:
 *   w = ref*np.exp(r/b); p = w/w.sum(); (p*r).sum(), (p*np.log(p/ref)).sum()
 */
function closedForm(ref: number[], r: number[], beta: number): { er: number; kl: number } {
  const m = Math.max(...r);
  const w = ref.map((q, a) => q * Math.exp((r[a]! - m) / beta));
  const z = w.reduce((s, x) => s + x, 0);
  const p = w.map((x) => x / z);
  return {
    er: p.reduce((s, x, a) => s + x * r[a]!, 0),
    kl: p.reduce((s, x, a) => s + (x > 0 ? x * Math.log(x / ref[a]!) : 0), 0),
  };
}

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'klip-frontier-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function expectConfigError(fn: () => unknown, flag: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).message).toMatch(new RegExp(`^frontier: ${flag} must be `));
}

describe('parseFrontierFlags', () => {
  it('takes the defaults and expands --ref uniform to 1/K per arm', () => {
    expect(parseFrontierFlags({})).toEqual({ ...DEFAULT_FRONTIER_INPUTS });
    const p = parseFrontierFlags({
      rewards: '1, 0, 2',
      ref: 'uniform',
      betas: '0.5,1',
      mode: 'sampled',
      steps: '7',
      seed: '12',
    });
    expect(p).toEqual({
      rewards: [1, 0, 2],
      piRef: [1 / 3, 1 / 3, 1 / 3],
      betas: [0.5, 1],
      mode: 'sampled',
      steps: 7,
      seed: 12,
    });
    expect(parseFrontierFlags({ rewards: '1,0', ref: '0.3,0.7', seed: 'abc' })).toMatchObject({
      piRef: [0.3, 0.7],
      seed: 'abc',
    });
  });

  it('rejects bad input with a ConfigError naming the flag', () => {
    expectConfigError(() => parseFrontierFlags({ rewards: '1,x' }), '--rewards');
    expectConfigError(() => parseFrontierFlags({ rewards: '1' }), '--rewards');
    expectConfigError(() => parseFrontierFlags({ rewards: '1,0', ref: '0.5,0.6' }), '--ref'); // sum 1.1
    expectConfigError(() => parseFrontierFlags({ rewards: '1,0', ref: '1,0' }), '--ref'); // zero entry
    expectConfigError(() => parseFrontierFlags({ rewards: '1,0,0', ref: '0.5,0.5' }), '--ref'); // length
    expectConfigError(() => parseFrontierFlags({ betas: '0.1,0' }), '--betas');
    expectConfigError(() => parseFrontierFlags({ betas: '0.1,-1' }), '--betas');
    expectConfigError(() => parseFrontierFlags({ betas: 'NaN' }), '--betas');
    expectConfigError(() => parseFrontierFlags({ mode: 'greedy' }), '--mode');
    expectConfigError(() => parseFrontierFlags({ steps: '0' }), '--steps');
    expectConfigError(() => parseFrontierFlags({ steps: '2.5' }), '--steps');
  });
});

describe('computeFrontier', () => {
  const inputs = {
    ...DEFAULT_FRONTIER_INPUTS,
    piRef: [0.1, 0.2, 0.3, 0.4],
    rewards: [1, 0.5, -0.2, 0.3],
    betas: [0.25, 0.5, 1, 2],
    steps: 400,
  };
  const file = computeFrontier(inputs);

  it('trains each β to the closed-form point (|ΔKL|, |ΔE[r]| < 1e-3) and the π*_β points match float64', () => {
    expect(file.format).toBe('klip-frontier');
    expect(file.inputs).toEqual(inputs);
    inputs.betas.forEach((beta, i) => {
      const ref = closedForm(inputs.piRef, inputs.rewards, beta);
      const o = file.frontier.optimal[i]!;
      const t = file.frontier.trained[i]!;
      expect(o.beta).toBe(beta);
      expect(Math.abs(o.kl - ref.kl)).toBeLessThan(1e-9);
      expect(Math.abs(o.expectedReward - ref.er)).toBeLessThan(1e-9);
      expect(t.beta).toBe(beta);
      expect(Math.abs(t.kl - ref.kl)).toBeLessThan(1e-3);
      expect(Math.abs(t.expectedReward - ref.er)).toBeLessThan(1e-3);
      expect(t.klToOptimum).toBeLessThan(1e-4);
    });
    // the curve lies on the closed form too, and trades reward for KL monotonically
    for (const p of file.frontier.curve)
      expect(Math.abs(p.kl - closedForm(inputs.piRef, inputs.rewards, p.beta).kl)).toBeLessThan(1e-9);
    const byKl = [...file.frontier.curve].sort((a, b) => a.kl - b.kl);
    byKl.slice(1).forEach((p, i) => expect(p.expectedReward).toBeGreaterThanOrEqual(byKl[i]!.expectedReward - 1e-12));
  });

  it('prints one table row per β with trained and optimal numbers', () => {
    const lines = formatFrontierTable(file).trimEnd().split('\n');
    expect(lines).toHaveLength(2 + inputs.betas.length);
    expect(lines[0]!.trim().split(/\s{2,}/)).toEqual(['β', 'E[r] trained', 'E[r]*', 'KL trained', 'KL*', 'KL(π‖π*)']);
    const row = lines[2]!.trim().split(/\s+/);
    expect(Number(row[0])).toBe(0.25);
    expect(Number(row[2])).toBeCloseTo(closedForm(inputs.piRef, inputs.rewards, 0.25).er, 4);
    expect(Number(row[4])).toBeCloseTo(closedForm(inputs.piRef, inputs.rewards, 0.25).kl, 4);
  });

  it('builds the chart: a closed-form line and two point series with every β, axes KL and E[r]', async () => {
    const spec = frontierSpec([{ name: 'sweep-a', file }]) as {
      data: { values: { kind: string; beta: number }[] };
      layer: { encoding: { x: { title: string }; y: { title: string } } }[];
    };
    const kinds = (k: string): number[] => spec.data.values.filter((v) => v.kind === k).map((v) => v.beta);
    expect(kinds(FRONTIER_SERIES.curve)).toHaveLength(file.frontier.curve.length);
    expect(kinds(FRONTIER_SERIES.optimal)).toEqual(inputs.betas);
    expect(kinds(FRONTIER_SERIES.trained)).toEqual(inputs.betas);
    expect(spec.layer[0]!.encoding.x.title).toBe('KL(π‖π_ref) (nats)');
    expect(spec.layer[0]!.encoding.y.title).toBe('E_π[r]');
    const svg = await renderSpecToSvg(spec as never);
    for (const text of [
      FRONTIER_SERIES.curve,
      FRONTIER_SERIES.optimal,
      FRONTIER_SERIES.trained,
      'KL(π‖π_ref) (nats)',
      'E_π[r]',
    ])
      expect(svg).toContain(text);
    // one point mark per swept β and series (aria labels name the series), one line mark
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(2 * inputs.betas.length);
    expect(
      svg.match(new RegExp(`aria-label="[^"]*series: ${FRONTIER_SERIES.trained.replace(/[()]/g, '\\$&')}`, 'g')),
    ).toHaveLength(inputs.betas.length);
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(1);
    // every trained point is labelled with its β
    for (const b of inputs.betas) expect(svg).toContain(`>β ${b}<`);
    // one frontier: no colour legend repeating its name ("frontier / frontier")
    expect(svg).not.toContain('>sweep-a<');
    expect(svg).not.toContain('frontier (colour)');
    // rings and diamonds: different shapes, named in the one series legend
    expect(FRONTIER_SERIES.optimal).toContain('ring');
    expect(FRONTIER_SERIES.trained).toContain('diamond');
    const two = await renderSpecToSvg(
      frontierSpec([
        { name: 'sweep-a', file },
        { name: 'sweep-b', file },
      ]),
    );
    for (const text of ['frontier (colour)', '>sweep-a<', '>sweep-b<']) expect(two).toContain(text);
  });

  it('prints a KL(π‖π*) of float round-off as ≈ 0', () => {
    const tiny: FrontierFile = {
      ...file,
      frontier: {
        ...file.frontier,
        trained: file.frontier.trained.map((t, i) => (i === 0 ? { ...t, klToOptimum: 1.73e-15 } : t)),
      },
    };
    const first = formatFrontierTable(tiny).trimEnd().split('\n')[2]!;
    expect(first.trimEnd().endsWith('≈ 0')).toBe(true);
    expect(first).not.toContain('e-15');
    expect(frontierChart([{ name: 'a', file: tiny }]).table!.rows[0]!.at(-1)).toBe('≈ 0');
  });

  it('renders in a report beside training runs, and a frontier-only page without URLs', async () => {
    const metrics = [1, 2].map((u) => ({
      update: u,
      global_step: 64 * u,
      'charts/episodic_return': 0.5 * u,
      'policy/entropy': 1 / u,
    }));
    const html = await renderReportHtml([{ name: 'train-run', config: { env: 'bandit' }, metrics }], {
      charts: [frontierChart([{ name: 'sweep-a', file }])],
      sources: ['sweep-a'],
    });
    expect(html).toContain('<section id="frontier"><h2>Reward–KL frontier</h2>');
    expect(html).toContain('<section id="return">');
    expect(html.indexOf('id="frontier"')).toBeLessThan(html.indexOf('id="return"'));
    expect(html).toContain('<td>0.25</td>');
    const only = await renderReportHtml([], {
      charts: [
        frontierChart([
          { name: 'sweep-a', file },
          { name: 'sweep-b', file },
        ]),
      ],
      sources: ['sweep-a', 'sweep-b'],
    });
    expect(only.match(/<svg/g)).toHaveLength(1);
    expect(only).toContain('<th>frontier</th>'); // several frontiers: the table names each row's frontier
    // each row's frontier with a swatch of its colour
    expect(only.match(/<td><span class="swatch" style="background:#ff7f0e"><\/span>sweep-b<\/td>/g)).toHaveLength(
      inputs.betas.length,
    );
    expect(only).not.toMatch(/https?:|<script|<link|src=/i);
  });

  it('writes and reads back a frontier folder; rejects a file that is not a frontier', async () => {
    const dir = join(tmp(), 'fr');
    await writeFrontierFolder(dir, file);
    expect(isFrontierFolder(dir)).toBe(true);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('Reward–KL frontier');
    const back = await readFrontierFolder(dir);
    expect(back.name).toBe('fr');
    expect(back.file).toEqual(JSON.parse(JSON.stringify(file)) as FrontierFile);
    const bad = join(tmp(), 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'frontier.json'), JSON.stringify({ format: 'klip-compare', version: 1 }));
    await expect(readFrontierFolder(bad)).rejects.toThrow(ConfigError);
    await expect(readFrontierFolder(bad)).rejects.toThrow(/must be a klip frontier\.json/);
    expect(isFrontierFolder(join(tmp(), 'missing'))).toBe(false);
  });
});
