/**
 * Where a trainer's time goes: cumulative wall seconds per phase of `Trainer.step`, the per-phase costs the speed
 * benchmark prints (SB3 logs the same split as `time/` entries; here it is kept out of the metric stream, which
 * must be identical across runs of one seed).
 * @module
 */

/** Cumulative wall seconds per phase of `Trainer.step` since the trainer was created (not saved in checkpoints). */
export interface PhaseTimes {
  /** Collecting numEnvs × nSteps env steps (acting, env stepping, a reference penalty in the reward). */
  rollout: number;
  /** The rollout buffer: the forward pass over the batch for log π_rollout, V and the bootstrap values, then GAE. */
  advantages: number;
  /** The optimizer steps (epochs × minibatches, early stopping, the reference term in the loss). */
  update: number;
  /** The KL of the update, the exact per-state metrics (policy return, visitation KL), evaluation and the record. */
  metrics: number;
  /** The update listeners (`Trainer.onUpdate`), where callers write metrics and checkpoints. */
  listeners: number;
  /** Updates timed. */
  updates: number;
}

/** A zeroed {@link PhaseTimes}. */
export function emptyPhaseTimes(): PhaseTimes {
  return { rollout: 0, advantages: 0, update: 0, metrics: 0, listeners: 0, updates: 0 };
}

/** Milliseconds from `performance.now()` (or `Date.now()` where there is none). */
export function nowMs(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}

/**
 * A stopwatch that charges the time since its last lap to a phase: `lap('rollout')` adds the seconds since the
 * previous lap (or since construction) to `times.rollout`.
 */
export class PhaseClock {
  #last = nowMs();

  /** @param times The cumulative record the laps are added to. */
  constructor(private readonly times: PhaseTimes) {}

  /** Charge the time since the last lap to `phase`; returns the current time in ms. */
  lap(phase: Exclude<keyof PhaseTimes, 'updates'>): number {
    const t = nowMs();
    this.times[phase] += (t - this.#last) / 1000;
    this.#last = t;
    return t;
  }
}
