import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/**
 * Assert that `fn` leaves the number of live tensors unchanged (tfjs adam_optimizer_test.ts,
 * snake-dqn agent_test.js). `burnIn` calls first let optimizers create their slots.
 */
export async function expectNoLeak(fn: () => unknown | Promise<unknown>, { burnIn = 1 } = {}): Promise<void> {
  for (let i = 0; i < burnIn; i++) await fn();
  const before = tf.memory().numTensors;
  await fn();
  expect(tf.memory().numTensors).toBe(before);
}
