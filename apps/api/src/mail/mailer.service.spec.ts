import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { silenceLogger } from '../../../../test/utils/builders.js';
import type { MailMessage, MailTransport } from './mail-transport.js';
import { MailDeliveryFailedError } from './mail.errors.js';
import { Mailer } from './mailer.service.js';

function makeMessage(overrides: Partial<MailMessage> = {}): MailMessage {
  return { to: 'ada@example.com', subject: 'Verify your email', text: 'Open the link.', ...overrides };
}

describe(Mailer.name, () => {
  let transport: { send: Mock<MailTransport['send']> };
  let logs: ReturnType<typeof silenceLogger>;
  let sut: Mailer;

  beforeEach(() => {
    logs = silenceLogger();
    transport = { send: vi.fn<MailTransport['send']>().mockResolvedValue(undefined) };
    sut = new Mailer(transport as unknown as MailTransport);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('hands the message to the transport as it is', async () => {
    const message = makeMessage({ html: '<p>Open the link.</p>' });

    await sut.send(message);

    expect(transport.send).toHaveBeenCalledWith(message);
    expect(logs.error).not.toHaveBeenCalled();
  });

  it('turns a transport failure into MAIL_DELIVERY_FAILED, logging the subject, recipient and reason', async () => {
    const failure = new Error('connect ECONNREFUSED 127.0.0.1:587');
    transport.send.mockRejectedValue(failure);

    await expect(sut.send(makeMessage())).rejects.toThrow(MailDeliveryFailedError);
    expect(logs.error).toHaveBeenCalledWith(
      'Could not send "Verify your email" to ada@example.com: connect ECONNREFUSED 127.0.0.1:587',
      failure.stack,
    );
  });

  it('reports a rejection that is not an Error by its text, without a stack', async () => {
    transport.send.mockRejectedValue('421 service not available');

    await expect(sut.send(makeMessage())).rejects.toMatchObject({ code: 'MAIL_DELIVERY_FAILED' });
    expect(logs.error).toHaveBeenCalledWith(
      'Could not send "Verify your email" to ada@example.com: 421 service not available',
      undefined,
    );
  });
});
