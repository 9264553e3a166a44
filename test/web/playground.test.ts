/**
 * The playground in a real browser: Debian's Chromium driven by playwright-core loads the built `web/` page,
 * runs training in its worker, and we check what a person would see: the KL explorer's numbers, the grid and the
 * charts updating, β following the chosen controller, and the same numbers as Node for the same seed and backend.
 * Skips (with a message) only when no Chromium is found outside CI; in CI (`CI` set) a missing Chromium fails.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/training/trainer.js';
import { deterministicPart, type MetricRecord } from '../../src/training/metrics.js';
import { resolvePpoConfig } from '../../src/training/config.js';
import { setProbability } from '../../web/src/kl_explorer.js';
import {
  CONTROLLER_KINDS,
  DEFAULT_SETTINGS,
  OBJECTIVE_KINDS,
  WORLDS,
  toPpoConfig,
  type PlaygroundSettings,
} from '../../web/src/protocol.js';
import {
  ARTIFACTS,
  WEB_DIST,
  ensureWebBuild,
  findChromium,
  inCi,
  launchChromium,
  serveStatic,
} from '../helpers/chromium.js';

const CHROMIUM = findChromium();
const RUN = CHROMIUM !== null || inCi();
if (!RUN) {
  console.warn(
    'test/web/playground.test.ts skipped: no Chromium at $KLIP_CHROMIUM or /usr/bin/chromium (apt-get install -y chromium). In CI this test fails instead.',
  );
}

/** The page's test hook, as seen from the test. */
interface KlipTest {
  records(): MetricRecord[];
  whenReady(): Promise<void>;
  run(config: Record<string, unknown>, nUpdates: number): Promise<MetricRecord[]>;
  explorer: { get(): { p: number[]; q: number[] } };
  chartsIdle(): Promise<unknown>;
}
declare const window: { klipTest: KlipTest };

/** KL(p‖q) in float64, the independent oracle for the explorer (0·log 0 = 0). */
function kl(p: number[], q: number[]): number {
  return p.reduce((s, pi, i) => (pi > 0 ? s + pi * Math.log(pi / q[i]!) : s), 0);
}

async function nodeRecords(config: Record<string, unknown>, n: number): Promise<MetricRecord[]> {
  const t = await Trainer.create(config as never);
  try {
    const out: MetricRecord[] = [];
    for (let i = 0; i < n; i++) out.push(deterministicPart(await t.step()));
    return out;
  } finally {
    t.dispose();
  }
}

