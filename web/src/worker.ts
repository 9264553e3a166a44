/**
 * The playground's training worker: owns the tfjs backend and the page's `Trainer`s (one, or two in A/B mode), runs
 * them one update at a time (A then B: each trainer has its own seeded streams and engine, so taking turns changes
 * none of its numbers) and posts plain-number records, frames and policy snapshots to the page, which therefore
 * stays responsive. Messages: see `protocol.ts` (init / reset / start / pause / step / speed, `run` for the test hook).
 * @module
 */
/// <reference lib="webworker" />
import { KlipError, Trainer, deterministicPart, getBackend, setBackend, type PpoConfigInput } from 'klip';
import type { RenderFrame } from 'klip/envs';
import {
  toPpoConfig,
  type FromWorker,
  type PlaygroundSettings,
  type Record_,
  type SideReady,
  type Snapshot,
  type ToWorker,
} from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

let wasmPaths = '';
/** The backend the page's runs use: 'wasm' unless it failed to load (null until `init`). */
let available: 'wasm' | 'cpu' | null = null;
/** The page's trainers: side 0 = A, side 1 = B (A/B mode). */
let trainers: Trainer[] = [];
/** Generation of the page's `reset` that built `trainers`. */
let gen = 0;
let settings: PlaygroundSettings[] = [];
let running = false;
let busy = false;
let delayMs = 0;
/** Serializes every trainer operation (reset/step/run) so messages never interleave inside an update. */
let queue: Promise<unknown> = Promise.resolve();

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

function errorMessage(e: unknown): string {
  // klip errors already name the function and argument; class names are minified in the built page.
  return e instanceof Error ? e.message : String(e);
}

/** An error message for the page, with the library's argument at fault when it named one. */
function errorOf(e: unknown, extra: { id?: number; side?: number } = {}): FromWorker {
  return { type: 'error', message: errorMessage(e), ...(e instanceof KlipError ? { arg: e.arg } : {}), ...extra };
}

function enqueue<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => undefined);
  return next;
}

/** Select wasm (served next to the page) or fall back to cpu, once. */
async function ensureBackend(): Promise<'wasm' | 'cpu'> {
  if (available) return available;
  let note: string | null = null;
  try {
    await setBackend('wasm', wasmPaths ? { wasmPaths } : {});
    available = 'wasm';
  } catch (e) {
    await setBackend('cpu');
    available = 'cpu';
    note = `The wasm backend could not load (${errorMessage(e)}); training runs on the slower cpu backend instead.`;
  }
  post({ type: 'backend', backend: available, note });
  return available;
}

function frameOf(t: Trainer): RenderFrame | null {
  const f = t.frame();
  return f ? (JSON.parse(JSON.stringify(f)) as RenderFrame) : null;
}

async function snapshotOf(t: Trainer): Promise<Snapshot | null> {
  return t.policySnapshot();
}

function disposeAll(): void {
  for (const t of trainers) t.dispose();
  trainers = [];
}

async function reset(nextGen: number, runs: PlaygroundSettings[]): Promise<void> {
  disposeAll();
  const backend = await ensureBackend();
  settings = runs.map((s) => ({ ...s, backend: s.backend === 'cpu' ? 'cpu' : backend }));
  for (const [side, s] of settings.entries()) {
    try {
      trainers.push(await Trainer.create(toPpoConfig(s)));
    } catch (e) {
      disposeAll();
      post(errorOf(e, { side }));
      return;
    }
  }
  gen = nextGen;
  const sides: SideReady[] = [];
  for (const [i, t] of trainers.entries())
    sides.push({
      settings: settings[i]!,
      numIterations: t.config.numIterations,
      optimalReturn: t.exactOptimum?.optimalReturn ?? null,
      frame: frameOf(t),
      snapshot: await snapshotOf(t),
    });
  post({ type: 'ready', gen, backend: settings[0]!.backend, sides });
}

/** Select the backend of side `i` when another side (or the test hook) switched the global one. */
async function useBackendOf(i: number): Promise<void> {
  const want = settings[i]?.backend;
  if (want && getBackend() !== want) await setBackend(want);
}

/** One update of every trainer not yet done, A first; false when all are done. */
async function stepOnce(): Promise<boolean> {
  const g = gen;
  const current = trainers;
  for (const [side, t] of current.entries()) {
    if (t.done) continue;
    await useBackendOf(side);
    const record = (await t.step()) as Record_;
    post({ type: 'update', gen: g, side, record, frame: frameOf(t), snapshot: await snapshotOf(t), done: t.done });
  }
  return current.some((t) => !t.done);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const yieldChannel = new MessageChannel();
const yieldWaiters: (() => void)[] = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();

/**
 * Let queued messages (Pause, Reset) run, then go on. A zero-delay `setTimeout` is clamped to 4 ms once nested,
 * which at full speed would cost more than a tabular update; a message on a channel is not clamped.
 */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    yieldWaiters.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

/** The Start loop: one update per turn, yielding to the message queue in between so Pause lands at once. */
async function loop(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    while (running) {
      const more = await enqueue(stepOnce);
      if (!more) {
        running = false;
        post({ type: 'running', running: false });
        break;
      }
      await (delayMs > 0 ? sleep(delayMs) : yieldToMessages());
    }
  } catch (e) {
    running = false;
    post({ type: 'running', running: false });
    post(errorOf(e));
  } finally {
    busy = false;
  }
}

/** Test hook: a fresh trainer with `config`, `nUpdates` updates, the deterministic part of each record. */
async function runIsolated(id: number, config: PpoConfigInput, nUpdates: number): Promise<void> {
  await ensureBackend();
  const t = await Trainer.create(config);
  try {
    const records: Record_[] = [];
    for (let i = 0; i < nUpdates && !t.done; i++)
      records.push(deterministicPart((await t.step()) as Record_) as Record_);
    post({ type: 'runResult', id, records });
  } finally {
    t.dispose();
    // Trainer.create switched the global backend to config.backend: give the page's trainers their own back.
    if (trainers.length) await useBackendOf(0);
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'init':
      wasmPaths = msg.wasmPaths;
      void enqueue(ensureBackend).catch((e) => post(errorOf(e)));
      break;
    case 'reset':
      // Stop at once; a Start sent after this Reset applies to the new trainer (the queue runs reset first).
      running = false;
      post({ type: 'running', running: false });
      void enqueue(() => reset(msg.gen, msg.runs)).catch((e) => post(errorOf(e)));
      break;
    case 'start':
      delayMs = msg.delayMs;
      if (!running) {
        running = true;
        post({ type: 'running', running: true });
        void loop();
      }
      break;
    case 'pause':
      running = false;
      post({ type: 'running', running: false });
      break;
    case 'speed':
      delayMs = msg.delayMs;
      break;
    case 'step':
      running = false;
      void enqueue(stepOnce).catch((e) => post(errorOf(e)));
      break;
    case 'run':
      void enqueue(() => runIsolated(msg.id, msg.config, msg.nUpdates)).catch((e) => post(errorOf(e, { id: msg.id })));
      break;
  }
};
