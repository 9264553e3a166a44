/**
 * The klip playground page: settings form (and a second one for B in A/B mode), Start/Pause/Step/Reset, the world
 * views, live charts and the KL explorer. Training runs in `worker.ts`; this thread only checks input and draws.
 * Settings live in the URL (`url_state.ts`). `window.klipTest` is a small hook for the real-browser tests (read the
 * records, run an isolated seeded training in the worker).
 * @module
 */
import './style.css';
import { lowerKlEdge, type PpoConfigInput, upperKlEdge, worldDefaults } from 'klip';
import type { RenderFrame } from 'klip/envs';
import { LiveCharts, type RunInfo } from './charts.js';
import { drawWorld, worldLegend } from './grid_view.js';
import { STUDENT, TEACHER, mountKlExplorer } from './kl_explorer.js';
import {
  CONTROLLER_KINDS,
  DEFAULT_SETTINGS,
  OBJECTIVE_KINDS,
  WORLDS,
  toPpoConfig,
  worldSettings,
  type FromWorker,
  type PlaygroundSettings,
  type Record_,
  type Snapshot,
  type ToWorker,
} from './protocol.js';
import { explorerFromUrl, readUrl, writeUrl } from './url_state.js';
import {
  B_FIELDS,
  type BFieldName,
  FIELD_NAMES,
  type FieldError,
  type FieldName,
  type RawSettings,
  SPEEDS,
  fieldOfLibraryError,
  parseSettings,
} from './validate.js';

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

const formA = $<HTMLFormElement>('#settings');
const formB = $<HTMLFormElement>('#settings-b');
const abBox = $<HTMLInputElement>('#ab');
const worldSvgs = [svgOf('#world'), svgOf('#world-b')];
const worldSides = [...document.querySelectorAll<HTMLElement>('.world-side')];
const legend = $<HTMLParagraphElement>('#world-legend');
const status = $<HTMLSpanElement>('#status');
const progress = $<HTMLProgressElement>('#progress');
const backendBadge = $<HTMLSpanElement>('#backend');
const note = $<HTMLDivElement>('#note');
const urlNote = $<HTMLDivElement>('#url-note');
const errorBox = $<HTMLDivElement>('#error');
const noReward = $<HTMLParagraphElement>('#no-reward');
const latestHead = $<HTMLTableSectionElement>('#latest thead');
const latest = $<HTMLTableSectionElement>('#latest tbody');
const klUrlError = $<HTMLParagraphElement>('#kl-url-error');
const charts = new LiveCharts($<HTMLDivElement>('#charts'));
/** False until the page has applied its URL: the explorer's first render must not rewrite the link. */
let urlReady = false;
const explorer = mountKlExplorer($<HTMLDivElement>('#kl-explorer'), () => {
  if (urlReady) updateUrl();
});

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

// --- the settings forms ---
function fillSelect(form: HTMLFormElement, name: string, options: readonly { id: string; label: string }[]): void {
  const sel = form.elements.namedItem(name) as HTMLSelectElement | null;
  sel?.replaceChildren(...options.map((o) => new Option(o.label, o.id)));
}
for (const form of [formA, formB]) {
  fillSelect(form, 'env', WORLDS);
  fillSelect(
    form,
    'objective',
    OBJECTIVE_KINDS.map((k) => ({ id: k, label: k })),
  );
  fillSelect(
    form,
    'controller',
    CONTROLLER_KINDS.map((k) => ({ id: k, label: k })),
  );
}

function fieldIn(form: HTMLFormElement, name: string): HTMLInputElement | HTMLSelectElement | null {
  return form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
}
function field(name: string): HTMLInputElement | HTMLSelectElement {
  return fieldIn(formA, name)!;
}

// One message slot after every control, tied to it with aria-describedby.
for (const form of [formA, formB]) {
  for (const el of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input[name], select[name]')) {
    const msg = document.createElement('span');
    msg.className = 'field-error';
    msg.id = `err-${form.id}-${el.name}`;
    msg.hidden = true;
    el.setAttribute('aria-describedby', msg.id);
    el.insertAdjacentElement('afterend', msg);
  }
}

/** Put `value` into a field as text (a value a select does not offer leaves it empty, which then reads as invalid). */
function setFieldText(form: HTMLFormElement, name: string, value: string): void {
  const f = fieldIn(form, name);
  if (f) f.value = value;
}

function writeSettings(form: HTMLFormElement, s: Partial<PlaygroundSettings>): void {
  for (const [k, v] of Object.entries(s)) setFieldText(form, k, String(v));
}

