import type { Role } from '@app/database';

/** The authenticated caller, taken from a verified access token (no database read). */
export interface AuthUser {
  id: string;
  sessionId: string;
  role: Role;
}

/** Where a request comes from, recorded on sessions and security events. */
export interface ClientInfo {
  ip: string;
  userAgent: string | undefined;
}
