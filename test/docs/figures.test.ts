/**
 * The concept pages' figures (docs/img/*.svg, written by `npm run docs:figures` from scripts/figures.ts) are what the
 * script generates now, and the numbers behind them are right: the forward- and reverse-KL fits against scipy, the
 * clipped objective against its formula, the frontier against the closed form.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/index.js';
import { buildFigures, CLIP, clipObjective, FIGURE_DIR, fitGaussianByKl, gridKl } from '../../scripts/figures.js';

describe('figure (a): a Gaussian fitted to 0.6·N(−2, 0.7²) + 0.4·N(2, 0.7²)', () => {
  // Golden values: the same Riemann sum (x = linspace(−8, 8, 3201)) minimised by scipy's Nelder–Mead in float64:
  //   p = 0.6*N(x,-2,0.7) + 0.4*N(x,2,0.7)
  //   fwd = lambda t: sum(p*(log(p) - log(N(x,t[0],exp(t[1])))))*dx
  //   rev = lambda t: sum(q*(log(q) - log(p)))*dx with q = N(x,t[0],exp(t[1]))
  //   minimize(fwd, [0,0]) → mean −0.39999999, sd 2.08086518, KL 0.42236560
  //   minimize(rev, [−1.5,0]) → mean −1.98598592, sd 0.72024176, KL 0.50519176
  //   minimize(rev, [1.5,0]) → mean 1.97596835, sd 0.73314663, KL 0.90690573 (the lighter mode: a local minimum)
  it('forward KL matches the moments: mean −0.4, sd √(0.49 + 4 − 0.16)', () => {
    const f = fitGaussianByKl('forward');
    expect(f.mean).toBeCloseTo(-0.4, 4);
    expect(f.sd).toBeCloseTo(2.0808652, 4);
    expect(f.kl).toBeCloseTo(0.4223656, 7);
  });
  it('reverse KL sits on the heavier mode (the global minimum)', () => {
    const r = fitGaussianByKl('reverse');
    expect(r.mean).toBeCloseTo(-1.9859859, 4);
    expect(r.sd).toBeCloseTo(0.7202418, 4);
    expect(r.kl).toBeCloseTo(0.5051918, 7);
    expect(gridKl('reverse', 1.9759683, 0.7331466)).toBeCloseTo(0.9069057, 6);
  });
});

describe('figure (b): the clipped objective of one sample', () => {
  beforeAll(async () => {
    await ready({ backend: 'cpu' });
  });
  it('is min(r·Â, clip(r, 1−ε, 1+ε)·Â)', () => {
    // (r, Â, value): flat at (1+ε)·Â above 1+ε for Â > 0, flat at (1−ε)·Â below 1−ε for Â < 0, r·Â elsewhere.
    const cases: [number, number, number][] = [
      [0.5, 1, 0.5],
      [1.1, 1, 1.1],
      [1.6, 1, 1 + CLIP],
      [0.5, -1, -(1 - CLIP)],
      [1.1, -1, -1.1],
      [1.8, -1, -1.8],
    ];
    for (const [r, a, v] of cases) expect(clipObjective(r, a)).toBeCloseTo(v, 6);
  });
});

describe('the committed figures', () => {
  let figures: Record<string, string>;
  beforeAll(async () => {
    figures = await buildFigures();
  }, 600_000);

  it('are what `npm run docs:figures` generates now', () => {
    expect(Object.keys(figures).sort()).toEqual([
      'adaptive_beta_trace.svg',
      'kl_forward_reverse.svg',
      'ppo_clip_objective.svg',
      'reward_kl_frontier.svg',
    ]);
    for (const [file, svg] of Object.entries(figures)) {
      const committed = readFileSync(join(FIGURE_DIR, file), 'utf8');
      expect(svg === committed, `docs/img/${file} is stale: run \`npm run docs:figures\``).toBe(true);
    }
  });

  it('are standalone SVG files, each shown on a concept page', () => {
    const pages: Record<string, string> = {
      'kl_forward_reverse.svg': 'kl.md',
      'ppo_clip_objective.svg': 'ppo.md',
      'adaptive_beta_trace.svg': 'kl_penalty.md',
      'reward_kl_frontier.svg': 'rlhf.md',
    };
    for (const [file, svg] of Object.entries(figures)) {
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      const page = readFileSync(join(FIGURE_DIR, '..', 'concepts', pages[file]!), 'utf8');
      expect(page).toContain(`](../img/${file})`);
    }
  });
});
