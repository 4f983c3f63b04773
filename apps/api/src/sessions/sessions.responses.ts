import type { SessionResponseDto } from './dto/session-response.dto.js';
import type { SessionRecord } from './sessions.repository.js';

/** `currentSessionId` is the session of the access token making the request. */
export function toSessionResponse(session: SessionRecord, currentSessionId: string): SessionResponseDto {
  return {
    id: session.id,
    device: session.userAgent,
    ip: session.ip,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    current: session.id === currentSessionId,
  };
}
