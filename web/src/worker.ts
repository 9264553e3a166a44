/**
 * The playground's training worker: owns the tfjs backend and one `Trainer`, runs it one update at a time and
 * posts plain-number records, frames and policy snapshots to the page, which therefore stays responsive.
 * Messages: see `protocol.ts` (init / reset / start / pause / step / speed, and `run` for the test hook).
 * @module
 */
/// <reference lib="webworker" />
import { Trainer, setBackend, deterministicPart, type PpoConfigInput } from 'klip';
import type { RenderFrame } from 'klip/envs';
import {
  toPpoConfig,
  type FromWorker,
  type PlaygroundSettings,
  type Record_,
  type Snapshot,
  type ToWorker,
} from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

let wasmPaths = '';
/** The backend the page's runs use: 'wasm' unless it failed to load (null until `init`). */
let available: 'wasm' | 'cpu' | null = null;
let trainer: Trainer | null = null;
/** Generation of the page's `reset` that built `trainer`. */
let gen = 0;
let settings: PlaygroundSettings | null = null;
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

async function reset(nextGen: number, next: PlaygroundSettings): Promise<void> {
  trainer?.dispose();
  trainer = null;
  const backend = await ensureBackend();
  settings = { ...next, backend: next.backend === 'cpu' ? 'cpu' : backend };
  trainer = await Trainer.create(toPpoConfig(settings));
  gen = nextGen;
  post({
    type: 'ready',
    gen,
    settings,
    backend: settings.backend,
    numIterations: trainer.config.numIterations,
    optimalReturn: trainer.exactOptimum?.optimalReturn ?? null,
    frame: frameOf(trainer),
    snapshot: await snapshotOf(trainer),
  });
}

async function stepOnce(): Promise<boolean> {
  const t = trainer;
  if (!t || t.done) return false;
  const g = gen;
  const record = (await t.step()) as Record_;
  post({ type: 'update', gen: g, record, frame: frameOf(t), snapshot: await snapshotOf(t), done: t.done });
  return !t.done;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
      await sleep(delayMs);
    }
  } catch (e) {
    running = false;
    post({ type: 'running', running: false });
    post({ type: 'error', message: errorMessage(e) });
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
    // Trainer.create switched the global backend to config.backend: give the page's trainer its own back.
    if (trainer && settings) await setBackend(settings.backend);
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'init':
      wasmPaths = msg.wasmPaths;
      void enqueue(ensureBackend).catch((e) => post({ type: 'error', message: errorMessage(e) }));
      break;
    case 'reset':
      // Stop at once; a Start sent after this Reset applies to the new trainer (the queue runs reset first).
      running = false;
      post({ type: 'running', running: false });
      void enqueue(() => reset(msg.gen, msg.settings)).catch((e) => post({ type: 'error', message: errorMessage(e) }));
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
      void enqueue(stepOnce).catch((e) => post({ type: 'error', message: errorMessage(e) }));
      break;
    case 'run':
      void enqueue(() => runIsolated(msg.id, msg.config, msg.nUpdates)).catch((e) =>
        post({ type: 'error', id: msg.id, message: errorMessage(e) }),
      );
      break;
  }
};
