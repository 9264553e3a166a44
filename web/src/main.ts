/**
 * The klip playground page: settings form, Start/Pause/Step/Reset, the world view, live charts and the KL
 * explorer. Training runs in `worker.ts`; this thread only draws. `window.klipTest` is a small hook for the
 * real-browser tests (read the records, run an isolated seeded training in the worker).
 * @module
 */
import './style.css';
import { lowerKlEdge, type PpoConfigInput, upperKlEdge, worldDefaults } from 'klip';
import { LiveCharts } from './charts.js';
import { drawWorld, worldLegend } from './grid_view.js';
import { mountKlExplorer } from './kl_explorer.js';
import {
  CONTROLLER_KINDS,
  DEFAULT_SETTINGS,
  OBJECTIVE_KINDS,
  WORLDS,
  defaultUpdates,
  toPpoConfig,
  type FromWorker,
  type PlaygroundSettings,
  type Record_,
  type ToWorker,
} from './protocol.js';

const $ = <T extends HTMLElement>(sel: string): T => {
  const node = document.querySelector(sel);
  if (!node) throw new Error(`playground: missing element ${sel}`);
  return node as T;
};

/** The page's `<svg>` element `sel`. */
function svgOf(sel: string): SVGSVGElement {
  const node = document.querySelector(sel);
  if (!(node instanceof SVGSVGElement)) throw new Error(`playground: missing <svg> element ${sel}`);
  return node;
}

const form = $<HTMLFormElement>('#settings');
const worldSvg = svgOf('#world');
const legend = $<HTMLParagraphElement>('#world-legend');
const status = $<HTMLSpanElement>('#status');
const progress = $<HTMLProgressElement>('#progress');
const backendBadge = $<HTMLSpanElement>('#backend');
const note = $<HTMLDivElement>('#note');
const errorBox = $<HTMLDivElement>('#error');
const latest = $<HTMLTableSectionElement>('#latest tbody');
const charts = new LiveCharts($<HTMLDivElement>('#charts'));
const explorer = mountKlExplorer($<HTMLDivElement>('#kl-explorer'));

const SPEEDS: Record<string, number> = { fast: 0, normal: 150, slow: 600 };
const LATEST_KEYS: [string, string][] = [
  ['update', 'update'],
  ['charts/episodic_return', 'episodic return'],
  ['charts/policy_return', 'policy return (exact)'],
  ['charts/optimal_return', 'optimal return (exact)'],
  ['kl/exact_rollout_end', 'KL of the update (exact)'],
  ['kl/exact_old_new', 'KL per optimizer step (exact)'],
  ['kl/k1', 'KL per optimizer step (k1)'],
  ['kl/k3', 'KL per optimizer step (k3)'],
  ['kl/coef', 'β'],
  ['kl/coef_held', 'β held (1) or set by the rule (0)'],
  ['policy/clip_fraction', 'clip fraction'],
  ['policy/entropy', 'entropy'],
];

// --- the settings form ---
function fillSelect(name: string, options: readonly { id: string; label: string }[]): void {
  const sel = form.elements.namedItem(name) as HTMLSelectElement;
  sel.replaceChildren(...options.map((o) => new Option(o.label, o.id)));
}
fillSelect('env', WORLDS);
fillSelect(
  'objective',
  OBJECTIVE_KINDS.map((k) => ({ id: k, label: k })),
);
fillSelect(
  'controller',
  CONTROLLER_KINDS.map((k) => ({ id: k, label: k })),
);

function field(name: string): HTMLInputElement | HTMLSelectElement {
  return form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
}

function writeSettings(s: PlaygroundSettings): void {
  for (const [k, v] of Object.entries(s)) {
    const f = form.elements.namedItem(k) as HTMLInputElement | HTMLSelectElement | null;
    if (f) f.value = String(v);
  }
}

function readSettings(): PlaygroundSettings {
  const num = (name: string, fallback: number): number => {
    const v = Number(field(name).value);
    return Number.isFinite(v) ? v : fallback;
  };
  return {
    env: field('env').value,
    objective: field('objective').value as PlaygroundSettings['objective'],
    controller: field('controller').value as PlaygroundSettings['controller'],
    clipEpsilon: num('clipEpsilon', DEFAULT_SETTINGS.clipEpsilon),
    beta: num('beta', DEFAULT_SETTINGS.beta),
    targetKl: num('targetKl', DEFAULT_SETTINGS.targetKl),
    seed: Math.round(num('seed', DEFAULT_SETTINGS.seed)),
    updates: Math.max(1, Math.round(num('updates', DEFAULT_SETTINGS.updates))),
    backend: field('backend').value === 'cpu' ? 'cpu' : 'wasm',
  };
}

