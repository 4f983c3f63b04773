import { describe, expect, it } from 'vitest';
import { canonicalJson, requestFingerprint } from './request-fingerprint.js';

describe(canonicalJson.name, () => {
  it('sorts the keys of every object, nested ones and those in arrays included', () => {
    const sut = canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 'x' } });

    expect(sut).toBe('{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}');
  });

  it('gives one text for bodies that differ only in key order', () => {
    expect(canonicalJson(JSON.parse('{"planCode":"pro","extra":{"x":1,"y":[1,2]}}'))).toBe(
      canonicalJson(JSON.parse('{ "extra": { "y": [1, 2], "x": 1 }, "planCode": "pro" }')),
    );
  });

  it('keeps the order of array items', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('serialises scalars, undefined members and dates as JSON.stringify does', () => {
    expect(canonicalJson({ s: 'é"\n', n: 1e21, f: 0.1, t: true, z: null, u: undefined })).toBe(
      '{"f":0.1,"n":1e+21,"s":"é\\"\\n","t":true,"z":null}',
    );
    expect(canonicalJson([undefined])).toBe('[null]');
    expect(canonicalJson({ at: new Date('2026-01-02T03:04:05.000Z') })).toBe('{"at":"2026-01-02T03:04:05.000Z"}');
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe(requestFingerprint.name, () => {
  const fingerprint = (overrides: { method?: string; path?: string; body?: unknown } = {}) =>
    requestFingerprint(
      overrides.method ?? 'POST',
      overrides.path ?? '/v1/billing/checkout',
      'body' in overrides ? overrides.body : { planCode: 'pro' },
    );

  it('is a SHA-256 in hex', () => {
    expect(fingerprint()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on key order or the method name case', () => {
    expect(fingerprint({ body: { b: 1, a: 2 } })).toBe(fingerprint({ body: { a: 2, b: 1 } }));
    expect(fingerprint({ method: 'post' })).toBe(fingerprint());
  });

  it('changes with the method, the path or the body', () => {
    const base = fingerprint();

    expect(fingerprint({ method: 'PUT' })).not.toBe(base);
    expect(fingerprint({ path: '/v1/billing/portal' })).not.toBe(base);
    expect(fingerprint({ body: { planCode: 'business' } })).not.toBe(base);
  });

  it('counts no body as null', () => {
    expect(fingerprint({ body: undefined })).toBe(fingerprint({ body: null }));
    expect(fingerprint({ body: undefined })).not.toBe(fingerprint({ body: {} }));
  });
});
