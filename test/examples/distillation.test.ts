import { describe, expect, it } from 'vitest';
import { main } from '../../examples/distillation.js';
import { expectClose } from '../helpers/close.js';

describe('examples/distillation', () => {
  it('main({ steps: 64 }): the seed example numbers and the JSD endpoints', async () => {
    const r = await main({ steps: 64, print: false });
    // scipy: rel_entr([.7,.3],[.4,.6]).sum() = 0.18378689738681217, rel_entr([.4,.6],[.7,.3]).sum() = 0.19204199316179815
    expectClose(r.forwardKl, 0.18378689738681217, 1e-5);
    expectClose(r.reverseKl, 0.19204199316179815, 1e-5);
    expectClose(r.jsd[0]!.value, r.forwardKl, 1e-6); // β = 0 is the forward KL
    expectClose(r.jsd[4]!.value, r.reverseKl, 1e-6); // β = 1 is the reverse KL
    expectClose(r.jsd[2]!.value, 0.046200829181513435, 1e-5);
    expect(r.fits.map((f) => f.kind)).toEqual(['forward', 'reverse', 'jsd']);
  });

  it('with the default budget: forward covers both modes, reverse collapses onto one', async () => {
    const r = await main({ print: false, backend: 'cpu' });
    const [fwd, rev] = [r.fits[0]!, r.fits[1]!];
    expect(Math.min(...fwd.massNearModes)).toBeGreaterThan(0.25);
    expect(Math.max(...rev.massNearModes)).toBeGreaterThan(0.9);
  });
});
