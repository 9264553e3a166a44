/**
 * A contextual bandit whose value loss overflows float32: one context pays 1e30. With `when: 'update-1'` that
 * context is the likely one (p = 0.99) and the run diverges at its first update; with `when: 'later'` it is the rare
 * one (p = 0.01) and some updates finish first. A partial PpoConfig for `--config` files and `Trainer.create`.
 * It runs the tfjs engine, whose float32 loss overflows; the fused engine's float64 arithmetic holds 1e30² = 1e60.
 */
export function divergingBandit(when: 'update-1' | 'later'): Record<string, unknown> {
  const huge = [1e30, 0];
  const plain = [0.2, 0.8];
  return {
    env: 'contextual-bandit',
    envOptions: {
      means: when === 'update-1' ? [huge, plain] : [plain, huge],
      contextProbs: [0.99, 0.01],
      reward: 'gaussian',
      std: 0.1,
    },
    numEnvs: 1,
    nSteps: 16,
    numMinibatches: 2,
    epochs: 2,
    totalSteps: 16 * 30,
    backend: 'cpu',
    engine: 'tfjs',
    seed: 2,
  };
}
