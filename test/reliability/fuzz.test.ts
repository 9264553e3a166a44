/**
 * Fuzzing of the public API with fast-check: every call with arbitrary JSON-ish input either returns a
 * well-formed result (finite numbers where finite input was given, the right lengths) or throws a `KlipError`.
 * A `TypeError`, `RangeError` or any other error escaping from inside the library fails the property, and so does
 * NaN returned from finite input. Tensor properties also check that no tensor leaks.
 *
 * Seeded (`fc.configureGlobal`) so CI failures reproduce; numRuns are modest to keep the file fast.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Categorical,
  KlipError,
  Trainer,
  constantSchedule,
  createEarlyStopping,
  createKlController,
  createRng,
  crossEntropyProbs,
  discountedReturns,
  distillationLoss,
  entropyProbs,
  evaluateSchedule,
  gae,
  groupRelativeAdvantages,
  jsProbs,
  klEstimate,
  klLossPenalty,
  klProbs,
  klRegularizedOptimum,
  klRewardPenalty,
  linearSchedule,
  normalizeAdvantages,
  resolvePpoConfig,
  softmax,
  tvProbs,
  validateCheckpoint,
  type Checkpoint,
} from '../../src/index.js';
import {
  BernoulliBandit,
  ContextualBandit,
  GaussianBandit,
  Gridworld,
  TokenBandit,
  makeEnv,
  type Env,
} from '../../envs/index.js';
import { setBackend } from '../../src/backend/backend.js';
import { tinyCheckpoint } from '../helpers/checkpoint.js';

fc.configureGlobal({ seed: 20_240_610, numRuns: 150 });

// ---------------------------------------------------------------------------------------------------------------
// The property: a well-formed result or a KlipError, nothing else.

/** Run `call`; a KlipError is a pass (its message must follow "fn: arg must be …"); any other throw fails. */
function resultOrKlipError<T>(call: () => T, check: (r: T) => void): void {
  let r: T;
  try {
    r = call();
  } catch (e) {
    if (!(e instanceof KlipError))
      throw new Error(`escaped a non-KlipError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    expect(e.message.startsWith(`${e.fn}: ${e.arg} must be `), e.message).toBe(true);
    return;
  }
  check(r);
}

async function resultOrKlipErrorAsync<T>(call: () => Promise<T>, check: (r: T) => void | Promise<void>): Promise<void> {
  let r: T;
  try {
    r = await call();
  } catch (e) {
    if (!(e instanceof KlipError))
      throw new Error(`escaped a non-KlipError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    expect(e.message.startsWith(`${e.fn}: ${e.arg} must be `), e.message).toBe(true);
    return;
  }
  await check(r);
}

const isFiniteArray = (x: unknown): x is ArrayLike<number> =>
  x !== null &&
  typeof x === 'object' &&
  typeof (x as { length?: unknown }).length === 'number' &&
  Array.from(x as ArrayLike<unknown>).every((v) => typeof v === 'number' && Number.isFinite(v));

const expectFiniteArray = (x: ArrayLike<number>, length: number): void => {
  expect(x.length).toBe(length);
  for (let i = 0; i < x.length; i++) expect(Number.isFinite(x[i]), `entry ${i} = ${x[i]}`).toBe(true);
};

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries.

/** Doubles with the awkward values over-represented. */
const dbl = fc.oneof(
  { weight: 3, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, 1, 1e-300, 1e300, -1e300) },
);
/** Anything a JSON-ish API might be handed (no Map/Set/boxed values; a few typed arrays). */
const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.anything({ maxDepth: 2, maxKeys: 4, withTypedArray: true, withSparseArray: true, withNullPrototype: false }),
  fc.constantFrom(undefined, null, Number.NaN, Infinity, -Infinity, -0, '', [], {}, [[]], () => 1),
);
const numLike = fc.oneof({ weight: 4, arbitrary: dbl }, { weight: 1, arbitrary: junk });
const dblArray = (maxLength = 6): fc.Arbitrary<number[]> => fc.array(dbl, { minLength: 0, maxLength });
/** Valid probability vectors (normalised non-negative weights), sometimes with zeros. */
const probVec = (n?: number): fc.Arbitrary<number[]> =>
  fc
    .array(
      fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(0)),
      n === undefined ? { minLength: 1, maxLength: 6 } : { minLength: n, maxLength: n },
    )
    .map((w) => {
      const s = w.reduce((a, b) => a + b, 0);
      return s > 0 ? w.map((x) => x / s) : w.map(() => 1 / w.length);
    });
