/**
 * A pool of `worker_threads` running independent jobs: each worker takes the next job when it finishes one, results
 * come back in job order, and a job's error crosses the thread boundary with its class and message
 * ({@link serializeError}). It knows nothing about what the jobs are. Node only.
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  CheckpointError,
  ConfigError,
  EnvError,
  KlipError,
  NumericError,
  ShapeError,
  type KlipErrorDetails,
} from '../core/errors.js';
import type { KlipErrorClass } from './atomic.js';

/** An error as it crosses a thread boundary (class name + KlipError fields, or message + stack). */
export interface SerializedError {
  /** Class name (`ConfigError`, …, or `Error`). */
  name: string;
  /** The message. */
  message: string;
  /** The stack, when there is one. */
  stack?: string;
  /** KlipError fields, when it is one. */
  details?: KlipErrorDetails;
}

const ERROR_CLASSES: Record<string, KlipErrorClass> = {
  KlipError,
  ShapeError,
  ConfigError,
  EnvError,
  CheckpointError,
  NumericError,
};

/**
 * Turn an error into a structured-cloneable record; {@link deserializeError} rebuilds it.
 * @param e Anything thrown.
 * @returns The record.
 * @example
 * ```ts
 * deserializeError(serializeError(new ConfigError({ fn: 'f', arg: 'x', expected: 'y', got: 1 }))).message; // "f: x must be y, got 1"
 * ```
 */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof KlipError) {
    let got: unknown = e.got;
    try {
      structuredClone(got);
    } catch {
      got = String(got); // not cloneable (a function, …): keep its text
    }
    const details: KlipErrorDetails = {
      fn: e.fn,
      arg: e.arg,
      expected: e.expected,
      got,
      ...(e.hint ? { hint: e.hint } : {}),
    };
    return { name: e.constructor.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}), details };
  }
  if (e instanceof Error) return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  return { name: 'Error', message: String(e) };
}

/**
 * Rebuild an error from {@link serializeError}: the same KlipError subclass and message, or a plain Error.
 * @param s The record.
 * @returns The error (not thrown).
 * @example
 * ```ts
 * throw deserializeError(reply.error);
 * ```
 */
export function deserializeError(s: SerializedError): Error {
  if (s.details) {
    const e = new (ERROR_CLASSES[s.name] ?? KlipError)(s.details);
    e.message = s.message; // the original words (a hint, a `got` that was not cloneable)
    if (s.stack) e.stack = s.stack;
    return e;
  }
  const e = new Error(s.message);
  e.name = s.name;
  if (s.stack) e.stack = s.stack;
  return e;
}

/** How to start a worker: a script file, or eval'd bootstrap code. */
export type WorkerScript = { url: URL } | { code: string };

/**
 * How to start the worker whose built script is `js` (a `.js` URL resolved beside the calling module, e.g.
 * `new URL('./compare_worker.js', import.meta.url)`): that file when it exists (the built package), else, in a source
 * checkout, a small eval'd bootstrap that registers tsx's ESM hooks (`tsx/esm/api` `register()`) and imports the `.ts`
 * twin. (Node 20 does not apply `--import tsx` from a worker's execArgv to its entry file, hence the bootstrap.)
 * @param js URL of the built worker script.
 * @returns The script, or null when neither is available (the caller runs in-process).
 * @example
 * ```ts
 * const script = resolveWorkerScript(new URL('./compare_worker.js', import.meta.url));
 * ```
 */
