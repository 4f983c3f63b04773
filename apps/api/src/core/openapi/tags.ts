/**
 * Every tag a controller uses (`@ApiTags`), with its description: the spec lists them all
 * (Spectral's operation-tag-defined). `nest g feature` adds its own line.
 */
export const API_TAGS: Record<string, string> = {
  auth: 'Accounts, sign-in, tokens, sessions, email verification and passwords',
  users: "The caller's account, and account administration",
  'api-keys': "The caller's API keys for machine clients: create, list, revoke",
  audit: "The security event log: the caller's own events, and the whole log for administrators",
  billing: 'Plans, subscriptions, checkout, invoices, entitlements and provider webhooks',
  health: 'Liveness and readiness probes',
};