/** A probability-ish input: valid vectors, arrays of doubles, nested arrays, junk. */
const probLike = fc.oneof(
  { weight: 3, arbitrary: probVec() },
  { weight: 2, arbitrary: dblArray() },
  { weight: 1, arbitrary: fc.array(dblArray(3), { maxLength: 3 }) },
  { weight: 1, arbitrary: junk },
);

/** Flatten nested arrays of any depth; a non-array becomes [x] (so it is never "all finite" unless a number). */
const flat = (x: unknown): unknown[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);

const isProbVector = (p: unknown): p is number[] => {
  if (!isFiniteArray(p) || p.length === 0) return false;
  const a = Array.from(p);
  return a.every((v) => v >= 0) && Math.abs(a.reduce((x, y) => x + y, 0) - 1) <= 1e-6;
};

// ---------------------------------------------------------------------------------------------------------------

describe('fuzz: plain-number KL and softmax', () => {
  it('klProbs / crossEntropyProbs: ≥ 0 (Infinity only where q has a zero under p), never NaN', () => {
    fc.assert(
      fc.property(probLike, probLike, (p, q) => {
        for (const f of [klProbs, crossEntropyProbs]) {
          resultOrKlipError(
            () => f(p as number[], q as number[]),
            (r) => {
              expect(isProbVector(p) && isProbVector(q)).toBe(true); // invalid input must have thrown
              expect(Number.isNaN(r)).toBe(false);
              expect(r).toBeGreaterThanOrEqual(0);
              const zeroUnderP = (p as number[]).some((pi, i) => pi > 0 && (q as number[])[i] === 0);
              if (!zeroUnderP) expect(Number.isFinite(r)).toBe(true);
            },
          );
        }
      }),
    );
  });

  it('jsProbs ∈ [0, ln 2], tvProbs ∈ [0, 1], entropyProbs ∈ [0, ln A]', () => {
    fc.assert(
      fc.property(probLike, probLike, (p, q) => {
        resultOrKlipError(
          () => jsProbs(p as number[], q as number[]),
          (r) => {
            expect(r).toBeGreaterThanOrEqual(0);
            expect(r).toBeLessThanOrEqual(Math.LN2);
          },
        );
        resultOrKlipError(
          () => tvProbs(p as number[], q as number[]),
          (r) => {
            expect(r).toBeGreaterThanOrEqual(0);
            expect(r).toBeLessThanOrEqual(1);
          },
        );
        resultOrKlipError(
          () => entropyProbs(p as number[]),
          (r) => {
            expect(isProbVector(p)).toBe(true);
            expect(r).toBeGreaterThanOrEqual(0);
            expect(r).toBeLessThanOrEqual(Math.log((p as number[]).length) + 1e-12);
          },
        );
      }),
    );
  });

  it('softmax: finite non-negative entries summing to 1, same length', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          dblArray(),
          fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 8 }),
          junk,
        ),
        (x) => {
          resultOrKlipError(
            () => softmax(x as number[]),
            (r) => {
              expectFiniteArray(r, (x as number[]).length);
              expect(Math.abs(r.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
              for (const v of r) expect(v).toBeGreaterThanOrEqual(0);
            },
          );
        },
      ),
    );
  });

  it('klEstimate (arrays): same length; finite for finite input; k2/k3/abs/mse ≥ 0', () => {
    const est = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom('k1', 'k2', 'k3', 'abs', 'mse') },
      { weight: 1, arbitrary: junk },
    );
    fc.assert(
      fc.property(est, fc.oneof(dblArray(), junk), fc.oneof(dblArray(), junk), (estimator, lp, rp) => {
        resultOrKlipError(
          () => klEstimate({ estimator, logProb: lp, refLogProb: rp } as never) as unknown as Float64Array,
          (r) => {
            expect(r.length).toBe((lp as number[]).length);
            for (let i = 0; i < r.length; i++) {
              expect(Number.isNaN(r[i]), `${String(estimator)} at ${(lp as number[])[i]}, ${(rp as number[])[i]}`).toBe(
                false,
              );
              if (estimator !== 'k1') expect(r[i]).toBeGreaterThanOrEqual(0);
            }
          },
        );
      }),
    );
  });
});

