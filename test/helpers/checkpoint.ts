/** A real checkpoint of a tiny run, for tests that damage or mutate checkpoints. */
import type { Checkpoint } from '../../src/training/checkpoint.js';
import type { PpoConfigInput } from '../../src/training/config.js';
import { Trainer } from '../../src/training/trainer.js';

/**
 * Train `config` for one update and return its checkpoint after a JSON round trip (what a file would hold).
 * @param config A small config (it must allow at least one update).
 */
export async function tinyCheckpoint(config: PpoConfigInput): Promise<Checkpoint> {
  const trainer = await Trainer.create(config);
  try {
    await trainer.step();
    return JSON.parse(JSON.stringify(await trainer.save())) as Checkpoint;
  } finally {
    trainer.dispose();
  }
}
