import { describe, expect, it } from 'vitest';
import { SingleLeaderElector } from './leader.js';

describe('SingleLeaderElector', () => {
  it('leads from start() until stop(), calling back once each way', async () => {
    const elector = new SingleLeaderElector();
    const calls: string[] = [];
    let signal: AbortSignal | undefined;
    elector.start({
      onStartedLeading: (s) => {
        calls.push('started');
        signal = s;
      },
      onStoppedLeading: () => calls.push('stopped'),
    });
    // start() returns before leading begins, as with a real election.
    expect(calls).toEqual([]);
    await Promise.resolve();
    expect(elector.isLeader()).toBe(true);
    expect(signal?.aborted).toBe(false);
    await elector.stop();
    await elector.stop();
    expect(elector.isLeader()).toBe(false);
    expect(signal?.aborted).toBe(true);
    expect(calls).toEqual(['started', 'stopped']);
    expect(() => elector.start({ onStartedLeading: () => undefined })).toThrow(/already started/);
  });

  it('never leads when stopped before leading began', async () => {
    const elector = new SingleLeaderElector();
    let started = false;
    elector.start({ onStartedLeading: () => (started = true) });
    await elector.stop();
    await Promise.resolve();
    expect(started).toBe(false);
    expect(elector.isLeader()).toBe(false);
  });
});
