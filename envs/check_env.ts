/**
 * The env checker (Gymnasium `gymnasium/utils/env_checker.py:77-240`): seeded determinism, spaces containing what
 * the env emits, order enforcement, action validation, transition tables and state save/restore.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import { createRng } from '../src/random/rng.js';
import type { Env, EnvState, StepResult } from './types.js';

/** Options of {@link checkEnv}. */
export interface CheckEnvOptions {
  /** Seed used for the determinism rollouts. @defaultValue 123 */
  seed?: number;
  /** Steps per determinism rollout. @defaultValue 200 */
  steps?: number;
  /** Step budget to reach the end of one episode (for the "step after the end" check). @defaultValue 100000 */
  maxEpisodeSteps?: number;
  /** Throw an `EnvError` listing every problem instead of returning the report. @defaultValue false */
  throwOnProblem?: boolean;
}

/** What {@link checkEnv} returns. */
export interface CheckEnvReport {
  /** True when no problem was found. */
  ok: boolean;
  /** One clear sentence per problem found. */
  problems: string[];
  /** Checks that could not be carried out (e.g. no episode ended within the budget). */
  warnings: string[];
}

type Rec = { obs: string; reward: number; terminated: boolean; truncated: boolean };

/** A typed array (an `ArrayBufferView` other than a `DataView`), readable by index. */
function isTypedArray(x: unknown): x is ArrayBufferView & ArrayLike<number | bigint> {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

function describe(x: unknown): string {
  if (isTypedArray(x)) return `[${Array.from(x).join(',')}]`;
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

function errName(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function checkTable(env: Env, problems: string[]): void {
  if (!('P' in env) || env.P === undefined) return;
  const P = env.P;
  const S = 'nStates' in env ? env.nStates : undefined;
  const A = 'nActions' in env ? env.nActions : undefined;
  if (
    typeof S !== 'number' ||
    typeof A !== 'number' ||
    !Number.isSafeInteger(S) ||
    !Number.isSafeInteger(A) ||
    S < 1 ||
    A < 1
  ) {
    problems.push(
      `transition table: nStates and nActions must be positive integers, got ${String(S)} and ${String(A)}`,
    );
    return;
  }
  const nS = S;
  const nA = A;
  if (env.observationSpace.kind === 'discrete' && env.observationSpace.n !== nS)
    problems.push(`transition table: nStates = ${nS} but the observation space is Discrete(${env.observationSpace.n})`);
  if (env.actionSpace.kind === 'discrete' && env.actionSpace.n !== nA)
    problems.push(`transition table: nActions = ${nA} but the action space is Discrete(${env.actionSpace.n})`);
  const rho = 'initialStateDistribution' in env ? env.initialStateDistribution : undefined;
  if (!(Array.isArray(rho) || isTypedArray(rho)) || rho.length !== nS)
    problems.push(
      `initialStateDistribution must have length nStates = ${nS}, got ${Array.isArray(rho) || isTypedArray(rho) ? rho.length : 'none'}`,
    );
  else {
    let sum = 0;
    for (let s = 0; s < nS; s++) {
      const p = Number(rho[s]);
      if (!(p >= 0)) problems.push(`initialStateDistribution[${s}] must be ≥ 0, got ${rho[s]}`);
      sum += p;
    }
    if (Math.abs(sum - 1) > 1e-9) problems.push(`initialStateDistribution must sum to 1, got ${sum}`);
  }
  if (!Array.isArray(P) || P.length !== nS) {
    problems.push(
      `transition table: P must have nStates = ${nS} rows, got ${Array.isArray(P) ? P.length : describe(P)}`,
    );
    return;
  }
  for (let s = 0; s < nS; s++) {
    const row: unknown = P[s];
    if (!Array.isArray(row) || row.length !== nA) {
      problems.push(`transition table: P[${s}] must list nActions = ${nA} actions`);
      continue;
    }
    for (let a = 0; a < nA; a++) {
      const list = row[a];
      if (!Array.isArray(list) || list.length === 0) {
        problems.push(`transition table: P[${s}][${a}] must be a non-empty list of transitions`);
        continue;
      }
      let sum = 0;
      for (const t of list) {
        if (!(t.prob >= 0 && t.prob <= 1))
          problems.push(`transition table: P[${s}][${a}] has prob ${t.prob} outside [0, 1]`);
        if (!Number.isInteger(t.next) || t.next < 0 || t.next >= nS)
          problems.push(`transition table: P[${s}][${a}] has next = ${t.next} outside [0, ${nS})`);
        if (typeof t.reward !== 'number' || !Number.isFinite(t.reward))
          problems.push(`transition table: P[${s}][${a}] has a non-finite reward ${t.reward}`);
        if (typeof t.terminated !== 'boolean')
          problems.push(`transition table: P[${s}][${a}] has terminated = ${describe(t.terminated)}, not a boolean`);
        sum += t.prob;
      }
      if (Math.abs(sum - 1) > 1e-9) problems.push(`transition table: P[${s}][${a}] probabilities sum to ${sum}, not 1`);
    }
  }
}

/**
 * Check an env against the contract and report every problem found.
 *
 * Checks: (1) spaces are Discrete/Box; (2) `step` before `reset` throws `EnvError`; (3) `reset({ seed })` twice gives
 * the same rollout (same observations, rewards and flags under the same actions), and every observation is in
 * `observationSpace`, rewards are finite numbers, flags are booleans; (4) stepping after an episode ended without a
 * reset throws `EnvError`; (5) out-of-range, non-integer and NaN actions throw `EnvError` (Discrete action spaces), as
 * do a wrong-length array, NaN entries and a string (Box action spaces);
 * (6) tabular envs: every P[s][a] sums to 1 with valid entries, ρ₀ sums to 1, sizes match the spaces;
 * (7) `getState`/`setState` through JSON resumes the same rollout; (8) `render()` is a string and `renderFrame()` an object.
 *
 * Pass a fresh env (or a factory): check (2) needs an env that was never reset.
 *
 * Source: Gymnasium `gymnasium/utils/env_checker.py:77-240` (`check_env`, `check_reset_seed_determinism`,
 * `check_step_determinism`); Gymnasium `tests/envs/test_envs.py:72-138`.
 * @param envOrFactory A fresh env, or a function returning one.
 * @param options `{ seed?, steps?, maxEpisodeSteps?, throwOnProblem? }`.
 * @returns `{ ok, problems, warnings }`.
 * @throws EnvError listing every problem when `throwOnProblem` is set and a problem was found.
 * @example
 * ```ts
 * const report = checkEnv(makeEnv('frozenlake4x4'));
 * if (!report.ok) console.log(report.problems.join('\n'));
 * ```
 */
export function checkEnv(envOrFactory: Env | (() => Env), options: CheckEnvOptions = {}): CheckEnvReport {
  const problems: string[] = [];
  const warnings: string[] = [];
  const env = typeof envOrFactory === 'function' ? envOrFactory() : envOrFactory;
  const seed = options.seed ?? 123;
  const steps = options.steps ?? 200;
  const budget = options.maxEpisodeSteps ?? 100_000;
  const finish = (): CheckEnvReport => {
    const report = { ok: problems.length === 0, problems, warnings };
    if (options.throwOnProblem && !report.ok) {
      throw new EnvError({
        fn: 'checkEnv',
        arg: 'env',
        expected: 'an env that passes every check',
        got: `${problems.length} problem(s)`,
        hint: problems.join('; '),
      });
    }
    return report;
  };

  // (1) spaces
  const os = env?.observationSpace;
  const as = env?.actionSpace;
  if (!os || (os.kind !== 'discrete' && os.kind !== 'box') || typeof os.contains !== 'function')
    problems.push('observationSpace must be a Discrete or Box space');
  if (!as || (as.kind !== 'discrete' && as.kind !== 'box') || typeof as.sample !== 'function')
    problems.push('actionSpace must be a Discrete or Box space');
  if (problems.length > 0 || typeof env.reset !== 'function' || typeof env.step !== 'function') {
    if (typeof env?.reset !== 'function' || typeof env?.step !== 'function')
      problems.push('env must have reset() and step() methods');
    return finish();
  }
  const actRng = createRng(`checkEnv/${seed}`);
  const sampleAction = (): unknown => as.sample(actRng);

  // (2) step before reset
  try {
    env.step(sampleAction());
    problems.push('step() before reset() must throw EnvError, but it returned normally');
  } catch (e) {
    if (!(e instanceof EnvError)) problems.push(`step() before reset() must throw EnvError, got ${errName(e)}`);
  }

  // (3) seeded determinism + spaces contain what the env emits
  const rollout = (label: string, actions: unknown[]): Rec[] | null => {
    const out: Rec[] = [];
    try {
      const r0 = env.reset({ seed });
      if (!os.contains(r0.obs))
        problems.push(`${label}: reset() returned an observation outside observationSpace: ${describe(r0.obs)}`);
      if (r0.info === null || typeof r0.info !== 'object')
        problems.push(`${label}: reset() info must be an object, got ${describe(r0.info)}`);
      out.push({ obs: describe(r0.obs), reward: 0, terminated: false, truncated: false });
      for (const a of actions) {
        const r: StepResult<unknown> = env.step(a);
        if (!os.contains(r.obs))
          problems.push(`${label}: step() returned an observation outside observationSpace: ${describe(r.obs)}`);
        if (typeof r.reward !== 'number' || !Number.isFinite(r.reward))
          problems.push(`${label}: step() reward must be a finite number, got ${describe(r.reward)}`);
        if (typeof r.terminated !== 'boolean' || typeof r.truncated !== 'boolean')
          problems.push(
            `${label}: step() terminated and truncated must be booleans, got ${describe(r.terminated)} and ${describe(r.truncated)}`,
          );
        if (r.info === null || typeof r.info !== 'object')
          problems.push(`${label}: step() info must be an object, got ${describe(r.info)}`);
        out.push({ obs: describe(r.obs), reward: r.reward, terminated: r.terminated, truncated: r.truncated });
        if (r.terminated || r.truncated) {
          const rr = env.reset();
          if (!os.contains(rr.obs))
            problems.push(`${label}: reset() returned an observation outside observationSpace: ${describe(rr.obs)}`);
          out.push({ obs: describe(rr.obs), reward: 0, terminated: false, truncated: false });
        }
      }
    } catch (e) {
      problems.push(`${label}: unexpected error during a rollout with valid actions: ${errName(e)}`);
      return null;
    }
    return out;
  };
  const actions = Array.from({ length: steps }, sampleAction);
  const a = rollout('determinism rollout 1', actions);
  const b = rollout('determinism rollout 2', actions);
  if (a && b) {
    const k = a.findIndex((x, i) => {
      const y = b[i];
      return (
        !y ||
        x.obs !== y.obs ||
        !Object.is(x.reward, y.reward) ||
        x.terminated !== y.terminated ||
        x.truncated !== y.truncated
      );
    });
    if (k >= 0 || a.length !== b.length) {
      problems.push(
        `determinism: two rollouts after reset({ seed: ${seed} }) with the same actions differ at record ${k >= 0 ? k : Math.min(a.length, b.length)} (${describe(a[k])} vs ${describe(b[k])})`,
      );
    }
  }

  // (4) step after the end without reset
  try {
    env.reset({ seed: seed + 1 });
    let ended = false;
    for (let t = 0; t < budget && !ended; t++) {
      const r = env.step(sampleAction());
      ended = r.terminated || r.truncated;
    }
    if (!ended)
      warnings.push(`no episode ended within ${budget} random steps; the "step after the end" check was skipped`);
    else {
      try {
        env.step(sampleAction());
        problems.push('step() after an episode ended (without reset) must throw EnvError, but it returned normally');
      } catch (e) {
        if (!(e instanceof EnvError))
          problems.push(`step() after an episode ended must throw EnvError, got ${errName(e)}`);
      }
    }
  } catch (e) {
    problems.push(`unexpected error while running an episode to its end: ${errName(e)}`);
  }

  // (5) invalid actions
  if (as.kind === 'discrete') {
    for (const bad of [as.n, -1, 0.5, Number.NaN, Infinity]) {
      try {
        env.reset({ seed });
        env.step(bad);
        problems.push(
          `step(${String(bad)}) with action space Discrete(${as.n}) must throw EnvError, but it returned normally`,
        );
      } catch (e) {
        if (!(e instanceof EnvError)) problems.push(`step(${String(bad)}) must throw EnvError, got ${errName(e)}`);
      }
    }
  }

  if (as.kind === 'box') {
    const bad: [string, unknown][] = [
      ['an array of the wrong length', new Array<number>(as.size + 1).fill(0)],
      ['NaN entries', new Array<number>(as.size).fill(Number.NaN)],
      ['a string', 'a'],
    ];
    for (const [what, action] of bad) {
      try {
        env.reset({ seed });
        env.step(action);
        problems.push(
          `step() with ${what} (action space Box of size ${as.size}) must throw EnvError, but it returned normally`,
        );
      } catch (e) {
        if (!(e instanceof EnvError)) problems.push(`step() with ${what} must throw EnvError, got ${errName(e)}`);
      }
    }
  }

  // (6) transition table
  checkTable(env, problems);

  // (7) getState / setState through JSON
  if (typeof env.getState === 'function' && typeof env.setState === 'function') {
    try {
      env.reset({ seed: seed + 2 });
      const run = (n: number): Rec[] => {
        const out: Rec[] = [];
        for (let t = 0; t < n; t++) {
          const r = env.step(actions[t % actions.length]);
          out.push({ obs: describe(r.obs), reward: r.reward, terminated: r.terminated, truncated: r.truncated });
          if (r.terminated || r.truncated) {
            out.push({ obs: describe(env.reset().obs), reward: 0, terminated: false, truncated: false });
          }
        }
        return out;
      };
      run(3);
      const saved = JSON.parse(JSON.stringify(env.getState())) as EnvState;
      const first = JSON.stringify(run(Math.min(steps, 50)));
      env.setState(saved);
      const second = JSON.stringify(run(Math.min(steps, 50)));
      if (first !== second)
        problems.push('getState()/setState(): after restoring a JSON round-tripped state the rollout differs');
    } catch (e) {
      problems.push(`getState()/setState(): unexpected error: ${errName(e)}`);
    }
  } else {
    problems.push('env must have getState() and setState()');
  }

  // (8) rendering
  try {
    if (typeof env.render() !== 'string') problems.push('render() must return a string');
    const f = env.renderFrame();
    if (f === null || typeof f !== 'object' || typeof (f as { kind?: unknown }).kind !== 'string')
      problems.push('renderFrame() must return an object with a string kind');
  } catch (e) {
    problems.push(`rendering: unexpected error: ${errName(e)}`);
  }
  return finish();
}