/** The text of every field of a form. */
function rawOf(form: HTMLFormElement, names: readonly FieldName[]): RawSettings {
  const raw: RawSettings = {};
  for (const n of names) {
    const f = fieldIn(form, n);
    if (f) raw[n] = f.value;
  }
  return raw;
}

/** Mark the fields of `form` named in `errors` invalid (with their message) and clear the others. */
function markFields(form: HTMLFormElement, errors: readonly FieldError[]): void {
  for (const el of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input[name], select[name]')) {
    const err = errors.find((e) => e.field === el.name);
    const msg = form.querySelector<HTMLElement>(`#err-${form.id}-${el.name}`);
    if (err) el.setAttribute('aria-invalid', 'true');
    else el.removeAttribute('aria-invalid');
    if (msg) {
      msg.textContent = err?.message ?? '';
      msg.hidden = !err;
    }
  }
}

/** The settings of A (and B in A/B mode) with each form's errors; the target KL is not checked when unused. */
function readForms(): { runs: PlaygroundSettings[]; errors: FieldError[][] } {
  const rawA = rawOf(formA, FIELD_NAMES);
  if (rawA.controller === 'fixed') delete rawA.targetKl;
  const a = parseSettings(rawA, DEFAULT_SETTINGS);
  if (!abBox.checked) return { runs: [a.settings], errors: [a.errors, []] };
  const rawB = rawOf(formB, B_FIELDS);
  if (rawB.controller === 'fixed') delete rawB.targetKl;
  const b = parseSettings(rawB, a.settings);
  return { runs: [a.settings, b.settings], errors: [a.errors, b.errors] };
}

function usesKl(s: PlaygroundSettings): boolean {
  return s.objective === 'kl-penalty' || s.objective === 'clip+kl';
}

/** Explain which settings matter for the chosen objective/controller. */
function hintOf(s: PlaygroundSettings): string {
  const usesClip = s.objective === 'clip' || s.objective === 'clip+kl';
  return [
    usesKl(s)
      ? `β·KL is added to the loss; the ${s.controller} controller sets β${s.controller === 'fixed' ? ' (constant)' : ' from the observed KL and the target'}.`
      : `The ${s.objective} objective has no KL term: β and the controller are shown but do not act.`,
    usesClip
      ? `Ratios are clipped to [1−ε, 1+ε] = [${(1 - s.clipEpsilon).toFixed(2)}, ${(1 + s.clipEpsilon).toFixed(2)}].`
      : 'No ratio clipping: ε does not act.',
  ].join(' ');
}

function updateHints(runs: PlaygroundSettings[]): void {
  fieldIn(formA, 'targetKl')!.disabled = field('controller').value === 'fixed';
  fieldIn(formB, 'targetKl')!.disabled = fieldIn(formB, 'controller')!.value === 'fixed';
  $<HTMLElement>('#hint').textContent = hintOf(runs[0]!);
  $<HTMLElement>('#hint-b').textContent = runs[1] ? hintOf(runs[1]) : '';
}

/** A short name of a run for the A/B legend: objective, controller when a KL term acts, and what differs from `other`. */
function runLabel(s: PlaygroundSettings, other: PlaygroundSettings | null): string {
  const parts: string[] = [s.objective];
  if (usesKl(s)) parts.push(s.controller);
  if (other) {
    if (s.clipEpsilon !== other.clipEpsilon) parts.push(`ε ${s.clipEpsilon}`);
    if (s.beta !== other.beta) parts.push(`β₀ ${s.beta}`);
    if (s.targetKl !== other.targetKl && s.controller !== 'fixed') parts.push(`target ${s.targetKl}`);
  }
  return parts.join(' ');
}

// --- the URL ---
/** Write the current settings into the address bar (no reload, no history entry). */
function updateUrl(): void {
  const text = (form: HTMLFormElement, names: readonly FieldName[]): Record<string, string> =>
    Object.fromEntries(names.map((n) => [n, fieldIn(form, n)?.value ?? '']));
  const a = text(formA, FIELD_NAMES) as Record<FieldName, string>;
  const b = abBox.checked ? (text(formB, B_FIELDS) as Record<BFieldName, string>) : null;
  const { p, q } = explorer.get();
  const example = p.join() === TEACHER.join() && q.join() === STUDENT.join();
  history.replaceState(null, '', `${location.pathname}${writeUrl(a, b, example ? null : { p, q })}${location.hash}`);
}

