import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ShutdownState } from './shutdown-state.js';

describe('ShutdownState', () => {
  let sut: ShutdownState;

  beforeEach(() => {
    vi.useFakeTimers();
    sut = new ShutdownState();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('is serving until a drain starts, and stopping from then on', async () => {
    expect(sut.stopping).toBe(false);

    const drained = sut.drain(1_000);
    expect(sut.stopping).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    await drained;
    sut.markClosing();

    expect(sut.stopping).toBe(true);
  });

  it('counts tracked work until it settles, rejections included, and passes its outcome through', async () => {
    let resolve = (_value: string): void => undefined;
    const ok = sut.track(new Promise<string>((done) => (resolve = done)));
    const failed = sut.track(Promise.reject(new Error('boom')));

    expect(sut.inFlight).toBe(2);
    await expect(failed).rejects.toThrow('boom');
    expect(sut.inFlight).toBe(1);
    resolve('value');
    await expect(ok).resolves.toBe('value');
    expect(sut.inFlight).toBe(0);
  });

  it('settles at once when nothing runs, and when the last tracked work ends', async () => {
    await expect(sut.settled(5_000)).resolves.toBe(0);

    let finish = (): void => undefined;
    void sut.track(new Promise<void>((done) => (finish = done)));
    const settled = sut.settled(5_000);
    await vi.advanceTimersByTimeAsync(1_000);
    finish();

    await expect(settled).resolves.toBe(0);
  });

  it('gives up after the timeout and says how many still run', async () => {
    void sut.track(new Promise<void>(() => undefined));

    const settled = sut.settled(2_000);
    await vi.advanceTimersByTimeAsync(2_000);

    await expect(settled).resolves.toBe(1);
  });
});