describe('fuzz: controllers, early stopping and schedules', () => {
  const kind = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('fixed', 'adaptive', 'proportional', 'rllib') },
    { weight: 1, arbitrary: junk },
  );
  const ctlConfig = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        {
          kind,
          beta: numLike,
          target: numLike,
          factor: numLike,
          band: numLike,
          horizon: numLike,
          betaMin: numLike,
          betaMax: numLike,
        },
        { requiredKeys: ['kind'] },
      ),
    },
    { weight: 1, arbitrary: junk },
  );
  const stats = fc.oneof(
    fc.record({ kl: numLike, nSteps: fc.oneof(fc.integer({ min: -5, max: 5000 }), numLike) }),
    junk,
  );

  it('createKlController + update: β stays finite and ≥ 0, within [betaMin, betaMax]', () => {
    fc.assert(
      fc.property(ctlConfig, fc.array(stats, { maxLength: 6 }), (config, observations) => {
        resultOrKlipError(
          () => createKlController(config as never),
          (ctl) => {
            let s = ctl.init();
            for (const o of observations) {
              resultOrKlipError(
                () => ctl.update(s, o as never),
                (next) => {
                  s = next;
                },
              );
              const b = ctl.coef(s);
              expect(Number.isFinite(b)).toBe(true);
              expect(b).toBeGreaterThanOrEqual(0);
              if (ctl.config.betaMin !== undefined) expect(b).toBeGreaterThanOrEqual(ctl.config.betaMin);
              if (ctl.config.betaMax !== undefined) expect(b).toBeLessThanOrEqual(ctl.config.betaMax);
            }
            resultOrKlipError(
              () => ctl.coef(junkState as never),
              () => undefined,
            );
          },
        );
      }),
    );
  });
  const junkState = { beta: -1 };

  it('createEarlyStopping + shouldStop: a boolean equal to kl > factor·targetKl', () => {
    const cfg = fc.oneof(
      fc.record(
        {
          targetKl: numLike,
          statistic: fc.oneof(fc.constantFrom('k1', 'k3', 'exact'), junk),
          factor: numLike,
          granularity: fc.oneof(fc.constantFrom('minibatch', 'epoch'), junk),
        },
        { requiredKeys: ['targetKl'] },
      ),
      junk,
    );
    fc.assert(
      fc.property(cfg, numLike, (config, kl) => {
        resultOrKlipError(
          () => createEarlyStopping(config as never),
          (rule) => {
            expect(Number.isFinite(rule.threshold)).toBe(true);
            resultOrKlipError(
              () => rule.shouldStop(kl as number),
              (stop) => {
                expect(typeof stop).toBe('boolean');
                expect(stop).toBe((kl as number) > rule.threshold);
              },
            );
          },
        );
      }),
    );
  });

  it('schedules: evaluateSchedule / linearSchedule / constantSchedule return finite numbers', () => {
    fc.assert(
      fc.property(numLike, numLike, numLike, (a, b, progress) => {
        resultOrKlipError(
          () => linearSchedule(a as number, b as number),
          (f) => {
            resultOrKlipError(
              () => evaluateSchedule(f, progress as number, 'lr'),
              (v) => {
                expect(Number.isFinite(v)).toBe(true);
                const lo = Math.min(a as number, b as number);
                const hi = Math.max(a as number, b as number);
                // within [lo, hi] up to the rounding of end + (start − end)·p: a few ulps of max(|start|, |end|)
                const tol = 1e-15 * Math.max(Math.abs(lo), Math.abs(hi)) + 1e-320;
                expect(v).toBeGreaterThanOrEqual(lo - tol);
                expect(v).toBeLessThanOrEqual(hi + tol);
              },
            );
          },
        );
        resultOrKlipError(
          () => constantSchedule(a as number),
          (f) => expect(f(0.5)).toBe(a),
        );
        resultOrKlipError(
          () => evaluateSchedule(a as number, progress as number, 'clipEpsilon'),
          (v) => {
            expect(Number.isFinite(v)).toBe(true);
            expect(v).toBe(typeof a === 'function' ? (a as (p: number) => number)(progress as number) : a);
          },
        );
        resultOrKlipError(
          () => evaluateSchedule((() => b) as never, progress as number, 'entCoef'),
          (v) => expect(Number.isFinite(v)).toBe(true),
        );
      }),
    );
  });
});