// --- the worker ---
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const post = (msg: ToWorker): void => worker.postMessage(msg);
/** Metric records of the current run, per side (0 = A, 1 = B). */
let records: Record_[][] = [[]];
let numIterations = 0;
let running = false;
let ready = false;
/** The current settings do not pass the checks: nothing is sent to the worker until they do. */
let invalid = false;
/** The worker could not build a trainer for the current settings. */
let failed = false;
let currentRuns: PlaygroundSettings[] = [{ ...DEFAULT_SETTINGS }];
let readyWaiters: (() => void)[] = [];
const runWaiters = new Map<number, { resolve: (r: Record_[]) => void; reject: (e: Error) => void }>();
let nextRunId = 1;
/** Run generation: bumped by every Reset; worker messages of older runs are ignored. */
let gen = 0;

function setStatus(): void {
  const n = Math.min(...records.map((r) => r.length));
  const done = ready && records.every((r, i) => r.length >= (sideIterations[i] ?? 0));
  status.textContent = invalid
    ? 'Fix the marked setting to train.'
    : failed
      ? 'Could not start: see the message above.'
      : !ready
        ? 'preparing the trainer…'
        : `${running ? 'training' : done ? 'finished' : n === 0 ? 'ready: press Start or Step' : 'paused'} — update ${n} / ${numIterations}`;
  progress.max = Math.max(1, numIterations);
  progress.value = ready ? n : 0;
  // Start/Step stay enabled while a reset is pending: the worker applies them to the new run.
  const blocked = invalid || failed;
  $<HTMLButtonElement>('#start').disabled = blocked || running || done;
  $<HTMLButtonElement>('#pause').disabled = !running;
  $<HTMLButtonElement>('#step').disabled = blocked || running || done;
  document.body.dataset.updates = String(n);
  document.body.dataset.running = String(running);
  document.body.dataset.invalid = String(invalid);
  showNoReward();
}
let sideIterations: number[] = [];

function fmtCell(v: number | null | undefined): string {
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : '—';
}

function showLatest(): void {
  const ab = currentRuns.length > 1;
  latestHead.hidden = !ab;
  latest.replaceChildren(
    ...LATEST_KEYS.map(([key, label]) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.textContent = label;
      tr.appendChild(th);
      currentRuns.forEach((_, side) => {
        const td = document.createElement('td');
        td.dataset.key = key;
        td.dataset.side = side === 0 ? 'A' : 'B';
        td.textContent = fmtCell(records[side]?.at(-1)?.[key]);
        tr.appendChild(td);
      });
      return tr;
    }),
  );
}

/** While a run has not collected any reward, say why its curves are flat. */
function showNoReward(): void {
  const lines: string[] = [];
  records.forEach((rs, side) => {
    if (!ready || rs.length === 0) return;
    const seen = rs.some((r) => typeof r['charts/episodic_return'] === 'number' && r['charts/episodic_return'] !== 0);
    if (seen) return;
    const who = records.length > 1 ? `${side === 0 ? 'A' : 'B'}: ` : '';
    const none = rs.every((r) => r['charts/episodic_return'] === null || r['charts/episodic_return'] === undefined);
    lines.push(
      none
        ? `${who}no episode has finished yet.`
        : `${who}no reward yet: the agent has not reached the goal. PPO needs a first success before any action looks better than another, so the policy barely moves and β is held until then. Keep training: on FrozenLake 8×8 the first success can take 30 updates.`,
    );
  });
  noReward.hidden = lines.length === 0;
  noReward.textContent = lines.join(' ');
}

/** The charts' intro: what one update is, and when learning can start in this world. */
function chartsIntro(env: string): string {
  const w = worldDefaults(env);
  const perUpdate = `One update = ${w.numEnvs} copies of the world × ${w.nSteps} steps of experience, then 4 passes over it in 4 minibatches. `;
  const signal =
    env === 'cliffwalking'
      ? 'CliffWalking is not sparse: every step costs −1 and stepping off the cliff −100 (back to the start), so the return rises from the first updates as the agent learns to avoid the cliff and take shorter paths. '
      : env === 'bandit'
        ? 'Every pull of an arm pays a reward, so learning starts with the first update. '
        : 'The reward is sparse: 1 for reaching the goal, 0 for everything else. Until the agent first reaches it no action looks better than another, the trainer holds β instead of lowering it, and the curves stay flat. ';
  return `${perUpdate}${signal}Move the pointer over a chart, or touch it, to read the values at an update.`;
}

function showError(text: string | null): void {
  errorBox.hidden = text === null;
  errorBox.textContent = text ?? '';
}

