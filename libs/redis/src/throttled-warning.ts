import type { Logger } from '@nestjs/common';

/** At most one warning per this interval, however many calls fall back. */
const WARNING_INTERVAL_MS = 10_000;

/** A warning logged at most every 10 s, for a condition that can hit every request (an outage). */
export class ThrottledWarning {
  private lastWarningAt = 0;

  constructor(private readonly logger: Logger) {}

  warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarningAt < WARNING_INTERVAL_MS) return;
    this.lastWarningAt = now;
    this.logger.warn(message);
  }
}
