/**
 * `klip eval RUN_DIR`: the evaluation of a saved run (SB3 `evaluate_policy` on a loaded model): K episodes of the
 * greedy (or sampled) policy from `checkpoint.json` or `best.json` on a fresh env copy, beside the exact return of
 * the greedy policy and the optimum where the world has a table. Node only.
 * @module
 */
import { resolve } from 'node:path';
import { createRng } from '../../random/rng.js';
import { evaluatePolicy, greedyReturn } from '../../training/evaluate.js';
import { Trainer } from '../../training/trainer.js';
import { finiteHorizonValue } from '../../../envs/planning.js';
import { isTabularEnv } from '../../../envs/registry.js';
import type { Env } from '../../../envs/types.js';
import { openRun } from '../run_folder.js';
import { recordedWorld } from './train.js';
import { asFlagError, type CliIo, fmt } from './shared.js';

/** Options of `klip eval`. */
export interface EvalOpts {
  episodes: number;
  seed: number | string;
  best?: boolean;
  stochastic?: boolean;
  json?: boolean;
}

/** Run `klip eval` with parsed options; returns the exit code. */
export async function runEval(dirArg: string, o: EvalOpts, io: CliIo): Promise<number> {
  const dir = resolve(io.cwd, dirArg);
  let trainer: Trainer;
  try {
    const run = await openRun(dir);
    const ckpt = o.best ? await run.readBest() : await run.readCheckpoint();
    const world = await recordedWorld(run, ckpt.config.env, 'RUN_DIR', io.cwd);
    trainer = await Trainer.restore(ckpt, world ? { env: world } : {});
  } catch (e) {
    throw asFlagError(o.best ? '--best' : 'RUN_DIR', e);
  }
  try {
    const env: Env = trainer.env.envs[0]!;
    const res = evaluatePolicy({
      policy: trainer.policy,
      env,
      episodes: o.episodes,
      deterministic: !o.stochastic,
      rng: createRng(o.seed).fork('eval'),
      maxSteps: trainer.exactOptimum?.horizon ?? 1000,
    });
    const snapshot = await trainer.policySnapshot();
    const horizon = trainer.exactOptimum?.horizon;
    let exact: { greedy: number; policy: number; optimal: number } | null = null;
    if (snapshot && horizon !== undefined && isTabularEnv(env as Env<number, number>)) {
      const model = env as Env<number, number> & Parameters<typeof greedyReturn>[0];
      const probs = Float64Array.from(snapshot.probs.flat());
      exact = {
        greedy: greedyReturn(model, probs, horizon),
        policy: finiteHorizonValue(model, { horizon, policy: probs }).startValue,
        optimal: trainer.exactOptimum!.optimalReturn,
      };
    }
    const out = {
      run: dirArg,
      checkpoint: o.best ? 'best.json' : 'checkpoint.json',
      update: trainer.update,
      episodes: o.episodes,
      deterministic: !o.stochastic,
      meanReturn: res.meanReturn,
      stdReturn: res.stdReturn,
      meanLength: res.meanLength,
      exact,
    };
    if (o.json) {
      io.stdout.write(`${JSON.stringify(out)}\n`);
      return 0;
    }
    const lines = [
      `${dirArg} (${out.checkpoint}, update ${out.update}): ${o.episodes} ${o.stochastic ? 'sampled' : 'greedy'} episodes`,
      `  mean return ± std     ${fmt(res.meanReturn)} ± ${fmt(res.stdReturn)}`,
      `  mean episode length   ${fmt(res.meanLength)}`,
    ];
    if (exact) {
      lines.push(
        `  greedy return (exact) ${fmt(exact.greedy)}`,
        `  policy return (exact) ${fmt(exact.policy)}`,
        `  optimal return        ${fmt(exact.optimal)}`,
      );
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    trainer.dispose();
  }
}