/** The newest picture of each side's world not drawn yet (side → frame and policy), drawn at the next frame. */
const pendingWorlds = new Map<number, { frame: RenderFrame | null; snapshot: Snapshot | null }>();
let renderScheduled = false;

/**
 * Draw at most once per display frame: at full speed the worker sends updates faster than a screen refreshes, and
 * redrawing the world and the table for each would make drawing, not training, set the pace.
 */
function scheduleRender(): void {
  if (renderScheduled) return;
  renderScheduled = true;
  requestAnimationFrame(flushRender);
}

/** Draw what waits: each side's newest world, the latest-values table and the status line. */
function flushRender(): void {
  renderScheduled = false;
  for (const [side, w] of pendingWorlds) drawWorld(worldSvgs[side]!, w.frame, w.snapshot);
  pendingWorlds.clear();
  showLatest();
  setStatus();
}

/** Check the forms; when they pass, build fresh trainers for them in the worker. */
function reset(): void {
  const { runs, errors } = readForms();
  markFields(formA, errors[0]!);
  markFields(formB, errors[1] ?? []);
  updateHints(runs);
  updateUrl();
  ready = false;
  running = false;
  failed = false;
  gen += 1;
  pendingWorlds.clear();
  showError(null);
  invalid = errors.some((e) => e.length > 0);
  if (invalid) {
    // Stop the current run: what is on screen no longer matches the form.
    post({ type: 'pause' });
    if (!worldSvgs[0]!.hasChildNodes())
      legend.textContent = 'The world and its policy appear here once the settings are valid.';
    setStatus();
    return;
  }
  currentRuns = runs;
  records = runs.map(() => []);
  $<HTMLParagraphElement>('#charts-intro').textContent = chartsIntro(runs[0]!.env);
  setStatus();
  post({ type: 'reset', gen, runs });
}

/** A worker failure: on the field that caused it when the library named one, else in the error box. */
function onWorkerError(message: string, arg: string | undefined, side: number | undefined): void {
  running = false;
  const mapped = fieldOfLibraryError(arg);
  const form = side === 1 ? formB : formA;
  if (mapped && fieldIn(form, mapped.field)) {
    failed = true;
    markFields(form, [mapped]);
    showError(null);
  } else {
    if (!ready) failed = true;
    showError(`Training stopped: ${message}`);
  }
  setStatus();
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
      sideIterations = msg.sides.map((s) => s.numIterations);
      numIterations = Math.max(...sideIterations);
      backendBadge.textContent = `backend: ${msg.backend}`;
      const ab = msg.sides.length > 1;
      const runs: RunInfo[] = msg.sides.map((s, i) => ({
        id: i === 0 ? 'A' : 'B',
        label: runLabel(s.settings, ab ? msg.sides[1 - i]!.settings : null),
      }));
      const targets = msg.sides
        .map((s) => s.settings)
        .filter((s) => usesKl(s) && s.controller !== 'fixed')
        .map((s) => {
          const rule = { kind: s.controller, target: s.targetKl };
          return { target: s.targetKl, lo: lowerKlEdge(rule), hi: upperKlEdge(rule) };
        });
      charts.reset({
        optimum: msg.sides[0]!.optimalReturn,
        targets,
        logBeta: msg.sides.every((s) => s.settings.beta > 0),
        runs,
      });
      worldSides.forEach((fig, i) => {
        fig.hidden = i >= msg.sides.length;
        const cap = fig.querySelector<HTMLElement>('.side-label')!;
        cap.hidden = !ab;
        cap.textContent = runs[i] ? `${runs[i].id}: ${runs[i].label}` : '';
        if (i >= msg.sides.length) worldSvgs[i]!.replaceChildren();
      });
      document.querySelectorAll<HTMLElement>('.side-tag').forEach((t) => {
        t.hidden = !ab;
      });
      msg.sides.forEach((s, i) => {
        drawWorld(worldSvgs[i]!, s.frame, s.snapshot);
      });
      legend.textContent = worldLegend(msg.sides[0]!.frame);
      showLatest();
      setStatus();
      for (const w of readyWaiters) w();
      readyWaiters = [];
      break;
    }
    case 'update':
      if (msg.gen !== gen) break;
      records[msg.side]?.push(msg.record);
      void charts.push(msg.record, msg.side);
      pendingWorlds.set(msg.side, { frame: msg.frame, snapshot: msg.snapshot });
      scheduleRender();
      break;
    case 'running':
      running = msg.running;
      flushRender(); // the status changes now, with every update received drawn
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
      onWorkerError(msg.message, msg.arg, msg.side);
      break;
  }
};
worker.onerror = (ev) => {
  showError(`The training worker failed: ${ev.message}`);
};