/** Explain which settings matter for the chosen objective/controller. */
function updateHints(): void {
  const s = readSettings();
  const usesKl = s.objective === 'kl-penalty' || s.objective === 'clip+kl';
  const usesClip = s.objective === 'clip' || s.objective === 'clip+kl';
  field('targetKl').disabled = s.controller === 'fixed';
  $<HTMLElement>('#hint').textContent = [
    usesKl
      ? `β·KL is added to the loss; the ${s.controller} controller sets β${s.controller === 'fixed' ? ' (constant)' : ' from the observed KL and the target'}.`
      : `The ${s.objective} objective has no KL term: β and the controller are shown but do not act.`,
    usesClip
      ? `Ratios are clipped to [1−ε, 1+ε] = [${(1 - s.clipEpsilon).toFixed(2)}, ${(1 + s.clipEpsilon).toFixed(2)}].`
      : 'No ratio clipping: ε does not act.',
  ].join(' ');
}

// --- the worker ---
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const post = (msg: ToWorker): void => worker.postMessage(msg);
let records: Record_[] = [];
let numIterations = 0;
let running = false;
let ready = false;
let currentSettings: PlaygroundSettings = { ...DEFAULT_SETTINGS };
let readyWaiters: (() => void)[] = [];
const runWaiters = new Map<number, { resolve: (r: Record_[]) => void; reject: (e: Error) => void }>();
let nextRunId = 1;
/** Run generation: bumped by every Reset; worker messages of older runs are ignored. */
let gen = 0;

function setStatus(): void {
  const n = records.length;
  status.textContent = !ready
    ? 'loading…'
    : `${running ? 'training' : n >= numIterations ? 'finished' : n === 0 ? 'ready: press Start or Step' : 'paused'} — update ${n} / ${numIterations}`;
  progress.max = Math.max(1, numIterations);
  progress.value = n;
  // Start/Step stay enabled while a reset is pending: the worker applies them to the new run.
  const finished = ready && n >= numIterations;
  $<HTMLButtonElement>('#start').disabled = running || finished;
  $<HTMLButtonElement>('#pause').disabled = !running;
  $<HTMLButtonElement>('#step').disabled = running || finished;
  document.body.dataset.updates = String(n);
  document.body.dataset.running = String(running);
}

function showLatest(r: Record_ | undefined): void {
  latest.replaceChildren(
    ...LATEST_KEYS.map(([key, label]) => {
      const tr = document.createElement('tr');
      const v = r?.[key];
      tr.innerHTML = `<th>${label}</th><td data-key="${key}">${typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : '—'}</td>`;
      return tr;
    }),
  );
}

function reset(): void {
  ready = false;
  running = false;
  records = [];
  gen += 1;
  currentSettings = readSettings();
  $<HTMLParagraphElement>('#charts-intro').textContent = chartsIntro(currentSettings.env);
  errorBox.hidden = true;
  errorBox.textContent = '';
  setStatus();
  post({ type: 'reset', gen, settings: currentSettings });
}

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'backend':
      backendBadge.textContent = `backend: ${msg.backend}`;
      note.hidden = msg.note === null;
      note.textContent = msg.note ?? '';
      break;
    case 'ready': {
      if (msg.gen !== gen) break;
      ready = true;
      numIterations = msg.numIterations;
      backendBadge.textContent = `backend: ${msg.backend}`;
      const s = msg.settings;
      const usesKl = s.objective === 'kl-penalty' || s.objective === 'clip+kl';
      const rule = { kind: s.controller, target: s.targetKl };
      charts.reset({
        optimum: msg.optimalReturn,
        target:
          usesKl && s.controller !== 'fixed'
            ? { target: s.targetKl, lo: lowerKlEdge(rule), hi: upperKlEdge(rule) }
            : null,
        logBeta: s.beta > 0,
      });
      drawWorld(worldSvg, msg.frame, msg.snapshot);
      legend.textContent = worldLegend(msg.frame);
      showLatest(undefined);
      setStatus();
      for (const w of readyWaiters) w();
      readyWaiters = [];
      break;
    }
    case 'update':
      if (msg.gen !== gen) break;
      records.push(msg.record);
      void charts.push(msg.record);
      drawWorld(worldSvg, msg.frame, msg.snapshot);
      showLatest(msg.record);
      setStatus();
      break;
    case 'running':
      running = msg.running;
      setStatus();
      break;
    case 'runResult':
      runWaiters.get(msg.id)?.resolve(msg.records);
      runWaiters.delete(msg.id);
      break;
    case 'error':
      if (msg.id !== undefined && runWaiters.has(msg.id)) {
        runWaiters.get(msg.id)!.reject(new Error(msg.message));
        runWaiters.delete(msg.id);
        break;
      }
      errorBox.hidden = false;
      errorBox.textContent = msg.message;
      running = false;
      setStatus();
      break;
  }
};
worker.onerror = (ev) => {
  errorBox.hidden = false;
  errorBox.textContent = `The training worker failed: ${ev.message}`;
};