export function resolveWorkerScript(js: URL): WorkerScript | null {
  try {
    if (js.protocol !== 'file:') return null;
    if (existsSync(fileURLToPath(js))) return { url: js };
    const ts = new URL(js.href.replace(/\.js$/, '.ts'));
    if (!existsSync(fileURLToPath(ts))) return null;
    // require-resolution gives tsx's CJS build of the API; its ESM twin sits beside it
    const api = createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs');
    if (!existsSync(api)) return null;
    const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); })`;
    return { code };
  } catch {
    return null;
  }
}

/** Messages from the pool to a worker. */
type PoolRequest<J> = { type: 'run'; pos: number; job: J };
/** Messages from a worker to the pool. */
type PoolReply<R> =
  | { type: 'ready' }
  | { type: 'done'; pos: number; result: R }
  | { type: 'error'; pos: number; error: SerializedError };

/** Options of {@link runWorkerPool}. */
export interface WorkerPoolOptions<J, R> {
  /** The worker to start ({@link resolveWorkerScript}); it must call {@link serveWorkerJobs}. */
  script: WorkerScript;
  /** The jobs (structured-cloneable). */
  jobs: readonly J[];
  /** Worker threads, ≥ 1 (capped at the number of jobs). */
  size: number;
  /** The command named when a worker dies (`fn: a worker thread exited …`). */
  fn: string;
  /** Called once per job, in job order, whatever order the workers finish in. */
  onResult?: (result: R, pos: number) => void;
  /** Called once the first worker is up, before any job runs. */
  onStarted?: () => void;
}

/**
 * Run `jobs` in `size` worker threads, each taking the next job when it finishes one. The first worker must say
 * 'ready' before anything runs: when it cannot start, nothing is run and the result is null (the caller falls back to
 * in-process). The first job error stops the pool and is thrown (same class and message as in the worker).
 * @param opts Script, jobs, pool size and callbacks.
 * @returns The results in job order, or null when the workers could not start.
 * @throws the first job's error; an Error when a worker thread exits before its jobs are done.
 * @example
 * ```ts
 * const out = await runWorkerPool({ script, jobs: configs, size: 2, fn: 'compare' });
 * ```
 */
export async function runWorkerPool<J, R>(opts: WorkerPoolOptions<J, R>): Promise<R[] | null> {
  const { script, jobs } = opts;
  const start = (): Worker => ('url' in script ? new Worker(script.url) : new Worker(script.code, { eval: true }));
  // Every worker starts at once (each loads tfjs and its wasm, about a second of one core): serial starts would add
  // that second per worker to the wall time. A worker's first message is 'ready'; remember it until it is attached.
  const pool: Worker[] = Array.from({ length: Math.max(1, Math.min(opts.size, jobs.length)) }, start);
  const readyOf = new Set<Worker>();
  const started = pool.map(
    (w) =>
      new Promise<boolean>((res) => {
        w.once('message', (m: PoolReply<R>) => {
          if (m.type === 'ready') readyOf.add(w);
          res(m.type === 'ready');
        });
        w.once('error', () => res(false));
        w.once('exit', () => res(false));
      }),
  );
  const ready = await started[0]!;
  if (!ready) {
    for (const w of pool) w.removeAllListeners();
    await Promise.all(pool.map((w) => w.terminate()));
    return null;
  }
  opts.onStarted?.();
  const results = new Array<R>(jobs.length);
  const done = new Array<boolean>(jobs.length).fill(false);
  let next = 0;
  let reported = 0;
  try {
    await new Promise<void>((resolveAll, rejectAll) => {
      let failed = false;
      let active = 0;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        rejectAll(e);
      };
      const give = (w: Worker): void => {
        if (failed) return;
        if (next >= jobs.length) {
          if (active === 0) resolveAll();
          return;
        }
        const pos = next++;
        active += 1;
        w.postMessage({ type: 'run', pos, job: jobs[pos] } satisfies PoolRequest<J | undefined>);
      };
      const attach = (w: Worker, isReady: boolean): void => {
        w.on('message', (m: PoolReply<R>) => {
          // 'ready' after attaching: give it its first job (unless it was ready before and already has one).
          if (m.type === 'ready') return readyAtAttach.has(w) ? undefined : give(w);
          active -= 1;
          if (m.type === 'error') return fail(deserializeError(m.error));
          results[m.pos] = m.result;
          done[m.pos] = true;
          while (reported < jobs.length && done[reported]) {
            opts.onResult?.(results[reported]!, reported);
            reported += 1;
          }
          give(w);
        });
        w.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
        w.on('exit', (code) => {
          if (!failed && (next < jobs.length || active > 0))
            fail(new Error(`${opts.fn}: a worker thread exited with code ${code} before its jobs were done`));
        });
        if (isReady) give(w);
      };
      const readyAtAttach = new Set(readyOf);
      for (const w of pool) attach(w, readyAtAttach.has(w));
    });
  } finally {
    for (const w of pool) w.removeAllListeners();
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}

/** The side of a worker's `parentPort` that {@link serveWorkerJobs} uses. */
export interface WorkerPort {
  /** Listen for the pool's messages. */
  on(ev: 'message', fn: (m: unknown) => void): unknown;
  /** Send a reply. */
  postMessage(m: unknown): void;
}

function isRunRequest(m: unknown): m is PoolRequest<unknown> {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'run';
}

/**
 * The body of a worker thread of {@link runWorkerPool}: say 'ready', then run each job it is sent with `handler` and
 * post its result, or its error (serialized).
 * @param port The worker's `parentPort`.
 * @param handler Runs one job; its result must be structured-cloneable.
 * @example
 * ```ts
 * if (parentPort) serveWorkerJobs(parentPort, (config: PpoConfigInput) => runCell(config));
 * ```
 */
export function serveWorkerJobs<J, R>(port: WorkerPort, handler: (job: J) => Promise<R>): void {
  port.on('message', (m) => {
    if (!isRunRequest(m)) return;
    const { pos } = m;
    handler(m.job as J).then(
      (result) => port.postMessage({ type: 'done', pos, result } satisfies PoolReply<R>),
      (e: unknown) => port.postMessage({ type: 'error', pos, error: serializeError(e) } satisfies PoolReply<R>),
    );
  });
  port.postMessage({ type: 'ready' } satisfies PoolReply<R>);
}