describe('playground logic (no browser)', () => {
  it('every choice the page offers is a valid trainer config with the requested number of updates', () => {
    for (const env of WORLDS.map((w) => w.id)) {
      for (const objective of OBJECTIVE_KINDS) {
        for (const controller of CONTROLLER_KINDS) {
          const cfg = resolvePpoConfig(
            toPpoConfig({ ...DEFAULT_SETTINGS, env, objective, controller, updates: 7 }) as never,
          );
          expect(cfg.numIterations).toBe(7);
          expect(cfg.klController.kind).toBe(controller);
          expect(cfg.objective).toBe(objective);
        }
      }
    }
  });
  it('setProbability sets one entry, clamps to [0, 1] and rescales the others to keep Σ = 1', () => {
    expect(setProbability([0.7, 0.3], 0, 0.5)).toEqual([0.5, 0.5]);
    const d = setProbability([0.2, 0.3, 0.5], 1, 0.6);
    expect(d[1]).toBe(0.6);
    expect(d[0]! / d[2]!).toBeCloseTo(0.2 / 0.5, 12); // the others keep their ratio
    expect(d.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(setProbability([0.4, 0.6], 1, 1.7)).toEqual([0, 1]);
    expect(setProbability([1, 0, 0], 0, 0.4)).toEqual([0.4, 0.3, 0.3]); // all others 0: share equally
  });
});

/** Updates of the screenshot run: enough for the return curve to climb on FrozenLake 4×4. */
const N_UPDATES = 20;

describe.skipIf(!RUN)('playground in Chromium', () => {
  let page: Page;
  let close: (() => Promise<void>)[] = [];
  const problems: string[] = [];

  async function waitReady(): Promise<void> {
    await page.evaluate(async () => {
      await window.klipTest.whenReady();
      return true;
    });
  }

  /** Change one settings field as a user would (this resets the run) and wait for the new trainer. */
  async function setField(name: keyof PlaygroundSettings | 'speed', value: string): Promise<void> {
    const sel = `#settings [name="${name}"]`;
    if ((await page.locator(sel).evaluate((e) => e.tagName)) === 'SELECT') await page.selectOption(sel, value);
    else {
      await page.fill(sel, value);
      await page.locator(sel).dispatchEvent('change');
    }
    if (name !== 'speed') await waitReady();
  }

  async function runToEnd(): Promise<MetricRecord[]> {
    await page.click('#start');
    await page.waitForFunction(
      () =>
        document.body.dataset.running === 'false' &&
        Number(document.body.dataset.updates) > 0 &&
        (document.querySelector('#status')?.textContent ?? '').startsWith('finished'),
      null,
      { timeout: 60_000 },
    );
    await page.evaluate(async () => {
      await window.klipTest.chartsIdle();
      return true;
    });
    return page.evaluate(() => window.klipTest.records());
  }

  const linePaths = (chart: string): Promise<string[]> =>
    page.$$eval(`figure[data-chart="${chart}"] .mark-line path`, (ps) => ps.map((p) => p.getAttribute('d') ?? ''));

  beforeAll(async () => {
    if (!CHROMIUM)
      throw new Error(
        'No Chromium at $KLIP_CHROMIUM or /usr/bin/chromium, and CI requires this test: apt-get install -y chromium',
      );
    await ensureWebBuild();
    const server = await serveStatic(WEB_DIST);
    const browser = await launchChromium(CHROMIUM);
    close = [browser.close, server.close];
    page = await browser.context.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
    });
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { klipTest?: unknown }).klipTest !== undefined, null, {
      timeout: 30_000,
    });
    await waitReady();
  }, 300_000);

  afterAll(async () => {
    for (const c of close) await c();
  });

  it('loads on the wasm backend with no errors', async () => {
    expect(await page.textContent('#backend')).toBe('backend: wasm');
    expect(await page.isHidden('#note')).toBe(true);
    expect(await page.isHidden('#error')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('the KL explorer shows 0.1838 / 0.1920 for the preloaded teacher/student example', async () => {
    const text = async (id: string): Promise<string | null> => page.textContent(`[data-testid="${id}"]`);
    // numpy: p=[.7,.3]; q=[.4,.6]; m=(p+q)/2; kl=lambda a,b: sum(a*log(a/b))
    //   kl(p,q)=0.18378689738681217  kl(q,p)=0.19204199316179815  js=0.04620082918151349  tv=0.3
    expect(await text('kl-pq')).toBe('0.1838');
    expect(await text('kl-qp')).toBe('0.1920');
    expect(await text('kl-js')).toBe('0.0462');
    expect(await text('kl-tv')).toBe('0.3000');
  });

  it('dragging a bar or pressing ↑ updates the distributions and the divergences', async () => {
    const bar = page.locator('[data-testid="kl-p"] g.kl-bar[data-index="0"] rect').first(); // the track of p(0)
    await bar.scrollIntoViewIfNeeded(); // page.mouse works in viewport coordinates
    const box = (await bar.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.9);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.up();
    await page.locator('[data-testid="kl-q"] g.kl-bar[data-index="1"]').focus();
    await page.keyboard.press('ArrowUp');
    const { p, q } = await page.evaluate(() => window.klipTest.explorer.get());
    expect(p[0]).toBeCloseTo(0.5, 1);
    expect(p[0]! + p[1]!).toBeCloseTo(1, 12);
    expect(q[1]).toBeCloseTo(0.61, 12);
    expect(q[0]! + q[1]!).toBeCloseTo(1, 12);
    expect(await page.textContent('[data-testid="kl-pq"]')).toBe(kl(p, q).toFixed(4));
    expect(await page.textContent('[data-testid="kl-qp"]')).toBe(kl(q, p).toFixed(4));
    expect(await page.textContent('[data-testid="kl-tv"]')).toBe(Math.abs(p[0]! - q[0]!).toFixed(4));
    await page.click('button[data-action="example"]');
    expect(await page.textContent('[data-testid="kl-pq"]')).toBe('0.1838');
  });

  it('Start trains in the worker: the grid, the KL chart and the return chart update', async () => {
    await setField('speed', 'fast');
    // FrozenLake 4×4 with seed 2 finds the goal in its first rollout, so every update moves the policy (the worlds'
    // rewards are sparse: before the first success the advantages are 0 and an update changes nothing).
    await setField('env', 'frozenlake4x4');
    await setField('seed', '2');
    await setField('updates', String(N_UPDATES));
    const arrowsBefore = await page.$$eval('#world line[data-prob]', (ls) =>
      ls.map((l) => l.getAttribute('data-prob')),
    );
    expect(arrowsBefore.length).toBeGreaterThan(0);
    expect(await linePaths('kl')).toEqual([]);
    const records = await runToEnd();
    expect(records.map((r) => r.update)).toEqual(Array.from({ length: N_UPDATES }, (_, i) => i + 1));
    expect(records.filter((r) => (r['kl/exact_old_new'] ?? 0) > 0).length).toBeGreaterThan(0);
    expect(records[N_UPDATES - 1]!['charts/optimal_return']).toBeGreaterThan(0.5); // slippery FrozenLake 4×4, exact optimum ≈ 0.82 within 100 steps
    const paths = await linePaths('kl');
    expect(paths).toHaveLength(3); // exact, k1, k3
    for (const d of paths) expect(d.split(/[ML]/).filter(Boolean)).toHaveLength(N_UPDATES); // one vertex per update
    expect(await linePaths('return')).not.toEqual([]);
    const arrowsAfter = await page.$$eval('#world line[data-prob]', (ls) => ls.map((l) => l.getAttribute('data-prob')));
    expect(arrowsAfter).not.toEqual(arrowsBefore);
    expect(await page.locator('#world circle.agent').count()).toBe(1);
    expect(await page.textContent('#latest td[data-key="update"]')).toBe(String(N_UPDATES));

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'playground.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('changing the controller changes β’s trajectory', async () => {
    await setField('objective', 'kl-penalty');
    await setField('updates', '20');
    await setField('controller', 'fixed');
    const fixed = (await runToEnd()).map((r) => r['kl/coef']);
    const fixedPath = await linePaths('beta');
    await setField('controller', 'adaptive');
    const records = await runToEnd();
    const adaptive = records.map((r) => r['kl/coef']);
    const adaptivePath = await linePaths('beta');
    await page.screenshot({ path: join(ARTIFACTS, 'playground_adaptive.png'), fullPage: true });
    expect(fixed).toEqual(Array(20).fill(DEFAULT_SETTINGS.beta));
    expect(adaptive[0]).toBe(DEFAULT_SETTINGS.beta); // the first update uses the initial β
    // Until the first rewarded episode the trainer holds β (no learning signal), then the rule moves it.
    const firstReward = records.findIndex((r) => (r['charts/episodic_return'] ?? 0) > 0);
    expect(firstReward).toBeGreaterThan(0);
    expect(adaptive.slice(0, firstReward + 1)).toEqual(Array(firstReward + 1).fill(DEFAULT_SETTINGS.beta));
    expect(new Set(adaptive).size).toBeGreaterThan(1);
    expect(adaptivePath).not.toEqual(fixedPath);
  });

  it('falls back to cpu with a visible note when the wasm binaries cannot load', async () => {
    const other = await page.context().newPage();
    try {
      await other.route('**/*.wasm', (route) => route.abort());
      await other.goto(page.url());
      await other.waitForFunction(() => (window as unknown as { klipTest?: unknown }).klipTest !== undefined, null, {
        timeout: 30_000,
      });
      await other.evaluate(async () => {
        await window.klipTest.whenReady();
        return true;
      });
      expect(await other.textContent('#backend')).toBe('backend: cpu');
      expect(await other.isVisible('#note')).toBe(true);
      expect(await other.textContent('#note')).toMatch(/wasm backend could not load.*cpu backend/);
      await other.click('#step');
      await other.waitForFunction(() => document.body.dataset.updates === '1', null, { timeout: 30_000 });
      expect(await other.isHidden('#error')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('same seed, same numbers as Node on the cpu backend', async () => {
    const config = toPpoConfig({ ...DEFAULT_SETTINGS, backend: 'cpu', updates: 3, seed: 7 });
    const browser = await page.evaluate(([c]) => window.klipTest.run(c!, 3), [config] as const);
    const node = await nodeRecords(config, 3);
    expect(browser).toHaveLength(3);
    expect(browser).toEqual(node);
  });

  it('same seed, same numbers as Node on the wasm backend', async () => {
    const config = toPpoConfig({ ...DEFAULT_SETTINGS, backend: 'wasm', updates: 2, seed: 11 });
    const browser = await page.evaluate(([c]) => window.klipTest.run(c!, 2), [config] as const);
    const node = await nodeRecords(config, 2);
    expect(browser).toEqual(node);
  });
});
