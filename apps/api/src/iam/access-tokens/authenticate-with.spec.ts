import { describe, expect, it, vi } from 'vitest';
import passport, { type StrategyCreatedStatic } from 'passport';
import { makeHttpContext } from '../../../../../test/utils/builders.js';
import { authenticateWith, type Verdict } from './authenticate-with.js';

type Answer = (strategy: StrategyCreatedStatic) => void;

/** A strategy that answers each request with `answer` (success, fail, error or pass), later. */
class AnsweringStrategy extends passport.Strategy {
  constructor(private readonly answer: Answer) {
    super();
  }

  override authenticate(): void {
    setImmediate(() => this.answer(this));
  }
}

/** Returns the user, and says "no user" as the guards do. */
const verdict: Verdict<unknown> = (error, user) => {
  if (error) throw error;
  if (!user) throw new Error('no user');
  return user;
};

describe(authenticateWith.name, () => {
  it('puts what the verdict makes of a success on request.user', async () => {
    const request: { user?: unknown } = {};
    const strategy = new AnsweringStrategy((s) => s.success({ id: 'user-1' }));

    await expect(authenticateWith(strategy, makeHttpContext({ request }), verdict)).resolves.toEqual({ id: 'user-1' });
    expect(request.user).toEqual({ id: 'user-1' });
  });

  it('sets passport’s per-request actions on an object of its own, never on the shared instance', async () => {
    const strategy = new AnsweringStrategy((s) => s.success({ id: 'user-1' }));

    await authenticateWith(strategy, makeHttpContext(), verdict);
    expect(Object.keys(strategy)).not.toContain('success');
  });

  it.each<[string, Answer, unknown]>([
    ['a failure', (s) => s.fail(401), null],
    ['a strategy that passes the request on', (s) => s.pass(), undefined],
  ])('hands the verdict "no user" for %s', async (_kind, answer, error) => {
    const spy = vi.fn(verdict);

    await expect(authenticateWith(new AnsweringStrategy(answer), makeHttpContext(), spy)).rejects.toThrow('no user');
    expect(spy).toHaveBeenCalledWith(error, false);
  });

  it('hands the verdict an error as it is', async () => {
    const failure = new Error('database unavailable');
    const spy = vi.fn(verdict);

    await expect(authenticateWith(new AnsweringStrategy((s) => s.error(failure)), makeHttpContext(), spy)).rejects.toBe(
      failure,
    );
    expect(spy).toHaveBeenCalledWith(failure, undefined);
  });
});