describe('fuzz: advantages and the KL-regularised optimum', () => {
  const flags = (n: number): fc.Arbitrary<unknown> =>
    fc.oneof(
      { weight: 4, arbitrary: fc.array(fc.oneof(fc.constantFrom(0, 1, true, false)), { minLength: n, maxLength: n }) },
      { weight: 1, arbitrary: fc.array(numLike, { maxLength: n + 1 }) },
      { weight: 1, arbitrary: junk },
    );
  const sized = (n: number): fc.Arbitrary<unknown> =>
    fc.oneof(
      { weight: 4, arbitrary: fc.array(dbl, { minLength: n, maxLength: n }) },
      { weight: 1, arbitrary: dblArray(n + 1) },
      { weight: 1, arbitrary: junk },
    );
  const rollout = fc
    .record({ T: fc.integer({ min: 1, max: 4 }), N: fc.integer({ min: 1, max: 3 }) })
    .chain(({ T, N }) =>
      fc.record({
        rewards: sized(T * N),
        values: sized(T * N),
        terminated: flags(T * N),
        truncated: flags(T * N),
        bootstrapValues: sized(T * N),
        gamma: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), numLike),
        lambda: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), numLike),
        numEnvs: fc.oneof(fc.constant(N), numLike, fc.constant(undefined)),
      }),
    );

  it('gae and discountedReturns: T·N finite entries from finite input', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 6, arbitrary: rollout }, { weight: 1, arbitrary: junk }), (args) => {
        const a = args as { rewards: unknown[] };
        resultOrKlipError(
          () => gae(args as never),
          (r) => {
            expectFiniteArray(r.advantages, a.rewards.length);
            expectFiniteArray(r.returns, a.rewards.length);
          },
        );
        resultOrKlipError(
          () => discountedReturns(args as never),
          (r) => expectFiniteArray(r, a.rewards.length),
        );
      }),
    );
  });

  it('normalizeAdvantages / groupRelativeAdvantages: same length, finite, mean ≈ 0', () => {
    const opts = fc.oneof(
      fc.record(
        {
          groupSize: fc.oneof(fc.integer({ min: 1, max: 4 }), numLike),
          scale: fc.oneof(fc.constantFrom('group', 'batch', 'none'), junk),
          eps: numLike,
        },
        { requiredKeys: ['groupSize'] },
      ),
      junk,
    );
    fc.assert(
      fc.property(
        fc.oneof(dblArray(8), junk),
        opts,
        fc.oneof(fc.constant(undefined), fc.record({ eps: numLike })),
        (adv, gOpts, nOpts) => {
          resultOrKlipError(
            () => normalizeAdvantages(adv as number[], nOpts as never),
            (r) => {
              expectFiniteArray(r, (adv as number[]).length);
            },
          );
          resultOrKlipError(
            () => groupRelativeAdvantages(adv as number[], gOpts as never),
            (r) => {
              expectFiniteArray(r, (adv as number[]).length);
              const g = (gOpts as { groupSize: number }).groupSize;
              for (let i = 0; i < r.length; i += g) {
                const m = Array.from(r.slice(i, i + g)).reduce((x, y) => x + y, 0) / g;
                expect(Math.abs(m)).toBeLessThan(1e-6 * (1 + Math.max(...Array.from(r, Math.abs))));
              }
            },
          );
        },
      ),
    );
  });

  it('klRegularizedOptimum: a probability vector with finite value, reward and KL', () => {
    fc.assert(
      fc.property(probLike, fc.oneof(dblArray(), junk), numLike, (piRef, rewards, beta) => {
        resultOrKlipError(
          () => klRegularizedOptimum(piRef as number[], rewards as number[], beta as number),
          (r) => {
            expect(isProbVector(Array.from(r.probs))).toBe(true);
            expect(r.probs.length).toBe((piRef as number[]).length);
            for (const v of [r.value, r.expectedReward, r.kl]) expect(Number.isNaN(v), String(v)).toBe(false);
            // J* lies in [E_ref[r], max r] and KL(π*‖π_ref) ≤ log(1/min π_ref): finite unless |r| is near the float range.
            if (Math.max(...Array.from(rewards as number[], Math.abs)) < 1e300) {
              for (const v of [r.value, r.expectedReward, r.kl]) expect(Number.isFinite(v), String(v)).toBe(true);
            }
          },
        );
      }),
    );
    // Valid inputs (rare above): Gibbs' variational principle (Donsker–Varadhan) J* = β·log E_ref[exp(r/β)]
    // = E_π*[r] − β·KL(π*‖π_ref), and J* ≥ J(π_ref) = E_ref[r] (Jensen). klRegularizedOptimum gets J* from log Z and
    // the KL from π*: two paths that agree only if both are right.
    const validCase = fc
      .integer({ min: 1, max: 6 })
      .chain((n) =>
        fc.tuple(probVec(n), fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: n, maxLength: n })),
      );
    fc.assert(
      fc.property(validCase, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), ([piRef, rewards], beta) => {
        const r = klRegularizedOptimum(piRef, rewards, beta);
        const tol = 1e-9 * (1 + Math.max(...rewards.map(Math.abs)) + beta);
        expect(Math.abs(r.value - (r.expectedReward - beta * r.kl)), 'J* = E[r] − β·KL').toBeLessThan(tol);
        const eRef = piRef.reduce((s, p, i) => s + p * rewards[i]!, 0);
        expect(r.value, 'J* ≥ E_ref[r]').toBeGreaterThanOrEqual(eRef - tol);
      }),
    );
  });
});

