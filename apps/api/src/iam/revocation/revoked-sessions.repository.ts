import { Injectable } from '@nestjs/common';
import { PrismaService } from '@app/database';

/** The database side of the revocation check: `sessions.revokedAt` is its source of truth. */
@Injectable()
export class RevokedSessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * One page of the sessions revoked after `since`, by id, after `afterId`: what rebuilds the
   * revocation markers from the database (a session's tokens live at most one access-token
   * lifetime after its revocation).
   */
  revokedSince(
    since: Date,
    afterId: string | undefined,
    take: number,
  ): Promise<Array<{ id: string; revokedAt: Date }>> {
    // On the primary (read replicas lag): the rebuild then declares the markers complete, and a
    // revocation a replica had not replayed yet would pass unchecked for as long.
    return this.prisma.primary.session
      .findMany({
        where: { revokedAt: { gt: since }, ...(afterId === undefined ? {} : { id: { gt: afterId } }) },
        orderBy: { id: 'asc' },
        take,
        select: { id: true, revokedAt: true },
      })
      .then((rows) => rows.flatMap(({ id, revokedAt }) => (revokedAt ? [{ id, revokedAt }] : [])));
  }

  /**
   * The revocation check when the markers cannot vouch for a miss (Redis down, restarted, flushed).
   * On the primary: a lagging replica must never bring a revoked session back.
   */
  async isRevoked(sessionId: string): Promise<boolean> {
    const session = await this.prisma.primary.session.findUnique({
      where: { id: sessionId },
      select: { revokedAt: true },
    });
    return session === null || session.revokedAt !== null;
  }
}
