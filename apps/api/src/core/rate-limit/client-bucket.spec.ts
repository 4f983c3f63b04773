import { describe, expect, it } from 'vitest';
import { clientBucketOf } from './client-bucket.js';

describe(clientBucketOf.name, () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8::1', '2001:db8::/64'],
    ['2001:db8::2', '2001:db8::/64'],
    ['2001:0db8:0000:0000:ffff:ffff:ffff:ffff', '2001:db8::/64'],
    ['2001:db8:0:1::1', '2001:db8:0:1::/64'],
    ['fe80::1%eth0', 'fe80::/64'],
  ])('counts %s as %s', (ip, bucket) => {
    expect(clientBucketOf(ip)).toBe(bucket);
  });

  it.each([undefined, '', 'unknown', '1.2.3.4, 5.6.7.8', '0x7f.1'])('counts %j as the shared unknown client', (ip) => {
    expect(clientBucketOf(ip)).toBe('unknown');
  });
});