describe('fuzz: tensor functions (no leaks)', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });
  /** Build a tensor from a fuzzed nested array when it is rectangular numeric, else pass the raw value. */
  const tensorOr = (x: unknown): unknown => {
    try {
      if (Array.isArray(x) && x.length > 0) return tf.tensor(x as number[]);
    } catch {
      // not rectangular: pass the raw value so the library has to reject it
    }
    return x;
  };
  const matrix = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({ b: fc.integer({ min: 1, max: 3 }), t: fc.integer({ min: 1, max: 3 }) })
        .chain(({ b, t }) => fc.array(fc.array(dbl, { minLength: t, maxLength: t }), { minLength: b, maxLength: b })),
    },
    { weight: 1, arbitrary: dblArray(4) },
    { weight: 1, arbitrary: junk },
  );
  const cube = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.array(
        fc.array(fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 3, maxLength: 3 }), {
          minLength: 2,
          maxLength: 2,
        }),
        { minLength: 2, maxLength: 2 },
      ),
    },
    { weight: 1, arbitrary: matrix },
  );

  /** Run `body` with fresh tensors from `make`; dispose everything; numTensors must not change. */
  function noLeak(body: (track: (t: unknown) => unknown) => void): void {
    const before = tf.memory().numTensors;
    const owned: tf.Tensor[] = [];
    const track = (x: unknown): unknown => {
      const t = tensorOr(x);
      if (t instanceof tf.Tensor) owned.push(t);
      return t;
    };
    try {
      body(track);
    } finally {
      tf.dispose(owned);
    }
    expect(tf.memory().numTensors).toBe(before);
  }
  const finiteData = (t: tf.Tensor): boolean => Array.from(t.dataSync()).every(Number.isFinite);

  it('klEstimate (tensors): same shape, disposes nothing of the caller, leaks nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom('k1', 'k2', 'k3', 'abs', 'mse'), matrix, matrix, (estimator, a, b) => {
        noLeak((track) => {
          const lp = track(a);
          const rp = track(b);
          resultOrKlipError(
            () => klEstimate({ estimator, logProb: lp, refLogProb: rp } as never) as tf.Tensor | Float64Array,
            (r) => {
              if (!(r instanceof tf.Tensor)) {
                // both were plain arrays (empty ones are not turned into tensors)
                expect(r.length).toBe((lp as number[]).length);
                return;
              }
              try {
                expect(r.shape).toEqual((lp as tf.Tensor).shape);
              } finally {
                r.dispose();
              }
            },
          );
        });
      }),
      { numRuns: 100 },
    );
  });

  it('klRewardPenalty / klLossPenalty: [B, T] results, finite for finite input', () => {
    const est = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('k1', 'k3', 'abs', 'mse', 'full') },
      { weight: 1, arbitrary: junk },
    );
    fc.assert(
      fc.property(
        est,
        matrix,
        matrix,
        fc.oneof(dblArray(3), junk),
        numLike,
        cube,
        cube,
        fc.option(matrix),
        (estimator, a, b, scores, beta, la, lb, mask) => {
          noLeak((track) => {
            const lp = track(a);
            const rp = track(b);
            const m = mask === null ? undefined : track(mask);
            const fa = flat(a);
            const fb = flat(b);
            const finiteIn = isFiniteArray(fa) && isFiniteArray(fb) && isFiniteArray(scores);
            resultOrKlipError(
              () =>
                klRewardPenalty({
                  estimator,
                  logProb: lp,
                  refLogProb: rp,
                  scores,
                  beta,
                  logits: track(la),
                  refLogits: track(lb),
                  mask: m,
                } as never),
              (r) => {
                try {
                  expect(r.rewards.shape).toEqual(r.kl.shape);
                  expect(r.rewards.rank).toBe(2);
                  if (finiteIn && estimator !== 'full')
                    expect(Array.from(r.rewards.dataSync()).some(Number.isNaN)).toBe(false);
                } finally {
                  tf.dispose([r.rewards, r.kl]);
                }
              },
            );
            resultOrKlipError(
              () => klLossPenalty({ logProb: lp, refLogProb: rp, beta, mask: m } as never),
              (r) => {
                try {
                  expect(r.loss.rank).toBe(0);
                  if (finiteIn && [...fa, ...fb].every((v) => Math.abs(v) < 20)) {
                    expect(finiteData(r.loss)).toBe(true);
                  }
                } finally {
                  tf.dispose([r.loss, r.klMean]);
                }
              },
            );
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('distillationLoss: scalar loss, finite and ≥ 0 for finite logits', () => {
    const kind = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('forward', 'reverse', 'jsd') },
      { weight: 1, arbitrary: junk },
    );
    fc.assert(
      fc.property(kind, cube, cube, fc.option(numLike), fc.option(numLike), (k, s, t, beta, temperature) => {
        noLeak((track) => {
          const args: Record<string, unknown> = { kind: k, studentLogits: track(s), teacherLogits: track(t) };
          if (beta !== null) args.beta = beta;
          if (temperature !== null) args.temperature = temperature;
          resultOrKlipError(
            () => distillationLoss(args as never),
            (r) => {
              try {
                expect(r.loss.rank).toBe(0);
                if (isFiniteArray(flat(s)) && isFiniteArray(flat(t))) {
                  const v = r.loss.dataSync()[0]!;
                  expect(Number.isFinite(v), String(v)).toBe(true);
                  expect(v).toBeGreaterThanOrEqual(-1e-5);
                }
              } finally {
                tf.dispose([r.loss, r.divergence]);
              }
            },
          );
        });
      }),
      { numRuns: 100 },
    );
  });

  it('Categorical.fromProbs / fromLogits: valid arrays give finite probabilities summing to 1', () => {
    const params = fc.oneof(probLike, matrix);
    fc.assert(
      fc.property(params, params, (p, l) => {
        noLeak(() => {
          resultOrKlipError(
            () => Categorical.fromProbs(p as number[]),
            (d) => {
              const probs = tf.tidy(() => d.probs());
              try {
                expect(finiteData(probs)).toBe(true);
              } finally {
                probs.dispose();
              }
            },
          );
          resultOrKlipError(
            () => Categorical.fromLogits(l as number[]),
            (d) => {
              const [probs, h] = tf.tidy(() => [d.probs(), d.entropy()]);
              try {
                const v = probs.dataSync();
                expect(Array.from(v).every((x) => x >= 0 && x <= 1 + 1e-6)).toBe(true);
                expect(Array.from(h.dataSync()).some(Number.isNaN)).toBe(false);
              } finally {
                tf.dispose([probs, h]);
              }
            },
          );
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('fuzz: environments', () => {
  const cell = fc.constantFrom('S', 'F', '.', 'H', 'G', 'C', 'W', 'x', ' ', '');
  const map = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ r: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 1, max: 4 }) }).chain(({ r, c }) =>
        fc.array(
          fc.array(cell, { minLength: c, maxLength: c }).map((x) => x.join('')),
          { minLength: r, maxLength: r },
        ),
      ),
    },
    { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 }) },
    { weight: 1, arbitrary: junk },
  );
  const gridOpts = fc.oneof(
    fc.record(
      { slippery: fc.oneof(fc.boolean(), junk), slipProbability: numLike, stepReward: numLike },
      { requiredKeys: [] },
    ),
    junk,
  );
  const action = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -1, max: 5 }) }, { weight: 1, arbitrary: numLike });

  /** Step an env with fuzzed actions before and after reset; every result must be well formed. */
  function drive(env: Env<unknown, unknown>, actions: unknown[], seed: unknown): void {
    resultOrKlipError(
      () => env.step(actions[0] as never),
      () => {
        throw new Error('step() before reset() must throw');
      },
    );
    resultOrKlipError(
      () => env.reset({ seed } as never),
      (r) => expect(env.observationSpace.contains(r.obs), String(r.obs)).toBe(true),
    );
    for (const a of actions) {
      resultOrKlipError(
        () => env.step(a as never),
        (r) => {
          expect(Number.isFinite(r.reward), String(r.reward)).toBe(true);
          expect(typeof r.terminated).toBe('boolean');
          expect(typeof r.truncated).toBe('boolean');
          expect(env.observationSpace.contains(r.obs)).toBe(true);
          if (r.terminated || r.truncated) env.reset();
        },
      );
    }
  }

  it('Gridworld from fuzzed maps and options; step with fuzzed actions', () => {
    fc.assert(
      fc.property(
        map,
        gridOpts,
        fc.array(action, { minLength: 1, maxLength: 6 }),
        fc.oneof(fc.nat(), numLike),
        (lines, opts, actions, seed) => {
          resultOrKlipError(
            () => new Gridworld(lines as string[], opts as never),
            (env) => {
              expect(env.nStates).toBe((lines as string[]).length * (lines as string[])[0]!.length);
              drive(env as unknown as Env<unknown, unknown>, actions, seed);
            },
          );
        },
      ),
    );
  });

  it('bandits (Bernoulli, Gaussian, Contextual, Token) from fuzzed options', () => {
    const opts = fc.oneof(
      fc.dictionary(
        fc.constantFrom(
          'probs',
          'means',
          'stds',
          'contextProbs',
          'reward',
          'std',
          'vocabSize',
          'length',
          'target',
          'pattern',
          'eos',
          'lengthPenalty',
          'reference',
        ),
        fc.oneof(
          probLike,
          fc.array(probVec(2), { minLength: 1, maxLength: 3 }),
          numLike,
          fc.integer({ min: 0, max: 4 }),
          fc.constantFrom('bernoulli', 'gaussian', 'count', 'pattern', 'length-penalized', 'uniform'),
        ),
      ),
      junk,
    );
    fc.assert(
      fc.property(
        opts,
        fc.array(action, { minLength: 1, maxLength: 4 }),
        fc.oneof(fc.nat(), numLike),
        (o, actions, seed) => {
          const makers: (() => Env<unknown, unknown>)[] = [
            () => new BernoulliBandit(o as never) as unknown as Env<unknown, unknown>,
            () => new GaussianBandit(o as never) as unknown as Env<unknown, unknown>,
            () => new ContextualBandit(o as never) as unknown as Env<unknown, unknown>,
            () => new TokenBandit(o as never) as unknown as Env<unknown, unknown>,
          ];
          for (const make of makers) resultOrKlipError(make, (env) => drive(env, actions, seed));
        },
      ),
    );
  });

  it('makeEnv with fuzzed ids and options', () => {
    const id = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          'frozenlake4x4',
          'frozenlake8x8',
          'cliffwalking',
          'grid5x5',
          'bandit',
          'contextual-bandit',
        ),
      },
      { weight: 1, arbitrary: junk },
    );
    const opts = fc.oneof(
      fc.dictionary(
        fc.constantFrom('maxEpisodeSteps', 'slippery', 'slipProbability', 'probs', 'means', 'std', 'nope'),
        numLike,
      ),
      junk,
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(id, opts, fc.array(action, { minLength: 1, maxLength: 4 }), (i, o, actions) => {
        resultOrKlipError(
          () => makeEnv(i as string, o as never),
          (env) => drive(env as unknown as Env<unknown, unknown>, actions, 3),
        );
      }),
    );
  });
});

