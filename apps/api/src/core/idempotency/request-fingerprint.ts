import { createHash } from 'node:crypto';

/**
 * JSON with the keys of every object sorted, so two bodies that differ only in key order (or in
 * whitespace) have one text. For parsed JSON this is RFC 8785 (JCS): keys compare by UTF-16 code
 * units and numbers print as ECMAScript does. Like JSON.stringify, object members whose value is
 * undefined are left out and `toJSON()` (dates) is honoured.
 */
export function canonicalJson(value: unknown): string {
  const json = hasToJson(value) ? value.toJSON() : value;
  if (Array.isArray(json)) {
    return `[${json.map((item) => (isOmitted(item) ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (json !== null && typeof json === 'object') {
    const record = json as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .filter((key) => !isOmitted(record[key]))
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(json) ?? 'null';
}

/**
 * What identifies a request for Idempotency-Key: SHA-256 (hex) of its method, its path (without
 * the query string) and the canonical JSON of its body. No body counts as `null`.
 */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body ?? null)}`, 'utf8')
    .digest('hex');
}

function hasToJson(value: unknown): value is { toJSON(): unknown } {
  return value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}
