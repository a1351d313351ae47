import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack 169.254.169.254, AWS IPv6
 * fd00:ec2::254, Alibaba 100.100.100.200). They hand out the machine's credentials to anyone who
 * can reach them, so they stay refused even inside an operator-allowed range.
 */
export const CLOUD_METADATA_ADDRESSES: readonly string[] = [
  '169.254.169.254',
  'fd00:ec2::254',
  '100.100.100.200',
];

/** The variable an operator sets to let `http.request` reach a non-public range. */
export const ALLOWED_CIDRS_VARIABLE = 'HTTP_TOOL_ALLOWED_CIDRS';

/** What ipaddr.js calls a range, in words for the refusal message. */
const RANGE_WORDS: Readonly<Record<string, string>> = {
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local (private IPv6) address',
  unspecified: 'an unspecified address',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10) address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  ipv4Compatible: 'an IPv4-compatible IPv6 address (deprecated, may reach IPv4 hosts)',
  rfc6052: 'a NAT64 address (may reach any IPv4 host, private ones included)',
  '6to4': 'a 6to4 address (embeds an IPv4 address)',
  teredo: 'a Teredo address (embeds an IPv4 address)',
};

export type AddressVerdict =
  | { allowed: true; address: string; via: 'public' | 'allowed-cidr' }
  | {
      allowed: false;
      address: string;
      /** ipaddr.js range name (`loopback`, `private`, ...), or `metadata` / `invalid`. */
      range: string;
      /** The address and why it is refused, in words: "127.0.0.1, a loopback address". */
      description: string;
    };

export interface AddressPolicy {
  /** Judges one resolved (or literal) IP address. */
  check(address: string): AddressVerdict;
  /** The operator-allowed ranges, normalised (`10.0.0.0/8`). */
  readonly allowedCidrs: readonly string[];
}

/**
 * Parses one entry of an allowed-ranges list: a CIDR (`10.0.0.0/8`, `fd00::/8`) or a bare
 * address (a /32 or /128). Returns null when it is neither.
 */
export function parseCidr(entry: string): [Address, number] | null {
  const value = entry.trim();
  if (value.includes('/')) {
    const [base] = value.split('/');
    // ipaddr.js also takes shorthand IPv4 such as "10.1/8"; require the address Node would take.
    if (!isIP(base ?? '') || !ipaddr.isValidCIDR(value)) return null;
    return ipaddr.parseCIDR(value);
  }
  if (!isIP(value)) return null;
  const address = ipaddr.parse(value);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/**
 * The outbound address policy of `http.request`: only public unicast addresses, unless the
 * operator allowed the range (`allowedCidrs`), and never a cloud metadata endpoint. IPv4-mapped
 * IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address it reaches; IPv4-compatible, NAT64,
 * 6to4 and Teredo forms are refused outright because they can tunnel to private IPv4 hosts.
 *
 * @throws Error naming the entry when an entry of `allowedCidrs` is not a CIDR or address
 */
export function createAddressPolicy({
  allowedCidrs = [],
}: { allowedCidrs?: readonly string[] } = {}): AddressPolicy {
  const ranges = allowedCidrs.map((entry) => {
    const parsed = parseCidr(entry);
    if (!parsed) throw new Error(`allowed CIDR "${entry}" is not a CIDR range such as 10.0.0.0/8`);
    return parsed;
  });
  const metadata = new Set(CLOUD_METADATA_ADDRESSES.map((a) => ipaddr.parse(a).toNormalizedString()));
  const inAllowedRange = (address: Address) =>
    ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));

  return {
    allowedCidrs: ranges.map(([base, bits]) => `${base.toString()}/${bits}`),
    check(raw) {
      const text = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
      if (!isIP(text.split('%')[0] ?? '')) {
        return { allowed: false, address: raw, range: 'invalid', description: `${raw}, not an IP address` };
      }
      const address = ipaddr.parse(text);
      // The IPv4 host a mapped address reaches is what the policy is about.
      const reached =
        address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
          ? (address as ipaddr.IPv6).toIPv4Address()
          : address;
      if (metadata.has(address.toNormalizedString()) || metadata.has(reached.toNormalizedString())) {
        return {
          allowed: false,
          address: text,
          range: 'metadata',
          description: `${text}, a cloud metadata address (always refused)`,
        };
      }
      if (inAllowedRange(address) || (reached !== address && inAllowedRange(reached))) {
        return { allowed: true, address: text, via: 'allowed-cidr' };
      }
      const range = rangeOf(reached);
      if (range === 'unicast') return { allowed: true, address: text, via: 'public' };
      const words = RANGE_WORDS[range] ?? `a special-purpose address (${range})`;
      return {
        allowed: false,
        address: text,
        range,
        description: `${text}, ${words}${reached !== address ? ` (IPv4-mapped ${reached.toString()})` : ''}`,
      };
    },
  };
}

function rangeOf(address: Address): string {
  if (address.kind() === 'ipv6') {
    const parts = (address as ipaddr.IPv6).parts;
    // ::/96 other than :: and ::1 is the deprecated IPv4-compatible form; ipaddr.js calls it unicast.
    if (parts.slice(0, 6).every((p) => p === 0) && (parts[6] !== 0 || (parts[7] ?? 0) > 1)) {
      return 'ipv4Compatible';
    }
  }
  return address.range();
}