describe('fuzz: configs, seeds and checkpoints', () => {
  it('resolvePpoConfig: fuzzed configs give a consistent resolved config or a KlipError', () => {
    const key = fc.constantFrom(
      'env',
      'numEnvs',
      'nSteps',
      'totalSteps',
      'epochs',
      'numMinibatches',
      'lr',
      'gamma',
      'gaeLambda',
      'objective',
      'clipEpsilon',
      'klController',
      'klEstimator',
      'earlyStopKl',
      'policy',
      'seed',
      'backend',
      'annealLr',
      'unknownKey',
      'envOptions',
      'dualClip',
      'normalizeAdvantages',
    );
    const cfg = fc.oneof(
      fc.dictionary(
        key,
        fc.oneof(numLike, fc.integer({ min: 1, max: 64 }), fc.constantFrom('clip', 'k3', 'bandit', 'cpu')),
        { maxKeys: 4 },
      ),
      junk,
    );
    fc.assert(
      fc.property(cfg, (c) => {
        resultOrKlipError(
          () => resolvePpoConfig(c as never),
          (r) => {
            expect(r.batchSize).toBe(r.numEnvs * r.nSteps);
            expect(r.minibatchSize * r.numMinibatches).toBe(r.batchSize);
            expect(r.numIterations).toBeGreaterThanOrEqual(1);
          },
        );
      }),
      { numRuns: 300 },
    );
  });

  it('createRng with fuzzed seeds: draws in [0, 1); fromState with fuzzed states', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.string(), numLike), junk, (seed, state) => {
        resultOrKlipError(
          () => createRng(seed as never),
          (rng) => {
            const x = rng.float();
            expect(x >= 0 && x < 1).toBe(true);
            expect(createRng.fromState(rng.state()).float()).toBe(rng.float());
          },
        );
        resultOrKlipError(
          () => createRng.fromState(state as never),
          (rng) => expect(typeof rng.float()).toBe('number'),
        );
      }),
    );
  });

  describe('checkpoints', () => {
    let ckpt: Checkpoint;
    beforeAll(async () => {
      ckpt = await tinyCheckpoint({
        env: 'bandit',
        numEnvs: 2,
        nSteps: 4,
        totalSteps: 16,
        numMinibatches: 2,
        epochs: 1,
        backend: 'cpu',
        seed: 3,
      });
    });
    afterAll(() => undefined);

    /** A JSON path into the checkpoint and a replacement value. */
    const paths = (c: unknown, prefix: string[] = [], out: string[][] = []): string[][] => {
      out.push(prefix);
      if (c !== null && typeof c === 'object' && prefix.length < 4) {
        for (const [k, v] of Object.entries(c as object).slice(0, 12)) paths(v, [...prefix, k], out);
      }
      return out;
    };
    const mutate = (c: unknown, path: string[], value: unknown): unknown => {
      if (path.length === 0) return value;
      const copy = (Array.isArray(c) ? [...c] : { ...(c as object) }) as Record<string, unknown>;
      if (value === DELETE && path.length === 1) delete copy[path[0]!];
      else copy[path[0]!] = mutate(copy[path[0]!], path.slice(1), value);
      return copy;
    };
    const DELETE = Symbol('delete');

    it('validateCheckpoint / Trainer.restore with mutated checkpoints', async () => {
      const all = paths(ckpt);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...all), fc.oneof(junk, fc.constant(DELETE)), async (path, value) => {
          const bad = mutate(ckpt, path, value);
          resultOrKlipError(
            () => validateCheckpoint(bad),
            (r) => expect(r.format).toBe('klip-checkpoint'),
          );
          await resultOrKlipErrorAsync(
            () => Trainer.restore(bad),
            async (t) => {
              try {
                // A restored trainer must be able to run (or refuse with a KlipError).
                await resultOrKlipErrorAsync(
                  () => t.step(),
                  (m) => expect(Number.isFinite(m.update)).toBe(true),
                );
              } finally {
                t.dispose();
              }
            },
          );
        }),
        { numRuns: 80 },
      );
    });

    it('validateCheckpoint with arbitrary JSON', () => {
      fc.assert(
        fc.property(junk, (x) => {
          resultOrKlipError(
            () => validateCheckpoint(x),
            () => {
              throw new Error('junk accepted as a checkpoint');
            },
          );
        }),
      );
    });
  });
});
