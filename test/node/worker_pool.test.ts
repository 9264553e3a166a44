/**
 * The generic worker pool: jobs run in threads (more than one thread is used), results come back in job order
 * whatever order they finish in, a job's error keeps its class and words, a thread that dies fails the pool, and a
 * worker that cannot start gives null (the caller runs in-process).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, KlipError, NumericError } from '../../src/core/errors.js';
import {
  deserializeError,
  resolveWorkerScript,
  runWorkerPool,
  serializeError,
  type WorkerScript,
} from '../../src/node/worker_pool.js';

type Job = { x: number; delayMs: number };
type Out = { x: number; square: number; thread: number };

function script(): WorkerScript {
  const s = resolveWorkerScript(new URL('./fixtures/square_worker.js', import.meta.url));
  if (!s) throw new Error('the fixture worker cannot be resolved');
  return s;
}

describe('runWorkerPool', () => {
  it('resolves a .ts worker through the tsx bootstrap, and nothing for a missing file', () => {
    expect('code' in script()).toBe(true);
    expect(resolveWorkerScript(new URL('./fixtures/no_such_worker.js', import.meta.url))).toBeNull();
    expect(resolveWorkerScript(new URL('https://example.com/w.js'))).toBeNull();
  });

  it('returns results in job order and reports them in job order, though later jobs finish first', async () => {
    // job 0 is slow: jobs 1.. finish before it on the other thread, yet onResult sees 0 first
    const jobs: Job[] = [
      { x: 3, delayMs: 2500 }, // long enough for the second thread to start (tsx) and take the rest
      { x: 1, delayMs: 0 },
      { x: 2, delayMs: 0 },
      { x: 5, delayMs: 0 },
    ];
    const seen: Array<[number, number | undefined]> = [];
    let started = 0;
    const out = await runWorkerPool<Job, Out>({
      script: script(),
      jobs,
      size: 2,
      fn: 'test',
      onStarted: () => (started += 1),
      onResult: (r, pos) => seen.push([pos, r?.square]),
    });
    expect(started).toBe(1);
    expect(out?.map((r) => r.square)).toEqual([9, 1, 4, 25]);
    expect(seen).toEqual([
      [0, 9],
      [1, 1],
      [2, 4],
      [3, 25],
    ]);
    expect(new Set(out?.map((r) => r.thread)).size).toBe(2);
  }, 60_000);

  it("throws the first job's error with its class and message", async () => {
    const err = await runWorkerPool<Job, Out>({
      script: script(),
      jobs: [
        { x: 1, delayMs: 0 },
        { x: -2, delayMs: 0 },
      ],
      size: 2,
      fn: 'test',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('square: x must be a number ≥ 0, got -2. Hm');
  }, 60_000);

  it('fails when a thread exits before its jobs are done', async () => {
    const err = await runWorkerPool<Job, Out>({
      script: script(),
      jobs: [{ x: Number.NaN, delayMs: 0 }],
      size: 1,
      fn: 'test',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('test: a worker thread exited with code 3 before its jobs were done');
  }, 60_000);

  it('gives null, running nothing, when the first worker does not start', async () => {
    let started = false;
    const out = await runWorkerPool<Job, Out>({
      script: { code: 'throw new Error("no")' },
      jobs: [{ x: 1, delayMs: 0 }],
      size: 2,
      fn: 'test',
      onStarted: () => (started = true),
    });
    expect(out).toBeNull();
    expect(started).toBe(false);
  }, 60_000);
});

describe('serializeError / deserializeError', () => {
  it('round-trips each KlipError class, a plain Error and a thrown string', () => {
    const n = deserializeError(serializeError(new NumericError({ fn: 'f', arg: 'x', expected: 'finite', got: NaN })));
    expect(n).toBeInstanceOf(NumericError);
    expect(n.message).toBe('f: x must be finite, got NaN');
    const k = deserializeError(serializeError(new KlipError({ fn: 'f', arg: 'x', expected: 'y', got: () => 1 })));
    expect(k).toBeInstanceOf(KlipError);
    expect(k.message).toBe('f: x must be y, got a function');
    const t = new TypeError('bad');
    const e = deserializeError(serializeError(t));
    expect([e.name, e.message, e.stack]).toEqual(['TypeError', 'bad', t.stack]);
    expect(deserializeError(serializeError('oops')).message).toBe('oops');
  });
});
