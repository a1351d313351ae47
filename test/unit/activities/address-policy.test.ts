import { createAddressPolicy, parseCidr } from '../../../activities/tools/address-policy';
import { loadConfig } from '../../../services/config';

describe('http.request address policy', () => {
  const policy = createAddressPolicy();

  it.each([
    ['127.0.0.1', 'loopback', 'a loopback address'],
    ['127.8.9.10', 'loopback', 'a loopback address'],
    ['::1', 'loopback', 'a loopback address'],
    ['10.1.2.3', 'private', 'a private (RFC 1918) address'],
    ['172.16.0.1', 'private', 'a private (RFC 1918) address'],
    ['172.31.255.254', 'private', 'a private (RFC 1918) address'],
    ['192.168.1.1', 'private', 'a private (RFC 1918) address'],
    ['169.254.10.20', 'linkLocal', 'a link-local address'],
    ['fe80::1', 'linkLocal', 'a link-local address'],
    ['fe80::1%eth0', 'linkLocal', 'a link-local address'],
    ['febf::1', 'linkLocal', 'a link-local address'],
    ['fc00::1', 'uniqueLocal', 'a unique-local (private IPv6) address'],
    ['fd12:3456::1', 'uniqueLocal', 'a unique-local (private IPv6) address'],
    ['0.0.0.0', 'unspecified', 'an unspecified address'],
    ['::', 'unspecified', 'an unspecified address'],
    ['100.64.0.1', 'carrierGradeNat', 'a carrier-grade NAT (100.64.0.0/10) address'],
    ['100.127.255.254', 'carrierGradeNat', 'a carrier-grade NAT (100.64.0.0/10) address'],
    ['169.254.169.254', 'metadata', 'a cloud metadata address (always refused)'],
    ['fd00:ec2::254', 'metadata', 'a cloud metadata address (always refused)'],
    ['::ffff:169.254.169.254', 'metadata', 'a cloud metadata address (always refused)'],
    ['224.0.0.1', 'multicast', 'a multicast address'],
    ['255.255.255.255', 'broadcast', 'the broadcast address'],
    ['64:ff9b::a00:1', 'rfc6052', 'a NAT64 address'],
    ['2002:a00:1::1', '6to4', 'a 6to4 address'],
    ['::7f00:1', 'ipv4Compatible', 'an IPv4-compatible IPv6 address'],
  ])('refuses %s (%s)', (address, range, words) => {
    const verdict = policy.check(address);
    expect(verdict).toMatchObject({ allowed: false, range });
    expect(!verdict.allowed && verdict.description).toContain(`${address}, ${words}`);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:192.168.0.1', 'private'],
    ['::ffff:100.64.0.1', 'carrierGradeNat'],
  ])('judges the IPv4-mapped %s as the IPv4 address it reaches (%s)', (address, range) => {
    const verdict = policy.check(address);
    expect(verdict).toMatchObject({ allowed: false, range });
    expect(!verdict.allowed && verdict.description).toMatch(/\(IPv4-mapped \d+\.\d+\.\d+\.\d+\)$/);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111'])(
    'allows the public address %s',
    (address) => {
      expect(policy.check(address)).toEqual({ allowed: true, address, via: 'public' });
    },
  );

  it('allows operator ranges, IPv4-mapped forms included, but never a metadata address', () => {
    const allowing = createAddressPolicy({
      allowedCidrs: ['127.0.0.1/32', '10.20.0.0/16', 'fd00:1::/64', '169.254.0.0/16', '192.168.7.7'],
    });
    expect(allowing.allowedCidrs).toEqual([
      '127.0.0.1/32',
      '10.20.0.0/16',
      'fd00:1::/64',
      '169.254.0.0/16',
      '192.168.7.7/32',
    ]);
    for (const address of [
      '127.0.0.1',
      '::ffff:127.0.0.1',
      '10.20.3.4',
      'fd00:1::99',
      '169.254.1.1',
      '192.168.7.7',
    ]) {
      expect(allowing.check(address)).toMatchObject({ allowed: true, via: 'allowed-cidr' });
    }
    for (const address of ['127.0.0.2', '10.21.0.1', 'fd00:2::1', '192.168.7.8', '::1']) {
      expect(allowing.check(address)).toMatchObject({ allowed: false });
    }
    expect(allowing.check('169.254.169.254')).toMatchObject({ allowed: false, range: 'metadata' });
    expect(createAddressPolicy({ allowedCidrs: ['0.0.0.0/0', '::/0'] }).check('fd00:ec2::254')).toMatchObject(
      {
        allowed: false,
        range: 'metadata',
      },
    );
  });

  it('refuses what is not an IP address, and a bad allowed range at construction', () => {
    expect(policy.check('localhost')).toMatchObject({ allowed: false, range: 'invalid' });
    expect(() => createAddressPolicy({ allowedCidrs: ['10.0.0.0/33'] })).toThrow(
      'allowed CIDR "10.0.0.0/33" is not a CIDR range such as 10.0.0.0/8',
    );
    expect(parseCidr('10.1/8')).toBeNull();
    expect(parseCidr('example.com')).toBeNull();
  });
});

describe('HTTP_TOOL_ALLOWED_CIDRS', () => {
  it('parses a comma-separated list of CIDRs and addresses; empty allows no private range', () => {
    expect(loadConfig({}).HTTP_TOOL_ALLOWED_CIDRS).toEqual([]);
    expect(
      loadConfig({ HTTP_TOOL_ALLOWED_CIDRS: ' 10.0.0.0/8, fd00::/8 ,127.0.0.1,' }).HTTP_TOOL_ALLOWED_CIDRS,
    ).toEqual(['10.0.0.0/8', 'fd00::/8', '127.0.0.1']);
  });

  it('names the variable and every bad entry', () => {
    expect(() => loadConfig({ HTTP_TOOL_ALLOWED_CIDRS: '10.0.0.0/8,intranet,10.0.0.0/40' })).toThrow(
      /HTTP_TOOL_ALLOWED_CIDRS.*expected comma-separated CIDR ranges or addresses.*"intranet", "10\.0\.0\.0\/40"/s,
    );
  });
});