// --- controls ---
$<HTMLButtonElement>('#start').addEventListener('click', () =>
  post({ type: 'start', delayMs: SPEEDS[field('speed').value] ?? 0 }),
);
$<HTMLButtonElement>('#pause').addEventListener('click', () => post({ type: 'pause' }));
$<HTMLButtonElement>('#step').addEventListener('click', () => post({ type: 'step' }));
$<HTMLButtonElement>('#reset').addEventListener('click', reset);
form.addEventListener('submit', (ev) => ev.preventDefault());
form.addEventListener('change', (ev) => {
  const name = (ev.target as HTMLInputElement).name;
  if (name === 'speed') {
    post({ type: 'speed', delayMs: SPEEDS[field('speed').value] ?? 0 });
    return;
  }
  if (name === 'env') {
    // Another world: its own default budget and target (WORLD_DEFAULTS), as `klip train --env` would use.
    field('updates').value = String(defaultUpdates(field('env').value));
    field('targetKl').value = String(worldDefaults(field('env').value).klTarget);
  }
  updateHints();
  // Any other real change starts a fresh run (a blur that re-fires `change` with the same value does not).
  if (JSON.stringify(readSettings()) !== JSON.stringify(currentSettings)) reset();
});

/** What one update is in the chosen world (its defaults), and what to expect before the first reward. */
function chartsIntro(env: string): string {
  const w = worldDefaults(env);
  return (
    `One update = ${w.numEnvs} copies of the world × ${w.nSteps} steps of experience, then 4 passes over it in 4 minibatches. ` +
    'Until the agent first collects a reward (FrozenLake, the 5×5 grid) no action looks better than another: the trainer then holds β ' +
    'instead of lowering it, so the first update that learns something is still held near the target. Hover a point for its value.'
  );
}

writeSettings(DEFAULT_SETTINGS);
updateHints();
post({ type: 'init', wasmPaths: new URL('wasm/', document.baseURI).href });
reset();

/** Hook for the real-browser tests (test/web/playground.test.ts). */
const klipTest = {
  /** Metric records of the current run so far. */
  records: (): Record_[] => records.map((r) => ({ ...r })),
  /** Settings of the current run. */
  settings: (): PlaygroundSettings => ({ ...currentSettings }),
  /** Resolves once the current run's trainer is built. */
  whenReady: (): Promise<void> => (ready ? Promise.resolve() : new Promise<void>((r) => readyWaiters.push(r))),
  /** Train a fresh trainer with `config` for `nUpdates` updates in the worker; the deterministic part of each record. */
  run: (config: PpoConfigInput, nUpdates: number): Promise<Record_[]> =>
    new Promise<Record_[]>((resolve, reject) => {
      const id = nextRunId++;
      runWaiters.set(id, { resolve, reject });
      post({ type: 'run', id, config, nUpdates });
    }),
  /** The trainer config the page builds from settings. */
  toPpoConfig,
  /** The KL explorer's distributions. */
  explorer,
  /** Resolves when the charts have drawn everything received so far. */
  chartsIdle: (): Promise<unknown> => charts.idle(),
};
declare global {
  interface Window {
    /** The playground's test hook (see `klipTest`), read by test/web/playground.test.ts. */
    klipTest?: typeof klipTest;
  }
}
window.klipTest = klipTest;
