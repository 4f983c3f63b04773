import { describe, expect, it } from 'vitest';
import { Controller, Get } from '@nestjs/common';
import { Public } from '../apps/api/src/iam/decorators/public.decorator.js';
import { createTestApp } from './utils/test-app.js';

@Public()
@Controller('test-slow')
class SlowController {
  @Get()
  async slow(): Promise<{ done: boolean }> {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { done: true };
  }
}

describe('graceful shutdown (e2e)', () => {
  it('lets an in-flight request finish, then refuses new connections', async () => {
    const t = await createTestApp({ extra: { controllers: [SlowController] } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = await t.app.getUrl();

    const inFlight = fetch(`${url}/v1/test-slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = t.close();

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await closing;
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
