/**
 * Worker thread of `npm run bench:learn`: trains the configs the main thread sends and posts back what the learning
 * table needs (the final exact return and optimum, and the controller verdict). One tfjs per worker.
 */
import { parentPort } from 'node:worker_threads';
import { controllerVerdict, type ControllerVerdict } from '../src/training/controller_verdict.js';
import { hasKlTerm, type PpoConfigInput } from '../src/training/config.js';
import { Trainer } from '../src/training/trainer.js';

/** A run request. */
export interface LearnJob {
  /** Position in the job list. */
  pos: number;
  /** The config handed to `Trainer.create`. */
  config: PpoConfigInput;
}

/** What one run reports. */
export interface LearnRun {
  /** Position in the job list. */
  pos: number;
  /** Env id. */
  env: string;
  /** Seed. */
  seed: number | string;
  /** Env steps trained. */
  steps: number;
  /** Exact return of the final policy (charts/policy_return), null without an exact evaluator. */
  policyReturn: number | null;
  /** Exact optimum (charts/optimal_return). */
  optimalReturn: number | null;
  /** The controller verdict of the run. */
  verdict: ControllerVerdict;
  /** Wall time of the run, seconds. */
  wallTimeSeconds: number;
}

/** Train one config to the end and summarize it. */
export async function runLearnJob(job: LearnJob): Promise<LearnRun> {
  const t0 = performance.now();
  const trainer = await Trainer.create(job.config);
  try {
    while (!trainer.done) await trainer.step();
    const last = trainer.history.at(-1)!;
    const cfg = trainer.config;
    return {
      pos: job.pos,
      env: cfg.env,
      seed: cfg.seed,
      steps: trainer.globalStep,
      policyReturn: last['charts/policy_return'] ?? null,
      optimalReturn: last['charts/optimal_return'] ?? null,
      verdict: controllerVerdict(trainer.history, cfg.klController, hasKlTerm(cfg.objective)),
      wallTimeSeconds: (performance.now() - t0) / 1000,
    };
  } finally {
    trainer.dispose();
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (job: LearnJob) => {
    runLearnJob(job).then(
      (run) => port.postMessage({ type: 'done', run }),
      (e: unknown) =>
        port.postMessage({ type: 'error', pos: job.pos, message: e instanceof Error ? e.message : String(e) }),
    );
  });
  port.postMessage({ type: 'ready' });
}
