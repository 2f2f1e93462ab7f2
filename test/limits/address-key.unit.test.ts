/** Failure budgets per source address: IPv4 as is, IPv6 by its /64 (a host holds a whole /64). */
import { addressKey } from '../../src/limits/request-limits.js';

test.each([
  ['203.0.113.7', 'fa:203.0.113.7'],
  ['::ffff:203.0.113.7', 'fa:203.0.113.7'],
  ['2001:db8:0:1::1', 'fa:2001:db8:0:1::/64'],
  ['2001:0db8:0000:0001:ffff:0:0:2', 'fa:2001:db8:0:1::/64'],
  ['2001:DB8::', 'fa:2001:db8:0:0::/64'],
  ['::1', 'fa:0:0:0:0::/64'],
])('%s counts as %s', (address, key) => {
  expect(addressKey(address)).toBe(key);
});