// --- controls ---
const speedMs = (): number => SPEEDS[field('speed').value] ?? SPEEDS.normal!;
$<HTMLButtonElement>('#start').addEventListener('click', () => post({ type: 'start', delayMs: speedMs() }));
$<HTMLButtonElement>('#pause').addEventListener('click', () => post({ type: 'pause' }));
$<HTMLButtonElement>('#step').addEventListener('click', () => post({ type: 'step' }));
$<HTMLButtonElement>('#reset').addEventListener('click', reset);
for (const form of [formA, formB]) form.addEventListener('submit', (ev) => ev.preventDefault());

/** Settings of the current run as JSON, to tell a real change from a blur that re-fires `change`. */
let lastInput = '';
function inputKey(): string {
  return JSON.stringify([
    rawOf(
      formA,
      FIELD_NAMES.filter((n) => n !== 'speed'),
    ),
    abBox.checked,
    rawOf(formB, B_FIELDS),
  ]);
}
function onChange(ev: Event): void {
  const target = ev.target as HTMLInputElement;
  if (target.form === formA && target.name === 'speed') {
    post({ type: 'speed', delayMs: speedMs() });
    updateUrl();
    return;
  }
  if (target.form === formA && target.name === 'env') {
    // Another world: its own budget and target, measured to learn visibly within a minute (worldSettings).
    const w = worldSettings(field('env').value);
    setFieldText(formA, 'updates', String(w.updates));
    setFieldText(formA, 'targetKl', String(w.targetKl));
    setFieldText(formB, 'targetKl', String(w.targetKl));
  }
  const key = inputKey();
  if (key === lastInput) return;
  lastInput = key;
  reset();
}
formA.addEventListener('change', onChange);
formB.addEventListener('change', onChange);
// Mark or clear a field as the student types, without restarting the run at every keystroke.
for (const form of [formA, formB]) {
  form.addEventListener('input', () => {
    const { errors } = readForms();
    markFields(formA, errors[0]!);
    markFields(formB, errors[1] ?? []);
    // Only ever disable here: the run is rebuilt (and Start re-enabled) by the change event that follows.
    if (errors.some((e) => e.length > 0)) {
      $<HTMLButtonElement>('#start').disabled = true;
      $<HTMLButtonElement>('#step').disabled = true;
    }
  });
}
abBox.addEventListener('change', () => {
  formB.hidden = !abBox.checked;
  if (abBox.checked) {
    // B starts as a copy of A: change what you want to compare.
    for (const f of B_FIELDS) setFieldText(formB, f, field(f).value);
  }
  lastInput = inputKey();
  reset();
});

// --- start-up: defaults, then the URL ---
const fromUrl = readUrl(location.search);
writeSettings(formA, DEFAULT_SETTINGS);
if (fromUrl.a.env !== undefined) writeSettings(formA, worldSettings(fromUrl.a.env));
for (const [k, v] of Object.entries(fromUrl.a)) setFieldText(formA, k, v);
abBox.checked = fromUrl.ab;
formB.hidden = !fromUrl.ab;
for (const f of B_FIELDS) setFieldText(formB, f, fromUrl.b[f] ?? field(f).value);
if (fromUrl.unknown.length) {
  urlNote.hidden = false;
  urlNote.textContent = `The link has parameters this page does not know (ignored): ${fromUrl.unknown.join(', ')}.`;
}
const kl = explorerFromUrl(fromUrl);
if (kl && 'error' in kl) {
  klUrlError.hidden = false;
  klUrlError.textContent = `The link's KL explorer distributions were not used: ${kl.error}.`;
} else if (kl) explorer.set(kl.p, kl.q);
urlReady = true;
lastInput = inputKey();
post({ type: 'init', wasmPaths: new URL('wasm/', document.baseURI).href });
reset();
if (fromUrl.autostart && !invalid) {
  readyWaiters.push(() => {
    if (!running) post({ type: 'start', delayMs: speedMs() });
  });
}

/** Hook for the real-browser tests (test/web/playground.test.ts). */
const klipTest = {
  /** Metric records of the current run so far (side 0 = A, 1 = B). */
  records: (side = 0): Record_[] => (records[side] ?? []).map((r) => ({ ...r })),
  /** Settings of the current run (side 0 = A, 1 = B). */
  settings: (side = 0): PlaygroundSettings | null => (currentRuns[side] ? { ...currentRuns[side] } : null),
  /** Whether the current run's trainers are built (polled: a test's awaited page promise may be collected). */
  isReady: (): boolean => ready,
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
